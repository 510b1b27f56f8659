//! `ads-agents-mcp`: the agents API's MCP server for clients that start a
//! command and speak MCP over its stdin and stdout (Claude Desktop and
//! other desktop clients). Each JSON-RPC line read is POSTed to the API's
//! `/mcp` endpoint with the key of `ADS_AGENTS_API_KEY`, and what the
//! endpoint answers is written back as one line. The command keeps no
//! state but the protocol version `initialize` negotiated (which the
//! HTTP transport wants on every later request); everything else is the
//! server's.

use std::time::Duration;

use serde_json::{Value, json};

/// The API's address when `ADS_AGENTS_API_URL` is not set: `./dev up`.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:3000";

/// The `_meta` key of a 2026-07-28 request's protocol version.
const VERSION_META: &str = "io.modelcontextprotocol/protocolVersion";

/// The JSON-RPC code of a failure of this command or of the HTTP
/// exchange (an implementation-defined server error).
pub const TRANSPORT_ERROR: i64 = -32000;

/// The largest answer read from the endpoint.
const ANSWER_LIMIT: u64 = 16 * 1024 * 1024;

/// What the command needs to forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `.../mcp`
    pub endpoint: String,
    pub api_key: String,
}

impl Config {
    /// From the variables `ADS_AGENTS_API_KEY` (required) and
    /// `ADS_AGENTS_API_URL` (the API's base, or its `/mcp` endpoint).
    pub fn from_env(
        mut variable: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, &'static str> {
        let api_key = variable("ADS_AGENTS_API_KEY")
            .map(|key| key.trim().to_string())
            .filter(|key| !key.is_empty())
            .ok_or("ADS_AGENTS_API_KEY is not set: give the agents API key (aa_live_... or aa_test_...).")?;
        let base = variable("ADS_AGENTS_API_URL")
            .map(|url| url.trim().to_string())
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let base = base.trim_end_matches('/');
        let endpoint = if base.ends_with("/mcp") {
            base.to_string()
        } else {
            format!("{base}/mcp")
        };
        Ok(Self { endpoint, api_key })
    }
}

/// The HTTP headers that carry a message: its protocol version (from its
/// `_meta`, else the version `initialize` negotiated) and, for 2026-07-28,
/// its method and name mirrored from the body.
pub fn headers(message: &Value, negotiated: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = Vec::new();
    let params = &message["params"];
    let modern = params["_meta"][VERSION_META].as_str();
    if let Some(version) = modern.or(negotiated) {
        headers.push(("mcp-protocol-version", version.to_string()));
    }
    if modern.is_some()
        && let Some(method) = message["method"].as_str()
    {
        headers.push(("mcp-method", method.to_string()));
        let name = match method {
            "tools/call" | "prompts/get" => params["name"].as_str(),
            "resources/read" => params["uri"].as_str(),
            _ => None,
        };
        if let Some(name) = name {
            headers.push(("mcp-name", header_value(name)));
        }
    }
    headers
}

/// `value` as a header value: as is when it is plain printable ASCII,
/// else in the `=?base64?...?=` form.
fn header_value(value: &str) -> String {
    use base64::Engine;
    let plain = value.bytes().all(|byte| (0x20..0x7f).contains(&byte))
        && value.trim() == value
        && !value.starts_with("=?base64?");
    if plain {
        value.to_string()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value)
        )
    }
}

