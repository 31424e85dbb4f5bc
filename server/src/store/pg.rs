//! The PostgreSQL side of the storage interface: the same calls as SQLite's, over a
//! synchronous `postgres` client (handlers run on blocking threads).
//!
//! - SQL: `?N` placeholders become `$N` ([`placeholders`]); everything else is sent as
//!   written, so the server's SQL keeps to what both accept.
//! - Parameters: each rusqlite `ToSql` value (Null, Integer, Real, Text, Blob) is bound as
//!   the type PostgreSQL inferred for its placeholder ([`Param`]): an integer as BIGINT,
//!   INTEGER, SMALLINT, BOOLEAN or DOUBLE PRECISION, text as TEXT, bytes as BYTEA.
//! - Columns: BIGINT/INTEGER/SMALLINT/BOOLEAN come back as rusqlite integers, DOUBLE
//!   PRECISION/REAL as reals, TEXT as text, BYTEA as blobs ([`Column`]), so rusqlite's
//!   `FromSql` reads them as it reads SQLite's.
//! - Errors: a violated constraint (SQLSTATE class 23) is rusqlite's `ConstraintViolation`,
//!   a serialisation failure, deadlock or lock timeout is `DatabaseBusy` (the device is
//!   told to come back), anything else a plain SQLite-style error carrying PostgreSQL's
//!   message.

use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

type BoxError = Box<dyn StdError + Sync + Send>;

/// A client and the statements it has prepared, by their SQL as the server wrote it.
pub(crate) struct Client {
    client: postgres::Client,
    prepared: HashMap<String, postgres::Statement>,
}

impl Client {
    /// Connects to the database `url` names (`postgres://user@host:port/name`).
    pub(crate) fn connect(url: &str) -> rusqlite::Result<Client> {
        Ok(Client {
            client: postgres::Client::connect(url, postgres::NoTls).map_err(error)?,
            prepared: HashMap::new(),
        })
    }

    fn statement(&mut self, sql: &str) -> rusqlite::Result<postgres::Statement> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&placeholders(sql)).map_err(error)?;
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Runs a statement; how many rows it changed.
    pub(crate) fn execute(
        &mut self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> rusqlite::Result<usize> {
        let statement = self.statement(sql)?;
        let params = bind(params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let changed = self.client.execute(&statement, &refs).map_err(error)?;
        Ok(changed as usize)
    }

    /// Every row a query returns, each as its columns' values.
    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> rusqlite::Result<Vec<Vec<Value>>> {
        let statement = self.statement(sql)?;
        let params = bind(params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self.client.query(&statement, &refs).map_err(error)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<_, Column>(i).map(|c| c.0).map_err(error))
                    .collect()
            })
            .collect()
    }

    /// Whether the connection to the server is lost (the client is then dropped).
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Runs statements separated by semicolons, without parameters.
    pub(crate) fn batch(&mut self, sql: &str) -> rusqlite::Result<()> {
        self.client.batch_execute(sql).map_err(error)
    }
}

/// The server's schema on PostgreSQL, at the version the SQLite steps reach.
pub(crate) const SCHEMA: &str = include_str!("../schema_postgres.sql");

/// What a PostgreSQL server database records about itself: whose it is (as SQLite's
/// `application_id`) and its schema version (as `user_version`).
const SCHEMA_TABLE: &str = "CREATE TABLE cordon_schema (application_id BIGINT NOT NULL,
                                                       version BIGINT NOT NULL)";

