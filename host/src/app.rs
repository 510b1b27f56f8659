//! The running application: routes each request to its component, answers
//! Spin's well-known paths, dispatches service-chaining requests and writes
//! the access log.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use wasmtime::Engine;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use crate::engine::{LoadedComponent, SharedState};
use crate::headers;
use crate::outbound::ServiceChaining;
use crate::router::{RouteMatch, Router};

/// Prefix of the paths Spin itself answers.
const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";
/// `spin-client-addr` of a chained request, as in Spin.
const CHAINED_CLIENT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
/// Body of the 500 answered when a component fails.
const INTERNAL_ERROR_BODY: &str = r#"{"error":{"message":"The server had an error while processing the request.","type":"server_error","param":null,"code":"internal_error"}}"#;

pub struct RunningApp {
    pub name: String,
    pub version: String,
    pub engine: Engine,
    pub router: Router,
    pub components: HashMap<String, LoadedComponent>,
    pub shared: SharedState,
}

impl RunningApp {
    /// Serves one request from a client. Never fails: every failure becomes
    /// a response.
    pub async fn handle<B>(
        self: &Arc<Self>,
        request: Request<B>,
        client: SocketAddr,
    ) -> Response<HyperOutgoingBody>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<HttpError>,
    {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_string();

        let (component, response) = if let Some(name) = path.strip_prefix(WELL_KNOWN_PREFIX) {
            (None, self.well_known(name))
        } else if let Some(route) = self.router.route(&path) {
            let component = route.component.clone();
            (
                Some(component),
                self.call(route, request, client, started).await,
            )
        } else {
            (None, empty(StatusCode::NOT_FOUND))
        };
        access_log(
            &method,
            &path,
            component.as_deref(),
            response.status(),
            started.elapsed(),
            false,
        );
        response
    }

    async fn call<B>(
        self: &Arc<Self>,
        route: RouteMatch,
        mut request: Request<B>,
        client: SocketAddr,
        arrived: Instant,
    ) -> Response<HyperOutgoingBody>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<HttpError>,
    {
        let Some(component) = self.components.get(&route.component) else {
            crate::log::warn(format_args!(
                "no loaded component {:?} for route {:?}",
                route.component, route.raw_route
            ));
            return internal_error();
        };
        if let Err(error) = headers::prepare(&mut request, &route, client, "http") {
            return text(StatusCode::BAD_REQUEST, format!("Bad request: {error:#}"));
        }
        let chaining: Arc<dyn ServiceChaining> = self.clone();
        match component
            .handle(&self.engine, &self.shared, chaining, request, arrived)
            .await
        {
            Ok(response) => response,
            Err(_) => internal_error(),
        }
    }

    fn well_known(&self, name: &str) -> Response<HyperOutgoingBody> {
        match name {
            "health" => text(StatusCode::OK, "OK".to_string()),
            "info" => {
                let info = serde_json::json!({ "name": self.name, "version": self.version });
                json(StatusCode::OK, info.to_string())
            }
            _ => empty(StatusCode::NOT_FOUND),
        }
    }
}

impl ServiceChaining for RunningApp {
    fn has_component(&self, id: &str) -> bool {
        self.components.contains_key(id)
    }

    fn dispatch(
        self: Arc<Self>,
        component: String,
        request: Request<WasiBody>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<WasiBody>, HttpError>> + Send>> {
        Box::pin(async move {
            let started = Instant::now();
            let method = request.method().clone();
            let path = request.uri().path().to_string();
            let route = RouteMatch::chained(&component, &path);
            let response = self.call(route, request, CHAINED_CLIENT, started).await;
            access_log(
                &method,
                &path,
                Some(&component),
                response.status(),
                started.elapsed(),
                true,
            );
            Ok(response)
        })
    }
}

/// One line per request: time, method, path, component, status, duration.
/// The query string is left out: it may carry tokens.
fn access_log(
    method: &Method,
    path: &str,
    component: Option<&str>,
    status: StatusCode,
    elapsed: Duration,
    chained: bool,
) {
    let now = humantime::format_rfc3339_millis(SystemTime::now());
    let component = component.unwrap_or("-");
    let via = if chained { " (chained)" } else { "" };
    let millis = elapsed.as_secs_f64() * 1000.0;
    let line = format!(
        "{now} {method} {path} {component}{via} {} {millis:.2}ms\n",
        status.as_u16()
    );
    // A failed log write must not fail the request.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

fn body(bytes: impl Into<Bytes>) -> HyperOutgoingBody {
    http_body_util::Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn response(
    status: StatusCode,
    content_type: Option<&'static str>,
    bytes: Bytes,
) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(body(bytes));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
    }
    response
}

fn empty(status: StatusCode) -> Response<HyperOutgoingBody> {
    response(status, None, Bytes::new())
}

fn text(status: StatusCode, message: String) -> Response<HyperOutgoingBody> {
    response(
        status,
        Some("text/plain; charset=utf-8"),
        Bytes::from(message),
    )
}

fn json(status: StatusCode, body: String) -> Response<HyperOutgoingBody> {
    response(status, Some("application/json"), Bytes::from(body))
}

fn internal_error() -> Response<HyperOutgoingBody> {
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        INTERNAL_ERROR_BODY.to_string(),
    )
}