/// What a message's exchange produced: the lines to write (none for an
/// accepted notification).
pub fn answer_lines(message: &Value, status: u16, content_type: &str, body: &[u8]) -> Vec<Value> {
    let id = message.get("id").cloned();
    if status == 202 || (body.is_empty() && status < 300) {
        return Vec::new();
    }
    if content_type.starts_with("text/event-stream") {
        return String::from_utf8_lossy(body)
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .collect();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(reply) if reply.get("jsonrpc").is_some() => vec![reply],
        // An HTTP refusal in the API's own shape (401, 403, 429, ...):
        // the request gets a JSON-RPC error carrying it.
        parsed => match id {
            Some(id) => {
                let detail = parsed
                    .as_ref()
                    .ok()
                    .and_then(|body| body["error"]["message"].as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
                vec![json!({
                    "jsonrpc": "2.0",
                    "id": id,
                    "error": {
                        "code": TRANSPORT_ERROR,
                        "message": format!("The agents API answered HTTP {status}: {detail}"),
                        "data": {"status": status, "body": parsed.ok()},
                    },
                })]
            }
            None => Vec::new(),
        },
    }
}

/// Forwards messages to the endpoint, one HTTP request each.
pub struct Forwarder {
    config: Config,
    agent: ureq::Agent,
    /// The version `initialize` negotiated, sent on later requests.
    negotiated: Option<String>,
}

impl Forwarder {
    pub fn new(config: Config) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .max_redirects(0)
            .build()
            .into();
        Self {
            config,
            agent,
            negotiated: None,
        }
    }

    /// The lines that answer one line read from stdin.
    pub fn forward(&mut self, line: &str) -> Result<Vec<Value>, String> {
        let message: Value = match serde_json::from_str(line) {
            Ok(message) => message,
            Err(cause) => {
                return Ok(vec![json!({"jsonrpc": "2.0", "id": null,
                    "error": {"code": -32700, "message": format!("Parse error: {cause}")}})]);
            }
        };
        let mut request = ureq::http::Request::builder()
            .method("POST")
            .uri(&self.config.endpoint)
            .header("authorization", format!("Bearer {}", self.config.api_key))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        for (name, value) in headers(&message, self.negotiated.as_deref()) {
            request = request.header(name, value);
        }
        let request = request
            .body(line.as_bytes().to_vec())
            .map_err(|cause| format!("building the request failed: {cause}"))?;
        let lines = match self.agent.run(request) {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(ANSWER_LIMIT)
                    .read_to_vec()
                    .map_err(|cause| format!("reading the answer failed: {cause}"))?;
                if status >= 400 && message.get("id").is_none() {
                    // A refused notification has nobody to answer on stdout.
                    return Err(format!(
                        "{} refused a notification with HTTP {status}: {}",
                        self.config.endpoint,
                        String::from_utf8_lossy(&body)
                    ));
                }
                answer_lines(&message, status, &content_type, &body)
            }
            Err(cause) => match message.get("id") {
                Some(id) => vec![json!({"jsonrpc": "2.0", "id": id, "error": {
                    "code": TRANSPORT_ERROR,
                    "message": format!("The agents API at {} cannot be reached: {cause}", self.config.endpoint),
                }})],
                None => return Err(format!("{}: {cause}", self.config.endpoint)),
            },
        };
        if message["method"] == "initialize" {
            self.negotiated = lines
                .iter()
                .find_map(|reply| reply["result"]["protocolVersion"].as_str())
                .map(str::to_string);
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_required_and_the_url_defaults_to_dev_up() {
        let config = Config::from_env(|name| {
            (name == "ADS_AGENTS_API_KEY").then(|| "aa_test_abc".to_string())
        })
        .expect("configured");
        assert_eq!(config.endpoint, "http://127.0.0.1:3000/mcp");
        let config = Config::from_env(|name| match name {
            "ADS_AGENTS_API_KEY" => Some("aa_live_x".into()),
            _ => Some("https://ads.example.com/".into()),
        })
        .expect("configured");
        assert_eq!(config.endpoint, "https://ads.example.com/mcp");
        assert!(Config::from_env(|_| None).is_err());
    }

    #[test]
    fn modern_messages_mirror_their_version_method_and_name() {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "list_campaigns", "arguments": {},
            "_meta": {VERSION_META: "2026-07-28"}}});
        assert_eq!(
            headers(&call, None),
            vec![
                ("mcp-protocol-version", "2026-07-28".to_string()),
                ("mcp-method", "tools/call".to_string()),
                ("mcp-name", "list_campaigns".to_string()),
            ]
        );
        let legacy = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
        assert_eq!(
            headers(&legacy, Some("2025-11-25")),
            vec![("mcp-protocol-version", "2025-11-25".to_string())]
        );
        assert!(headers(&legacy, None).is_empty());
        assert_eq!(header_value("café"), "=?base64?Y2Fmw6k=?=");
    }

    #[test]
    fn an_http_refusal_becomes_the_requests_json_rpc_error() {
        let request = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"});
        let refused = answer_lines(
            &request,
            401,
            "application/json",
            br#"{"error": {"code": "invalid_api_key", "message": "The API key is not valid."}}"#,
        );
        assert_eq!(refused[0]["id"], 7);
        assert_eq!(refused[0]["error"]["code"], TRANSPORT_ERROR);
        assert!(
            refused[0]["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("401") && m.contains("not valid"))
        );
        let notification = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert!(answer_lines(&notification, 202, "", b"").is_empty());
        let reply = br#"{"jsonrpc": "2.0", "id": 7, "result": {"tools": []}}"#;
        assert_eq!(
            answer_lines(&request, 200, "application/json", reply),
            vec![json!({"jsonrpc": "2.0", "id": 7, "result": {"tools": []}})]
        );
    }
}
