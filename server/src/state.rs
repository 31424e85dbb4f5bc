//! The server's state: one writing database connection and a pool of read-only ones, the
//! blob directory beside it, the clock, the rate limits and the per-blob upload locks.
//! Every handler reaches the database through [`Server::read`] (a read-only connection,
//! one snapshot), [`Server::write`] (one `BEGIN IMMEDIATE` transaction) and
//! [`Server::blocking`] (off the async threads).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use cordon_core::{Clock, SystemClock, Timestamp};
use rusqlite::{Connection, TransactionBehavior};

use cordon_core::protocol::OperationResult;

use crate::db;
use crate::error::{Error, Result};
use crate::group_commit::{GroupCommit, Job};
use crate::limits::{Limits, RateLimits};
use crate::store::{Conn, Tx};

/// A server over one database file. Cheap to clone; every clone shares the connection.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    // One connection for writing, serialised: SQLite writes one transaction at a time
    // anyway, and a push is one transaction. Handlers reach it from blocking threads only.
    conn: Mutex<Connection>,
    // Read-only connections: reads (a token check, a pull, the console) never wait for
    // the writer or its queue; WAL gives each a snapshot of what is committed.
    readers: Readers,
    db_path: PathBuf,
    blobs_dir: PathBuf,
    clock: Arc<dyn Clock>,
    // One lock per blob being uploaded, so two requests never append to one file at once.
    uploads: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    timeouts: Mutex<Timeouts>,
    // Counts committed writes, so the console's live stream wakes when something changed.
    changes: tokio::sync::watch::Sender<u64>,
    // Whose turn it is on the connection: alarms' pushes before ordinary work.
    alarm_gate: AlarmGate,
    // Pushes waiting to share a transaction and a commit (`crate::group_commit`).
    pushes: GroupCommit<Vec<OperationResult>>,
    // True once the server stops: long-lived answers (the console's stream) end.
    stopping: tokio::sync::watch::Sender<bool>,
    // How often the dead-man timer runs while serving (None: not at all).
    timer_period: Mutex<Option<Duration>>,
    // Whether the console's session cookie is always marked Secure (TLS in front).
    secure_cookies: std::sync::atomic::AtomicBool,
    // How often an address may enrol or sign in, and a device push.
    limits: Limits,
}

/// The most read-only connections kept open; a read beyond them waits for one.
const MAX_READERS: usize = 8;

/// A small pool of read-only connections, opened as reads need them.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    // How many are open (idle or in use), and a wake-up when one is returned.
    open: Mutex<usize>,
    returned: std::sync::Condvar,
}

impl Readers {
    fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
            open: Mutex::new(0),
            returned: std::sync::Condvar::new(),
        }
    }

    /// An idle connection, a new one while fewer than [`MAX_READERS`] are open, or the
    /// next one returned.
    fn take(&self) -> Result<Connection> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
                return Ok(conn);
            }
            if *open < MAX_READERS {
                *open += 1;
                drop(open);
                return db::open_reader(&self.path).inspect_err(|_| {
                    *self.open.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
                });
            }
            open = self.returned.wait(open).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// An idle connection, if one is: never waits, never opens one.
    fn try_take(&self) -> Option<Connection> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    fn give_back(&self, conn: Connection) {
        let _open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conn);
        self.returned.notify_one();
    }
}

/// Whose turn it is on the connection (see `Server::turn`).
#[derive(Default)]
struct AlarmGate {
    state: Mutex<GateState>,
    alarm: std::sync::Condvar,
    ordinary: std::sync::Condvar,
}

#[derive(Default)]
struct GateState {
    busy: bool,
    alarms_waiting: usize,
}

/// The connection, held for one piece of work; the next waiting takes its turn on drop.
struct Turn<'a> {
    conn: MutexGuard<'a, Connection>,
    gate: &'a AlarmGate,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut state = self
            .gate
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.busy = false;
        // One waiter is woken; if another took the turn first, that one's release wakes
        // the next, so no waiter is forgotten.
        if state.alarms_waiting > 0 {
            self.gate.alarm.notify_one();
        } else {
            self.gate.ordinary.notify_one();
        }
    }
}

/// How often the dead-man timer looks for overdue officers while the server serves.
pub const DEFAULT_TIMER_PERIOD: Duration = Duration::from_secs(1);

