//! Outbound HTTP policy: `allowed_outbound_hosts` and service chaining.
//!
//! The pattern syntax is Spin's: `<scheme>://<host>[:<port>]` where each part
//! may be `*`, hosts may be `*.domain` or an IP network, ports may be a range
//! `a..b`, and `{{ variable }}` templates are resolved at startup. A request
//! to a host the component may not reach fails in the guest with
//! `HTTP-request-denied`; it is never sent. Requests to
//! `http://<component>.spin.internal/...` are dispatched to that component in
//! process, when the pattern list allows that host.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use indexmap::IndexMap;
use url::Host;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::egress::{Egress, Timeouts};
use crate::manifest::VariableDef;
use crate::variables::{ResolvedVariables, Template};

/// Domain suffix that addresses another component of the same application.
pub const CHAINING_SUFFIX: &str = ".spin.internal";

/// A component's compiled `allowed_outbound_hosts` list.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    hosts: Vec<AllowedHost>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    /// `None` allows any scheme.
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`, stored as `.example.com`.
    AnySubdomain(String),
    Literal(Host),
    Network(ipnet::IpNet),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Port(u16),
    Range(u16, u16),
}

impl AllowedHosts {
    /// Checks patterns at manifest load: literal ones must parse and
    /// templated ones may only refer to application variables.
    pub fn validate(patterns: &[String], variables: &IndexMap<String, VariableDef>) -> Result<()> {
        reject_allow_all(patterns)?;
        for pattern in patterns {
            let template = Template::parse(pattern)?;
            if template.is_literal() {
                AllowedHost::parse(pattern)?;
            } else {
                for name in template.references() {
                    ensure!(
                        variables.contains_key(name),
                        "{pattern:?} refers to {name:?}, which is not an application variable"
                    );
                }
            }
        }
        Ok(())
    }

    /// Resolves templates with the application's variable values and parses
    /// every pattern. A template that renders empty (or to a bare scheme)
    /// allows nothing, as in Spin.
    pub fn resolve(patterns: &[String], variables: &ResolvedVariables) -> Result<Self> {
        reject_allow_all(patterns)?;
        let mut hosts = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let rendered = Template::parse(pattern)?.render(variables.values())?;
            if rendered.is_empty() || rendered == "http://" || rendered == "https://" {
                continue;
            }
            hosts.push(
                AllowedHost::parse(&rendered)
                    .with_context(|| format!("allowed outbound host {pattern:?}"))?,
            );
        }
        Ok(Self { hosts })
    }

    /// Whether a request to `scheme://host[:port]` is allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let Ok(host) = parse_host(host) else {
            return false;
        };
        let Some(port) = port.or_else(|| well_known_port(scheme)) else {
            return false;
        };
        self.hosts
            .iter()
            .any(|allowed| allowed.allows(scheme, &host, port))
    }
}

/// A host name or address; an IPv6 address with or without its brackets.
fn parse_host(host: &str) -> Result<Host, url::ParseError> {
    if host.contains(':') && !host.starts_with('[') {
        Host::parse(&format!("[{host}]"))
    } else {
        Host::parse(host)
    }
}

fn reject_allow_all(patterns: &[String]) -> Result<()> {
    ensure!(
        !(patterns.len() == 1 && patterns[0] == "insecure:allow-all"),
        "'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic"
    );
    Ok(())
}

