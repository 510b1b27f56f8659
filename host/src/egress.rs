//! Outbound HTTP to the network, behind the egress guard of the runtime
//! configuration: `[outbound_networking] block_networks`, as Spin reads it
//! (`"private"` for every address that is not globally routable, or CIDR
//! networks). The host name is resolved here, blocked addresses are
//! dropped, and the connection goes to an address that passed: a name
//! that resolves only to blocked addresses is refused with
//! `destination-IP-prohibited` before any connection is made, and a second
//! resolution cannot swap the address (no DNS rebinding). Connections are
//! kept and reused per origin, as Spin's outbound client keeps them
//! ([`Egress`]).

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use http::Uri;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use ip_network::IpNetwork;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tower_service::Service;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

/// The networks outbound requests may not reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockedNetworks {
    networks: Vec<ipnet::IpNet>,
    /// Every address that is not globally routable (loopback, private,
    /// link-local, shared, documentation, ...).
    private: bool,
}

impl BlockedNetworks {
    /// Reads `block_networks` entries: `"private"` or CIDR networks.
    pub fn parse(entries: &[String]) -> Result<Self> {
        let mut blocked = Self::default();
        for entry in entries {
            if entry == "private" {
                blocked.private = true;
                continue;
            }
            let network: ipnet::IpNet = entry
                .parse()
                .or_else(|_| entry.parse::<IpAddr>().map(ipnet::IpNet::from))
                .with_context(|| {
                    format!("block_networks: {entry:?} is neither a CIDR network nor \"private\"")
                })?;
            blocked.networks.push(network.trunc());
        }
        Ok(blocked)
    }

    /// Whether nothing is blocked.
    pub fn is_empty(&self) -> bool {
        !self.private && self.networks.is_empty()
    }

    /// Whether `ip` may not be reached. An IPv6 address that embeds an
    /// IPv4 one (`::ffff:10.0.0.1`) is judged as that address too.
    pub fn is_blocked(&self, ip: IpAddr) -> bool {
        if self.private && !IpNetwork::from(ip).is_global() {
            return true;
        }
        if self.networks.iter().any(|network| network.contains(&ip)) {
            return true;
        }
        match ip {
            IpAddr::V6(v6) => v6
                .to_ipv4()
                .is_some_and(|v4| self.is_blocked(IpAddr::V4(v4))),
            IpAddr::V4(_) => false,
        }
    }
}

/// Timeouts of one request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_byte: Option<Duration>,
}

/// What sending returns: the response, and the connection's remaining
/// work (nothing left to drive: the pool's own task drives the connection).
pub type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
);

/// The application's outbound HTTP client. Like Spin's (whose
/// `connection_pooling` is on unless the runtime configuration turns it
/// off), it keeps connections alive after a response has been read and
/// reuses them for the next request to the same scheme, host and port:
/// a DSP called on every auction pays for its TCP (and TLS) handshake once,
/// not per call. Only new connections are resolved and checked against the
/// blocked networks; a kept one was checked when it was made.
#[derive(Clone, Debug)]
pub struct Egress {
    client: Client<Connector, WasiBody>,
}

impl Egress {
    pub fn new(blocked: Arc<BlockedNetworks>) -> Self {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.into(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = Connector {
            blocked,
            tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
        };
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self { client }
    }

    /// Sends `request` (its URI absolute) for `component`, over a kept
    /// connection to its origin or a new one.
    pub async fn send(
        &self,
        request: http::Request<WasiBody>,
        timeouts: Timeouts,
        component: Arc<str>,
    ) -> Result<Sent, HttpError> {
        let options = ConnectOptions {
            timeout: timeouts.connect,
            component,
        };
        let sent = CONNECT_OPTIONS.scope(options, self.client.request(request));
        let response = match timeouts.first_byte {
            Some(limit) => tokio::time::timeout(limit, sent)
                .await
                .map_err(|_| HttpError::ConnectionReadTimeout)?,
            None => sent.await,
        }
        .map_err(client_error)?;
        let done: Box<dyn Future<Output = Result<(), HttpError>> + Send> =
            Box::new(async { Ok(()) });
        Ok((
            response.map(|body| body.map_err(HttpError::from).boxed_unsync()),
            done,
        ))
    }
}

/// The error a failed exchange is reported to the guest with.
fn client_error(error: hyper_util::client::legacy::Error) -> HttpError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<ConnectError>() {
            return refused.into();
        }
        if let Some(hyper_error) = cause.downcast_ref::<hyper::Error>() {
            return if hyper_error.is_incomplete_message() || hyper_error.is_closed() {
                HttpError::ConnectionTerminated
            } else {
                HttpError::HttpProtocolError
            };
        }
        source = cause.source();
    }
    if error.is_connect() {
        HttpError::ConnectionRefused
    } else {
        HttpError::InternalError(Some(error.to_string()))
    }
}

