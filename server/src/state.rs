//! The server's state: one writing database connection and a pool of read-only ones, the
//! blob directory beside it, the clock, the rate limits and the per-blob upload locks.
//! Every handler reaches the database through [`Server::read`] (a read-only connection,
//! one snapshot), [`Server::write`] (one `BEGIN IMMEDIATE` transaction) and
//! [`Server::blocking`] (off the async threads).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordon_core::{Clock, SystemClock, Timestamp};
use std::cell::RefCell;

use rusqlite::{Connection, TransactionBehavior};

use cordon_core::protocol::OperationResult;

use crate::db;
use crate::error::{Error, Result};
use crate::group_commit::{GroupCommit, Job};
use crate::limits::{Limits, RateLimits};
use crate::store::{in_postgres, pg, Conn, Tx};

/// A server over one database file. Cheap to clone; every clone shares the connection.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    database: Database,
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

/// The database behind the server.
enum Database {
    Sqlite {
        // One connection for writing, serialised: SQLite writes one transaction at a time
        // anyway, and a push is one transaction. Handlers reach it from blocking threads
        // only.
        conn: Mutex<Connection>,
        // Read-only connections: reads (a token check, a pull, the console) never wait
        // for the writer or its queue; WAL gives each a snapshot of what is committed.
        readers: Pool<Connection>,
    },
    /// PostgreSQL, which several `cordon serve` processes may share. Every write
    /// transaction (a push's group, an admin step) first takes one transaction-scoped
    /// advisory lock, [`WRITER_LOCK`], and holds it until it commits: writes are
    /// serialised across processes as SQLite serialises them (`BEGIN IMMEDIATE`), and
    /// under READ COMMITTED each statement after the lock sees every write committed
    /// before it. So every promise the handlers keep on SQLite holds unchanged, whichever
    /// process a device reaches: a receipt is read before its operation is judged (a
    /// retry through another process finds the first writer's verdict; the receipt's
    /// primary key on device and operation id refuses a second), per-record and
    /// per-device order are checked against what is committed, and feed cursors are
    /// drawn in commit order (`Conn::take_feed_turn` as well). Reads take a snapshot
    /// (REPEATABLE READ, READ ONLY) and wait for no writer. Processes add readers and
    /// availability, not write parallelism: a group commit is still one transaction.
    Postgres { pool: Pool<pg::Client> },
}

/// The advisory lock every PostgreSQL write transaction holds (see [`Database`]).
const WRITER_LOCK: i64 = 0x4353_5256_5752_4954; // "CSRVWRIT"

/// How long a PostgreSQL write waits for [`WRITER_LOCK`] before the request is told the
/// database is busy (as SQLite's busy timeout).
const LOCK_TIMEOUT: &str = "10s";

/// The most read-only connections kept open; a read beyond them waits for one.
const MAX_READERS: usize = 8;

/// The most PostgreSQL connections a process keeps open (reads and writes).
const MAX_POSTGRES_CONNECTIONS: usize = 12;

/// A small pool of connections, opened as they are needed.
struct Pool<C> {
    connect: Box<dyn Fn() -> Result<C> + Send + Sync>,
    max: usize,
    idle: Mutex<Vec<C>>,
    // How many are open (idle or in use), and a wake-up when one is returned.
    open: Mutex<usize>,
    returned: std::sync::Condvar,
}

impl<C> Pool<C> {
    fn new(max: usize, connect: impl Fn() -> Result<C> + Send + Sync + 'static) -> Pool<C> {
        Pool {
            connect: Box::new(connect),
            max,
            idle: Mutex::new(Vec::new()),
            open: Mutex::new(0),
            returned: std::sync::Condvar::new(),
        }
    }