impl AllowedHost {
    fn parse(pattern: &str) -> Result<Self> {
        let trimmed = pattern.trim();
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            bail!(
                "{pattern:?} does not contain a scheme: hosts must be in the form <scheme>://<host>[:<port>], with '*' wildcards allowed for each"
            );
        };
        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty() && s.chars().all(char::is_alphabetic) => Some(s.to_string()),
            s => bail!("invalid scheme {s:?} in {pattern:?}"),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = split_host_port(rest);
        let host =
            HostPattern::parse(host).with_context(|| format!("invalid host in {pattern:?}"))?;
        let port = match port {
            None => PortPattern::Port(scheme.as_deref().and_then(well_known_port).with_context(
                || format!("{pattern:?} needs a port: its scheme has no well-known port"),
            )?),
            Some("*") => PortPattern::Any,
            Some(port) => {
                PortPattern::parse(port).with_context(|| format!("invalid port in {pattern:?}"))?
            }
        };
        Ok(Self { scheme, host, port })
    }

    fn allows(&self, scheme: &str, host: &Host, port: u16) -> bool {
        self.scheme.as_deref().is_none_or(|s| s == scheme)
            && self.host.allows(host)
            && self.port.allows(port)
    }
}

/// Splits `host[:port]`, keeping IPv6 literals and CIDR networks intact.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(end) = authority.find(']') {
        let host = &authority[..=end];
        return match authority[end + 1..].strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None => (host, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (authority, None),
    }
}

impl HostPattern {
    fn parse(host: &str) -> Result<Self> {
        let host = host.trim();
        if host == "*" {
            return Ok(Self::Any);
        }
        ensure!(
            host != "self" && host != "self.alt",
            "'{host}' (relative requests to the application itself) is not supported by \
             adspin-host; name the component with '<id>.spin.internal' instead"
        );
        if host.contains('/') {
            let network: ipnet::IpNet = host
                .parse()
                .context("must not include a path (only an IP network may contain '/')")?;
            return Ok(Self::Network(network.trunc()));
        }
        if let Some(domain) = host.strip_prefix("*.") {
            ensure!(
                !domain.contains('*'),
                "wildcards are allowed only as prefixes"
            );
            let Host::Domain(domain) = Host::parse(domain)? else {
                bail!("wildcard suffix must be a domain");
            };
            return Ok(Self::AnySubdomain(format!(".{domain}")));
        }
        ensure!(
            !host.contains('*'),
            "wildcards are allowed only as subdomains"
        );
        Ok(Self::Literal(parse_host(host)?))
    }

    fn allows(&self, host: &Host) -> bool {
        match (self, host) {
            (Self::Any, _) => true,
            (Self::AnySubdomain(suffix), Host::Domain(domain)) => domain.ends_with(suffix.as_str()),
            (Self::Literal(literal), host) => literal == host,
            (Self::Network(net), Host::Ipv4(ip)) => net.contains(&std::net::IpAddr::V4(*ip)),
            (Self::Network(net), Host::Ipv6(ip)) => net.contains(&std::net::IpAddr::V6(*ip)),
            _ => false,
        }
    }
}

impl PortPattern {
    fn parse(port: &str) -> Result<Self> {
        if let Some((start, end)) = port.split_once("..") {
            return Ok(Self::Range(
                start.parse().context("port range start is not a number")?,
                end.parse().context("port range end is not a number")?,
            ));
        }
        Ok(Self::Port(port.parse().context("port is not a number")?))
    }

    fn allows(&self, port: u16) -> bool {
        match self {
            Self::Any => true,
            Self::Port(p) => *p == port,
            Self::Range(start, end) => (*start..*end).contains(&port),
        }
    }
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        _ => None,
    }
}

/// The component a literal pattern such as `http://dsp.spin.internal`
/// chains to (`None` for wildcards and ordinary hosts).
pub fn literal_chaining_target(pattern: &str) -> Option<&str> {
    let (_, rest) = pattern.split_once("://")?;
    let (host, _) = split_host_port(rest.trim_end_matches('/'));
    let target = host.strip_suffix(CHAINING_SUFFIX)?;
    (!target.is_empty() && !target.contains('*') && !target.contains("{{")).then_some(target)
}

/// The component addressed by a request host, if it is a chaining host.
pub fn chaining_target(host: &str) -> Option<&str> {
    host.strip_suffix(CHAINING_SUFFIX)
        .filter(|id| !id.is_empty() && !id.contains('.'))
}

