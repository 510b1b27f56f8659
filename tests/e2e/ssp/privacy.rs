//! Privacy: personal data in the chat never reaches a DSP, and the
//! privacy signals (consent, opt-outs, minors) decide who is asked.

use adspin_e2e::{FakeResponse, FakeServer};
use serde_json::{Value, json};

use adspin_e2e::demo::{ORGANIZATION_ID, PUBLISHER_PRODUCTION_KEY};

use super::{
    ad_data, admin, auction, bid_answer, bid_request, bid_request_with, conversation, envelope,
    live_campaign, register_dsp, start,
};

#[test]
fn dsps_never_receive_emails_phones_or_cards_from_the_chat_and_the_ad_still_serves() {
    let app = start();
    live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    // Bids in the first chat only; passes (204) in the others.
    let external = FakeServer::start(|request| {
        if String::from_utf8_lossy(&request.body).contains("\"chat_pii\"") {
            bid_answer(6.0, "ext_1", Some(ad_data("Trail shoes")))
        } else {
            FakeResponse::new(204, "")
        }
    });
    register_dsp(&app, "external_dsp", &external, 1000);
    let mut body = conversation("chat_pii", "running shoes");
    body["messages"][0]["content"] = json!(
        "I am looking for running shoes under $120, size 10.5. Mail me at jane.doe@example.com, \
         call +1 (415) 555-0132 or charge my card 4111 1111 1111 1111."
    );
    body["messages"][1]["content"] =
        json!("Sure! I will send offers to jane.doe@example.com. What's your budget?");
    let bid = envelope(&bid_request(&app, &body), 200, "success");
    assert_eq!(bid["dsp"], "external_dsp", "{bid}");
    assert_eq!(bid["headline"], "Trail shoes");
    let requests = external.requests();
    assert_eq!(requests.len(), 1);
    let raw = String::from_utf8_lossy(&requests[0].body).to_string();
    for secret in ["jane.doe@example.com", "555-0132", "4111 1111"] {
        assert!(!raw.contains(secret), "{secret} reached the DSP: {raw}");
    }
    let sent: Value = serde_json::from_str(&raw).expect("json");
    assert_eq!(
        sent["messages"][0]["content"],
        "I am looking for running shoes under $120, size 10.5. Mail me at [email], \
         call [phone] or charge my card [card]."
    );
    assert_eq!(
        sent["messages"][1]["content"],
        "Sure! I will send offers to [email]. What's your budget?"
    );
    // The internal DSP reads the same redacted conversation and still
    // finds its campaign.
    assert_eq!(
        auction(&app, "chat_pii_2", "running shoes")["dsp"],
        "thrad_dsp"
    );
}

/// A GPP string with one US national section (`gpp_sid` 7) whose user did
/// not opt out of sale, sharing or targeted advertising.
const GPP_US_CONSENTING: &str = "DBABLA~BVVqAAAAAAA";
/// The same section, opted out of sale.
const GPP_US_OPTED_OUT: &str = "DBABLA~BVVaAAAAAAA";

/// An external DSP that bids $9 with its own creative, and records what
/// it receives.
fn external_dsp(app: &adspin_e2e::TestApp) -> FakeServer {
    let server = FakeServer::start(|_| bid_answer(9.0, "ext_9", Some(ad_data("External ad"))));
    register_dsp(app, "external_dsp", &server, 1000);
    server
}

fn with_privacy(chat: &str, privacy: Value) -> Value {
    let mut body = conversation(chat, "running shoes");
    body["privacy"] = privacy;
    body
}

