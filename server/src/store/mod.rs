//! The server's storage interface: the connection ([`Conn`]) and write transaction
//! ([`Tx`], [`Savepoint`]) every handler reaches the database through, whatever the
//! database is.
//!
//! Its shape is the subset of rusqlite's API the server uses (`execute`, `query_row`,
//! `prepare_cached` with `query_map`/`query_row`/`exists`/`query`, `optional()`), so a
//! handler reads like plain rusqlite; what stays rusqlite's is the vocabulary of values:
//! parameters are rusqlite's `ToSql` values (`rusqlite::params![..]`, arrays of them),
//! columns come out through rusqlite's `FromSql` ([`Row::get`]), and errors are
//! `rusqlite::Error` (so `OptionalExtension::optional` and the constraint check in
//! `apply` work unchanged). A backend other than SQLite binds those values as its own
//! parameters and hands its column values back as rusqlite `ValueRef`s.
//!
//! SQL written against it keeps to what every backend accepts: `?N` placeholders,
//! `INSERT ... ON CONFLICT` rather than `INSERT OR IGNORE`, `RETURNING` rather than
//! `last_insert_rowid()`, no `rowid`, and a parameter that is only tested for NULL cast
//! to its type (`CAST(?1 AS TEXT) IS NULL OR x = ?1`: PostgreSQL types each parameter
//! before it runs).

use std::cell::RefCell;

use rusqlite::types::{FromSql, FromSqlError, ToSql, Value, ValueRef};

pub use rusqlite::OptionalExtension;

pub(crate) mod pg;
#[cfg(test)]
mod pg_tests;

/// Parameters of a statement: what `rusqlite::params![..]` makes, an array of values, or
/// `[]` for none (the forms rusqlite takes).
pub trait Params {
    /// The values, in placeholder order (`?1` first).
    fn values(&self) -> Vec<&dyn ToSql>;
}

impl Params for [&(dyn ToSql + Send + Sync); 0] {
    fn values(&self) -> Vec<&dyn ToSql> {
        Vec::new()
    }
}

impl Params for &[&dyn ToSql] {
    fn values(&self) -> Vec<&dyn ToSql> {
        self.to_vec()
    }
}

impl<T: ToSql, const N: usize> Params for &[&T; N] {
    fn values(&self) -> Vec<&dyn ToSql> {
        self.iter().map(|v| *v as &dyn ToSql).collect()
    }
}

macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn values(&self) -> Vec<&dyn ToSql> {
                self.iter().map(|v| v as &dyn ToSql).collect()
            }
        }
    )*};
}
array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);

/// A connection in one transaction: a read's snapshot, or a write (see [`Tx`]).
pub struct Conn<'a> {
    backend: Backend<'a>,
}

#[derive(Clone, Copy)]
enum Backend<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a RefCell<pg::Client>),
}

/// Which SQL a connection speaks, for the few statements that differ ([`Dialect::pick`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// `sqlite` on SQLite, `postgres` on PostgreSQL.
    pub fn pick<'s>(self, sqlite: &'s str, postgres: &'s str) -> &'s str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }
}

/// The transaction-scoped advisory lock that orders feed appends on PostgreSQL
/// ([`Conn::take_feed_turn`]); any number no other lock of the database uses.
const FEED_LOCK: i64 = 0x4353_5256_4645_4544; // "CSRVFEED"

impl<'a> Conn<'a> {
    /// A SQLite connection already in a transaction (`Server::read`, `Server::write`).
    pub(crate) fn sqlite(sqlite: &'a rusqlite::Connection) -> Conn<'a> {
        Conn {
            backend: Backend::Sqlite(sqlite),
        }
    }

    /// A PostgreSQL client already in a transaction.
    pub(crate) fn postgres(client: &'a RefCell<pg::Client>) -> Conn<'a> {
        Conn {
            backend: Backend::Postgres(client),
        }
    }

    /// Which SQL this connection speaks.
    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Called just before a transaction appends to the pull feed, so that appends commit
    /// in the order of the cursors they take, and a device paging "after cursor N" never
    /// skips an entry that committed after a later one.
    ///
    /// SQLite has one writer at a time: a no-op. On PostgreSQL the feed's cursors come
    /// from a sequence, and two transactions can commit out of sequence order; here each
    /// appending transaction first takes one transaction-scoped advisory lock, which it
    /// holds until it commits or rolls back, so the next appender draws its cursor only
    /// after the previous one's entries are committed (whichever `cordon serve` process
    /// either runs in).
    pub fn take_feed_turn(&self) -> rusqlite::Result<()> {
        match self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(_) => {
                self.execute("SELECT pg_advisory_xact_lock(?1)", [FEED_LOCK])?;
                Ok(())
            }
        }
    }

    /// Runs one statement; how many rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// The first row the query returns (`QueryReturnedNoRows` if none), through `f`.
    pub fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// A statement kept prepared for the next time the same SQL runs.
    pub fn prepare_cached(&self, sql: &str) -> rusqlite::Result<Stmt<'a>> {
        Ok(Stmt {
            inner: match self.backend {
                Backend::Sqlite(c) => StmtInner::Cached(c.prepare_cached(sql)?),
                Backend::Postgres(c) => StmtInner::Postgres(c, sql.to_owned()),
            },
        })
    }