/// Why a new connection could not be made.
#[derive(Debug, thiserror::Error)]
enum ConnectError {
    #[error("DNS lookup timed out")]
    DnsTimeout,
    #[error("DNS lookup failed: {0}")]
    Dns(String),
    #[error("the host has no address")]
    NotFound,
    #[error("the host resolves only to blocked networks")]
    Prohibited,
    #[error("connection refused")]
    Refused,
    #[error("connection timed out")]
    Timeout,
    #[error("the host is not a valid name")]
    InvalidHost,
    #[error("TLS handshake failed: {0}")]
    Tls(std::io::Error),
}

impl From<&ConnectError> for HttpError {
    fn from(error: &ConnectError) -> Self {
        match error {
            ConnectError::DnsTimeout => HttpError::DnsTimeout,
            ConnectError::Dns(message) => HttpError::DnsError {
                rcode: Some(message.clone()),
                info_code: None,
            },
            ConnectError::NotFound => HttpError::DestinationNotFound,
            ConnectError::Prohibited => HttpError::DestinationIpProhibited,
            ConnectError::Refused => HttpError::ConnectionRefused,
            ConnectError::Timeout => HttpError::ConnectionTimeout,
            ConnectError::InvalidHost => HttpError::HttpRequestUriInvalid,
            ConnectError::Tls(io) => HttpError::Tls(std::io::Error::new(io.kind(), io.to_string())),
        }
    }
}

tokio::task_local! {
    /// What a new connection for the current request is made with (a
    /// kept connection needs neither).
    static CONNECT_OPTIONS: ConnectOptions;
}

#[derive(Clone)]
struct ConnectOptions {
    timeout: Duration,
    /// Named in the log when the destination is refused.
    component: Arc<str>,
}

/// Makes the pool's new connections: resolves the host, drops blocked
/// addresses, connects to one that passed, and speaks TLS for `https`.
#[derive(Clone)]
struct Connector {
    blocked: Arc<BlockedNetworks>,
    tls: tokio_rustls::TlsConnector,
}

impl Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connector = self.clone();
        let options = CONNECT_OPTIONS
            .try_with(ConnectOptions::clone)
            .unwrap_or(ConnectOptions {
                timeout: DEFAULT_CONNECT_TIMEOUT,
                component: Arc::from("unknown"),
            });
        Box::pin(async move { connector.connect(uri, options).await.map(TokioIo::new) })
    }
}

/// Longest a new connection may take when the request sets no limit.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

impl Connector {
    async fn connect(&self, uri: Uri, options: ConnectOptions) -> Result<Stream, ConnectError> {
        let tls = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let host = uri
            .host()
            .ok_or(ConnectError::InvalidHost)?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });

        let addresses = resolve(&host, port, options.timeout).await?;
        let (refused, allowed): (Vec<SocketAddr>, Vec<SocketAddr>) = addresses
            .into_iter()
            .partition(|address| self.blocked.is_blocked(address.ip()));
        if allowed.is_empty() {
            if refused.is_empty() {
                return Err(ConnectError::NotFound);
            }
            crate::log::warn(format_args!(
                "outbound request refused: component {:?} may not reach {host} \
                 (it resolves only to blocked networks: {refused:?})",
                options.component
            ));
            return Err(ConnectError::Prohibited);
        }
        let stream = connect(&allowed, options.timeout).await?;
        if !tls {
            return Ok(Stream::Plain(stream));
        }
        let name =
            rustls::pki_types::ServerName::try_from(host).map_err(|_| ConnectError::InvalidHost)?;
        match tokio::time::timeout(options.timeout, self.tls.connect(name, stream)).await {
            Err(_) => Err(ConnectError::Timeout),
            Ok(Err(error)) => Err(ConnectError::Tls(error)),
            Ok(Ok(stream)) => Ok(Stream::Tls(Box::new(stream))),
        }
    }
}

