//! The request headers Spin sets for components (`spin-full-url`,
//! `spin-path-info`, ...), and the absolute request URI they see.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use http::header::{HOST, HeaderName, HeaderValue};
use http::{Request, Uri};

use crate::router::RouteMatch;

/// Sets Spin's headers on `request` and makes its URI absolute, as Spin
/// does before handing a request to a component. Headers of the same name
/// sent by the client are replaced.
pub fn prepare<B>(
    request: &mut Request<B>,
    route: &RouteMatch,
    client: SocketAddr,
    scheme: &str,
) -> Result<()> {
    let authority = match request.headers().get(HOST) {
        Some(host) => host
            .to_str()
            .context("the Host header is not valid UTF-8")?
            .to_string(),
        None => request
            .uri()
            .authority()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "localhost".to_string()),
    };
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());

    let mut values: Vec<(String, String)> = vec![
        ("spin-path-info".into(), route.path_info.clone()),
        (
            "spin-full-url".into(),
            format!("{scheme}://{authority}{path_and_query}"),
        ),
        ("spin-matched-route".into(), route.matched_route.clone()),
        ("spin-base-path".into(), "/".into()),
        ("spin-raw-component-route".into(), route.raw_route.clone()),
        (
            "spin-component-route".into(),
            route.component_route().to_string(),
        ),
        ("spin-client-addr".into(), client.to_string()),
    ];
    for (name, value) in &route.named {
        values.push((path_match_header(name), value.clone()));
    }
    let headers = request.headers_mut();
    for (name, value) in values {
        let name = HeaderName::try_from(name.as_str()).context("invalid header name")?;
        let value = HeaderValue::try_from(value.as_str())
            .with_context(|| format!("{name} cannot be sent as a header"))?;
        headers.insert(name, value);
    }
    // Transport detail that breaks guests forwarding the request.
    headers.remove(http::header::CONNECTION);

    *request.uri_mut() = Uri::builder()
        .scheme(scheme)
        .authority(authority.as_str())
        .path_and_query(path_and_query.as_str())
        .build()
        .context("the request has no valid authority")?;
    Ok(())
}

/// `:user_id` is exposed as `spin-path-match-user-id`.
fn path_match_header(name: &str) -> String {
    format!(
        "spin-path-match-{}",
        name.to_ascii_lowercase().replace('_', "-")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{HttpTrigger, TriggerRoute};
    use crate::router::Router;

    fn header<'a, B>(request: &'a Request<B>, name: &str) -> &'a str {
        request
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("missing {name}"))
            .to_str()
            .expect("ascii")
    }

    fn route(pattern: &str, path: &str) -> RouteMatch {
        let router = Router::build(&[HttpTrigger {
            id: "t".into(),
            route: TriggerRoute::Path(pattern.into()),
            component: "comp".into(),
        }])
        .expect("router");
        router.route(path).expect("match")
    }

    #[test]
    fn spin_headers_describe_the_match() {
        let mut request = Request::builder()
            .uri("/foo/bar?key1=value1&key2=value2")
            .header("host", "fermyon.dev")
            .body(())
            .expect("request");
        let client: SocketAddr = "127.0.0.1:8777".parse().expect("addr");
        prepare(
            &mut request,
            &route("/foo/...", "/foo/bar"),
            client,
            "https",
        )
        .expect("prepare");
        assert_eq!(
            header(&request, "spin-full-url"),
            "https://fermyon.dev/foo/bar?key1=value1&key2=value2"
        );
        assert_eq!(header(&request, "spin-path-info"), "/bar");
        assert_eq!(header(&request, "spin-matched-route"), "/foo/...");
        assert_eq!(header(&request, "spin-base-path"), "/");
        assert_eq!(header(&request, "spin-raw-component-route"), "/foo/...");
        assert_eq!(header(&request, "spin-component-route"), "/foo");
        assert_eq!(header(&request, "spin-client-addr"), "127.0.0.1:8777");
        assert_eq!(
            request.uri().to_string(),
            "https://fermyon.dev/foo/bar?key1=value1&key2=value2"
        );
    }

    #[test]
    fn named_wildcards_become_path_match_headers() {
        let mut request = Request::builder()
            .uri("/foo/42/bar")
            .header("host", "fermyon.dev")
            .body(())
            .expect("request");
        let client: SocketAddr = "127.0.0.1:8777".parse().expect("addr");
        prepare(
            &mut request,
            &route("/foo/:user_id/...", "/foo/42/bar"),
            client,
            "http",
        )
        .expect("prepare");
        assert_eq!(header(&request, "spin-path-match-user-id"), "42");
        assert_eq!(header(&request, "spin-path-info"), "/bar");
        assert_eq!(header(&request, "spin-matched-route"), "/foo/:user_id/...");
    }

    #[test]
    fn clients_cannot_spoof_spin_headers() {
        let mut request = Request::builder()
            .uri("/foo")
            .header("host", "localhost:3000")
            .header("spin-client-addr", "1.2.3.4:5")
            .body(())
            .expect("request");
        let client: SocketAddr = "127.0.0.1:9".parse().expect("addr");
        prepare(&mut request, &route("/foo", "/foo"), client, "http").expect("prepare");
        assert_eq!(header(&request, "spin-client-addr"), "127.0.0.1:9");
    }
}
