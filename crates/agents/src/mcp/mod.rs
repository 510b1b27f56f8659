//! The MCP server at `/mcp`: the Model Context Protocol over streamable
//! HTTP (JSON responses, no SSE stream), for revisions 2025-06-18 and
//! 2025-11-25 (an `initialize` handshake, then requests) and 2026-07-28
//! (stateless: every request carries its version in `_meta`, mirrored in
//! the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers).
//!
//! Every POST is authenticated with the agents API's Bearer keys and
//! counted against the account's rate limit like any request; a tool runs
//! the same handler as its REST route ([`tools`]), so scopes, validation
//! and errors are the API's. The server keeps no session: each request
//! stands alone, as components are instantiated per request.

pub mod tools;

use adspin_core::clock::Clock;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::settings;
use adspin_core::web::{Body, Request, Response, header, json_response, read_body};
use serde_json::{Map, Value, json};

use crate::auth::{self, Caller};
use crate::{AgentsError, BODY_LIMIT, Context, client, limits};

/// Where the MCP server is served.
pub const PATH: &str = "/mcp";

/// The revisions served without a handshake (per-request `_meta`).
pub const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];

/// The revisions `initialize` negotiates, newest first.
pub const HANDSHAKE_VERSIONS: [&str; 2] = ["2025-11-25", "2025-06-18"];

/// Every revision served, newest first (what `server/discover` and a
/// version error list).
pub const SUPPORTED_VERSIONS: [&str; 3] = ["2026-07-28", "2025-11-25", "2025-06-18"];

/// The `_meta` key of a modern request's protocol version.
const VERSION_META: &str = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_META: &str = "io.modelcontextprotocol/clientCapabilities";
const SERVER_INFO_META: &str = "io.modelcontextprotocol/serverInfo";

/// How long a client may cache the tool list and the discovery result.
const CACHE_TTL_MS: u64 = 3_600_000;

// JSON-RPC and MCP error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const HEADER_MISMATCH: i64 = -32020;
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

const INSTRUCTIONS: &str = "Tools of the adspin agents API, for the account of the API key in use. \
    generate_ad_content writes ad copy (and banners); create_campaign makes a draft; ad sets and ads are added with the REST API \
    (POST /api/v1/campaigns/{id}/ad-sets, .../ads); launch_campaign takes it live; \
    get_analytics, list_campaigns, manage_budget and optimize_campaign follow it. \
    Money is in dollars, ctr a percentage.";

fn server_info() -> Value {
    json!({
        "name": "adspin-agents",
        "title": "adspin Agents API",
        "version": env!("CARGO_PKG_VERSION"),
    })
}

/// What a POST is answered with.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// `202 Accepted`, no body: a notification or a client's response.
    Accepted,
    /// A JSON-RPC response with its HTTP status.
    Reply(u16, Value),
}

fn error(status: u16, id: &Value, code: i64, message: impl Into<String>) -> Answer {
    error_with(status, id, code, message, None)
}

fn error_with(
    status: u16,
    id: &Value,
    code: i64,
    message: impl Into<String>,
    data: Option<Value>,
) -> Answer {
    let mut error = json!({"code": code, "message": message.into()});
    if let Some(data) = data {
        error["data"] = data;
    }
    Answer::Reply(status, json!({"jsonrpc": "2.0", "id": id, "error": error}))
}

fn result(id: &Value, result: Value) -> Answer {
    Answer::Reply(200, json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// Serves one request to `/mcp`.
pub(crate) async fn handle<E: Env>(
    env: &E,
    db: &E::Db,
    kv: &E::Kv,
    mut request: Request,
    body: Body,
) -> Response {
    let now = env.clock().now();
    let info = RequestInfo::new("req_");
    if request.method() != http::Method::POST {
        // No SSE stream is offered (the specification allows 405), and
        // without sessions there is nothing to DELETE.
        let mut response = reply(&error(
            405,
            &Value::Null,
            INVALID_REQUEST,
            "The MCP endpoint takes POST only; it opens no SSE stream and keeps no session.",
        ));
        response
            .headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static("POST"));
        return response;
    }
    if !origin_allowed(env, &request) {
        return reply(&error(
            403,
            &Value::Null,
            INVALID_REQUEST,
            "The Origin of this request is not allowed.",
        ));
    }
    let client = client::address(&request);
    let caller = match auth::authenticate(db, header(&request, "authorization"), now) {
        Ok(caller) => caller,
        Err(refusal) => {
            let mut response = respond(&info, &refusal);
            if let Ok(usage) = limits::count_anonymous(kv, client, now) {
                limits::add_headers(&mut response, &usage);
            }
            let challenge = if refusal.code() == "missing_api_key" {
                "Bearer realm=\"adspin-agents\"".to_string()
            } else {
                "Bearer realm=\"adspin-agents\", error=\"invalid_token\", \
                 error_description=\"The API key is not valid.\""
                    .to_string()
            };
            if let Ok(value) = http::HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(http::header::WWW_AUTHENTICATE, value);
            }
            return response;
        }
    };
    let usage = match crate::count_caller(env, kv, &caller, now) {
        Ok(usage) => usage,
        Err(error) => return respond(&info, &error),
    };
    let mut response = if usage.exceeded() {
        respond(&info, &limits::too_many_requests(&usage, now))
    } else if let Err(error) = read_body(&mut request, body, BODY_LIMIT).await {
        respond(&info, &AgentsError::from(error))
    } else {
        let context = Context {
            env,
            db,
            kv,
            request: &request,
            client,
            now,
        };
        reply(&answer(&context, &caller).await)
    };
    limits::add_headers(&mut response, &usage);
    response
}