impl Client {
    /// Gives an empty database the schema, or checks that a database is a Cordon server
    /// database at `version`. Two processes starting at once on an empty database
    /// serialise on an advisory lock: one creates, the other finds it made.
    pub(crate) fn create_or_check_schema(
        &mut self,
        application_id: i64,
        version: i64,
    ) -> Result<(), String> {
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| error(e).to_string())?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&application_id])
            .map_err(|e| error(e).to_string())?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('cordon_schema') IS NOT NULL", &[])
            .and_then(|row| row.try_get(0))
            .map_err(|e| error(e).to_string())?;
        if exists {
            let found: Vec<(i64, i64)> = tx
                .query("SELECT application_id, version FROM cordon_schema", &[])
                .map_err(|e| error(e).to_string())?
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
            return match found[..] {
                [(id, v)] if id == application_id && v == version => Ok(()),
                [(id, v)] if id == application_id => Err(format!(
                    "the database has schema version {v}; this build has {version}"
                )),
                _ => Err("the database is not a Cordon server database".into()),
            };
        }
        let tables: i64 = tx
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            )
            .and_then(|row| row.try_get(0))
            .map_err(|e| error(e).to_string())?;
        if tables > 0 {
            return Err("the database holds other tables: not a Cordon server database".into());
        }
        tx.batch_execute(SCHEMA_TABLE)
            .and_then(|()| tx.batch_execute(SCHEMA))
            .and_then(|()| {
                tx.execute(
                    "INSERT INTO cordon_schema (application_id, version) VALUES ($1, $2)",
                    &[&application_id, &version],
                )
            })
            .and_then(|_| tx.commit())
            .map_err(|e| error(e).to_string())
    }
}

/// `?N` placeholders as PostgreSQL's `$N`; a bare `?` takes the number after the last
/// one. Nothing inside quotes changes.
pub(crate) fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut next = 1;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                let n = digits.parse().unwrap_or(next);
                next = n + 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            None => out.push(c),
        }
    }
    out
}

/// A rusqlite value bound as a PostgreSQL parameter.
#[derive(Debug)]
pub(crate) struct Param(Value);

fn bind(params: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<Vec<Param>> {
    params
        .iter()
        .map(|p| {
            Ok(Param(match p.to_sql()? {
                ToSqlOutput::Borrowed(v) => match v {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Integer(i),
                    ValueRef::Real(f) => Value::Real(f),
                    ValueRef::Text(t) => Value::Text(
                        String::from_utf8(t.to_vec())
                            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
                    ),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                },
                ToSqlOutput::Owned(v) => v,
                other => {
                    return Err(rusqlite::Error::ToSqlConversionFailure(
                        format!("no PostgreSQL parameter for {other:?}").into(),
                    ))
                }
            }))
        })
        .collect()
}

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match (&self.0, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Integer(i), &Type::INT8) => i.to_sql(ty, out),
            (Value::Integer(i), &Type::INT4) => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Integer(i), &Type::INT2) => i16::try_from(*i)?.to_sql(ty, out),
            (Value::Integer(i), &Type::BOOL) => (*i != 0).to_sql(ty, out),
            (Value::Integer(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Value::Text(s), _) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            (Value::Blob(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            (value, ty) => {
                Err(format!("a {:?} value cannot be bound as {ty}", value.data_type()).into())
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A PostgreSQL column value as the rusqlite value it reads as.
struct Column(Value);

impl<'a> FromSql<'a> for Column {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Column, BoxError> {
        Ok(Column(match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            _ if <String as FromSql>::accepts(ty) => Value::Text(String::from_sql(ty, raw)?),
            _ => return Err(format!("a {ty} column has no SQLite value (cast it)").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Column, BoxError> {
        Ok(Column(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A PostgreSQL failure as the rusqlite error the server already handles.
pub(crate) fn error(e: postgres::Error) -> rusqlite::Error {
    use rusqlite::ffi;
    let busy = [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::LOCK_NOT_AVAILABLE,
    ];
    let code = match e.code() {
        Some(state) if state.code().starts_with("23") => ffi::SQLITE_CONSTRAINT,
        Some(state) if busy.contains(state) => ffi::SQLITE_BUSY,
        _ => ffi::SQLITE_ERROR,
    };
    let message = match e.as_db_error() {
        Some(db) => format!("PostgreSQL: {db}"),
        None => format!("PostgreSQL: {e}"),
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_as_postgres_numbers_them_outside_quotes() {
        assert_eq!(
            placeholders("SELECT ?1, ?12 FROM t WHERE a = ? AND b = '?1' AND \"c?\" = ?2"),
            "SELECT $1, $12 FROM t WHERE a = $13 AND b = '?1' AND \"c?\" = $2"
        );
        assert_eq!(placeholders("VALUES (?, ?)"), "VALUES ($1, $2)");
        assert_eq!(
            placeholders("SELECT 'it''s ?' , ?3"),
            "SELECT 'it''s ?' , $3"
        );
    }
}
