//! The MCP server at `/mcp`: its refusals (keys, origins, versions,
//! JSON-RPC errors, scopes) over HTTP. The official Python SDK drives the
//! working flows in `tests/python/mcp_client.py` (`mcp_sdk`).

use adspin_e2e::{HostLaunch, TestApp, TestResponse};
use serde_json::{Value, json};

use super::{advertiser, call};

fn start() -> TestApp {
    HostLaunch::app()
        .variable("agents_rate_limit_multiplier", "20")
        .start()
}

/// POSTs `body` (raw) to `/mcp` with `key` and `headers`.
fn post_raw(
    app: &TestApp,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> TestResponse {
    let auth = key.map(|key| format!("Bearer {key}"));
    let mut all: Vec<(&str, &str)> = vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
    ];
    if let Some(auth) = &auth {
        all.push(("authorization", auth));
    }
    all.extend_from_slice(headers);
    app.request("POST", "/mcp", &all, Some(body.as_bytes()))
}

/// A 2025-11-25 request (after `initialize`).
fn rpc(app: &TestApp, key: &str, method: &str, params: Value) -> TestResponse {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    post_raw(
        app,
        Some(key),
        &[("mcp-protocol-version", "2025-11-25")],
        &body.to_string(),
    )
}

fn error_code(response: &TestResponse) -> i64 {
    response.json()["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", response.text()))
}

#[test]
fn mcp_needs_a_key_and_says_so_with_www_authenticate() {
    let app = start();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    let missing = post_raw(&app, None, &[], &body);
    assert_eq!(missing.status, 401, "{}", missing.text());
    assert_eq!(
        missing.header("www-authenticate"),
        Some("Bearer realm=\"adspin-agents\"")
    );
    assert_eq!(missing.json()["error"]["code"], "missing_api_key");
    let invalid = post_raw(&app, Some("aa_live_not_a_key"), &[], &body);
    assert_eq!(invalid.status, 401, "{}", invalid.text());
    assert!(
        invalid
            .header("www-authenticate")
            .is_some_and(|value| value.contains("error=\"invalid_token\"")),
        "{:?}",
        invalid.headers
    );
}

#[test]
fn mcp_refuses_foreign_origins_get_and_malformed_messages() {
    let app = start();
    let key = advertiser(&app, "mcp-errors@example.com").0;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();

    // DNS rebinding: a page elsewhere is refused, this deployment's own
    // origin is not.
    let foreign = post_raw(
        &app,
        Some(&key),
        &[("origin", "http://evil.example")],
        &list,
    );
    assert_eq!(foreign.status, 403, "{}", foreign.text());
    let own = app.base_url();
    let same = post_raw(
        &app,
        Some(&key),
        &[("origin", own.trim_end_matches('/'))],
        &list,
    );
    assert_eq!(same.status, 200, "{}", same.text());

    // No SSE stream, no session to delete.
    for method in ["GET", "DELETE"] {
        let auth = format!("Bearer {key}");
        let response = app.request(method, "/mcp", &[("authorization", &auth)], None);
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("allow"), Some("POST"));
    }

    let parse = post_raw(&app, Some(&key), &[], "{not json");
    assert_eq!((parse.status, error_code(&parse)), (400, -32700));
    assert_eq!(parse.json()["id"], Value::Null);
    let batch = post_raw(&app, Some(&key), &[], &format!("[{list}]"));
    assert_eq!((batch.status, error_code(&batch)), (400, -32600));
    let no_version = post_raw(
        &app,
        Some(&key),
        &[],
        r#"{"id": 1, "method": "tools/list"}"#,
    );
    assert_eq!((no_version.status, error_code(&no_version)), (400, -32600));

    // A notification and a client's response are accepted with no body.
    let notification = post_raw(
        &app,
        Some(&key),
        &[("mcp-protocol-version", "2025-11-25")],
        r#"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#,
    );
    assert_eq!(notification.status, 202, "{}", notification.text());
    assert!(notification.body.is_empty());
    let response = post_raw(
        &app,
        Some(&key),
        &[],
        r#"{"jsonrpc": "2.0", "id": 9, "result": {}}"#,
    );
    assert_eq!(response.status, 202);

    // Every response is counted like any request of the account.
    assert!(same.header("x-ratelimit-remaining").is_some());
}

