//! Sponsored polls: a publisher that asks for `sponsored_poll` gets the
//! platform's poll campaigns in the auction, and the bid's signed vote and
//! results links record one vote per impression and add them up per poll.

use adspin_e2e::TestApp;
use serde_json::{Value, json};

use super::{bid_request, conversation, envelope, live_campaign_with, start};

/// A live poll campaign of the demo organization for `hint`.
pub(crate) fn live_poll(app: &TestApp, hint: &str) -> String {
    let poll = json!({"type": "poll", "question": "Which trail do you run?",
                      "options": ["Forest", "Mountain", "Coast"],
                      "target_url": "https://trails.example/poll"});
    live_campaign_with(app, hint, 4_000_000, 50_000_000, poll)
}

fn poll_auction(app: &TestApp, chat: &str, formats: Value) -> Value {
    let mut body = conversation(chat, "trail running shoes");
    body["ad_formats"] = formats;
    envelope(&bid_request(app, &body), 200, "success")
}

/// Calls a poll link (`path_and_query` of its URL) with an optional body.
fn link(app: &TestApp, method: &str, url: &str, body: Option<&Value>) -> adspin_e2e::TestResponse {
    let path = url
        .strip_prefix(&app.base_url())
        .unwrap_or_else(|| panic!("{url} is not the app's"));
    let text = body.map(Value::to_string);
    app.request(
        method,
        path,
        &[
            ("content-type", "application/json"),
            ("origin", "https://chat.example"),
        ],
        text.as_deref().map(str::as_bytes),
    )
}

#[test]
fn a_poll_serves_only_where_asked_and_counts_one_vote_per_impression() {
    let app = start();
    live_poll(&app, "trail running");

    // A publisher that did not ask for polls gets none.
    let bid = poll_auction(&app, "chat_no_polls", json!(null));
    assert_eq!(bid, Value::Null, "chat cards only by default");

    let first = poll_auction(&app, "chat_poll_1", json!(["sponsored_poll", "carousel"]));
    assert_eq!(first["ad_format"], "sponsored_poll", "{first}");
    assert_eq!(first["headline"], "Which trail do you run?");
    let poll = &first["poll"];
    assert_eq!(
        poll["options"],
        json!([{"id": "0", "text": "Forest"}, {"id": "1", "text": "Mountain"}, {"id": "2", "text": "Coast"}])
    );
    assert_eq!(poll["cta_url"], first["url"]);
    let vote_url = poll["vote_url"].as_str().expect("vote_url");
    let results_url = poll["results_url"].as_str().expect("results_url");

    let before = link(&app, "GET", results_url, None);
    assert_eq!(before.status, 200, "{}", before.text());
    assert_eq!(before.header("access-control-allow-origin"), Some("*"));
    let before = before.json();
    assert_eq!(
        (&before["total_votes"], &before["selected_option_id"]),
        (&json!(0), &Value::Null)
    );

    let voted = link(&app, "POST", vote_url, Some(&json!({"option_id": "1"})));
    assert_eq!(voted.status, 200, "{}", voted.text());
    assert_eq!(voted.header("access-control-allow-origin"), Some("*"));
    let voted = voted.json();
    assert_eq!(voted["selected_option_id"], "1");
    assert_eq!(voted["duplicate"], false);
    assert_eq!(voted["total_votes"], 1);
    assert_eq!(voted["options"][1]["votes"], 1);
    assert_eq!(voted["options"][1]["percentage"], 100.0);

    // The same impression votes once: a second vote counts nothing.
    let again = link(&app, "POST", vote_url, Some(&json!({"option_id": 2}))).json();
    assert_eq!(
        (
            &again["duplicate"],
            &again["selected_option_id"],
            &again["total_votes"]
        ),
        (&json!(true), &json!("1"), &json!(1))
    );

    // Another impression of the same poll adds to the same results.
    let second = poll_auction(
        &app,
        "chat_poll_2",
        json!(["sponsored_message", "sponsored_poll"]),
    );
    let second_vote = second["poll"]["vote_url"].as_str().expect("vote_url");
    assert_ne!(second_vote, vote_url);
    let counted = link(&app, "POST", second_vote, Some(&json!({"option_id": "0"}))).json();
    assert_eq!(counted["total_votes"], 2, "{counted}");
    assert_eq!(counted["sponsored_poll_id"], voted["sponsored_poll_id"]);
    assert_eq!(counted["options"][0]["percentage"], 50.0);
    let results = link(&app, "GET", results_url, None).json();
    assert_eq!(
        (&results["total_votes"], &results["selected_option_id"]),
        (&json!(2), &json!("1"))
    );
    let stored: i64 = app
        .database()
        .query_row("SELECT COUNT(*) FROM poll_votes", [], |row| row.get(0))
        .expect("count");
    assert_eq!(stored, 2);
}

#[test]
fn poll_links_refuse_bad_tokens_options_and_bodies_in_their_shape() {
    let app = start();
    live_poll(&app, "trail running");
    let bid = poll_auction(&app, "chat_poll_errors", json!(["sponsored_poll"]));
    let vote_url = bid["poll"]["vote_url"]
        .as_str()
        .expect("vote_url")
        .to_string();
    let base = format!("{}/api/v1/tracking/sponsored-polls", app.base_url());
    let tampered = format!("{}x", vote_url.trim_end_matches('='));
    for (method, url, body, status, detail) in [
        (
            "POST",
            vote_url.clone(),
            Some(json!({"option_id": "3"})),
            400,
            "Invalid poll option",
        ),
        (
            "POST",
            vote_url.clone(),
            Some(json!({"option_id": "first"})),
            400,
            "Invalid poll option",
        ),
        (
            "POST",
            vote_url.clone(),
            Some(json!({})),
            422,
            "option_id is required",
        ),
        (
            "POST",
            format!("{base}/vote"),
            Some(json!({"option_id": "1"})),
            422,
            "token is required",
        ),
        (
            "POST",
            tampered,
            Some(json!({"option_id": "1"})),
            404,
            "Link expired or not found",
        ),
        (
            "GET",
            format!("{base}/results?token=abc.def"),
            None,
            404,
            "Link expired or not found",
        ),
        ("GET", vote_url.clone(), None, 405, "Method Not Allowed"),
    ] {
        let response = link(&app, method, &url, body.as_ref());
        assert_eq!(
            response.status,
            status,
            "{method} {url}: {}",
            response.text()
        );
        assert_eq!(response.json(), json!({"detail": detail}), "{method} {url}");
        assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    }
    let huge = json!({"option_id": "1", "padding": "x".repeat(2048)});
    assert_eq!(link(&app, "POST", &vote_url, Some(&huge)).status, 413);
    let preflight = link(&app, "OPTIONS", &vote_url, None);
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("content-type")
    );
    // Nothing refused was counted.
    let results = link(&app, "GET", &vote_url.replace("/vote?", "/results?"), None).json();
    assert_eq!(results["total_votes"], 0, "{results}");

    // A request naming no served format is refused.
    let mut body = conversation("chat_carousel", "trail running shoes");
    body["ad_formats"] = json!(["carousel"]);
    envelope(&bid_request(&app, &body), 400, "error");
}
