//! Click redirects and view beacons.

use serde_json::Value;

use super::{auction, live_campaign, start};

fn served(app: &adspin_e2e::TestApp) -> Value {
    live_campaign(app, "running shoes", 5_000_000, 50_000_000);
    auction(app, "chat_1", "running shoes")
}

fn path_of(url: &str, app: &adspin_e2e::TestApp) -> String {
    url.strip_prefix(&app.base_url())
        .expect("our own URL")
        .to_string()
}

fn counts(app: &adspin_e2e::TestApp) -> (i64, i64, i64) {
    let db = app.database();
    db.query_row(
        "SELECT SUM(impressions), SUM(views), SUM(clicks) FROM rollups_hourly",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
    .expect("rollups")
}

#[test]
fn a_click_redirects_to_the_landing_page_with_a_click_id_counted_once_an_hour() {
    let app = start();
    let bid = served(&app);
    let click = path_of(bid["url"].as_str().expect("url"), &app);
    let first = app.get(&click);
    assert_eq!(first.status, 302);
    let location = first.header("location").expect("location").to_string();
    assert!(
        location.starts_with("https://shop.example.com/landing?thrad_click_id="),
        "{location}"
    );
    let second = app.get(&click);
    assert_eq!(
        second.header("location"),
        Some(location.as_str()),
        "the same click within the hour"
    );
    assert_eq!(counts(&app), (1, 0, 1));
}

#[test]
fn tampered_and_unknown_tokens_are_404_never_redirects() {
    let app = start();
    let bid = served(&app);
    let click = path_of(bid["url"].as_str().expect("url"), &app);
    let token = click
        .trim_start_matches("/api/v1/dsp/redirect/")
        .split('?')
        .next()
        .expect("token")
        .to_string();
    let (payload, signature) = token.split_once('.').expect("signed token");
    let mut forged_payload = payload.to_string();
    forged_payload.replace_range(0..1, if payload.starts_with('e') { "f" } else { "e" });
    for path in [
        format!("/api/v1/dsp/redirect/{forged_payload}.{signature}"),
        format!("/api/v1/dsp/redirect/{payload}.AAAA"),
        "/api/v1/dsp/redirect/nonsense".to_string(),
    ] {
        let response = app.get(&path);
        assert_eq!(response.status, 404, "{path}");
        assert!(response.header("location").is_none());
    }
    // A valid signature for an impression this deployment never served.
    let other = adspin_e2e::HostLaunch::app().start();
    assert_eq!(other.get(&click).status, 404);
}

#[test]
fn the_view_beacon_counts_viewability_once() {
    let app = start();
    let bid = served(&app);
    let view = path_of(bid["thrad_view_url"].as_str().expect("view url"), &app);
    assert!(
        bid["url"]
            .as_str()
            .expect("url")
            .contains("thrad_view_url=")
    );
    let with_agent = [("user-agent", "Mozilla/5.0")];
    assert_eq!(app.get_with(&view, &with_agent).status, 204);
    assert_eq!(app.get_with(&view, &with_agent).status, 204);
    assert_eq!(counts(&app), (1, 1, 0));
    assert_eq!(
        app.get_with("/api/v1/tracking/view/bogus.token", &with_agent)
            .status,
        404
    );
}

#[test]
fn view_pings_need_the_end_users_agent() {
    let app = start();
    let bid = served(&app);
    let view = path_of(bid["thrad_view_url"].as_str().expect("view url"), &app);
    assert_eq!(app.get_with(&view, &[("user-agent", "")]).status, 400);
}