#[test]
fn mcp_negotiates_versions_and_refuses_unsupported_ones() {
    let app = start();
    let key = advertiser(&app, "mcp-versions@example.com").0;
    for (asked, answered) in [
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2024-11-05", "2025-11-25"),
    ] {
        let body = json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": asked, "capabilities": {},
            "clientInfo": {"name": "e2e", "version": "1"}}});
        let response = post_raw(&app, Some(&key), &[], &body.to_string());
        assert_eq!(response.status, 200, "{}", response.text());
        let result = &response.json()["result"];
        assert_eq!(result["protocolVersion"], answered, "{asked}");
        assert_eq!(result["serverInfo"]["name"], "adspin-agents");
        assert!(response.header("mcp-session-id").is_none());
    }

    let wrong = post_raw(
        &app,
        Some(&key),
        &[("mcp-protocol-version", "2024-01-01")],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string(),
    );
    assert_eq!((wrong.status, error_code(&wrong)), (400, -32022));
    assert_eq!(
        wrong.json()["error"]["data"]["supported"],
        json!(["2026-07-28", "2025-11-25", "2025-06-18"])
    );

    // 2026-07-28: no handshake, the version in every request's _meta,
    // mirrored in headers that must match the body.
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}});
    let modern = |method: &str, params: Value, headers: &[(&str, &str)]| {
        let body = json!({"jsonrpc": "2.0", "id": 2, "method": method, "params": params});
        post_raw(&app, Some(&key), headers, &body.to_string())
    };
    let discover = modern(
        "server/discover",
        json!({"_meta": meta}),
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "server/discover"),
        ],
    );
    assert_eq!(discover.status, 200, "{}", discover.text());
    let result = &discover.json()["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"][0], "2026-07-28");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "adspin-agents"
    );
    let mismatch = modern(
        "tools/call",
        json!({"_meta": meta, "name": "list_campaigns", "arguments": {}}),
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "create_campaign"),
        ],
    );
    assert_eq!((mismatch.status, error_code(&mismatch)), (400, -32020));
    let unknown_version = modern(
        "tools/list",
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2099-01-01",
            "io.modelcontextprotocol/clientCapabilities": {}}}),
        &[
            ("mcp-protocol-version", "2099-01-01"),
            ("mcp-method", "tools/list"),
        ],
    );
    assert_eq!(
        (unknown_version.status, error_code(&unknown_version)),
        (400, -32022)
    );
    let removed = modern(
        "ping",
        json!({"_meta": meta}),
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "ping"),
        ],
    );
    assert_eq!((removed.status, error_code(&removed)), (404, -32601));
    let called = modern(
        "tools/call",
        json!({"_meta": meta, "name": "list_campaigns", "arguments": {"limit": 5}}),
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "list_campaigns"),
        ],
    );
    assert_eq!(called.status, 200, "{}", called.text());
    let result = &called.json()["result"];
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["structuredContent"]["pagination"]["total"], 0);
}