fn reply(answer: &Answer) -> Response {
    match answer {
        Answer::Accepted => {
            let mut response = Response::new(Vec::new());
            *response.status_mut() = http::StatusCode::ACCEPTED;
            response
        }
        Answer::Reply(status, body) => json_response(*status, body),
    }
}

/// Whether `request` may proceed: no `Origin` (not a browser), or the
/// origin of this deployment (`public_base_url`, or this machine in
/// development). A page elsewhere (DNS rebinding included: its `Host` is
/// not this machine's) is refused.
fn origin_allowed(env: &impl Env, request: &Request) -> bool {
    let Some(origin) = header(request, "origin") else {
        return true;
    };
    let Ok(base) = settings::trusted_base_url(env, request) else {
        return false;
    };
    let serialized = |text: &str| {
        url::Url::parse(text)
            .ok()
            .map(|url| url.origin())
            .filter(url::Origin::is_tuple)
            .map(|origin| origin.ascii_serialization())
    };
    match (serialized(origin), serialized(&base)) {
        (Some(origin), Some(own)) => origin == own,
        _ => false,
    }
}

/// The answer to the JSON-RPC message of the request's body.
async fn answer<E: Env>(context: &Context<'_, E>, caller: &Caller) -> Answer {
    let message: Value = match serde_json::from_slice(context.body()) {
        Ok(message) => message,
        Err(cause) => {
            return error(
                400,
                &Value::Null,
                PARSE_ERROR,
                format!("Parse error: {cause}"),
            );
        }
    };
    let Value::Object(message) = message else {
        return error(
            400,
            &Value::Null,
            INVALID_REQUEST,
            "The body is one JSON-RPC message (an object); batches are not accepted.",
        );
    };
    let id = match message.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
        None => None,
        Some(_) => {
            return error(
                400,
                &Value::Null,
                INVALID_REQUEST,
                "id is a string or a number.",
            );
        }
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return error(400, &reply_id, INVALID_REQUEST, "jsonrpc must be \"2.0\".");
    }
    let method = match (message.get("method"), &id) {
        (Some(Value::String(method)), _) => method.as_str(),
        // A response to a request of ours (none are sent): nothing to do.
        (None, Some(_)) if message.contains_key("result") || message.contains_key("error") => {
            return Answer::Accepted;
        }
        _ => {
            return error(
                400,
                &reply_id,
                INVALID_REQUEST,
                "A request has a method (a string).",
            );
        }
    };
    let empty = Map::new();
    let params = match message.get("params") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(params)) => params,
        Some(_) => {
            return error(400, &reply_id, INVALID_PARAMS, "params is an object.");
        }
    };
    let Some(id) = id else {
        // Notifications (`notifications/initialized`, `.../cancelled`)
        // need nothing from a stateless server.
        return Answer::Accepted;
    };
    let era = match era(context.request, method, params) {
        Ok(era) => era,
        Err(refusal) => return refusal.answer(&id),
    };
    let outcome = match (method, era) {
        ("initialize", _) => initialize(params),
        ("ping", Era::Handshake) => Ok(json!({})),
        ("server/discover", _) => Ok(discover()),
        ("tools/list", _) => list_tools(params, era),
        ("tools/call", _) => call_tool(context, caller, params).await,
        _ => Err(Refusal::new(
            if era == Era::Modern { 404 } else { 200 },
            METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )),
    };
    match outcome {
        Ok(mut value) => {
            if era == Era::Modern
                && let Some(object) = value.as_object_mut()
            {
                object.insert("resultType".into(), json!("complete"));
                object.insert("_meta".into(), json!({ SERVER_INFO_META: server_info() }));
            }
            result(&id, value)
        }
        Err(refusal) => refusal.answer(&id),
    }
}

