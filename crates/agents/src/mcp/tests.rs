//! The protocol rules that need no database: eras, versions, headers.

use super::*;

fn request(headers: &[(&str, &str)]) -> Request {
    let mut builder = http::Request::builder().method("POST").uri("/mcp");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Vec::new()).expect("request")
}

fn params(value: Value) -> Map<String, Value> {
    value.as_object().expect("object").clone()
}

fn modern_params(name: Option<&str>) -> Map<String, Value> {
    let mut params = params(json!({"_meta": {
        VERSION_META: "2026-07-28",
        CAPABILITIES_META: {},
    }}));
    if let Some(name) = name {
        params.insert("name".into(), json!(name));
    }
    params
}

#[test]
fn initialize_answers_the_clients_revision_or_the_newest_handshake_one() {
    for (asked, answered) in [
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2024-11-05", "2025-11-25"),
        ("2026-07-28", "2025-11-25"),
    ] {
        let result = initialize(&params(json!({"protocolVersion": asked}))).expect("served");
        assert_eq!(result["protocolVersion"], answered, "{asked}");
        assert!(result["capabilities"]["tools"].is_object());
    }
    let refused = initialize(&Map::new()).expect_err("no version");
    assert_eq!(refused.code, INVALID_PARAMS);
}

#[test]
fn a_handshake_request_needs_a_served_version_header_or_none() {
    let plain = Map::new();
    assert_eq!(era(&request(&[]), "tools/list", &plain), Ok(Era::Handshake));
    assert_eq!(
        era(
            &request(&[("mcp-protocol-version", "2025-06-18")]),
            "tools/list",
            &plain
        ),
        Ok(Era::Handshake)
    );
    let refused = era(
        &request(&[("mcp-protocol-version", "1999-01-01")]),
        "tools/list",
        &plain,
    )
    .expect_err("unknown version");
    assert_eq!(
        (refused.status, refused.code),
        (400, UNSUPPORTED_PROTOCOL_VERSION)
    );
    assert_eq!(
        refused.data.expect("data")["supported"],
        json!(SUPPORTED_VERSIONS)
    );
    let without_meta = era(
        &request(&[("mcp-protocol-version", "2026-07-28")]),
        "tools/list",
        &plain,
    )
    .expect_err("a modern request carries _meta");
    assert_eq!(
        (without_meta.status, without_meta.code),
        (400, INVALID_PARAMS)
    );
}

#[test]
fn a_modern_request_mirrors_its_version_method_and_name_in_headers() {
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "list_campaigns"),
    ];
    let call = modern_params(Some("list_campaigns"));
    assert_eq!(
        era(&request(&headers), "tools/call", &call),
        Ok(Era::Modern)
    );
    let encoded = format!(
        "=?base64?{}?=",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "list_campaigns")
    );
    assert_eq!(
        era(
            &request(&[headers[0], headers[1], ("mcp-name", &encoded)]),
            "tools/call",
            &call
        ),
        Ok(Era::Modern)
    );
    for broken in [
        vec![headers[1], headers[2]],
        vec![
            ("mcp-protocol-version", "2025-11-25"),
            headers[1],
            headers[2],
        ],
        vec![headers[0], headers[2]],
        vec![headers[0], ("mcp-method", "tools/list"), headers[2]],
        vec![headers[0], headers[1]],
        vec![headers[0], headers[1], ("mcp-name", "create_campaign")],
    ] {
        let refused = era(&request(&broken), "tools/call", &call).expect_err("mismatch");
        assert_eq!(
            (refused.status, refused.code),
            (400, HEADER_MISMATCH),
            "{broken:?}"
        );
    }
    let mut unknown = modern_params(None);
    unknown["_meta"][VERSION_META] = json!("2099-01-01");
    let refused = era(&request(&headers), "tools/list", &unknown).expect_err("unknown");
    assert_eq!(refused.code, UNSUPPORTED_PROTOCOL_VERSION);
    let mut bare = modern_params(None);
    bare["_meta"]
        .as_object_mut()
        .expect("meta")
        .remove(CAPABILITIES_META);
    let refused = era(
        &request(&[headers[0], ("mcp-method", "tools/list")]),
        "tools/list",
        &bare,
    )
    .expect_err("no capabilities");
    assert_eq!((refused.status, refused.code), (400, INVALID_PARAMS));
}

#[test]
fn the_tool_list_is_one_page_and_caches_for_modern_clients() {
    let modern = list_tools(&Map::new(), Era::Modern).expect("list");
    assert_eq!(
        modern["tools"].as_array().map(Vec::len),
        Some(tools::TOOLS.len())
    );
    assert_eq!(modern["cacheScope"], "public");
    let handshake = list_tools(&Map::new(), Era::Handshake).expect("list");
    assert!(handshake.get("ttlMs").is_none());
    let refused = list_tools(&params(json!({"cursor": "2"})), Era::Handshake).expect_err("cursor");
    assert_eq!(refused.code, INVALID_PARAMS);
}