#[test]
fn tool_calls_refuse_unknown_tools_bad_params_and_missing_scopes() {
    let app = start();
    let key = advertiser(&app, "mcp-tools@example.com").0;

    let unknown_method = rpc(&app, &key, "resources/list", json!({}));
    assert_eq!(
        (unknown_method.status, error_code(&unknown_method)),
        (200, -32601)
    );
    let unknown_tool = rpc(
        &app,
        &key,
        "tools/call",
        json!({"name": "mint_money", "arguments": {}}),
    );
    assert_eq!(error_code(&unknown_tool), -32602);
    assert!(unknown_tool.text().contains("Unknown tool: mint_money"));
    let no_name = rpc(&app, &key, "tools/call", json!({"arguments": {}}));
    assert_eq!(error_code(&no_name), -32602);
    let not_an_object = rpc(
        &app,
        &key,
        "tools/call",
        json!({"name": "list_campaigns", "arguments": [1, 2]}),
    );
    assert_eq!(error_code(&not_an_object), -32602);

    // What the endpoint refuses is a tool error the model can read.
    let invalid = rpc(
        &app,
        &key,
        "tools/call",
        json!({"name": "create_campaign", "arguments": {"name": "X", "objective": "fame"}}),
    );
    assert_eq!(invalid.status, 200, "{}", invalid.text());
    let result = &invalid.json()["result"];
    assert_eq!(result["isError"], true, "{result}");
    let text: Value =
        serde_json::from_str(result["content"][0]["text"].as_str().expect("text")).expect("json");
    assert_eq!(text["error"]["code"], "validation_error");
    assert_eq!(text["error"]["details"]["field"], "objective");

    let listed = rpc(&app, &key, "tools/list", json!({}));
    let tools = listed.json()["result"]["tools"].clone();
    let names: Vec<&str> = tools
        .as_array()
        .expect("tools")
        .iter()
        .map(|tool| tool["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "generate_ad_content",
            "create_campaign",
            "launch_campaign",
            "get_analytics",
            "optimize_campaign",
            "manage_budget",
            "list_campaigns"
        ]
    );
    for tool in tools.as_array().expect("tools") {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
    }

    // A key without campaigns:write may list but not create.
    let scoped = call(
        &app,
        "POST",
        "/auth/keys",
        &key,
        Some(&json!({"name": "Reader", "scopes": ["campaigns:read"]})),
    );
    assert_eq!(scoped.status, 201, "{}", scoped.text());
    let reader = scoped.json()["api_key"].as_str().expect("key").to_string();
    let refused = rpc(
        &app,
        &reader,
        "tools/call",
        json!({"name": "create_campaign", "arguments": {"name": "X", "objective": "traffic", "budget": 5}}),
    );
    let result = &refused.json()["result"];
    assert_eq!(result["isError"], true, "{result}");
    assert!(
        result["content"][0]["text"]
            .as_str()
            .is_some_and(|text| text.contains("insufficient_scope")),
        "{result}"
    );
    let allowed = rpc(
        &app,
        &reader,
        "tools/call",
        json!({"name": "list_campaigns", "arguments": {}}),
    );
    assert_eq!(
        allowed.json()["result"]["isError"],
        false,
        "{}",
        allowed.text()
    );
    let analytics = rpc(
        &app,
        &reader,
        "tools/call",
        json!({"name": "get_analytics", "arguments": {}}),
    );
    assert_eq!(
        analytics.json()["result"]["isError"],
        true,
        "{}",
        analytics.text()
    );
}

#[test]
fn the_official_python_sdk_drives_the_tools_over_http_and_over_stdio() {
    let app = start();
    // The Free plan holds 3 campaigns: one account per transport.
    for (transport, email) in [
        ("http", "mcp-http@example.com"),
        ("stdio", "mcp-stdio@example.com"),
    ] {
        let key = advertiser(&app, email).0;
        let artifacts = adspin_e2e::artifacts();
        let output = std::process::Command::new("python3")
            .arg(artifacts.path("tests/python/mcp_client.py"))
            .arg(app.base_url())
            .arg(&key)
            .arg(&artifacts.mcp_stdio)
            .arg(transport)
            .output()
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{transport}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let runs: Vec<Value> = stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect();
        let versions: Vec<&str> = runs
            .iter()
            .map(|run| run["protocol_version"].as_str().expect("version"))
            .collect();
        assert_eq!(versions, ["2025-11-25", "2026-07-28"], "{transport}");
        // What the tools did is what the REST API reads.
        for run in &runs {
            let id = run["campaign_id"].as_i64().expect("id");
            let campaign = call(&app, "GET", &format!("/campaigns/{id}"), &key, None);
            assert_eq!(campaign.json()["status"], "active", "{}", campaign.text());
            assert_eq!(campaign.json()["daily_budget"], 75.0);
        }
    }
}