    /// An idle connection, a new one while fewer than `max` are open, or the next one
    /// returned.
    fn take(&self) -> Result<C> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
                return Ok(conn);
            }
            if *open < self.max {
                *open += 1;
                drop(open);
                return (self.connect)().inspect_err(|_| self.forget());
            }
            open = self.returned.wait(open).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// An idle connection, if one is: never waits, never opens one.
    fn try_take(&self) -> Option<C> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    fn give_back(&self, conn: C) {
        let _open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conn);
        self.returned.notify_one();
    }

    /// A connection taken was dropped (it failed): another may be opened.
    fn forget(&self) {
        *self.open.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        self.returned.notify_one();
    }
}

impl Pool<pg::Client> {
    /// Runs `f` in a transaction on a pooled client; a client whose connection broke is
    /// dropped rather than returned.
    fn transaction<T>(&self, begin: &str, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let client = RefCell::new(self.take()?);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            in_postgres(&client, begin, f)
        }));
        let client = client.into_inner();
        match result {
            Ok(result) if !client.is_closed() => {
                self.give_back(client);
                result
            }
            // A panic left the client mid-transaction: it is dropped (the server rolls
            // back what it held) and its place in the pool freed, then the panic goes on.
            result => {
                drop(client);
                self.forget();
                result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }
        }
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

