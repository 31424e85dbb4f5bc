//! The storage interface on a real PostgreSQL (`cordon_fixtures::postgres`: Debian's
//! server in a temporary cluster, a database per test): values, errors, savepoints and
//! the schema read as they do on SQLite, and feed appends commit in cursor order.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use cordon_core::Timestamp;
use cordon_fixtures::postgres::Postgres;
use rusqlite::{ErrorCode, OptionalExtension as _};

use super::*;
use crate::db::{APPLICATION_ID, SCHEMA_VERSION};

fn client(url: &str) -> RefCell<pg::Client> {
    RefCell::new(pg::Client::connect(url).expect("connect to the test PostgreSQL"))
}

/// A new database with the server's schema.
fn with_schema() -> String {
    let url = Postgres::shared().database();
    pg::Client::connect(&url)
        .unwrap()
        .create_or_check_schema(APPLICATION_ID, SCHEMA_VERSION)
        .unwrap();
    url
}

fn write<T>(
    c: &RefCell<pg::Client>,
    f: impl FnOnce(&mut Tx<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    in_postgres(c, "BEGIN", f)
}

type Values = (
    i64,
    Option<i64>,
    Option<bool>,
    Option<f64>,
    String,
    Option<Vec<u8>>,
    Option<Timestamp>,
);

#[test]
fn values_go_in_and_come_back_as_rusqlite_binds_and_reads_them() {
    let c = client(&Postgres::shared().database());
    let rows: Vec<Values> = write(&c, |tx| {
        tx.execute_batch(
            "CREATE TABLE v (i BIGINT, small INTEGER, flag BOOLEAN, r DOUBLE PRECISION,
                             t TEXT, b BYTEA, at BIGINT)",
        )?;
        tx.execute(
            "INSERT INTO v VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                i64::MIN,
                7,
                true,
                1.5,
                "text ✓ 'quoted' ?1",
                vec![0u8, 1, 255],
                Timestamp::from_millis(1_700_000_000_123)
            ],
        )?;
        tx.execute(
            "INSERT INTO v (i, t) VALUES (?1, ?2)",
            rusqlite::params![i64::MAX, "second"],
        )?;
        tx.prepare_cached("SELECT i, small, flag, r, t, b, at FROM v ORDER BY t DESC")?
            .query_map([], |r| <Values>::try_from(r))?
            .collect()
    })
    .unwrap();
    assert_eq!(
        rows,
        [
            (
                i64::MIN,
                Some(7),
                Some(true),
                Some(1.5),
                "text ✓ 'quoted' ?1".to_owned(),
                Some(vec![0, 1, 255]),
                Some(Timestamp::from_millis(1_700_000_000_123))
            ),
            (i64::MAX, None, None, None, "second".to_owned(), None, None)
        ]
    );

    // An optional parameter compared and tested for NULL (as `admin::rota` asks).
    let matching = |t: Option<&str>| {
        write(&c, |tx| {
            tx.prepare("SELECT count(*) FROM v WHERE (CAST(?1 AS TEXT) IS NULL OR t = ?1)")?
                .query_row([t], |r| r.get::<_, i64>(0))
        })
        .unwrap()
    };
    assert_eq!((matching(None), matching(Some("second"))), (2, 1));

    // A value of the wrong type is refused as rusqlite refuses it.
    let wrong = write(&c, |tx| {
        tx.query_row("SELECT t FROM v WHERE i = ?1", [i64::MAX], |r| {
            r.get::<_, i64>(0)
        })
    });
    assert!(
        matches!(wrong, Err(rusqlite::Error::InvalidColumnType(0, _, _))),
        "{wrong:?}"
    );
}

#[test]
fn constraint_failures_and_missing_rows_read_as_rusqlite_reports_them() {
    let c = client(&with_schema());
    let enrol = |tx: &mut Tx<'_>| {
        tx.execute(
            "INSERT INTO device (device_id, organisation_id, officer_id, token_hash,
                                 enrolled_at)
             VALUES ('d-1', 'acme', 'OFC-1', 'h', 0)",
            [],
        )
    };
    write(&c, enrol).unwrap();
    let twice = write(&c, enrol).unwrap_err();
    assert_eq!(
        twice.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation),
        "{twice}"
    );

    // An append-only table's trigger refuses as SQLite's RAISE(ABORT) does.
    write(&c, |tx| {
        tx.execute(
            "INSERT INTO audit (organisation_id, actor, action, outcome, at)
             VALUES ('acme', 'op', 'sign_in', 'ok', 0)",
            [],
        )
    })
    .unwrap();
    let edited = write(&c, |tx| {
        tx.execute("UPDATE audit SET outcome = 'refused'", [])
    })
    .unwrap_err();
    assert_eq!(
        edited.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
    assert!(
        edited.to_string().contains("the audit log is append-only"),
        "{edited}"
    );

    let none: Option<String> = write(&c, |tx| {
        tx.query_row(
            "SELECT officer_id FROM device WHERE device_id = ?1",
            ["d-2"],
            |r| r.get(0),
        )
        .optional()
    })
    .unwrap();
    assert_eq!(none, None);
    // The failed transactions left nothing behind and the client still works.
    let devices: i64 = write(&c, |tx| {
        tx.query_row("SELECT count(*) FROM device", [], |r| r.get(0))
    })
    .unwrap();
    assert_eq!(devices, 1);
}