/// Runs `ads-agents-mcp` with `environment`, writes `input` to its stdin
/// and returns its exit code and the lines it wrote.
fn stdio(environment: &[(&str, &str)], input: &str) -> (Option<i32>, Vec<Value>, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(&adspin_e2e::artifacts().mcp_stdio)
        .env_remove("ADS_AGENTS_API_KEY")
        .env_remove("ADS_AGENTS_API_URL")
        .envs(environment.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ads-agents-mcp starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("written");
    let output = child.wait_with_output().expect("it ends with its stdin");
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    (
        output.status.code(),
        lines,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_stdio_command_needs_a_key_and_answers_refusals_as_json_rpc_errors() {
    let (code, lines, stderr) = stdio(&[], "");
    assert_eq!(code, Some(2));
    assert!(lines.is_empty());
    assert!(stderr.contains("ADS_AGENTS_API_KEY"), "{stderr}");

    let app = start();
    let base = app.base_url();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "e2e", "version": "1"}}});
    let input = format!(
        "{initialize}\n\n{{not json\n{}\n",
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
    );
    let (code, lines, stderr) = stdio(
        &[
            ("ADS_AGENTS_API_KEY", "aa_live_not_a_key"),
            ("ADS_AGENTS_API_URL", &base),
        ],
        &input,
    );
    assert_eq!(code, Some(0));
    // The 401 answers the request; the line that is not JSON is a parse
    // error; the notification (refused too) is reported on stderr.
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["error"]["code"], -32000);
    assert_eq!(lines[0]["error"]["data"]["status"], 401);
    assert_eq!(lines[1]["error"]["code"], -32700);
    assert!(
        stderr.contains("refused a notification with HTTP 401"),
        "{stderr}"
    );

    let key = advertiser(&app, "mcp-stdio-errors@example.com").0;
    let (_, lines, _) = stdio(
        &[
            ("ADS_AGENTS_API_KEY", &key),
            ("ADS_AGENTS_API_URL", &format!("{base}/mcp")),
        ],
        &format!(
            "{initialize}\n{}\n",
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "mint_money", "arguments": {}}})
        ),
    );
    assert_eq!(lines[0]["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(lines[1]["id"], 2);
    assert_eq!(lines[1]["error"]["code"], -32602);
}

/// The structured result of a tool call, or its error object when the
/// call was refused.
fn tool(app: &TestApp, key: &str, name: &str, arguments: Value) -> (bool, Value) {
    let answer = rpc(
        app,
        key,
        "tools/call",
        json!({"name": name, "arguments": arguments}),
    )
    .json();
    let result = &answer["result"];
    let refused = result["isError"] == true;
    let body = if refused {
        serde_json::from_str(result["content"][0]["text"].as_str().expect("text")).expect("json")
    } else {
        result["structuredContent"].clone()
    };
    (refused, body)
}

#[test]
fn tools_go_through_the_safety_checks_and_the_audit_log() {
    let app = start();
    let key = advertiser(&app, "mcp-safety@acme.example").0;
    let (refused, campaign) = tool(
        &app,
        &key,
        "create_campaign",
        json!({"name": "Trail shoes", "objective": "traffic", "budget": 50}),
    );
    assert!(!refused, "{campaign}");
    let id = campaign["id"].as_i64().expect("id");
    let set = call(
        &app,
        "POST",
        &format!("/campaigns/{id}/ad-sets"),
        &key,
        Some(&json!({"name": "All"})),
    )
    .json()["id"]
        .as_i64()
        .expect("ad set");
    let ad = call(
        &app,
        "POST",
        &format!("/campaigns/{id}/ad-sets/{set}/ads"),
        &key,
        Some(
            &json!({"creative": {"headline": "Grip in the mud", "primary_text": "Trail shoes.",
                                   "link_url": "https://trails.example"}}),
        ),
    );
    assert_eq!(ad.status, 201, "{}", ad.text());
    let (refused, launched) = tool(&app, &key, "launch_campaign", json!({"campaign_id": id}));
    assert!(!refused, "{launched}");

    // $50 → $500 a day is past the $100 threshold: nothing changes until
    // the call is repeated with its confirmation token.
    let raise = json!({"campaign_id": id, "budget": 500});
    let (refused, error) = tool(&app, &key, "manage_budget", raise.clone());
    assert!(refused, "{error}");
    assert_eq!(error["error"]["code"], "confirmation_required", "{error}");
    let token = error["error"]["details"]["confirmation_token"]
        .as_str()
        .expect("token")
        .to_string();
    let unchanged = call(&app, "GET", &format!("/campaigns/{id}"), &key, None).json();
    assert_eq!(unchanged["budget"]["amount"], 50.0, "{unchanged}");
    let mut confirmed = raise.clone();
    confirmed["confirmation_token"] = json!(token);
    let (refused, raised) = tool(&app, &key, "manage_budget", confirmed.clone());
    assert!(!refused, "{raised}");
    assert_eq!(raised["budget"]["amount"], 500.0, "{raised}");
    // A token performs its own request only.
    let mut other = confirmed;
    other["budget"] = json!(5000);
    let (refused, reused) = tool(&app, &key, "manage_budget", other);
    assert!(refused, "{reused}");
    assert_eq!(reused["error"]["code"], "confirmation_token_invalid");

    // The audit log names the tools.
    let log = call(&app, "GET", "/audit-log", &key, None).json();
    let vias: Vec<&str> = log["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["via"].as_str())
        .collect();
    for expected in [
        "mcp:create_campaign",
        "mcp:launch_campaign",
        "mcp:manage_budget",
    ] {
        assert!(vias.contains(&expected), "{expected} in {vias:?}");
    }
}