/// The writer's turn, held for one piece of work; the next waiting takes its turn on
/// drop. (SQLite's one connection is taken while it is held.)
struct Turn<'a> {
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
    /// takes it (attachment bytes beside it), or a PostgreSQL URL (`postgres://...`,
    /// `postgresql://...`) with `blobs_dir` for attachment bytes, as
    /// [`Server::open_postgres`]. A PostgreSQL URL without a blob directory, or a blob
    /// directory for a SQLite file, is refused with `InvalidInput`, nothing created.
    pub fn open_database(database: &str, blobs_dir: Option<&Path>) -> Result<Server> {
        match (is_postgres_url(database), blobs_dir) {
            (true, Some(blobs)) => Self::open_postgres(database, blobs, Arc::new(SystemClock)),
            (true, None) => Err(Error::invalid(
                "blobs",
                "PostgreSQL needs a directory for attachment bytes that every process \
                 serving the database reaches",
            )),
            (false, None) => Self::open(database),
            (false, Some(_)) => Err(Error::invalid(
                "blobs",
                "a SQLite database keeps attachment bytes beside its file (<db>.blobs)",
            )),
        }
    }

    /// Opens the server reading time from `clock` (tests move time to expire codes).
    pub fn open_with_clock(db_path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Server> {
        let db_path = db_path.as_ref().to_path_buf();
        let conn = db::open(&db_path)?;
        let mut name = db_path.file_name().unwrap_or_default().to_os_string();
        name.push(".blobs");
        let blobs_dir = db_path.with_file_name(name);
        let reader_path = db_path.clone();
        let database = Database::Sqlite {
            conn: Mutex::new(conn),
            readers: Pool::new(MAX_READERS, move || db::open_reader(&reader_path)),
        };
        Self::with_database(database, db_path, blobs_dir, clock)
    }

    /// Opens the PostgreSQL database `url` (`postgres://user@host:port/name`), giving an
    /// empty one the schema, with attachment bytes in `blobs_dir`: a directory every
    /// process serving this database reaches (and can `flock`: an upload in progress
    /// locks its blob's file). Several processes may serve one database (see
    /// [`Database`]).
    pub fn open_postgres(
        url: &str,
        blobs_dir: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
    ) -> Result<Server> {
        let connect_url = url.to_owned();
        let connect = move || -> Result<pg::Client> {
            let mut client = pg::Client::connect(&connect_url)?;
            client.batch(&format!("SET lock_timeout = '{LOCK_TIMEOUT}'"))?;
            Ok(client)
        };
        connect()?
            .create_or_check_schema(db::APPLICATION_ID, db::SCHEMA_VERSION)
            .map_err(|detail| Error::NotServerDatabase {
                path: redacted(url),
                detail,
            })?;
        let database = Database::Postgres {
            pool: Pool::new(MAX_POSTGRES_CONNECTIONS, connect),
        };
        Self::with_database(
            database,
            PathBuf::from(redacted(url)),
            blobs_dir.as_ref().to_path_buf(),
            clock,
        )
    }

    fn with_database(
        database: Database,
        db_path: PathBuf,
        blobs_dir: PathBuf,
        clock: Arc<dyn Clock>,
    ) -> Result<Server> {
        std::fs::create_dir_all(&blobs_dir).map_err(|e| Error::io(&blobs_dir, e))?;
        Ok(Server {
            inner: Arc::new(Inner {
                database,
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

    /// The SQLite database's path (for PostgreSQL: its URL without a password).
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
        Turn { gate }
    }

    /// Runs `f` in one write transaction while holding `turn`: SQLite's `BEGIN
    /// IMMEDIATE` on its one connection, or a PostgreSQL transaction holding
    /// [`WRITER_LOCK`]. Commits if `f` succeeds; rolls back if it fails.
    fn in_write<T>(&self, turn: Turn<'_>, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let value = match &self.inner.database {
            Database::Sqlite { conn, .. } => {
                // Only the holder of the turn takes the connection: this never waits.
                // rusqlite rolls back an open transaction on drop, so a panic while it
                // was held cannot leave the connection mid-transaction: the poison is
                // harmless.
                let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&mut Tx::new(Conn::sqlite(&tx)))?;
                tx.commit()?;
                value
            }
            Database::Postgres { pool } => pool.transaction("BEGIN", |tx| {
                tx.execute("SELECT pg_advisory_xact_lock(?1)", [WRITER_LOCK])?;
                f(tx)
            })?,
        };
        drop(turn);
        self.inner.changes.send_modify(|n| *n = n.wrapping_add(1));
        Ok(value)
    }

    /// Runs `f` on a read-only connection, in one read transaction (one snapshot of
    /// what is committed). It waits for no writer and no queue of pushes.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.inner.database {
            Database::Sqlite { readers, .. } => {
                let conn = readers.take()?;
                Self::read_on(readers, conn, f)
            }
            Database::Postgres { pool } => pool
                .transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", |tx| {
                    f(tx)
                }),
        }
    }

    /// A small read (one indexed lookup, such as a token check) from async code: on the
    /// calling thread if a read-only connection is idle, which takes microseconds and
    /// spares a hand-over to a blocking thread and back; otherwise on a blocking thread,
    /// as [`Server::read`].
    pub(crate) async fn read_small<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Conn<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let idle = match &self.inner.database {
            Database::Sqlite { readers, .. } => readers.try_take().map(|conn| (readers, conn)),
            // Over the network: never on an async thread.
            Database::Postgres { .. } => None,
        };
        match idle {
            Some((readers, conn)) => Self::read_on(readers, conn, f),
            None => self.blocking(move |s| s.read(f)).await,
        }
    }

    fn read_on<T>(
        readers: &Pool<Connection>,
        mut conn: Connection,
        f: impl FnOnce(&Conn<'_>) -> Result<T>,
    ) -> Result<T> {
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let value = f(&Conn::sqlite(&tx))?;
            tx.commit()?;
            Ok(value)
        })();
        readers.give_back(conn);
        result
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction and commits; any error rolls back.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.in_write(self.turn(false), f)
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
        self.in_write(self.turn(alarm), |tx| {
            body(tx);
            Ok(())
        })
    }

    /// How many group commits of pushes have committed (figures and tests).
    pub fn push_groups(&self) -> u64 {
        self.inner.pushes.groups()
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

    /// Locks the file of a blob's bytes for an upload in progress, against every process
    /// that shares the blob directory (several processes on one PostgreSQL database): the
    /// file's `flock`, released when the returned file is dropped. Waits for another
    /// upload into the same blob to finish.
    pub(crate) fn lock_blob(&self, blob_id: i64) -> Result<std::fs::File> {
        let path = self.blob_path(blob_id);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        file.lock().map_err(|e| Error::io(&path, e))?;
        Ok(file)
    }

    /// Where a blob's bytes live.
    pub(crate) fn blob_path(&self, blob_id: i64) -> PathBuf {
        self.inner.blobs_dir.join(blob_id.to_string())
    }
}