/// Future returned by [`WasiHttpHooks::send_request`].
type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

/// Dispatches a chained request to a component of the running application.
pub trait ServiceChaining: Send + Sync {
    fn has_component(&self, id: &str) -> bool;
    fn dispatch(
        self: Arc<Self>,
        component: String,
        request: http::Request<WasiBody>,
    ) -> Pin<Box<dyn Future<Output = Result<http::Response<WasiBody>, HttpError>> + Send>>;
}

/// The outbound HTTP hooks of one component instance.
pub struct OutboundHttp {
    pub component_id: Arc<str>,
    pub allowed: Arc<AllowedHosts>,
    pub egress: Egress,
    pub chaining: Arc<dyn ServiceChaining>,
    /// How long the instance waited for answers, kept only for
    /// `--storage-trace`.
    pub waits: Option<Arc<OutboundWaits>>,
}

/// The outbound requests of one instance, and the time during which at
/// least one of them was waiting for its answer's head.
#[derive(Debug, Default)]
pub struct OutboundWaits {
    state: std::sync::Mutex<Waits>,
}

#[derive(Debug, Default)]
struct Waits {
    requests: u32,
    in_flight: u32,
    since: Option<Instant>,
    waited: Duration,
}

impl OutboundWaits {
    /// The requests sent, and how long the instance waited for answers.
    pub fn totals(&self) -> (u32, Duration) {
        self.state
            .lock()
            .map_or((0, Duration::ZERO), |waits| (waits.requests, waits.waited))
    }

    /// Counts a request from now until the returned guard is dropped.
    fn start(self: &Arc<Self>) -> WaitGuard {
        if let Ok(mut waits) = self.state.lock() {
            waits.requests += 1;
            if waits.in_flight == 0 {
                waits.since = Some(Instant::now());
            }
            waits.in_flight += 1;
        }
        WaitGuard(self.clone())
    }
}

/// Ends a request's wait when dropped (answered, failed or abandoned).
struct WaitGuard(Arc<OutboundWaits>);

impl Drop for WaitGuard {
    fn drop(&mut self) {
        if let Ok(mut waits) = self.0.state.lock() {
            waits.in_flight -= 1;
            if waits.in_flight == 0
                && let Some(since) = waits.since.take()
            {
                waits.waited += since.elapsed();
            }
        }
    }
}