#[test]
fn a_savepoint_undoes_its_own_writes_and_nothing_else() {
    let c = client(&Postgres::shared().database());
    let names: Vec<String> = write(&c, |tx| {
        tx.execute_batch("CREATE TABLE s (name TEXT)")?;
        tx.execute("INSERT INTO s VALUES (?1)", ["kept"])?;
        {
            let sp = tx.savepoint()?;
            sp.execute("INSERT INTO s VALUES (?1)", ["undone"])?;
        }
        let sp = tx.savepoint()?;
        sp.execute("INSERT INTO s VALUES (?1)", ["released"])?;
        sp.commit()?;
        tx.prepare("SELECT name FROM s ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect()
    })
    .unwrap();
    assert_eq!(names, ["kept", "released"]);
}

#[test]
fn the_schema_has_every_table_and_column_of_sqlites_and_is_checked_on_open() {
    let url = with_schema();
    let mut again = pg::Client::connect(&url).unwrap();
    again
        .create_or_check_schema(APPLICATION_ID, SCHEMA_VERSION)
        .unwrap();
    let newer = again
        .create_or_check_schema(APPLICATION_ID, SCHEMA_VERSION + 1)
        .unwrap_err();
    assert!(newer.contains("schema version"), "{newer}");
    let other = again.create_or_check_schema(1, SCHEMA_VERSION).unwrap_err();
    assert!(other.contains("not a Cordon server database"), "{other}");

    let dir = tempfile::tempdir().unwrap();
    let sqlite = crate::db::open(&dir.path().join("server.db")).unwrap();
    let sqlite_columns: Vec<(String, String)> = sqlite
        .prepare(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
             ORDER BY m.name, p.cid",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let pg_columns: Vec<(String, String)> = write(&client(&url), |tx| {
        tx.prepare(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> 'cordon_schema'
             ORDER BY table_name, ordinal_position",
        )?
        .query_map([], |r| <(String, String)>::try_from(r))?
        .collect()
    })
    .unwrap();
    assert!(sqlite_columns.len() > 100, "{sqlite_columns:?}");
    assert_eq!(pg_columns, sqlite_columns);

    // A database holding anything else is not taken over.
    let foreign = Postgres::shared().database();
    let c = client(&foreign);
    write(&c, |tx| tx.execute_batch("CREATE TABLE t (x BIGINT)")).unwrap();
    let refused = c
        .borrow_mut()
        .create_or_check_schema(APPLICATION_ID, SCHEMA_VERSION)
        .unwrap_err();
    assert!(refused.contains("other tables"), "{refused}");
}

/// Two transactions append to the feed and commit in the opposite order to their
/// cursors. Without the feed's turn, a device that paged past the later cursor never
/// sees the earlier one; with it, the second appender draws its cursor only after the
/// first committed, and every page is gapless.
#[test]
fn feed_appends_commit_in_cursor_order_so_a_pull_never_skips_one() {
    let url = with_schema();
    let append = |c: &RefCell<pg::Client>, subject: &str, turn: bool| -> i64 {
        let conn = Conn::postgres(c);
        if turn {
            conn.take_feed_turn().unwrap();
        }
        conn.query_row(
            "INSERT INTO feed (organisation_id, officer_id, kind, subject, body)
             VALUES ('acme', 'OFC-1', 'assignment', ?1, '{}') RETURNING cursor",
            [subject],
            |r| r.get(0),
        )
        .unwrap()
    };
    let reader = client(&url);
    let after = |cursor: i64| -> Vec<i64> {
        write(&reader, |tx| {
            tx.prepare_cached("SELECT cursor FROM feed WHERE cursor > ?1 ORDER BY cursor")?
                .query_map([cursor], |r| r.get(0))?
                .collect()
        })
        .unwrap()
    };
    let batch = |c: &RefCell<pg::Client>, sql: &str| c.borrow_mut().batch(sql).unwrap();
    let (a, b) = (client(&url), client(&url));

    // The hazard, as PostgreSQL's sequences give it.
    batch(&a, "BEGIN");
    let first = append(&a, "A-1", false);
    batch(&b, "BEGIN");
    let second = append(&b, "A-2", false);
    batch(&b, "COMMIT");
    assert!(first < second);
    assert_eq!(after(0), [second]);
    batch(&a, "COMMIT");
    assert_eq!(
        after(second),
        Vec::<i64>::new(),
        "a device past {second} never sees {first}"
    );

    // With the turn.
    batch(&a, "BEGIN");
    let third = append(&a, "A-3", true);
    let other = url.clone();
    let waiting = std::thread::spawn(move || {
        let b = client(&other);
        batch(&b, "BEGIN");
        let fourth = append(&b, "A-4", true);
        batch(&b, "COMMIT");
        fourth
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiters: i64 = write(&reader, |tx| {
            tx.query_row(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
        if waiters == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second appender never waited"
        );
        std::thread::yield_now();
    }
    assert_eq!(after(second), Vec::<i64>::new(), "nothing committed yet");
    batch(&a, "COMMIT");
    let fourth = waiting.join().unwrap();
    assert!(third < fourth);
    assert_eq!(after(second), [third, fourth]);
}
