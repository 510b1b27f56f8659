//! The HTTP/1.1 listener: one task per connection, every request handed to
//! the running application.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::app::RunningApp;

/// How long a client has to send a request's line and headers once it
/// starts one (or once it connects): a client that trickles its headers
/// (slowloris) loses the connection instead of holding it.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until the process ends.
pub async fn serve(app: Arc<RunningApp>, listener: TcpListener) -> Result<()> {
    loop {
        let (stream, client) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: keep serving.
                crate::log::warn(format_args!("cannot accept a connection: {error}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Small responses should not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(app.handle(request, client).await) }
            });
            // Clients that hang up mid-request are not the server's error.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