    /// A statement prepared once (SQL that varies from call to call).
    pub fn prepare(&self, sql: &str) -> rusqlite::Result<Stmt<'a>> {
        Ok(Stmt {
            inner: match self.backend {
                Backend::Sqlite(c) => StmtInner::Once(c.prepare(sql)?),
                Backend::Postgres(c) => StmtInner::Postgres(c, sql.to_owned()),
            },
        })
    }

    /// Runs statements separated by semicolons, without parameters.
    pub fn execute_batch(&self, sql: &str) -> rusqlite::Result<()> {
        match self.backend {
            Backend::Sqlite(c) => c.execute_batch(sql),
            Backend::Postgres(c) => c.borrow_mut().batch(sql),
        }
    }
}

/// Runs `f` in one PostgreSQL transaction opened with `begin` (`"BEGIN"`, or with an
/// isolation level): committed if `f` succeeds, rolled back if it fails.
pub(crate) fn in_postgres<T, E: From<rusqlite::Error>>(
    client: &RefCell<pg::Client>,
    begin: &str,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> Result<T, E> {
    client.borrow_mut().batch(begin)?;
    let result = f(&mut Tx::new(Conn::postgres(client)));
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = client.borrow_mut().batch(end);
    let value = result?;
    ended?;
    Ok(value)
}

/// A write transaction (`Server::write`, a push's group): a connection that can also
/// undo part of its work ([`Tx::savepoint`]).
pub struct Tx<'a> {
    conn: Conn<'a>,
}

impl<'a> Tx<'a> {
    pub(crate) fn new(conn: Conn<'a>) -> Tx<'a> {
        Tx { conn }
    }

    /// A savepoint: what is written through it stays on [`Savepoint::commit`] and is
    /// rolled back if it is dropped uncommitted.
    pub fn savepoint(&mut self) -> rusqlite::Result<Savepoint<'_, 'a>> {
        self.conn.execute_batch("SAVEPOINT sp")?;
        Ok(Savepoint {
            conn: &self.conn,
            done: false,
        })
    }
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = Conn<'a>;
    fn deref(&self) -> &Conn<'a> {
        &self.conn
    }
}

/// Part of a transaction that can be undone alone (see [`Tx::savepoint`]).
pub struct Savepoint<'t, 'a> {
    conn: &'t Conn<'a>,
    done: bool,
}

impl Savepoint<'_, '_> {
    /// Keeps what was written since the savepoint.
    pub fn commit(mut self) -> rusqlite::Result<()> {
        self.done = true;
        self.conn.execute_batch("RELEASE sp")
    }
}

impl<'a> std::ops::Deref for Savepoint<'_, 'a> {
    type Target = Conn<'a>;
    fn deref(&self) -> &Conn<'a> {
        self.conn
    }
}

impl Drop for Savepoint<'_, '_> {
    fn drop(&mut self) {
        if !self.done {
            // If this fails the transaction is broken anyway: its commit fails and
            // everything of it is rolled back.
            let _ = self.conn.execute_batch("ROLLBACK TO sp; RELEASE sp");
        }
    }
}

