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
//! `last_insert_rowid()`, no `rowid`.

use rusqlite::types::{FromSql, ToSql};

pub use rusqlite::OptionalExtension;

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
    sqlite: &'a rusqlite::Connection,
}

impl<'a> Conn<'a> {
    /// A SQLite connection already in a transaction (`Server::read`, `Server::write`).
    pub(crate) fn sqlite(sqlite: &'a rusqlite::Connection) -> Conn<'a> {
        Conn { sqlite }
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
            sqlite: StmtInner::Cached(self.sqlite.prepare_cached(sql)?),
        })
    }

    /// A statement prepared once (SQL that varies from call to call).
    pub fn prepare(&self, sql: &str) -> rusqlite::Result<Stmt<'a>> {
        Ok(Stmt {
            sqlite: StmtInner::Once(self.sqlite.prepare(sql)?),
        })
    }

    /// Runs statements separated by semicolons, without parameters.
    pub fn execute_batch(&self, sql: &str) -> rusqlite::Result<()> {
        self.sqlite.execute_batch(sql)
    }
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
}

/// A prepared statement.
pub struct Stmt<'a> {
    sqlite: StmtInner<'a>,
}

impl<'a> Stmt<'a> {
    fn raw(&mut self) -> &mut rusqlite::Statement<'a> {
        match &mut self.sqlite {
            StmtInner::Cached(s) => s,
            StmtInner::Once(s) => s,
        }
    }

    /// Runs it; how many rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> rusqlite::Result<usize> {
        self.raw().execute(&params.values()[..])
    }

    /// The first row (`QueryReturnedNoRows` if none), through `f`.
    pub fn query_row<T, P: Params>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.raw()
            .query_row(&params.values()[..], |r| f(&Row { sqlite: r }))
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
        self.raw().exists(&params.values()[..])
    }

    /// The rows, one at a time ([`Rows::next`]).
    pub fn query<P: Params>(&mut self, params: P) -> rusqlite::Result<Rows<'_>> {
        Ok(Rows {
            sqlite: self.raw().query(&params.values()[..])?,
        })
    }
}

/// The rows of a query, read one at a time.
pub struct Rows<'s> {
    sqlite: rusqlite::Rows<'s>,
}

impl Rows<'_> {
    /// The next row, or `None` after the last.
    // Named as rusqlite names it (a fallible cursor, not an `Iterator`).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> rusqlite::Result<Option<Row<'_>>> {
        Ok(self.sqlite.next()?.map(|r| Row { sqlite: r }))
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
    sqlite: &'r rusqlite::Row<'r>,
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
        self.sqlite.get(idx.index())
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