/// A PostgreSQL URL without its password (for messages and `db_path`).
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            match user.split_once(':') {
                Some((name, _)) => format!("{}{name}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Server {
    /// `database` as [`Server::open_database`] takes it, fit for a log line (a URL's
    /// password hidden).
    pub fn describe_database(database: &str) -> String {
        redacted(database)
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
    use std::panic::AssertUnwindSafe;
    use std::sync::mpsc::channel;

    #[test]
    fn a_database_is_a_sqlite_path_or_a_postgres_url_with_a_blob_directory() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs");
        for url in [
            "postgres://u:secret@127.0.0.1:1/cordon",
            "postgresql://localhost/x",
        ] {
            match Server::open_database(url, None) {
                Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "blobs"),
                other => panic!("{url}: {other:?}"),
            }
        }
        // Nothing listens there: refused, the password not repeated.
        let refused = Server::open_database("postgres://u:secret@127.0.0.1:1/c", Some(&blobs))
            .unwrap_err()
            .to_string();
        assert!(!refused.contains("secret"), "{refused}");
        assert!(!blobs.exists());

        let path = dir.path().join("server.db");
        let path_text = path.to_str().unwrap();
        assert!(matches!(
            Server::open_database(path_text, Some(&blobs)),
            Err(Error::InvalidInput { .. })
        ));
        assert!(!path.exists());
        let server = Server::open_database(path_text, None).unwrap();
        assert_eq!(server.db_path(), path);
        assert!(path.exists());
    }

    /// On PostgreSQL, a write that panics gives its connection's place in the pool back:
    /// more panics than the pool holds, and the server still reads and writes.
    #[test]
    fn a_panicking_write_on_postgres_frees_its_place_in_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let url = cordon_fixtures::postgres::Postgres::shared().database();
        let server = Server::open_postgres(&url, dir.path(), Arc::new(SystemClock)).unwrap();
        for _ in 0..MAX_POSTGRES_CONNECTIONS + 2 {
            let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| {
                server.write(|tx| -> Result<()> {
                    tx.execute(
                        "INSERT INTO audit (organisation_id, actor, action, outcome, at)
                         VALUES ('acme', 'op', 'x', 'ok', 0)",
                        [],
                    )?;
                    panic!("a bug in a write")
                })
            }));
            assert!(panicked.is_err());
        }
        server
            .write(|tx| {
                tx.execute(
                    "INSERT INTO audit (organisation_id, actor, action, outcome, at)
                     VALUES ('acme', 'op', 'kept', 'ok', 0)",
                    [],
                )?;
                Ok(())
            })
            .unwrap();
        let actions: Vec<String> = server
            .read(|c| {
                Ok(c.prepare("SELECT action FROM audit")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        assert_eq!(actions, ["kept"], "the panicking writes were rolled back");
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

    /// A new server with a table `seen (name)` for pushes to write their names in.
    fn server_with_seen_table() -> (tempfile::TempDir, Server) {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::open(dir.path().join("server.db")).unwrap();
        server
            .write(|tx| Ok(tx.execute_batch("CREATE TABLE seen (name TEXT)")?))
            .unwrap();
        (dir, server)
    }

    /// The names in `seen`, in the order written.
    fn seen(server: &Server) -> Vec<String> {
        server
            .read(|c| {
                Ok(c.prepare("SELECT name FROM seen ORDER BY rowid")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?)
            })
            .unwrap()
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
        let (_dir, server) = server_with_seen_table();
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
        assert_eq!(
            seen(&server),
            ["alarm", "push op 1", "push op 2", "second alarm"]
        );
    }

    /// In one group, a push that fails (or panics) is rolled back to its savepoint and
    /// answered with the error; the others' writes are committed and answered.
    #[test]
    fn a_push_that_fails_is_rolled_back_alone_and_its_group_commits() {
        let (_dir, server) = server_with_seen_table();
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
        assert_eq!(seen(&server), ["first", "last"]);
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