enum StmtInner<'a> {
    Cached(rusqlite::CachedStatement<'a>),
    Once(rusqlite::Statement<'a>),
    // The client prepares (and keeps) it on first use.
    Postgres(&'a RefCell<pg::Client>, String),
}

/// A prepared statement.
pub struct Stmt<'a> {
    inner: StmtInner<'a>,
}

impl<'a> Stmt<'a> {
    /// Runs it; how many rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> rusqlite::Result<usize> {
        let values = params.values();
        match &mut self.inner {
            StmtInner::Cached(s) => s.execute(&values[..]),
            StmtInner::Once(s) => s.execute(&values[..]),
            StmtInner::Postgres(c, sql) => c.borrow_mut().execute(sql, &values),
        }
    }

    /// The first row (`QueryReturnedNoRows` if none), through `f`.
    pub fn query_row<T, P: Params>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        match self.query(params)?.next()? {
            Some(row) => f(&row),
            None => Err(rusqlite::Error::QueryReturnedNoRows),
        }
    }

    /// Every row, each through `f`.
    pub fn query_map<T, P: Params, F>(
        &mut self,
        params: P,
        f: F,
    ) -> rusqlite::Result<MappedRows<'_, F>>
    where
        F: FnMut(&Row<'_>) -> rusqlite::Result<T>,
    {
        Ok(MappedRows {
            rows: self.query(params)?,
            f,
        })
    }

    /// Whether the query returns a row.
    pub fn exists<P: Params>(&mut self, params: P) -> rusqlite::Result<bool> {
        Ok(self.query(params)?.next()?.is_some())
    }

    /// The rows, one at a time ([`Rows::next`]).
    pub fn query<P: Params>(&mut self, params: P) -> rusqlite::Result<Rows<'_>> {
        let values = params.values();
        Ok(Rows {
            inner: match &mut self.inner {
                StmtInner::Cached(s) => RowsInner::Sqlite(s.query(&values[..])?),
                StmtInner::Once(s) => RowsInner::Sqlite(s.query(&values[..])?),
                // Every row at once: PostgreSQL's answer is read whole, so no borrow of
                // the client outlives the call (a handler queries again mid-loop).
                StmtInner::Postgres(c, sql) => RowsInner::Values {
                    rows: c.borrow_mut().query(sql, &values)?,
                    next: 0,
                },
            },
        })
    }
}

/// The rows of a query, read one at a time.
pub struct Rows<'s> {
    inner: RowsInner<'s>,
}

enum RowsInner<'s> {
    Sqlite(rusqlite::Rows<'s>),
    Values { rows: Vec<Vec<Value>>, next: usize },
}

impl Rows<'_> {
    /// The next row, or `None` after the last.
    // Named as rusqlite names it (a fallible cursor, not an `Iterator`).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> rusqlite::Result<Option<Row<'_>>> {
        Ok(match &mut self.inner {
            RowsInner::Sqlite(rows) => rows.next()?.map(|r| Row {
                inner: RowInner::Sqlite(r),
            }),
            RowsInner::Values { rows, next } => {
                let row = rows.get(*next);
                *next += 1;
                row.map(|values| Row {
                    inner: RowInner::Values(values),
                })
            }
        })
    }
}

/// The rows of a query, each through a function (`Stmt::query_map`).
pub struct MappedRows<'s, F> {
    rows: Rows<'s>,
    f: F,
}

impl<T, F: FnMut(&Row<'_>) -> rusqlite::Result<T>> Iterator for MappedRows<'_, F> {
    type Item = rusqlite::Result<T>;

    fn next(&mut self) -> Option<rusqlite::Result<T>> {
        match self.rows.next() {
            Ok(Some(row)) => Some((self.f)(&row)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One row of a query's answer.
pub struct Row<'r> {
    inner: RowInner<'r>,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Values(&'r [Value]),
}

/// How a column is named in [`Row::get`]: by its position, from 0.
pub trait ColumnIndex {
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    /// Column `idx` (from 0) as a `T` (`r.get(0)`, `r.get::<_, i64>(0)`, as rusqlite).
    pub fn get<I: ColumnIndex, T: FromSql>(&self, idx: I) -> rusqlite::Result<T> {
        let i = idx.index();
        let value = match self.inner {
            RowInner::Sqlite(r) => return r.get(i),
            RowInner::Values(values) => values
                .get(i)
                .ok_or(rusqlite::Error::InvalidColumnIndex(i))?,
        };
        // As rusqlite's `Row::get` reports a value that is not a `T`.
        T::column_result(ValueRef::from(value)).map_err(|e| match e {
            FromSqlError::InvalidType => {
                rusqlite::Error::InvalidColumnType(i, String::new(), value.data_type())
            }
            FromSqlError::OutOfRange(n) => rusqlite::Error::IntegralValueOutOfRange(i, n),
            other => rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), other.into()),
        })
    }
}

/// A row as a tuple of its columns (`query_row(.., |r| <(A, B)>::try_from(r))`).
macro_rules! tuple_from_row {
    ($($name:ident $n:tt),+) => {
        impl<'a, $($name: FromSql,)+> TryFrom<&'a Row<'a>> for ($($name,)+) {
            type Error = rusqlite::Error;
            fn try_from(row: &'a Row<'a>) -> rusqlite::Result<Self> {
                Ok(($(row.get($n)?,)+))
            }
        }
    };
}
tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