/// A JSON-RPC error with the HTTP status it is sent with.
#[derive(Debug, Clone, PartialEq)]
struct Refusal {
    status: u16,
    code: i64,
    message: String,
    data: Option<Value>,
}

impl Refusal {
    fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            data: None,
        }
    }

    fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(200, INVALID_PARAMS, message)
    }

    fn header_mismatch(message: impl Into<String>) -> Self {
        Self::new(400, HEADER_MISMATCH, message)
    }

    fn unsupported_version(requested: &str) -> Self {
        Self {
            data: Some(json!({"supported": SUPPORTED_VERSIONS, "requested": requested})),
            ..Self::new(
                400,
                UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported protocol version",
            )
        }
    }

    fn answer(self, id: &Value) -> Answer {
        error_with(self.status, id, self.code, self.message, self.data)
    }
}

/// Which revisions' rules a request follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    /// 2025-06-18 and 2025-11-25: after an `initialize` handshake.
    Handshake,
    /// 2026-07-28: the version in every request's `_meta`.
    Modern,
}

/// The era of a request, with its headers checked against its body.
fn era(request: &Request, method: &str, params: &Map<String, Value>) -> Result<Era, Refusal> {
    let header_version = header(request, "mcp-protocol-version");
    let meta = params.get("_meta").and_then(Value::as_object);
    let meta_version = meta
        .and_then(|meta| meta.get(VERSION_META))
        .and_then(Value::as_str);
    match meta_version {
        Some(version) if method != "initialize" && !HANDSHAKE_VERSIONS.contains(&version) => {
            if !MODERN_VERSIONS.contains(&version) {
                return Err(Refusal::unsupported_version(version));
            }
            if header_version != Some(version) {
                return Err(Refusal::header_mismatch(format!(
                    "Header mismatch: MCP-Protocol-Version header value '{}' does not match body value '{version}'",
                    header_version.unwrap_or_default()
                )));
            }
            check_mirrored_headers(request, method, params)?;
            if !meta.is_some_and(|meta| meta.get(CAPABILITIES_META).is_some_and(Value::is_object)) {
                return Err(Refusal::new(
                    400,
                    INVALID_PARAMS,
                    format!("_meta must carry {CAPABILITIES_META}."),
                ));
            }
            Ok(Era::Modern)
        }
        _ => match header_version {
            // A request without the header (before 2025-06-18 clients, and
            // `initialize` itself) follows the handshake revisions' rules.
            None => Ok(Era::Handshake),
            Some(version) if HANDSHAKE_VERSIONS.contains(&version) => Ok(Era::Handshake),
            Some(version) if MODERN_VERSIONS.contains(&version) && method != "initialize" => {
                Err(Refusal::new(
                    400,
                    INVALID_PARAMS,
                    format!("A {version} request carries {VERSION_META} in params._meta."),
                ))
            }
            Some(version) if MODERN_VERSIONS.contains(&version) => Ok(Era::Handshake),
            Some(version) => Err(Refusal::unsupported_version(version)),
        },
    }
}

/// `Mcp-Method` (always) and `Mcp-Name` (for `tools/call`) must say what
/// the body says.
fn check_mirrored_headers(
    request: &Request,
    method: &str,
    params: &Map<String, Value>,
) -> Result<(), Refusal> {
    let mirrored = header(request, "mcp-method");
    if mirrored != Some(method) {
        return Err(Refusal::header_mismatch(format!(
            "Header mismatch: Mcp-Method header value '{}' does not match body value '{method}'",
            mirrored.unwrap_or_default()
        )));
    }
    if method == "tools/call"
        && let Some(name) = params.get("name").and_then(Value::as_str)
    {
        let mirrored = header(request, "mcp-name").and_then(decode_header_value);
        if mirrored.as_deref() != Some(name) {
            return Err(Refusal::header_mismatch(format!(
                "Header mismatch: Mcp-Name header value does not match body value '{name}'"
            )));
        }
    }
    Ok(())
}

/// A header value, decoded from the `=?base64?...?=` form clients use for
/// values that are not plain ASCII (`None` when that form is not valid).
fn decode_header_value(value: &str) -> Option<String> {
    use base64::Engine;
    match value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => Some(value.to_string()),
    }
}

/// `initialize`: the client's revision when served, else the newest
/// handshake revision (the client then decides whether to go on).
fn initialize(params: &Map<String, Value>) -> Result<Value, Refusal> {
    let requested = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| Refusal::invalid_params("initialize needs params.protocolVersion."))?;
    let version = if HANDSHAKE_VERSIONS.contains(&requested) {
        requested
    } else {
        HANDSHAKE_VERSIONS[0]
    };
    Ok(json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
    }))
}

