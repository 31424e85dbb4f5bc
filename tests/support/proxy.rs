//! A fault-injecting HTTP proxy for the end-to-end tests.
//!
//! It sits between the device and the server on loopback and, request by request,
//! lets a plan decide what goes wrong: the connection reset before or after the server
//! saw the request, a delay, a 5xx burst, a 429 with `Retry-After`, a response cut
//! short, or the request replayed to the server. Faults that happen *after* forwarding
//! are the interesting ones: the server applied the operations but the device never
//! heard, so only the server's receipts stand between a retry and a duplicate.
//!
//! One request per connection (upstream gets `Connection: close`), plain threads, no
//! async: the proxy should be simpler than what it tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Close the device's connection; the server never sees the request.
    ResetBeforeForward,
    /// Forward, then close the device's connection without a response.
    ResetAfterForward,
    /// Forward, then send the device only the first half of the response.
    Truncate,
    /// Answer 503 without forwarding.
    Unavailable,
    /// Forward, then answer 502 instead of the server's response.
    BadGatewayAfterForward,
    /// Answer 429 with `Retry-After: 1` without forwarding.
    TooManyRequests,
    /// Wait this many milliseconds, then pass.
    Delay(u64),
    /// Forward the request twice; the device gets the second response.
    Replay,
    /// Answer 413 without forwarding, as a reverse proxy with a smaller body limit
    /// does: an HTML page, not the protocol's error body.
    PayloadTooLarge,
}

/// What the plan sees of a request.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// 0 for the first request through the proxy.
    pub index: usize,
    pub method: String,
    /// Path and query.
    pub path: String,
    pub body_len: usize,
    /// The body, for requests under 64 KiB (pushes, not attachment chunks).
    pub body: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub info: RequestInfo,
    pub fault: Fault,
}

type Plan = Box<dyn FnMut(&RequestInfo) -> Fault + Send>;

struct Shared {
    // Request i goes to upstream i modulo their number; a replay goes to the next.
    upstreams: Vec<SocketAddr>,
    plan: Mutex<Plan>,
    log: Mutex<Vec<Logged>>,
    count: AtomicUsize,
    stopping: AtomicBool,
}

pub struct FaultProxy {
    pub url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// A proxy to `upstream_url` (`http://127.0.0.1:PORT`) on its own loopback port.
    pub fn start(
        upstream_url: &str,
        plan: impl FnMut(&RequestInfo) -> Fault + Send + 'static,
    ) -> Self {
        Self::start_across(&[upstream_url], plan)
    }

    /// A proxy to several servers on one database, taking turns request by request (a
    /// load balancer): a device's retry reaches another server than its first attempt,
    /// and a replayed request reaches both.
    pub fn start_across(
        upstream_urls: &[&str],
        plan: impl FnMut(&RequestInfo) -> Fault + Send + 'static,
    ) -> Self {
        let upstreams: Vec<SocketAddr> = upstream_urls
            .iter()
            .map(|url| {
                url.trim_start_matches("http://")
                    .trim_end_matches('/')
                    .parse()
                    .expect("upstream is http://IP:PORT")
            })
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let shared = Arc::new(Shared {
            upstreams,
            plan: Mutex::new(Box::new(plan)),
            log: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        });
        let s = shared.clone();
        let accept = thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                thread::spawn(move || {
                    let _ = handle(conn, &s);
                });
            }
        });
        FaultProxy {
            url: format!("http://{addr}"),
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// Replaces the plan (e.g. with one that always passes: "the network heals").
    pub fn set_plan(&self, plan: impl FnMut(&RequestInfo) -> Fault + Send + 'static) {
        *self.shared.plan.lock().unwrap() = Box::new(plan);
    }

    pub fn log(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// A request as read from the device: head lines and body.
struct Request {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Option<Request>> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        line: line.trim_end().to_owned(),
        headers,
        body,
    }))
}

/// Sends the request to the server on a fresh connection and reads the whole response.
fn forward(upstream: SocketAddr, req: &Request) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream)?;
    up.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{}\r\n", req.line);
    for (k, v) in &req.headers {
        if !k.eq_ignore_ascii_case("connection") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes())?;
    up.write_all(&req.body)?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    Ok(response)
}

fn canned(status: &str, extra: &str) -> Vec<u8> {
    let now = cordon_core::Timestamp::from(std::time::SystemTime::now());
    let body = format!(
        r#"{{"server_time":"{now}","error":{{"code":"proxy_fault","message":"{status} injected by the test proxy","retryable":true}}}}"#
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn handle(mut conn: TcpStream, s: &Shared) -> std::io::Result<()> {
    let Some(req) = read_request(&conn)? else {
        return Ok(());
    };
    let mut parts = req.line.split_whitespace();
    let info = RequestInfo {
        index: s.count.fetch_add(1, Ordering::SeqCst),
        method: parts.next().unwrap_or("").to_owned(),
        path: parts.next().unwrap_or("").to_owned(),
        body_len: req.body.len(),
        body: (req.body.len() < 64 * 1024).then(|| req.body.clone()),
    };
    let fault = (s.plan.lock().unwrap())(&info);
    let upstream = s.upstreams[info.index % s.upstreams.len()];
    let next = s.upstreams[(info.index + 1) % s.upstreams.len()];
    s.log.lock().unwrap().push(Logged { info, fault });
    let reply = match fault {
        Fault::Pass => Some(forward(upstream, &req)?),
        Fault::ResetBeforeForward => None,
        Fault::ResetAfterForward => {
            forward(upstream, &req)?;
            None
        }
        Fault::Truncate => {
            let full = forward(upstream, &req)?;
            Some(full[..full.len() / 2].to_vec())
        }
        Fault::Unavailable => Some(canned("503 Service Unavailable", "")),
        Fault::BadGatewayAfterForward => {
            forward(upstream, &req)?;
            Some(canned("502 Bad Gateway", ""))
        }
        Fault::TooManyRequests => Some(canned("429 Too Many Requests", "Retry-After: 1\r\n")),
        Fault::Delay(ms) => {
            thread::sleep(Duration::from_millis(ms));
            Some(forward(upstream, &req)?)
        }
        Fault::Replay => {
            forward(upstream, &req)?;
            Some(forward(next, &req)?)
        }
        Fault::PayloadTooLarge => {
            let page = "<html><body><h1>413 Request Entity Too Large</h1></body></html>";
            Some(
                format!(
                    "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                )
                .into_bytes(),
            )
        }
    };
    if let Some(bytes) = reply {
        conn.write_all(&bytes)?;
        conn.flush()?;
    }
    conn.shutdown(Shutdown::Both)
}

/// A deterministic random plan: each request suffers a fault with probability
/// `rate`, the fault drawn uniformly from every kind (short delays only).
pub fn random_plan(seed: u64, rate: f64) -> impl FnMut(&RequestInfo) -> Fault + Send {
    let mut x = seed.max(1);
    let mut next = move || {
        // xorshift64*: deterministic, good enough to spread faults.
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    move |_| {
        if next() >= rate {
            return Fault::Pass;
        }
        const KINDS: [Fault; 8] = [
            Fault::ResetBeforeForward,
            Fault::ResetAfterForward,
            Fault::Truncate,
            Fault::Unavailable,
            Fault::BadGatewayAfterForward,
            Fault::TooManyRequests,
            Fault::Delay(50),
            Fault::Replay,
        ];
        KINDS[((next() * KINDS.len() as f64) as usize).min(KINDS.len() - 1)]
    }
}