async fn resolve(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, ConnectError> {
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(ConnectError::DnsTimeout),
        Ok(Err(error)) => Err(ConnectError::Dns(error.to_string())),
        Ok(Ok(addresses)) => Ok(addresses.collect()),
    }
}

/// Connects to the first address that answers.
async fn connect(addresses: &[SocketAddr], timeout: Duration) -> Result<TcpStream, ConnectError> {
    let mut failure = ConnectError::Refused;
    for address in addresses {
        match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(_)) => failure = ConnectError::Refused,
            Err(_) => failure = ConnectError::Timeout,
        }
    }
    Err(failure)
}

/// A connection, plain or TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_read(context, buf),
            Stream::Tls(stream) => Pin::new(stream).poll_read(context, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_write(context, buf),
            Stream::Tls(stream) => Pin::new(stream).poll_write(context, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_flush(context),
            Stream::Tls(stream) => Pin::new(stream).poll_flush(context),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_shutdown(context),
            Stream::Tls(stream) => Pin::new(stream).poll_shutdown(context),
        }
    }
}

/// Reads `[outbound_networking]` of a runtime configuration file. The host
/// implements only that table: a file with any other table is refused, so
/// a setting is never silently ignored.
pub fn from_runtime_config(text: &str, path: &std::path::Path) -> Result<BlockedNetworks> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RuntimeConfig {
        #[serde(default)]
        outbound_networking: Option<OutboundNetworking>,
        /// Read by [`crate::llm`].
        #[serde(default)]
        #[expect(dead_code, reason = "the LLM engine reads this table")]
        llm_compute: Option<toml::Value>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OutboundNetworking {
        #[serde(default)]
        block_networks: Vec<String>,
    }
    let config: RuntimeConfig = match toml::from_str(text) {
        Ok(config) => config,
        Err(error) => bail!(
            "runtime configuration {}: {} (adspin-host implements only \
             [outbound_networking] block_networks and [llm_compute]; use `spin up` for the rest)",
            path.display(),
            error.message()
        ),
    };
    let entries = config
        .outbound_networking
        .map(|table| table.block_networks)
        .unwrap_or_default();
    BlockedNetworks::parse(&entries).with_context(|| format!("{}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(entries: &[&str]) -> BlockedNetworks {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        BlockedNetworks::parse(&entries).expect("valid entries")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn private_blocks_every_address_that_is_not_global() {
        let private = blocked(&["private"]);
        for address in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(private.is_blocked(ip(address)), "{address}");
        }
        for address in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!private.is_blocked(ip(address)), "{address}");
        }
    }

    #[test]
    fn networks_block_what_they_contain() {
        let some = blocked(&["10.0.0.0/8", "169.254.169.254", "::1/128"]);
        assert!(some.is_blocked(ip("10.200.0.1")));
        assert!(some.is_blocked(ip("169.254.169.254")));
        assert!(some.is_blocked(ip("::1")));
        assert!(some.is_blocked(ip("::ffff:10.0.0.1")));
        assert!(!some.is_blocked(ip("127.0.0.1")));
        assert!(!some.is_blocked(ip("169.254.169.253")));
        assert!(BlockedNetworks::default().is_empty());
        assert!(!some.is_empty());
    }

    #[test]
    fn runtime_configuration_files_are_read_strictly() {
        let path = std::path::Path::new("rc.toml");
        let read = from_runtime_config(
            "[outbound_networking]\nblock_networks = [\"private\", \"8.8.8.0/24\"]\n",
            path,
        )
        .expect("valid");
        assert!(read.is_blocked(ip("8.8.8.8")) && read.is_blocked(ip("10.0.0.1")));
        assert!(from_runtime_config("", path).expect("empty").is_empty());
        let error = from_runtime_config("[key_value_store.default]\ntype = \"redis\"\n", path)
            .expect_err("not implemented here");
        assert!(format!("{error:#}").contains("spin up"), "{error:#}");
        assert!(
            from_runtime_config("[outbound_networking]\nblock_networks = [\"nope\"]\n", path)
                .is_err()
        );
    }
}