/// `server/discover`: the revisions, capabilities and identity.
fn discover() -> Value {
    json!({
        "supportedVersions": SUPPORTED_VERSIONS,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
        "ttlMs": CACHE_TTL_MS,
        "cacheScope": "public",
    })
}

/// `tools/list`: every tool, in one page.
fn list_tools(params: &Map<String, Value>, era: Era) -> Result<Value, Refusal> {
    if params.get("cursor").is_some_and(|cursor| !cursor.is_null()) {
        return Err(Refusal::invalid_params(
            "Invalid cursor: the tool list is one page.",
        ));
    }
    let tools: Vec<Value> = tools::TOOLS.iter().map(tools::Tool::describe).collect();
    let mut list = json!({ "tools": tools });
    if era == Era::Modern {
        list["ttlMs"] = json!(CACHE_TTL_MS);
        list["cacheScope"] = json!("public");
    }
    Ok(list)
}

/// `tools/call`: an unknown tool or malformed params are JSON-RPC errors;
/// everything the tool's endpoint refuses (scopes, validation, a missing
/// campaign) is a result with `isError`, carrying the API's error object.
async fn call_tool<E: Env>(
    context: &Context<'_, E>,
    caller: &Caller,
    params: &Map<String, Value>,
) -> Result<Value, Refusal> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| Refusal::invalid_params("tools/call needs params.name (a string)."))?;
    let empty = Map::new();
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(arguments)) => arguments,
        Some(_) => return Err(Refusal::invalid_params("arguments is an object.")),
    };
    let tool = tools::find(name)
        .ok_or_else(|| Refusal::invalid_params(format!("Unknown tool: {name}")))?;
    let mut arguments = arguments.clone();
    let confirmation = match arguments.remove(tools::CONFIRMATION_TOKEN) {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) => Some(token),
        Some(_) => {
            return Err(Refusal::invalid_params("confirmation_token is a string."));
        }
    };
    let outcome = match caller.require(tool.scope) {
        Err(refusal) => Err(refusal),
        Ok(()) => match (tool.invocation)(&arguments) {
            Err(invalid) => Err(AgentsError::validation(invalid.argument, invalid.message)),
            Ok(invocation) => run(context, caller, tool.name, invocation, confirmation).await,
        },
    };
    Ok(match outcome {
        Ok(structured) => json!({
            "content": [{"type": "text", "text": structured.to_string()}],
            "structuredContent": structured,
            "isError": false,
        }),
        Err(refusal) => {
            let response = respond(&RequestInfo::new("req_"), &refusal);
            let text = String::from_utf8_lossy(response.body()).into_owned();
            json!({
                "content": [{"type": "text", "text": text}],
                "isError": true,
            })
        }
    })
}

/// Runs a tool's request through the endpoint's handler, as its REST
/// route would (the MCP request's headers, the tool's method, path and
/// body); the handler's JSON answer.
async fn run<E: Env>(
    context: &Context<'_, E>,
    caller: &Caller,
    tool: &str,
    invocation: tools::Invocation,
    confirmation: Option<String>,
) -> Result<Value, AgentsError> {
    let mut request = http::Request::new(invocation.body);
    *request.method_mut() = invocation.method;
    *request.uri_mut() = invocation
        .path
        .parse()
        .map_err(|_| AgentsError::validation("campaign_id", "campaign_id is not a valid id."))?;
    *request.headers_mut() = context.request.headers().clone();
    request.headers_mut().remove(http::header::CONTENT_LENGTH);
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    // A tool is never a dry run; its confirmation comes as an argument.
    request.headers_mut().remove("dry-run");
    request.headers_mut().remove("confirmation-token");
    if let Some(token) = confirmation {
        let token = http::HeaderValue::from_str(&token)
            .map_err(|_| AgentsError::validation("confirmation_token", "Not a token."))?;
        request.headers_mut().insert("confirmation-token", token);
    }
    let call = Context {
        request: &request,
        ..*context
    };
    let [first, second, third] = &invocation.ids;
    let response = crate::dispatch(
        &call,
        invocation.endpoint,
        caller,
        [first.as_str(), second.as_str(), third.as_str()],
        crate::safety::audit::Via::Tool(tool.to_string()),
    )
    .await?;
    serde_json::from_slice(response.body()).map_err(|cause| {
        AgentsError::internal_because(format!("a tool's answer is not JSON: {cause}"))
    })
}

#[cfg(test)]
mod tests;
