//! The accept loop: every connection served by hyper's HTTP/1 with the time bounds a
//! server on the open internet needs, and a graceful stop.
//!
//! - **Headers** must arrive within [`Timeouts::header_read`] of the connection's turn to
//!   send a request: a client that opens connections and trickles headers (or sends
//!   none) is disconnected instead of holding a socket for ever.
//! - **Bodies** are bounded where they are read (`http::extract`, `uploads`): a declared
//!   length over the limit is refused at once, and every piece is awaited at most
//!   [`Timeouts::body_idle`].
//! - **Stopping**: once `shutdown` completes, no new connection is accepted and the
//!   requests in progress finish (a push in flight commits or rolls back whole).

use std::future::Future;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::state::{Server, Timeouts};

pub(crate) async fn run(
    listener: TcpListener,
    server: Server,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = server.router();
    if let Some(period) = server.timer_period() {
        tokio::spawn(crate::alarms::deadman::run(
            server.clone(),
            period,
            server.stopping(),
        ));
    }
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(e) => {
                    // Out of file descriptors, a connection reset before it was taken:
                    // the listener itself is fine; wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Timeouts { header_read, .. } = server.timeouts();
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read);
        // Every request knows the address it came from (rate limits per client).
        let service = TowerToHyperService::new(
            router
                .clone()
                .layer(axum::Extension(crate::http::PeerAddress(peer.ip()))),
        );
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    // Ends the console's live streams (they would hold the graceful stop for ever) and
    // the dead-man timer.
    server.stop();
    graceful.shutdown().await;
    Ok(())
}