#[test]
fn without_consent_only_contextual_internal_demand_is_asked() {
    let app = start();
    live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    let external = external_dsp(&app);
    for (chat, privacy, headers) in [
        ("c_usp", json!({"us_privacy": "1YYN"}), vec![]),
        (
            "c_gpp",
            json!({"gpp": GPP_US_OPTED_OUT, "gpp_sid": [7]}),
            vec![],
        ),
        ("c_opt_out", json!({"opt_out": true}), vec![]),
        ("c_gpc", json!({}), vec![("sec-gpc", "1")]),
    ] {
        let response = bid_request_with(
            &app,
            PUBLISHER_PRODUCTION_KEY,
            &with_privacy(chat, privacy),
            &headers,
        );
        let bid = envelope(&response, 200, "success");
        assert_eq!(bid["dsp"], "thrad_dsp", "{chat}: the internal ad serves");
    }
    assert!(
        external.requests().is_empty(),
        "no request without consent reached the external DSP"
    );
    // With consent, the external DSP is asked (and wins at $9) and gets
    // the signals.
    let response = bid_request(
        &app,
        &with_privacy(
            "c_consent",
            json!({"gpp": GPP_US_CONSENTING, "gpp_sid": [7], "us_privacy": "1YNN"}),
        ),
    );
    assert_eq!(envelope(&response, 200, "success")["dsp"], "external_dsp");
    let requests = external.requests();
    assert_eq!(requests.len(), 1);
    let sent: Value = serde_json::from_slice(&requests[0].body).expect("json");
    assert_eq!(
        sent["regs"],
        json!({"coppa": 0, "gpp": GPP_US_CONSENTING, "gpp_sid": [7], "us_privacy": "1YNN"})
    );
    assert_eq!(sent["userId"], "user_123");
}

#[test]
fn a_possible_minor_is_never_identified_to_any_dsp() {
    let app = start();
    // A recording stand-in for the internal DSP: what it receives is what
    // the platform's own DSP would.
    let internal = FakeServer::start(|_| FakeResponse::new(204, ""));
    register_dsp(&app, "thrad_dsp", &internal, 1000);
    let external = external_dsp(&app);
    let response = bid_request_with(
        &app,
        PUBLISHER_PRODUCTION_KEY,
        &with_privacy("c_child", json!({"coppa": true})),
        &[
            ("user-agent", "Mozilla/5.0 kid"),
            ("x-forwarded-for", "203.0.113.9"),
        ],
    );
    assert_eq!(envelope(&response, 200, "success"), Value::Null);
    assert!(external.requests().is_empty(), "no external fan-out");
    let requests = internal.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.header("x-forwarded-for"), None);
    assert!(
        !request
            .header("user-agent")
            .is_some_and(|a| a.contains("kid")),
        "the user agent is not forwarded"
    );
    let sent: Value = serde_json::from_slice(&request.body).expect("json");
    assert!(sent.get("userId").is_none(), "{sent}");
    assert_eq!(sent["regs"], json!({"coppa": 1}));
    assert_eq!(sent["request_type"], "contextual");
}

#[test]
fn a_child_directed_chatbot_gets_contextual_internal_demand_only() {
    let app = start();
    live_campaign(&app, "running shoes", 5_000_000, 50_000_000);
    let external = external_dsp(&app);
    let settings = admin(
        &app,
        "PUT",
        &format!("/admin/publishers/{ORGANIZATION_ID}"),
        Some(json!({"child_directed": true})),
    )
    .json();
    assert_eq!(settings["child_directed"], true);
    let read = admin(
        &app,
        "GET",
        &format!("/admin/publishers/{ORGANIZATION_ID}"),
        None,
    )
    .json();
    assert_eq!(read["child_directed"], true);
    assert_eq!(auction(&app, "c_kids", "running shoes")["dsp"], "thrad_dsp");
    assert!(external.requests().is_empty());
    admin(
        &app,
        "PUT",
        &format!("/admin/publishers/{ORGANIZATION_ID}"),
        Some(json!({"child_directed": false})),
    );
    assert_eq!(
        auction(&app, "c_all", "running shoes")["dsp"],
        "external_dsp"
    );
}

#[test]
fn malformed_privacy_signals_are_refused_in_the_envelope() {
    let app = start();
    let external = external_dsp(&app);
    for (privacy, names) in [
        (json!({"us_privacy": "yes"}), "privacy.us_privacy"),
        (json!({"gpp": GPP_US_CONSENTING}), "privacy.gpp_sid"),
        (
            json!({"gpp": GPP_US_CONSENTING, "gpp_sid": [7, 8]}),
            "privacy.gpp",
        ),
        (json!({"coppa": "yes"}), "privacy.coppa"),
        (json!({"tcf": "x"}), "privacy"),
        (json!("opt-out"), "privacy"),
    ] {
        let response = bid_request(&app, &with_privacy("c_bad", privacy.clone()));
        envelope(&response, 400, "error");
        let message = response.json()["message"]
            .as_str()
            .expect("message")
            .to_string();
        assert!(message.contains(names), "{privacy}: {message}");
    }
    assert!(external.requests().is_empty());
}
