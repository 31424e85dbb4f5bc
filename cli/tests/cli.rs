//! The `cordon` binary as a user or script meets it: `serve` announces its address and
//! stops cleanly on SIGTERM; `admin` prints what scripts capture and fails in one line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn cordon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(args)
        .output()
        .expect("run cordon")
}

fn admin(db: &Path, args: &[&str]) -> Output {
    let mut all = vec!["admin", "--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    cordon(&all)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[cfg(unix)]
#[test]
fn serve_prints_one_listening_line_serves_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .map(|port| format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("first line was {line:?}"));

    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit after SIGTERM: {status:?}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "serve prints nothing after its first line");
}

#[test]
fn serve_on_an_address_it_cannot_use_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let out = cordon(&[
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--listen",
        "not-an-address",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).starts_with("error: cannot listen on not-an-address"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1);
}

#[test]
fn admin_enrol_prints_the_code_alone_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let out = admin(
        &db,
        &[
            "enrol",
            "--organisation",
            cordon_fixtures::ORGANISATION_ID,
            "--officer",
            cordon_fixtures::OFFICER_ID,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let code = stdout(&out);
    let groups: Vec<&str> = code.trim_end().split('-').collect();
    assert_eq!(groups.len(), 4, "{code:?}");
    assert!(groups.iter().all(|g| g.len() == 4));
    assert_eq!(code.lines().count(), 1);
}

#[test]
fn admin_failures_are_one_error_line_and_a_failing_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let missing = dir.path().join("missing.json");
    let not_a_db = dir.path().join("notes.txt");
    std::fs::write(&not_a_db, "evidence, not a database ".repeat(200)).unwrap();
    let cases: Vec<Output> = vec![
        admin(
            &db,
            &[
                "review",
                "--report",
                "nope",
                "--outcome",
                "accepted",
                "--reviewer",
                "CR",
            ],
        ),
        admin(
            &db,
            &[
                "enrol",
                "--organisation",
                " ",
                "--officer",
                cordon_fixtures::OFFICER_ID,
            ],
        ),
        admin(
            &db,
            &[
                "assignment",
                "--file",
                missing.to_str().unwrap(),
                "--organisation",
                cordon_fixtures::ORGANISATION_ID,
                "--officer",
                "O",
            ],
        ),
        admin(&not_a_db, &["list"]),
    ];
    for out in cases {
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(
        std::fs::read_to_string(&not_a_db).unwrap(),
        "evidence, not a database ".repeat(200)
    );
}

#[test]
fn admin_assignment_reads_a_file_and_list_json_parses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let file = cordon_fixtures::path("assignment.json");
    let path = file.to_str().unwrap();
    let args = [
        "assignment",
        "--file",
        path,
        "--organisation",
        cordon_fixtures::ORGANISATION_ID,
        "--officer",
        cordon_fixtures::OFFICER_ID,
    ];
    let first = admin(&db, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = admin(&db, &args);
    assert!(stdout(&second).contains("version 2"), "{}", stdout(&second));

    let list = admin(&db, &["list", "--json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let all: serde_json::Value = serde_json::from_str(&stdout(&list)).unwrap();
    for key in ["check_ins", "reports", "attachments", "receipts"] {
        assert_eq!(all[key], serde_json::json!([]), "{key}");
    }
    let table = admin(&db, &["list", "receipts"]);
    assert_eq!(stdout(&table), "(none)\n");
}

#[test]
fn admin_list_post_orders_shows_who_acknowledged_which_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let (org, officer) = (
        cordon_fixtures::ORGANISATION_ID,
        cordon_fixtures::OFFICER_ID,
    );
    assign_sample(&db);
    let sample = cordon_fixtures::assignment();
    let before = stdout(&admin(&db, &["list", "post-orders"]));
    assert!(
        before.contains(&sample.id) && before.contains(" no "),
        "{before}"
    );
    // The row a device's post_orders.acknowledge writes at the office.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "INSERT INTO post_orders_ack (organisation_id, assignment_id, officer_id, version,
                                          id, device_id, acknowledged_at, received_at)
             VALUES (?1, ?2, ?3, ?4, 'k-1', 'd-1', 0, 0)",
            rusqlite::params![org, sample.id, officer, sample.post_orders.version],
        )
        .unwrap();

    let table = admin(&db, &["list", "post-orders"]);
    let json = admin(
        &db,
        &["list", "post-orders", "--json", "--organisation", org],
    );
    let elsewhere = admin(
        &db,
        &["list", "post-orders", "--json", "--organisation", "globex"],
    );

    assert!(table.status.success(), "{}", stderr(&table));
    let version = format!("v{}", sample.post_orders.version);
    let row = stdout(&table)
        .lines()
        .find(|l| l.contains(&sample.id))
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(row[..5], [org, &sample.id, officer, &version, &version]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(rows[0]["acknowledged_version"], sample.post_orders.version);
    assert_eq!(rows[0]["current_acknowledged"], true);
    assert_eq!(stdout(&elsewhere).trim(), "[]");
}

#[test]
fn admin_review_asks_for_the_organisation_when_two_hold_the_report_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let made = admin(&db, &["list"]);
    assert!(made.status.success(), "{}", stderr(&made));
    // Two organisations' submitted reports under one id, as two phones may make them.
    let id = "0193c2a0-0000-7000-8000-000000000001";
    let conn = rusqlite::Connection::open(&db).unwrap();
    let content = serde_json::to_string(&cordon_fixtures::incident()).unwrap();
    for (org, device) in [("acme", "d-acme"), ("globex", "d-globex")] {
        conn.execute(
            "INSERT INTO device (device_id, organisation_id, officer_id, token_hash, enrolled_at)
             VALUES (?1, ?2, 'OFC-7', ?1, 0)",
            [device, org],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO record (organisation_id, id, family, officer_id, device_id,
                                 server_version, last_seq, received_at, updated_at)
             VALUES (?1, ?2, 'report', 'OFC-7', ?3, 2, 2, 0, 0)",
            [org, id, device],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO report (organisation_id, id, state, content, updated_at, submitted_at,
                                 content_hash, head_hash)
             VALUES (?1, ?2, 'submitted', ?3, 0, 0, ?4, ?4)",
            [org, id, &content, &"0".repeat(64)],
        )
        .unwrap();
    }
    drop(conn);
    let review = |extra: &[&str]| {
        let mut args = vec![
            "review",
            "--report",
            id,
            "--outcome",
            "accepted",
            "--reviewer",
            "CR",
        ];
        args.extend_from_slice(extra);
        admin(&db, &args)
    };

    let ambiguous = review(&[]);
    assert!(!ambiguous.status.success());
    let err = stderr(&ambiguous);
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains("acme, globex") && err.contains("--organisation"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let named = review(&["--organisation", "globex"]);
    assert!(named.status.success(), "{}", stderr(&named));
    let reviews_of = |org: &str| {
        let out = admin(&db, &["list", "reports", "--json", "--organisation", org]);
        assert!(out.status.success(), "{}", stderr(&out));
        let reports: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let reports = reports.as_array().unwrap().clone();
        assert_eq!(reports.len(), 1, "{org}: {reports:?}");
        assert_eq!(reports[0]["organisation_id"], org);
        reports[0]["reviews"].as_array().unwrap().len()
    };
    assert_eq!(reviews_of("globex"), 1);
    assert_eq!(reviews_of("acme"), 0);
}

/// `cordon device --db DB ARGS`, which must succeed.
fn device(db: &Path, args: &[&str]) -> Output {
    let mut all = vec!["device", "--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = cordon(&all);
    assert!(out.status.success(), "device {args:?}: {}", stderr(&out));
    out
}

#[cfg(unix)]
#[test]
fn the_server_log_names_devices_and_routes_but_never_notes_coordinates_tokens_or_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    // The most talkative level: nothing secret may appear at any level.
    let mut server = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["--log-level", "trace", "serve", "--db"])
        .arg(&db)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log_pipe = server.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        let mut log = String::new();
        log_pipe.read_to_string(&mut log).unwrap();
        log
    });
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    let enrol = admin(
        &db,
        &["enrol", "--organisation", "acme", "--officer", "OFC-7"],
    );
    let code = stdout(&enrol).trim().to_owned();
    let phone = dir.path().join("phone.db");
    device(&phone, &["enrol", "--server", &url, "--code", &code]);
    let note = "Principal KESTREL tailed by grey Audi RK61 ZXC";
    device(
        &phone,
        &[
            "check-in",
            "--kind",
            "duress",
            "--note",
            note,
            "--lat=51.501234",
            "--lon=-0.141234",
        ],
    );
    device(&phone, &["sync"]);
    // The close-protection records: a BOLO from the office, a sighting that matches it,
    // a leg of the principal's movement with its route.
    let bolo_reason = "Known to follow the KESTREL convoy";
    let added = admin(
        &db,
        &[
            "bolo",
            "add",
            "--organisation",
            "acme",
            "--registration",
            "RK61 ZXC",
            "--reason",
            bolo_reason,
            "--description",
            "Grey Audi A4",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assign_sample(&db);
    device(&phone, &["sync"]);
    let subject = "Two men photographing the east gate";
    device(
        &phone,
        &[
            "sighting",
            "add",
            "--place",
            "Opposite the east gate",
            "--subject",
            subject,
            "--registration",
            "rk61zxc",
        ],
    );
    let route = "Via Marble Arch and Park Lane";
    let assignment = cordon_fixtures::assignment().id;
    device(
        &phone,
        &[
            "movement",
            "plan",
            "--assignment",
            &assignment,
            "--from",
            "Residence",
            "--to",
            "Embassy",
            "--depart",
            "2026-12-06T19:30:00Z",
            "--eta",
            "2026-12-06T20:15:00Z",
            "--route",
            route,
            "--vehicle",
            "CHARLIE-1",
            "--in-charge",
            "ALPHA-1",
        ],
    );
    device(&phone, &["sync"]);
    // An operator signs in to the console and acknowledges the alarm with a note.
    let added = admin(
        &db,
        &[
            "operator",
            "add",
            "--organisation",
            "acme",
            "--username",
            "op.jones",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let password = stdout(&added).trim().to_owned();
    let login =
        format!(r#"{{"organisation":"acme","username":"op.jones","password":"{password}"}}"#);
    let (status, head, body) = http(&url, "POST", "/console/api/login", &[], &login);
    assert_eq!(status, 200, "{body}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let csrf = serde_json::from_str::<serde_json::Value>(&body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, _, queue) = http(
        &url,
        "GET",
        "/console/api/alarms",
        &[("Cookie", &cookie)],
        "",
    );
    let alarm_id = serde_json::from_str::<serde_json::Value>(&queue).unwrap()["open"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ack_note = "Spoke to ALPHA-1 on the back channel";
    let (status, _, body) = http(
        &url,
        "POST",
        &format!("/console/api/alarms/{alarm_id}/acknowledge"),
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        &format!(r#"{{"note":"{ack_note}"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    // A second phone tries the used code: a refusal is logged too.
    let other = cordon(&[
        "device",
        "--db",
        dir.path().join("other.db").to_str().unwrap(),
        "enrol",
        "--server",
        &url,
        "--code",
        &code,
    ]);
    assert!(!other.status.success());

    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    server.wait().unwrap();
    let log = log_reader.join().unwrap();

    let phone_db = rusqlite::Connection::open(&phone).unwrap();
    let device_id: String = phone_db
        .query_row("SELECT device_id FROM device", [], |r| r.get(0))
        .unwrap();
    let token: String = phone_db
        .query_row(
            "SELECT value FROM sync_state WHERE key = 'token'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let normalised_code = code.replace('-', "");
    let secrets = [
        note,
        "KESTREL",
        "51.501234",
        "0.141234",
        &token,
        &code,
        &normalised_code,
        &password,
        cookie.trim_start_matches("cordon_session="),
        &csrf,
        ack_note,
        bolo_reason,
        "Grey Audi A4",
        subject,
        "RK61ZXC",
        route,
    ];
    let leaked: Vec<&str> = secrets.into_iter().filter(|s| log.contains(s)).collect();
    let push_line = format!("route=/v1/push device_id={device_id}");
    assert_eq!(
        (leaked, log.contains(&push_line)),
        (vec![], true),
        "the log was:\n{log}"
    );
}

/// One HTTP/1.1 request on its own connection: (status, lower-cased head, body).
fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if method != "GET" {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_lowercase(), body.to_owned())
}

#[test]
fn admin_operator_add_prints_a_password_once_and_refuses_bad_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let added = admin(
        &db,
        &[
            "operator",
            "add",
            "--organisation",
            "acme",
            "--username",
            "sup.patel",
            "--role",
            "supervisor",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let password = stdout(&added);
    assert_eq!(password.trim().chars().count(), 24, "{password}");
    let listed = stdout(&admin(&db, &["operator", "list"]));
    assert!(
        listed.contains("acme") && listed.contains("sup.patel") && listed.contains("supervisor")
    );
    assert!(!listed.contains(password.trim()));

    let mut typed = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "admin",
            "--db",
            db.to_str().unwrap(),
            "operator",
            "add",
            "--organisation",
            "acme",
        ])
        .args(["--username", "op.jones", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    typed.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = typed.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        "error: invalid password: at least 12 characters"
    );

    for args in [
        vec![
            "operator",
            "add",
            "--organisation",
            "acme",
            "--username",
            "op jones",
        ],
        vec![
            "operator",
            "add",
            "--organisation",
            "acme",
            "--username",
            "x",
            "--role",
            "admiral",
        ],
        vec!["escalation", "--organisation", "acme", "--after-secs", "5"],
    ] {
        let out = admin(&db, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.starts_with("error: ") || err.contains("error:"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let set = admin(
        &db,
        &["escalation", "--organisation", "acme", "--after-secs", "90"],
    );
    assert!(set.status.success(), "{}", stderr(&set));
}

#[test]
fn an_alarm_from_the_southern_and_western_hemispheres_takes_negative_coordinates() {
    let dir = tempfile::tempdir().unwrap();
    let phone = dir.path().join("phone.db");
    // Cape Town, written as an officer types it (no `=`).
    device(
        &phone,
        &[
            "check-in", "--kind", "panic", "--lat", "-33.92", "--lon", "18.42",
        ],
    );
    // Rio de Janeiro: both negative, with an accuracy.
    device(
        &phone,
        &[
            "check-in",
            "--kind",
            "duress",
            "--lat",
            "-22.97",
            "--lon",
            "-43.18",
            "--accuracy",
            "12",
        ],
    );
    let store = cordon_core::Store::open(&phone).unwrap();
    let fixes: Vec<(f64, f64)> = store
        .check_ins(None)
        .unwrap()
        .iter()
        .map(|c| {
            let l = c.location.as_ref().expect("a location");
            (l.latitude, l.longitude)
        })
        .collect();
    assert_eq!(fixes, [(-33.92, 18.42), (-22.97, -43.18)]);
    // A negative where only a positive makes sense is a clear error, not "unexpected argument".
    let out = cordon(&["device", "--db", phone.to_str().unwrap(), "requeue", "-3"]);
    assert!(!out.status.success());
    assert!(
        !stderr(&out).contains("unexpected argument"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_enrolment_code_is_valid_for_at_most_thirty_days() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let enrol = |hours: &str| {
        admin(
            &db,
            &[
                "enrol",
                "--organisation",
                cordon_fixtures::ORGANISATION_ID,
                "--officer",
                cordon_fixtures::OFFICER_ID,
                "--valid-hours",
                hours,
            ],
        )
    };
    assert!(enrol("720").status.success(), "{}", stderr(&enrol("720")));
    for hours in ["721", "99999999999999", "18446744073709551615", "-1", "0"] {
        let out = enrol(hours);
        assert!(!out.status.success(), "--valid-hours {hours} was accepted");
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{hours}: {err}");
        assert!(err.contains(hours), "the error names the value: {err}");
        if hours != "-1" {
            // Ours, not the argument parser's (which adds a hint to try --help).
            assert_eq!(err.trim_end().lines().count(), 1, "{hours}: {err}");
        }
    }
    assert!(
        stderr(&enrol("721")).contains("1 to 720 hours (30 days)"),
        "{}",
        stderr(&enrol("721"))
    );
}

#[test]
fn updating_a_draft_keeps_what_the_flags_do_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let phone = dir.path().join("phone.db");
    let created = device(
        &phone,
        &[
            "incident",
            "create",
            "--category",
            "hostile_surveillance",
            "--severity",
            "high",
            "--narrative",
            "Grey van at the gate.",
            "--occurred-at",
            "2026-11-28T21:40:00Z",
            "--zone",
            "Europe/Paris",
        ],
    );
    let id = stdout(&created).trim().to_owned();
    let show = |phone: &Path| -> serde_json::Value {
        serde_json::from_str(&stdout(&device(phone, &["incident", "show", &id]))).unwrap()
    };
    let before = show(&phone);

    device(
        &phone,
        &[
            "incident",
            "update",
            &id,
            "--category",
            "hostile_surveillance",
            "--severity",
            "critical",
        ],
    );

    let after = show(&phone);
    assert_eq!(after["content"]["severity"], "critical");
    for kept in ["occurred_at", "discovered_at", "narrative", "time_zone"] {
        assert_eq!(after["content"][kept], before["content"][kept], "{kept}");
    }
}

/// A stand-in office that applies every push and answers every pull "wait an hour".
fn office_that_asks_to_wait() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let (head, body) = loop {
                let n = s.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break (String::new(), Vec::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    let mut body = buf[end + 4..].to_vec();
                    while body.len() < len {
                        let n = s.read(&mut chunk).unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&chunk[..n]);
                    }
                    break (head, body);
                }
            };
            let now = "2026-12-03T12:00:00.000Z";
            let (status, extra, reply) = if head.contains("/push") {
                let push: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let results: Vec<_> = push["operations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| serde_json::json!({"id": o["id"], "seq": o["seq"], "status": "applied", "server_version": 1}))
                    .collect();
                (
                    "200 OK",
                    "",
                    serde_json::json!({"server_time": now, "results": results}),
                )
            } else {
                (
                    "429 Too Many Requests",
                    "Retry-After: 3600\r\n",
                    serde_json::json!({"server_time": now, "error": {"code": "rate_limited", "message": "wait", "retryable": true}}),
                )
            };
            let reply = reply.to_string();
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    url
}

#[test]
fn sync_succeeds_when_everything_was_delivered_even_if_the_server_asks_to_wait() {
    let dir = tempfile::tempdir().unwrap();
    let phone = dir.path().join("phone.db");
    let url = office_that_asks_to_wait();
    device(&phone, &["set-token", "--token", "t-1", "--server", &url]);
    device(&phone, &["check-in", "--kind", "panic"]);

    // The alarm is applied; the pull is told to wait: nothing is left to send.
    let first = device(&phone, &["sync"]);
    let again = device(&phone, &["sync", "--until-drained"]);

    assert!(
        stderr(&first).contains("nothing left to send"),
        "{}",
        stderr(&first)
    );
    assert!(
        stderr(&again).contains("asked to wait"),
        "{}",
        stderr(&again)
    );
    // With something undelivered the same answer is still a failure.
    let store = cordon_core::Store::open(&phone).unwrap();
    store.create_report(cordon_fixtures::incident()).unwrap();
    drop(store);
    let stuck = cordon(&["device", "--db", phone.to_str().unwrap(), "sync"]);
    assert!(!stuck.status.success(), "{}", stderr(&stuck));
    assert!(
        stderr(&stuck)
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("error: sync stopped")),
        "{}",
        stderr(&stuck)
    );
}

#[cfg(unix)]
#[test]
fn demo_keep_leaves_the_console_running_with_a_login_and_stops_its_server_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["demo", "--keep", "--dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut console = None;
    let mut password = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("console:  ") {
            console = Some(url.trim_end_matches("/console").to_owned());
        }
        if let Some(p) = line.split("password ").nth(1) {
            password = Some(p.trim().to_owned());
            break;
        }
    }
    let (url, password) = (
        console.expect("console line"),
        password.expect("login line"),
    );
    let login = format!(
        r#"{{"organisation":"{}","username":"op.demo","password":"{password}"}}"#,
        cordon_fixtures::ORGANISATION_ID
    );
    let (status, head, body) = http(&url, "POST", "/console/api/login", &[], &login);
    assert_eq!(status, 200, "{body}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let (_, _, queue) = http(
        &url,
        "GET",
        "/console/api/alarms",
        &[("Cookie", &cookie)],
        "",
    );
    let queue: serde_json::Value = serde_json::from_str(&queue).unwrap();
    assert!(
        queue["open"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "duress"),
        "{queue}"
    );
    let (status, _, page) = http(&url, "GET", "/console", &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("Cordon control room"));

    Command::new("kill")
        .args(["-TERM", &demo.id().to_string()])
        .status()
        .unwrap();
    let exit = demo.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let address = url.trim_start_matches("http://");
    assert!(
        TcpStream::connect(address).is_err(),
        "the demo's server stopped with it"
    );
}

#[test]
fn admin_message_send_prints_the_id_alone_and_refuses_a_stranger_or_a_bad_body_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let op = [
        "operator",
        "add",
        "--organisation",
        "acme",
        "--username",
        "op.jones",
    ];
    assert!(admin(&db, &op).status.success());
    let send = |from: &str, officer: &str, body: &str| {
        admin(
            &db,
            &[
                "message",
                "send",
                "--organisation",
                "acme",
                "--from",
                from,
                "--officer",
                officer,
                "--body",
                body,
            ],
        )
    };
    // An officer is known to the office once a device of theirs enrolled or they hold an
    // assignment: put OFC-7 on the sample assignment.
    let file = cordon_fixtures::path("assignment.json");
    let assigned = admin(
        &db,
        &[
            "assignment",
            "--file",
            file.to_str().unwrap(),
            "--organisation",
            "acme",
            "--officer",
            "OFC-7",
        ],
    );
    assert!(assigned.status.success(), "{}", stderr(&assigned));

    let sent = send("op.jones", "OFC-7", "Stand down.");
    assert!(sent.status.success(), "{}", stderr(&sent));
    let id = stdout(&sent);
    assert_eq!(id.trim().len(), 36, "the id alone: {id:?}");
    assert_eq!(id.lines().count(), 1, "the id alone: {id:?}");
    let listed = stdout(&admin(
        &db,
        &["message", "list", "--organisation", "acme", "--json"],
    ));
    assert!(
        listed.contains(id.trim()) && listed.contains("Stand down."),
        "{listed}"
    );

    let stranger = send("nobody", "OFC-7", "Stand down.");
    assert!(!stranger.status.success());
    assert_eq!(
        stderr(&stranger).trim(),
        "error: no operator nobody in acme: make one with `operator add`"
    );
    let blank = send("op.jones", "OFC-7", " ");
    assert!(!blank.status.success());
    assert_eq!(
        stderr(&blank).trim(),
        "error: invalid body: must not be blank"
    );
    let unknown = send("op.jones", "OFC-404", "Stand down.");
    assert_eq!(stderr(&unknown).trim(), "error: officer OFC-404 not found");
}

#[test]
fn admin_rota_sets_a_shift_calls_in_and_stands_down_and_refuses_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let file = cordon_fixtures::path("assignment.json");
    let (org, officer) = (
        cordon_fixtures::ORGANISATION_ID,
        cordon_fixtures::OFFICER_ID,
    );
    let assignment = cordon_fixtures::assignment();
    let assigned = admin(
        &db,
        &[
            "assignment",
            "--file",
            file.to_str().unwrap(),
            "--organisation",
            org,
            "--officer",
            officer,
        ],
    );
    assert!(assigned.status.success(), "{}", stderr(&assigned));
    let set = |role: &str, until: &str| {
        admin(
            &db,
            &[
                "rota",
                "set",
                "--organisation",
                org,
                "--assignment",
                &assignment.id,
                "--officer",
                officer,
                "--role",
                role,
                "--from",
                "2026-12-06T18:00:00Z",
                "--until",
                until,
            ],
        )
    };
    let bad_role = set("asleep", "2099-12-07T06:00:00Z");
    assert!(!bad_role.status.success());
    assert!(
        stderr(&bad_role).starts_with("error: ") && stderr(&bad_role).contains("on_call"),
        "{}",
        stderr(&bad_role)
    );
    let backwards = set("on_call", "2026-12-06T17:00:00Z");
    assert!(!backwards.status.success());
    assert!(
        stderr(&backwards).starts_with("error: "),
        "{}",
        stderr(&backwards)
    );

    let made = set("on_call", "2099-12-07T06:00:00Z");
    assert!(made.status.success(), "{}", stderr(&made));
    let shift = stdout(&made).trim().to_owned();
    assert_eq!(shift.len(), 36, "the id alone: {shift:?}");
    let step = |verb: &str| {
        admin(
            &db,
            &["rota", verb, "--organisation", org, "--shift", &shift],
        )
    };
    let called = step("call-in");
    assert!(stdout(&called).contains("called in"), "{}", stderr(&called));
    let again = step("call-in");
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already called in"),
        "{}",
        stderr(&again)
    );
    assert!(step("stand-down").status.success());

    let table = stdout(&admin(&db, &["rota", "list", "--organisation", org]));
    assert!(
        table.contains(&shift) && table.contains("on_call") && table.contains("by admin"),
        "{table}"
    );
    let json = stdout(&admin(
        &db,
        &["rota", "list", "--organisation", org, "--json"],
    ));
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["called_in_by"], "admin");
    assert_eq!(
        stdout(&admin(&db, &["rota", "list", "--organisation", "globex"])),
        "(none)\n"
    );
    assert_eq!(
        stdout(&admin(
            &db,
            &[
                "handover",
                "list",
                "--organisation",
                org,
                "--unacknowledged"
            ]
        )),
        "(none)\n"
    );
}

#[test]
fn admin_reviewer_names_an_operator_and_refuses_a_stranger_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let org = cordon_fixtures::ORGANISATION_ID;
    let file = cordon_fixtures::path("assignment.json");
    let assignment = cordon_fixtures::assignment();
    assert!(admin(
        &db,
        &[
            "assignment",
            "--file",
            file.to_str().unwrap(),
            "--organisation",
            org,
            "--officer",
            "OFC-7"
        ]
    )
    .status
    .success());
    assert!(admin(
        &db,
        &[
            "operator",
            "add",
            "--organisation",
            org,
            "--username",
            "tl.khan"
        ]
    )
    .status
    .success());

    let stranger = admin(
        &db,
        &[
            "reviewer",
            "team-leader",
            "--organisation",
            org,
            "--assignment",
            &assignment.id,
            "--operator",
            "nobody",
        ],
    );
    assert!(!stranger.status.success());
    assert_eq!(
        stderr(&stranger).lines().count(),
        1,
        "{}",
        stderr(&stranger)
    );
    let led = admin(
        &db,
        &[
            "reviewer",
            "team-leader",
            "--organisation",
            org,
            "--assignment",
            &assignment.id,
            "--operator",
            "tl.khan",
        ],
    );
    assert!(
        stdout(&led).contains("reviewed by tl.khan"),
        "{}",
        stderr(&led)
    );
    let designated = admin(
        &db,
        &[
            "reviewer",
            "designated",
            "--organisation",
            org,
            "--operator",
            "tl.khan",
        ],
    );
    assert!(designated.status.success(), "{}", stderr(&designated));
    let reports = stdout(&admin(&db, &["list", "reports"]));
    assert_eq!(reports, "(none)\n");
}

#[test]
fn admin_device_revoke_is_audited_listed_and_refuses_an_unknown_device_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let org = cordon_fixtures::ORGANISATION_ID;
    // Make the database, then the row an enrolment writes.
    assert!(admin(&db, &["list"]).status.success());
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "INSERT INTO device (device_id, organisation_id, officer_id, token_hash, enrolled_at)
             VALUES ('d-1', ?1, 'OFC-7', 'h', 0)",
            [org],
        )
        .unwrap();
    let listed = stdout(&admin(&db, &["device", "list", "--organisation", org]));
    assert!(
        listed.contains("d-1") && listed.contains("enrolled"),
        "{listed}"
    );

    let revoke = |device: &str| {
        admin(
            &db,
            &[
                "device",
                "revoke",
                "--organisation",
                org,
                "--device",
                device,
                "--reason",
                "lost on the tube",
                "--by",
                "duty.manager",
            ],
        )
    };
    let unknown = revoke("d-2");
    assert!(!unknown.status.success());
    assert_eq!(stderr(&unknown).lines().count(), 1, "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).starts_with("error: "),
        "{}",
        stderr(&unknown)
    );
    let done = revoke("d-1");
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(stdout(&done).contains("revoked"), "{}", stdout(&done));

    let json = admin(&db, &["device", "list", "--organisation", org, "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(rows[0]["revocation"]["reason"], "lost on the tube");
    assert_eq!(rows[0]["revocation"]["revoked_by"], "duty.manager");
    let audit: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT actor || ' ' || action || ' ' || subject FROM audit ORDER BY seq DESC",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audit, "duty.manager device.revoke d-1");
}

#[test]
fn cordon_load_drives_phones_against_its_own_server_and_reports_figures_as_json() {
    let out = cordon(&[
        "load",
        "--phones",
        "3",
        "--seconds",
        "2",
        "--workers",
        "2",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let f: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(f["phones"], 3);
    assert!(f["turns"].as_u64().unwrap() > 0, "{f}");
    assert!(
        f["operations_applied"].as_u64().unwrap() >= f["turns"].as_u64().unwrap() / 2,
        "{f}"
    );
    assert!(f["pushes"].as_u64().unwrap() > 0, "{f}");
    assert!(f["push_p99_ms"].as_f64().unwrap() >= f["push_p50_ms"].as_f64().unwrap());
    assert!(f["sqlite_limit_per_second"].as_f64().unwrap() > 0.0);
    assert!(f["server_peak_rss_mib"].as_f64().unwrap() > 1.0, "{f}");

    let bad = cordon(&["load", "--phones", "0"]);
    assert!(!bad.status.success());
    assert_eq!(
        stderr(&bad).trim(),
        "error: --phones, --workers, --seconds and --servers must be at least 1"
    );
}

/// The office's ceiling for its smallest pushes: every push answered is one operation
/// applied, and exactly the answered ones are in the office's receipts once the run ends,
/// with two server processes sharing the database.
#[test]
fn cordon_load_one_op_pushes_counts_only_what_the_office_committed() {
    let dir = tempfile::tempdir().unwrap();
    let out = cordon(&[
        "load",
        "--one-op-pushes",
        "--servers",
        "2",
        "--phones",
        "4",
        "--seconds",
        "2",
        "--json",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let f: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let applied = f["operations_applied"].as_u64().unwrap();
    assert!(applied > 0, "{f}");
    assert_eq!(f["pushes"].as_u64().unwrap(), applied, "{f}");
    assert_eq!(f["workers"], 4, "a thread per phone");
    assert_eq!(f["servers"], 2);
    let receipts: i64 = rusqlite::Connection::open(dir.path().join("office.db"))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM receipt WHERE status = 'applied' AND kind = 'check_in.record'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(receipts as u64, applied);
}

/// A reconnect storm: every phone's backlog reaches the office exactly once while the
/// alarm phone's duress alarms are each answered, and the office holds every one.
#[test]
fn cordon_load_storm_delivers_every_backlog_once_beside_the_alarms() {
    let dir = tempfile::tempdir().unwrap();
    let out = cordon(&[
        "load",
        "--storm",
        "120",
        "--phones",
        "3",
        "--json",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let f: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(f["operations_applied"], 360, "{f}");
    let alarms = f["alarms"].as_u64().unwrap();
    assert!(alarms > 0, "{f}");
    assert!(f["alarm_p99_ms"].as_f64().unwrap() >= f["alarm_p50_ms"].as_f64().unwrap());
    let office = rusqlite::Connection::open(dir.path().join("office.db")).unwrap();
    let count = |sql: &str| -> i64 { office.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM receipt WHERE status = 'applied' AND kind = 'check_in.record'"),
        360 + alarms as i64
    );
    assert_eq!(
        count("SELECT count(*) FROM alarm WHERE kind = 'duress'"),
        alarms as i64,
        "each duress alarm raised"
    );

    let bad = cordon(&["load", "--storm", "0"]);
    assert!(!bad.status.success());
    assert_eq!(
        stderr(&bad).trim(),
        "error: --storm takes the check-ins each phone has waiting, at least 1"
    );
}

#[test]
fn admin_bolo_add_normalises_the_registration_lists_and_withdraws_and_refuses_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let added = admin(
        &db,
        &[
            "bolo",
            "add",
            "--organisation",
            "acme",
            "--registration",
            "ab-12 cde",
            "--reason",
            "Photographing the gate",
            "--priority",
            "high",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let line = stdout(&added);
    assert!(
        line.starts_with("BOLO ") && line.contains(" v1 AB12CDE"),
        "{line}"
    );
    let id = line.split_whitespace().nth(1).unwrap().to_owned();

    let listed: serde_json::Value = serde_json::from_str(&stdout(&admin(
        &db,
        &["bolo", "list", "--organisation", "acme", "--json"],
    )))
    .unwrap();
    assert_eq!(listed[0]["registration"], "AB12CDE");
    assert_eq!(listed[0]["priority"], "high");

    let withdrawn = admin(&db, &["bolo", "withdraw", "--organisation", "acme", &id]);
    assert!(
        stdout(&withdrawn).contains(" v2 AB12CDE withdrawn"),
        "{}",
        stdout(&withdrawn)
    );
    assert_eq!(
        stdout(&admin(&db, &["bolo", "list", "--organisation", "acme"])),
        "(none)\n"
    );

    let bad = admin(
        &db,
        &[
            "bolo",
            "add",
            "--organisation",
            "acme",
            "--registration",
            " - ",
            "--reason",
            "x",
        ],
    );
    assert!(!bad.status.success());
    assert_eq!(stderr(&bad).lines().count(), 1, "{}", stderr(&bad));
    assert!(stderr(&bad).starts_with("error: ") && stderr(&bad).contains("registration"));
    let none = admin(&db, &["list", "sightings"]);
    assert!(!none.status.success());
    assert!(
        stderr(&none).contains("--organisation"),
        "{}",
        stderr(&none)
    );
    assert_eq!(
        stdout(&admin(
            &db,
            &["list", "repeat-sightings", "--organisation", "acme"]
        )),
        "(none)\n"
    );
}

#[test]
fn device_sighting_add_records_a_normalised_registration_and_refuses_bad_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let out = device(
        &db,
        &[
            "sighting",
            "add",
            "--place",
            "East gate",
            "--registration",
            "ab12 cde",
            "--colour",
            "Grey",
            "--json",
        ],
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["vehicle"]["registration"], "AB12CDE");
    assert_eq!(s["bolo_match"], serde_json::Value::Null);
    let listed = stdout(&device(&db, &["sighting", "list"]));
    assert!(listed.contains("AB12CDE  East gate"), "{listed}");

    let mut all = vec!["device", "--db", db.to_str().unwrap()];
    all.extend_from_slice(&["sighting", "add", "--place", "East gate"]);
    let bad = cordon(&all);
    assert!(!bad.status.success());
    assert_eq!(stderr(&bad).lines().count(), 1, "{}", stderr(&bad));
    assert!(stderr(&bad).contains("subject"), "{}", stderr(&bad));
}

/// `cordon admin assignment` of the sample assignment to the sample officer.
fn assign_sample(db: &Path) {
    let file = cordon_fixtures::path("assignment.json");
    let assigned = admin(
        db,
        &[
            "assignment",
            "--file",
            file.to_str().unwrap(),
            "--organisation",
            cordon_fixtures::ORGANISATION_ID,
            "--officer",
            cordon_fixtures::OFFICER_ID,
        ],
    );
    assert!(assigned.status.success(), "{}", stderr(&assigned));
}

/// A `cordon serve` child, stopped by its process id when dropped (a failing test too).
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cordon serve` on a fresh database in `dir`; returns the child and its URL.
fn serve_in(dir: &Path) -> (Serving, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["serve", "--db"])
        .arg(dir.join("server.db"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (Serving(server), url)
}

#[cfg(unix)]
#[test]
fn device_movement_plans_a_leg_records_a_delay_and_the_office_lists_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let (_server, url) = serve_in(dir.path());
    let (org, officer) = (
        cordon_fixtures::ORGANISATION_ID,
        cordon_fixtures::OFFICER_ID,
    );
    let sample = cordon_fixtures::assignment();
    assign_sample(&db);
    let code = stdout(&admin(
        &db,
        &["enrol", "--organisation", org, "--officer", officer],
    ))
    .trim()
    .to_owned();
    let phone = dir.path().join("phone.db");
    device(&phone, &["enrol", "--server", &url, "--code", &code]);
    device(&phone, &["sync"]);

    let planned = device(
        &phone,
        &[
            "movement",
            "plan",
            "--assignment",
            &sample.id,
            "--from",
            "Residence",
            "--to",
            "Embassy",
            "--depart",
            "2026-11-28T19:30:00Z",
            "--eta",
            "2026-11-28T20:15:00Z",
            "--vehicle",
            "CHARLIE-1",
            "--in-charge",
            "ALPHA-1",
        ],
    );
    let leg = stdout(&planned).trim().to_owned();
    let movement = |args: &[&str]| {
        let mut all = vec!["movement"];
        all.extend_from_slice(args);
        device(&phone, &all)
    };
    movement(&[
        "event",
        "--leg",
        &leg,
        "--kind",
        "departed",
        "--at",
        "2026-11-28T19:34:00Z",
    ]);
    let delayed = movement(&[
        "event",
        "--leg",
        &leg,
        "--kind",
        "delayed",
        "--at",
        "2026-11-28T19:50:00Z",
        "--new-eta",
        "2026-11-28T20:40:00Z",
    ]);
    // The new ETA is in the past by the machine's clock: the leg shows overdue, offline.
    assert!(
        stdout(&delayed)
            .ends_with("  overdue  Residence → Embassy  ETA 2026-11-28T20:40:00.000Z\n"),
        "{}",
        stdout(&delayed)
    );
    let refused = cordon(&[
        "device",
        "--db",
        phone.to_str().unwrap(),
        "movement",
        "event",
        "--leg",
        &leg,
        "--kind",
        "departed",
    ]);
    let timeline = movement(&[
        "timeline",
        "--assignment",
        &sample.id,
        "--day",
        "2026-11-28",
    ]);
    device(&phone, &["sync"]);
    let office = admin(&db, &["list", "movements"]);
    let json = admin(&db, &["list", "movements", "--json", "--organisation", org]);

    assert!(!refused.status.success());
    assert_eq!(stderr(&refused).lines().count(), 1, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("already departed"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        stdout(&timeline).lines().collect::<Vec<_>>(),
        [
            "19:30 planned Residence → Embassy, ETA 20:15, ALPHA-1 in charge, vehicles CHARLIE-1",
            "19:34 departed Residence → Embassy",
            "19:50 delayed Residence → Embassy, new ETA 20:40",
        ]
    );
    let lines = stdout(&office);
    assert!(office.status.success(), "{}", stderr(&office));
    assert!(
        lines.contains("delayed Residence → Embassy, new ETA 20:40"),
        "{lines}"
    );
    let rows: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(rows[0]["state"]["leg"]["id"], leg.as_str());
    assert_eq!(rows[0]["state"]["events"].as_array().unwrap().len(), 2);
}
