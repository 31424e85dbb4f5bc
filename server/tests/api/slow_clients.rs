//! Clients that declare more than they send, or send nothing at all: each is answered or
//! disconnected within the server's time bounds, never left holding a connection.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cordon_server::Timeouts;

use crate::harness::*;

/// Opens a raw connection to the test server, sends `bytes`, and reads until the server
/// closes it or `patience` passes. Returns what arrived and when the connection closed.
fn send_raw(srv: &TestServer, bytes: &[u8], patience: Duration) -> (String, Option<Duration>) {
    let address = srv.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(patience)).unwrap();
    let started = Instant::now();
    stream.write_all(bytes).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Ok(n) => got.extend_from_slice(&buf[..n]),
            // Timed out (still open) or reset by the server (closed).
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), None),
        }
    }
}

fn short(srv: &TestServer) {
    srv.server.set_timeouts(Timeouts {
        header_read: Duration::from_millis(500),
        body_idle: Duration::from_millis(500),
    });
}

#[test]
fn a_body_declared_larger_than_any_endpoint_takes_is_refused_at_once_and_the_connection_closed() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    for (what, request) in [
        (
            "push",
            format!(
                "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 5368709120\r\n\r\nab",
                device.token().unwrap()
            ),
        ),
        (
            "health, no token",
            "GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 5368709120\r\n\r\nab".to_owned(),
        ),
    ] {
        let (answer, closed) = send_raw(&srv, request.as_bytes(), Duration::from_secs(10));
        assert!(answer.starts_with("HTTP/1.1 413"), "{what}: {answer}");
        assert!(answer.contains("\"too_large\""), "{what}: {answer}");
        let closed = closed.unwrap_or_else(|| panic!("{what}: the connection stayed open"));
        assert!(closed < Duration::from_secs(2), "{what}: closed after {closed:?}");
    }
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let srv = TestServer::start();
    short(&srv);
    let (answer, closed) = send_raw(
        &srv,
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(10),
    );
    let closed = closed.expect("the connection stayed open");
    assert!(closed < Duration::from_secs(5), "closed after {closed:?}");
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[test]
fn a_push_whose_body_stops_arriving_is_answered_408_and_nothing_is_applied() {
    let srv = TestServer::start();
    short(&srv);
    let device = srv.device(ORG, OFFICER);
    let request = format!(
        "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"device_id\"",
        device.token().unwrap()
    );
    let (answer, _) = send_raw(&srv, request.as_bytes(), Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"timeout\""), "{answer}");
    assert!(cordon_server::admin::receipts(&srv.server)
        .unwrap()
        .is_empty());
}
