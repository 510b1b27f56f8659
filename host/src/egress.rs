//! Outbound HTTP to the network, behind the egress guard of the runtime
//! configuration: `[outbound_networking] block_networks`, as Spin reads it
//! (`"private"` for every address that is not globally routable, or CIDR
//! networks). The host name is resolved here, blocked addresses are
//! dropped, and the connection goes to an address that passed: a name
//! that resolves only to blocked addresses is refused with
//! `destination-IP-prohibited` before any connection is made, and a second
//! resolution cannot swap the address (no DNS rebinding).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use ip_network::IpNetwork;
use tokio::net::TcpStream;
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
/// work (driven by the caller until the body is read).
pub type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
);

/// Sends `request` to the address its URI names, unless every address
/// the name resolves to is blocked.
pub async fn send(
    mut request: http::Request<WasiBody>,
    timeouts: Timeouts,
    blocked: Arc<BlockedNetworks>,
    component: Arc<str>,
) -> Result<Sent, HttpError> {
    let uri = request.uri().clone();
    let tls = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let host = uri
        .host()
        .ok_or(HttpError::HttpRequestUriInvalid)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });

    let addresses = resolve(&host, port, timeouts.connect).await?;
    let (refused, allowed): (Vec<SocketAddr>, Vec<SocketAddr>) = addresses
        .into_iter()
        .partition(|address| blocked.is_blocked(address.ip()));
    if allowed.is_empty() {
        if refused.is_empty() {
            return Err(HttpError::DestinationNotFound);
        }
        crate::log::warn(format_args!(
            "outbound request refused: component {component:?} may not reach {host} \
             (it resolves only to blocked networks: {refused:?})"
        ));
        return Err(HttpError::DestinationIpProhibited);
    }
    let stream = connect(&allowed, timeouts.connect).await?;

    // The request line carries the path only (the host is in `Host`).
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    *request.uri_mut() = path.parse().map_err(|_| HttpError::HttpRequestUriInvalid)?;

    let (response, io) = if tls {
        let stream = tls_connect(&host, stream, timeouts.connect).await?;
        exchange(stream, request, timeouts).await?
    } else {
        exchange(stream, request, timeouts).await?
    };
    Ok((response, io))
}

async fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, HttpError> {
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(HttpError::DnsTimeout),
        Ok(Err(error)) => Err(HttpError::DnsError {
            rcode: Some(error.to_string()),
            info_code: None,
        }),
        Ok(Ok(addresses)) => Ok(addresses.collect()),
    }
}

/// Connects to the first address that answers.
async fn connect(addresses: &[SocketAddr], timeout: Duration) -> Result<TcpStream, HttpError> {
    let mut failure = HttpError::ConnectionRefused;
    for address in addresses {
        match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(_)) => failure = HttpError::ConnectionRefused,
            Err(_) => failure = HttpError::ConnectionTimeout,
        }
    }
    Err(failure)
}

async fn tls_connect(
    host: &str,
    stream: TcpStream,
    timeout: Duration,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, HttpError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| HttpError::InternalError(Some(error.to_string())))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| HttpError::HttpRequestUriInvalid)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Err(_) => Err(HttpError::ConnectionTimeout),
        Ok(Err(error)) => Err(HttpError::Tls(error)),
        Ok(Ok(stream)) => Ok(stream),
    }
}

/// One HTTP/1.1 exchange over `stream`.
async fn exchange<S>(
    stream: S,
    request: http::Request<WasiBody>,
    timeouts: Timeouts,
) -> Result<Sent, HttpError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(HttpError::from)?;
    let worker = tokio::spawn(connection);
    let sent = sender.send_request(request);
    let response = match timeouts.first_byte {
        Some(limit) => tokio::time::timeout(limit, sent)
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?,
        None => sent.await,
    }
    .map_err(HttpError::from)?;
    let io: Box<dyn Future<Output = Result<(), HttpError>> + Send> = Box::new(async move {
        match worker.await {
            Ok(outcome) => outcome.map_err(HttpError::from),
            Err(_) => Err(HttpError::ConnectionTerminated),
        }
    });
    Ok((
        response.map(|body| body.map_err(HttpError::from).boxed_unsync()),
        io,
    ))
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