/// Longest a connection attempt may take when the guest sets no timeout.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https").to_string();
        let host = uri.host().unwrap_or_default().to_string();
        let port = uri.port_u16();
        if !self.allowed.allows(&scheme, &host, port) {
            let shown_port = port.map(|p| format!(":{p}")).unwrap_or_default();
            crate::log::warn(format_args!(
                "outbound request denied: component {:?} may not reach {scheme}://{host}{shown_port} (not in allowed_outbound_hosts)",
                self.component_id
            ));
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        if let Some(target) = chaining_target(&host) {
            if !self.chaining.has_component(target) {
                return Box::new(async { Err(HttpError::DestinationNotFound) });
            }
            let dispatch = self.chaining.clone().dispatch(target.to_string(), request);
            let waiting = self.waits.as_ref().map(OutboundWaits::start);
            return Box::new(async move {
                let response = dispatch.await;
                drop(waiting);
                let response = response?;
                let done: Box<dyn Future<Output = Result<(), HttpError>> + Send> =
                    Box::new(async { Ok(()) });
                Ok((response, done))
            });
        }
        let timeouts = Timeouts {
            connect: options
                .and_then(|o| o.connect_timeout)
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            first_byte: options.and_then(|o| o.first_byte_timeout),
        };
        let egress = self.egress.clone();
        let component = self.component_id.clone();
        let waiting = self.waits.as_ref().map(OutboundWaits::start);
        Box::new(async move {
            let sent = egress.send(request, timeouts, component).await;
            drop(waiting);
            sent
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(patterns: &[&str]) -> AllowedHosts {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        AllowedHosts::resolve(&patterns, &ResolvedVariables::default()).expect("valid patterns")
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        assert!(!hosts(&[]).allows("https", "example.com", None));
    }

    #[test]
    fn a_literal_host_allows_its_scheme_and_default_port_only() {
        let allowed = hosts(&["https://api.example.com"]);
        assert!(allowed.allows("https", "api.example.com", None));
        assert!(allowed.allows("https", "api.example.com", Some(443)));
        assert!(!allowed.allows("https", "api.example.com", Some(8443)));
        assert!(!allowed.allows("http", "api.example.com", None));
        assert!(!allowed.allows("https", "other.example.com", None));
    }

    #[test]
    fn wildcards_cover_scheme_host_and_port() {
        let allowed = hosts(&["*://*.example.com:*"]);
        assert!(allowed.allows("http", "a.example.com", Some(8080)));
        assert!(allowed.allows("https", "b.c.example.com", None));
        assert!(!allowed.allows("https", "example.com", None));
        assert!(hosts(&["*://*:*"]).allows("http", "127.0.0.1", Some(1)));
    }

    #[test]
    fn ipv6_addresses_match_with_or_without_brackets() {
        assert!(hosts(&["http://*:*"]).allows("http", "[::1]", Some(8080)));
        assert!(hosts(&["http://*:*"]).allows("http", "::1", Some(8080)));
        let literal = hosts(&["http://[::1]:8080"]);
        assert!(literal.allows("http", "[::1]", Some(8080)));
        assert!(!literal.allows("http", "[::2]", Some(8080)));
    }

    #[test]
    fn port_ranges_exclude_their_end() {
        let allowed = hosts(&["http://127.0.0.1:8000..8002"]);
        assert!(allowed.allows("http", "127.0.0.1", Some(8000)));
        assert!(allowed.allows("http", "127.0.0.1", Some(8001)));
        assert!(!allowed.allows("http", "127.0.0.1", Some(8002)));
    }

    #[test]
    fn ip_networks_match_addresses_inside_them() {
        let allowed = hosts(&["http://10.0.0.0/8:*"]);
        assert!(allowed.allows("http", "10.1.2.3", Some(80)));
        assert!(!allowed.allows("http", "11.1.2.3", Some(80)));
    }

    #[test]
    fn malformed_patterns_are_rejected() {
        let err = AllowedHost::parse("example.com").expect_err("no scheme");
        assert!(err.to_string().contains("scheme"));
        assert!(AllowedHost::parse("https://example.com/path").is_err());
        assert!(AllowedHost::parse("https://exa*mple.com").is_err());
        assert!(AllowedHost::parse("ftp://example.com").is_err());
        let err = AllowedHost::parse("http://self").expect_err("self is not served");
        assert!(format!("{err:#}").contains("spin.internal"), "{err:#}");
        assert!(
            AllowedHosts::resolve(
                &["insecure:allow-all".into()],
                &ResolvedVariables::default()
            )
            .is_err()
        );
    }

    #[test]
    fn chaining_targets_are_recognised() {
        assert_eq!(
            literal_chaining_target("http://thrad-dsp.spin.internal"),
            Some("thrad-dsp")
        );
        assert_eq!(literal_chaining_target("http://*.spin.internal"), None);
        assert_eq!(literal_chaining_target("https://example.com"), None);
        assert_eq!(
            chaining_target("thrad-dsp.spin.internal"),
            Some("thrad-dsp")
        );
        assert_eq!(chaining_target("example.com"), None);
    }

    #[test]
    fn wildcard_chaining_allows_any_component() {
        let allowed = hosts(&["http://*.spin.internal"]);
        assert!(allowed.allows("http", "a.spin.internal", None));
        assert!(!allowed.allows("http", "example.com", None));
    }
}
