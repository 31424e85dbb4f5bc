//! `cordon serve --db PATH --listen ADDR` (or `--database postgres://... --blobs DIR`):
//! the reference sync server.
//!
//! Prints exactly one line on stdout, `listening on http://IP:PORT`, once the socket is
//! bound (so a script or test that passed port 0 learns the port), then serves until
//! SIGTERM or ctrl-c, when it stops accepting, lets requests in progress finish, and
//! exits 0. What it serves is logged on stderr (see `--log-level`): one line per request
//! with its route, device, status and latency, and what became of each push; ids and
//! counts only, never a record's content, a token or an enrolment code.

use std::io::Write;

use clap::Args;

use crate::args::{CliResult, DatabaseArgs};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Address to listen on; port 0 lets the system choose.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Mark the console's session cookie Secure on every answer: set this when the
    /// server is reached through a TLS-terminating proxy (without it, the cookie is Secure
    /// when the proxy sends `X-Forwarded-Proto: https`).
    #[arg(long)]
    secure_cookies: bool,
    /// The address of the reverse proxy in front of the server: from it (only), the last
    /// address of `X-Forwarded-For` is the client whose enrolment and sign-in attempts
    /// are counted.
    #[arg(long, value_name = "IP")]
    forwarded_by: Option<std::net::IpAddr>,
    /// Serve without rate limits (a load generator measuring the server itself). By
    /// default: enrolment 30 at once then one per 2 s per client address, console sign-in
    /// 20 then one per 6 s per address, pushes 300 then one per 20 ms per device (an
    /// alarm-only push is never limited).
    #[arg(long)]
    no_rate_limits: bool,
}

pub fn run(args: ServeArgs) -> CliResult {
    let (server, database) = args.database.open()?;
    server.set_secure_cookies(args.secure_cookies);
    let limits = if args.no_rate_limits {
        cordon_server::RateLimits::NONE
    } else {
        cordon_server::RateLimits::default()
    };
    server.set_rate_limits(cordon_server::RateLimits {
        forwarded_by: args.forwarded_by,
        ..limits
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener.local_addr()?;
        let stop = shutdown_signal()?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        // The console's address on stderr: stdout keeps its one line for scripts.
        eprintln!("console: http://{addr}/console");
        out.flush()?;
        drop(out);
        tracing::info!(address = %addr, db = %database, "serving");
        cordon_server::serve_with_shutdown(listener, server, stop).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// `cordon serve` as a child process of this one, stopped by its process id when dropped
/// (the demo's office, the load generator's).
pub(crate) struct ServerChild(std::process::Child);

impl ServerChild {
    pub(crate) fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cordon serve` on `db` on a loopback port the system picks, logging through
/// `log_filter`, with `extra` serve flags; returns it with its address once it listens.
pub(crate) fn spawn(
    db: &std::path::Path,
    log_filter: &str,
    extra: &[&str],
) -> CliResult<(ServerChild, String)> {
    spawn_on(db.as_os_str(), log_filter, extra)
}

/// [`spawn`] on `database`: a SQLite file's path or a PostgreSQL URL.
pub(crate) fn spawn_on(
    database: &std::ffi::OsStr,
    log_filter: &str,
    extra: &[&str],
) -> CliResult<(ServerChild, String)> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--log-level", log_filter, "serve", "--database"])
        .arg(database)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("server has no stdout")?;
    let guard = ServerChild(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("unexpected line from the server: {line:?}"))?
        .to_owned();
    Ok((guard, url))
}

/// Listens for ctrl-c (SIGINT) and SIGTERM from the moment it is called (inside a tokio
/// runtime), and returns a future that completes on the first of them. Listening starts
/// here, not when the future is first polled: a signal sent as soon as the listening line
/// is printed must stop the server cleanly, not kill it with the default action.
pub(crate) fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}