/// How long the server waits for a slow client (see `crate::listen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For a request's headers, from the connection's turn to send one.
    pub header_read: Duration,
    /// For the next piece of a request body.
    pub body_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read: Duration::from_secs(15),
            body_idle: Duration::from_secs(30),
        }
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("db_path", &self.inner.db_path)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens (creating if needed) the server database at `db_path`, with attachment bytes
    /// in the directory `<db_path>.blobs` beside it, on the system clock.
    pub fn open(db_path: impl AsRef<Path>) -> Result<Server> {
        Self::open_with_clock(db_path, Arc::new(SystemClock))
    }

    /// Opens the database `database` names: a SQLite file's path, as [`Server::open`]
    /// takes it, or a PostgreSQL URL (`postgres://...`, `postgresql://...`), which this
    /// build refuses with `InvalidInput` naming what is missing: the handlers reach the
    /// database through `crate::store`, but their SQL, the schema and the shared blob
    /// store have no PostgreSQL backend yet. Nothing is created for a refused URL.
    pub fn open_database(database: &str) -> Result<Server> {
        if is_postgres_url(database) {
            return Err(Error::invalid(
                "database",
                "PostgreSQL is not supported by this build yet (its schema, SQL dialect, \
                 multi-process group commit, commit-ordered feed and shared attachment \
                 store are not written); give a SQLite file's path",
            ));
        }
        Self::open(database)
    }

    /// Opens the server reading time from `clock` (tests move time to expire codes).
    pub fn open_with_clock(db_path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Server> {
        let db_path = db_path.as_ref().to_path_buf();
        let conn = db::open(&db_path)?;
        let mut name = db_path.file_name().unwrap_or_default().to_os_string();
        name.push(".blobs");
        let blobs_dir = db_path.with_file_name(name);
        std::fs::create_dir_all(&blobs_dir).map_err(|e| Error::io(&blobs_dir, e))?;
        Ok(Server {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                readers: Readers::new(db_path.clone()),
                db_path,
                blobs_dir,
                clock: clock.clone(),
                uploads: Mutex::new(HashMap::new()),
                timeouts: Mutex::new(Timeouts::default()),
                changes: tokio::sync::watch::Sender::new(0),
                alarm_gate: AlarmGate::default(),
                pushes: GroupCommit::default(),
                stopping: tokio::sync::watch::Sender::new(false),
                timer_period: Mutex::new(Some(DEFAULT_TIMER_PERIOD)),
                secure_cookies: std::sync::atomic::AtomicBool::new(false),
                limits: Limits::new(clock.clone()),
            }),
        })
    }

    /// Changes the rate limits (`RateLimits::default()` until then; `RateLimits::NONE`
    /// for a load generator measuring the server itself).
    pub fn set_rate_limits(&self, limits: RateLimits) {
        self.inner.limits.set(limits);
    }

    pub fn rate_limits(&self) -> RateLimits {
        self.inner.limits.get()
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    /// The directory holding attachment bytes.
    pub fn blobs_dir(&self) -> &Path {
        &self.inner.blobs_dir
    }

    /// How long the server waits for slow clients.
    pub fn timeouts(&self) -> Timeouts {
        *self
            .inner
            .timeouts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes how long the server waits for slow clients, for connections accepted from
    /// now on (tests shorten them; an office behind a slow link may lengthen them).
    pub fn set_timeouts(&self, timeouts: Timeouts) {
        *self
            .inner
            .timeouts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = timeouts;
    }

    /// The server's clock: what every response reports as `server_time`.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The connection, when its turn comes: an alarm's turn comes before any ordinary
    /// work that is waiting, so an alarm waits only for the work in progress, never for a
    /// queue of pushes. (DESIGN: alarms are never queued behind bulk work, on the server
    /// either.)
    fn turn(&self, alarm: bool) -> Turn<'_> {
        let gate = &self.inner.alarm_gate;
        let mut state = gate
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if alarm {
            state.alarms_waiting += 1;
        }
        // Each waits on its own condition, and a release wakes one waiter only (an alarm
        // if any waits): waking every waiter on each release costs more than the work.
        let condition = if alarm { &gate.alarm } else { &gate.ordinary };
        while state.busy || (!alarm && state.alarms_waiting > 0) {
            state = condition
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        if alarm {
            state.alarms_waiting -= 1;
        }
        state.busy = true;
        drop(state);
        Turn {
            // Only the holder of the turn takes the connection: this never waits. rusqlite
            // rolls back an open transaction on drop, so a panic while it was held cannot
            // leave the connection mid-transaction: the poison is harmless.
            conn: self
                .inner
                .conn
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            gate,
        }
    }

    /// Runs `f` on a read-only connection, in one read transaction (one snapshot of
    /// what is committed). It waits for no writer and no queue of pushes.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T>) -> Result<T> {
        let conn = self.inner.readers.take()?;
        self.read_on(conn, f)
    }

    /// A small read (one indexed lookup, such as a token check) from async code: on the
    /// calling thread if a read-only connection is idle, which takes microseconds and
    /// spares a hand-over to a blocking thread and back; otherwise on a blocking thread,
    /// as [`Server::read`].
    pub(crate) async fn read_small<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Conn<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        match self.inner.readers.try_take() {
            Some(conn) => self.read_on(conn, f),
            None => self.blocking(move |s| s.read(f)).await,
        }
    }

    fn read_on<T>(
        &self,
        mut conn: Connection,
        f: impl FnOnce(&Conn<'_>) -> Result<T>,
    ) -> Result<T> {
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let value = f(&Conn::sqlite(&tx))?;
            tx.commit()?;
            Ok(value)
        })();
        self.inner.readers.give_back(conn);
        result
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction and commits; any error rolls back.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.write_with(self.turn(false), f)
    }

    /// Runs a push's `job` in a group commit (`crate::group_commit`): with other pushes
    /// queued meanwhile, in one transaction, each in its own savepoint, answered after
    /// the one commit is durable. An alarm-only push (`alarm`) goes in a group of alarms,
    /// before ordinary pushes and ordinary work waiting for the connection. The request
    /// waits for its answer without a thread of its own; only the group's runner (and an
    /// alarm, which never waits for it) takes a blocking thread.
    pub(crate) async fn write_push(
        &self,
        alarm: bool,
        operations: usize,
        job: Job<Vec<OperationResult>>,
    ) -> Result<Vec<OperationResult>> {
        let submitted = self.inner.pushes.submit(alarm, operations, job);
        if alarm {
            self.blocking(|s| {
                s.inner
                    .pushes
                    .run_alarms(&|alarm, body| s.run_group(alarm, body));
                Ok(())
            })
            .await?;
        } else if submitted.start_runner {
            let server = self.clone();
            tokio::task::spawn_blocking(move || {
                let s = &server;
                s.inner
                    .pushes
                    .drain(&|alarm, body| s.run_group(alarm, body));
            });
        }
        submitted
            .answer
            .await
            .unwrap_or_else(|_| Err(Error::Storage("a push was left without an answer".into())))
    }

    /// Takes the connection's turn (the alarm's if `alarm`), runs `body` in one
    /// transaction, and commits: one group of pushes.
    fn run_group(&self, alarm: bool, body: &mut dyn FnMut(&mut Tx<'_>)) -> Result<()> {
        let mut turn = self.turn(alarm);
        let tx = turn
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        body(&mut Tx::new(Conn::sqlite(&tx)));
        tx.commit()?;
        drop(turn);
        self.inner.changes.send_modify(|n| *n = n.wrapping_add(1));
        Ok(())
    }

    /// How many group commits of pushes have committed (figures and tests).
    pub fn push_groups(&self) -> u64 {
        self.inner.pushes.groups()
    }

    fn write_with<T>(
        &self,
        mut turn: Turn<'_>,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let tx = turn
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&mut Tx::new(Conn::sqlite(&tx)))?;
        tx.commit()?;
        drop(turn);
        self.inner.changes.send_modify(|n| *n = n.wrapping_add(1));
        Ok(value)
    }

    /// Wakes whenever a write of this process committed (the console's live stream).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Becomes true when the server stops serving.
    pub(crate) fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }

    /// Tells long-lived answers and the timer that the server stops.
    pub(crate) fn stop(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// How often the dead-man timer runs while serving; `None` stops it (tests that drive
    /// `alarms::deadman::check` themselves). Takes effect when serving starts.
    pub fn set_timer_period(&self, period: Option<Duration>) {
        *self
            .inner
            .timer_period
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = period;
    }

    /// Marks the console's session cookie `Secure` on every answer (the server is reached
    /// over TLS only, through a proxy that terminates it). Without it, the cookie is
    /// `Secure` when the proxy says `X-Forwarded-Proto: https`.
    pub fn set_secure_cookies(&self, secure: bool) {
        self.inner
            .secure_cookies
            .store(secure, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn secure_cookies(&self) -> bool {
        self.inner
            .secure_cookies
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn timer_period(&self) -> Option<Duration> {
        *self
            .inner
            .timer_period
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs blocking work (SQLite, hashing files) off the async threads.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Server) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let server = self.clone();
        tokio::task::spawn_blocking(move || f(&server))
            .await
            .unwrap_or_else(|e| Err(Error::Storage(format!("a server task failed: {e}"))))
    }

    /// The lock that serialises uploads into one blob.
    pub(crate) fn upload_lock(&self, blob_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .uploads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Forget locks nobody holds any more, so the map stays as small as the number of
        // uploads in progress.
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(blob_id).or_default().clone()
    }

    /// Where a blob's bytes live.
    pub(crate) fn blob_path(&self, blob_id: i64) -> PathBuf {
        self.inner.blobs_dir.join(blob_id.to_string())
    }
}

/// Whether `database` is a PostgreSQL connection URL rather than a file's path.
pub fn is_postgres_url(database: &str) -> bool {
    ["postgres://", "postgresql://"]
        .iter()
        .any(|scheme| database.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group_commit::Ran;
    use std::sync::mpsc::channel;

    #[test]
    fn a_postgres_url_is_refused_clearly_and_a_path_opens_sqlite() {
        for url in [
            "postgres://u@127.0.0.1:5432/cordon",
            "postgresql://localhost/x",
        ] {
            match Server::open_database(url) {
                Err(Error::InvalidInput { field, reason }) => {
                    assert_eq!(field, "database");
                    assert!(reason.contains("PostgreSQL is not supported"), "{reason}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let server = Server::open_database(path.to_str().unwrap()).unwrap();
        assert_eq!(server.db_path(), path);
        assert!(path.exists());
    }

    /// Holds the connection's turn (an ordinary write in progress) until told.
    fn hold_the_writer(
        server: &Server,
    ) -> (
        std::thread::JoinHandle<Result<()>>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (held, holding) = channel();
        let (release, released) = channel::<()>();
        let busy = {
            let server = server.clone();
            std::thread::spawn(move || {
                server.write(|_| {
                    held.send(()).unwrap();
                    released.recv().unwrap();
                    Ok(())
                })
            })
        };
        holding.recv().unwrap();
        (busy, release)
    }

    /// A push from a plain thread, as a request handler would make it: the answer once
    /// its group has committed.
    fn push_now(
        server: &Server,
        alarm: bool,
        operations: usize,
        job: Job<Vec<OperationResult>>,
    ) -> Result<Vec<OperationResult>> {
        static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> =
            std::sync::LazyLock::new(|| tokio::runtime::Runtime::new().unwrap());
        RUNTIME.block_on(server.write_push(alarm, operations, job))
    }

    /// Waits until `alarms` alarm pushes and `ordinary` other pushes are queued.
    fn until_queued(server: &Server, alarms: usize, ordinary: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while server.inner.pushes.queued() != (alarms, ordinary) {
            assert!(std::time::Instant::now() < deadline, "pushes never queued");
            std::thread::yield_now();
        }
    }

    #[test]
    fn an_alarm_push_goes_before_the_pushes_waiting_and_they_share_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::open(dir.path().join("server.db")).unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let (busy, release) = hold_the_writer(&server);
        let push = |name: &'static str, alarm: bool| {
            let (server, order) = (server.clone(), order.clone());
            std::thread::spawn(move || {
                push_now(
                    &server,
                    alarm,
                    1,
                    Box::new(move |_, _| {
                        order.lock().unwrap().push(name);
                        Ok(Ran::Done(Vec::new()))
                    }),
                )
            })
        };
        // The first push leads and waits for the writer; four more queue behind it.
        let mut pushes = vec![push("push", false)];
        until_queued(&server, 0, 1);
        pushes.extend((0..4).map(|_| push("push", false)));
        until_queued(&server, 0, 5);
        let alarm = push("alarm", true);
        until_queued(&server, 1, 5);

        release.send(()).unwrap();
        busy.join().unwrap().unwrap();
        alarm.join().unwrap().unwrap();
        for p in pushes {
            p.join().unwrap().unwrap();
        }

        let order = order.lock().unwrap();
        assert_eq!(*order, ["alarm", "push", "push", "push", "push", "push"]);
        assert_eq!(
            server.push_groups(),
            2,
            "the alarm's group, then one for the five"
        );
    }

    /// An alarm that arrives while an ordinary group runs waits for the push in progress
    /// only: the group commits what it has run, the alarm goes next, then the rest.
    #[test]
    fn an_alarm_arriving_mid_group_cuts_the_group_short() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::open(dir.path().join("server.db")).unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let alarm_thread = Arc::new(Mutex::new(None));
        let (busy, release) = hold_the_writer(&server);
        let push = |name: &'static str| {
            let (server, order, alarm_thread) =
                (server.clone(), order.clone(), alarm_thread.clone());
            std::thread::spawn(move || {
                let inner = server.clone();
                push_now(
                    &server,
                    false,
                    1,
                    Box::new(move |_, _| {
                        order.lock().unwrap().push(name);
                        if name == "first" {
                            // The alarm comes while the group runs.
                            let order = order.clone();
                            let alarm_server = inner.clone();
                            *alarm_thread.lock().unwrap() = Some(std::thread::spawn(move || {
                                push_now(
                                    &alarm_server,
                                    true,
                                    1,
                                    Box::new(move |_, _| {
                                        order.lock().unwrap().push("alarm");
                                        Ok(Ran::Done(Vec::new()))
                                    }),
                                )
                            }));
                            // (The other two are in this group, off the queue.)
                            until_queued(&inner, 1, 0);
                        }
                        Ok(Ran::Done(Vec::new()))
                    }),
                )
            })
        };
        let mut pushes = vec![push("first")];
        until_queued(&server, 0, 1);
        for (n, name) in ["second", "third"].into_iter().enumerate() {
            pushes.push(push(name));
            until_queued(&server, 0, n + 2);
        }
        release.send(()).unwrap();
        busy.join().unwrap().unwrap();
        for p in pushes {
            p.join().unwrap().unwrap();
        }
        let alarm = alarm_thread.lock().unwrap().take().unwrap();
        alarm.join().unwrap().unwrap();

        assert_eq!(
            *order.lock().unwrap(),
            ["first", "alarm", "second", "third"]
        );
        assert_eq!(
            server.push_groups(),
            3,
            "first alone, the alarm, then the other two"
        );
    }

    /// A push in progress gives way to an alarm between two of its operations: what it
    /// wrote is rolled back, the alarm commits, and the push runs again, whole. It gives
    /// way once only: a second alarm waits for it to end.
    #[test]
    fn a_push_in_progress_gives_way_to_an_alarm_once_and_runs_again_whole() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::open(dir.path().join("server.db")).unwrap();
        server
            .write(|tx| Ok(tx.execute_batch("CREATE TABLE seen (name TEXT)")?))
            .unwrap();
        let alarm = |server: &Server, name: &'static str| {
            let server = server.clone();
            std::thread::spawn(move || {
                push_now(
                    &server,
                    true,
                    1,
                    Box::new(move |tx, _| {
                        tx.execute("INSERT INTO seen (name) VALUES (?1)", [name])?;
                        Ok(Ran::Done(Vec::new()))
                    }),
                )
            })
        };
        let runs = Arc::new(Mutex::new(0));
        let alarms = Arc::new(Mutex::new(Vec::new()));
        let push = {
            let (inner, runs, alarms) = (server.clone(), runs.clone(), alarms.clone());
            push_now(
                &server,
                false,
                2,
                Box::new(move |tx, give_way| {
                    *runs.lock().unwrap() += 1;
                    let run = *runs.lock().unwrap();
                    tx.execute("INSERT INTO seen (name) VALUES ('push op 1')", [])?;
                    assert!(!give_way.now(), "no alarm waits yet");
                    let name = if run == 1 { "alarm" } else { "second alarm" };
                    alarms.lock().unwrap().push(alarm(&inner, name));
                    until_queued(&inner, 1, 0);
                    if give_way.now() {
                        return Ok(Ran::GaveWay);
                    }
                    tx.execute("INSERT INTO seen (name) VALUES ('push op 2')", [])?;
                    Ok(Ran::Done(Vec::new()))
                }),
            )
        };
        push.unwrap();
        for a in alarms.lock().unwrap().drain(..) {
            a.join().unwrap().unwrap();
        }
        assert_eq!(
            *runs.lock().unwrap(),
            2,
            "gave way once, then ran to its end"
        );
        let seen: Vec<String> = server
            .read(|c| {
                Ok(c.prepare("SELECT name FROM seen ORDER BY rowid")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        assert_eq!(seen, ["alarm", "push op 1", "push op 2", "second alarm"]);
    }

    /// In one group, a push that fails (or panics) is rolled back to its savepoint and
    /// answered with the error; the others' writes are committed and answered.
    #[test]
    fn a_push_that_fails_is_rolled_back_alone_and_its_group_commits() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::open(dir.path().join("server.db")).unwrap();
        server
            .write(|tx| Ok(tx.execute_batch("CREATE TABLE seen (name TEXT)")?))
            .unwrap();
        let (busy, release) = hold_the_writer(&server);
        let push = |name: &'static str| {
            let server = server.clone();
            std::thread::spawn(move || {
                push_now(
                    &server,
                    false,
                    1,
                    Box::new(move |tx, _| {
                        tx.execute("INSERT INTO seen (name) VALUES (?1)", [name])?;
                        match name {
                            "fails" => Err(Error::Storage("refused".into())),
                            "panics" => panic!("a bug in one push"),
                            _ => Ok(Ran::Done(Vec::new())),
                        }
                    }),
                )
            })
        };
        let mut pushes = vec![("first", push("first"))];
        until_queued(&server, 0, 1);
        for (n, name) in ["fails", "panics", "last"].into_iter().enumerate() {
            pushes.push((name, push(name)));
            until_queued(&server, 0, n + 2);
        }
        release.send(()).unwrap();
        busy.join().unwrap().unwrap();

        let answers: Vec<(&str, bool)> = pushes
            .into_iter()
            .map(|(name, p)| (name, p.join().unwrap().is_ok()))
            .collect();
        assert_eq!(
            answers,
            [
                ("first", true),
                ("fails", false),
                ("panics", false),
                ("last", true)
            ]
        );
        let seen: Vec<String> = server
            .read(|c| {
                Ok(c.prepare("SELECT name FROM seen ORDER BY rowid")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        assert_eq!(seen, ["first", "last"]);
        assert_eq!(server.push_groups(), 1);
    }

    /// A token check or a pull reads while a push holds the writer and others queue
    /// behind it; it sees what was committed before, not the write in progress.
    #[test]
    fn a_read_waits_for_no_write_and_sees_only_what_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::open(dir.path().join("server.db")).unwrap();
        let count = |s: &Server| {
            s.read(|c| {
                Ok(c.query_row("SELECT count(*) FROM enrolment_code", [], |r| {
                    r.get::<_, i64>(0)
                })?)
            })
        };
        let (held, holding) = channel();
        let (release, released) = channel::<()>();
        let busy = {
            let server = server.clone();
            std::thread::spawn(move || {
                server.write(|tx| {
                    tx.execute(
                        "INSERT INTO enrolment_code (code_hash, organisation_id, officer_id,
                                                     created_at, expires_at)
                         VALUES ('h', 'ORG', 'OFC', 0, 1)",
                        [],
                    )?;
                    held.send(()).unwrap();
                    released.recv().unwrap();
                    Ok(())
                })
            })
        };
        holding.recv().unwrap();
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let server = server.clone();
                std::thread::spawn(move || server.write(|_| Ok(())))
            })
            .collect();
        // Many reads at once, more than the pool keeps: each answers while the writer is
        // still held.
        let (answer, answers) = channel();
        for _ in 0..2 * MAX_READERS {
            let (server, answer) = (server.clone(), answer.clone());
            std::thread::spawn(move || answer.send(count(&server).unwrap()));
        }
        for _ in 0..2 * MAX_READERS {
            let seen = answers
                .recv_timeout(Duration::from_secs(10))
                .expect("a read answers while a write is held");
            assert_eq!(seen, 0, "not the write in progress");
        }
        release.send(()).unwrap();
        busy.join().unwrap().unwrap();
        for q in queued {
            q.join().unwrap().unwrap();
        }
        assert_eq!(count(&server).unwrap(), 1);
    }
}
