//! The whole product in one story: an advertiser launches a campaign, a
//! chat app asks for an ad and shows it, the user sees and clicks it, the
//! advertiser's server reports the purchase, and insights show it all.

use adspin_e2e::demo::{ADVERTISER_KEY, PARTNER_TOKEN};
use serde_json::json;

use crate::ssp::{auction, live_campaign, start};

fn path_of(url: &str, app: &adspin_e2e::TestApp) -> String {
    url.strip_prefix(&app.base_url())
        .expect("our own URL")
        .to_string()
}

#[test]
fn campaign_auction_impression_view_click_conversion_insights() {
    let app = start();
    // A $5.00 CPM campaign about running shoes, approved and active.
    let campaign = live_campaign(&app, "running shoes", 5_000_000, 50_000_000);

    // The chat app's bid request wins the campaign's ad.
    let bid = auction(&app, "chat_journey", "running shoes");
    assert_eq!(bid["dsp"], "thrad_dsp");
    assert_eq!(bid["price"], 5.0);

    // The ad is on screen: the app pings the view beacon.
    let view = app.get_with(
        &path_of(bid["thrad_view_url"].as_str().expect("view url"), &app),
        &[("user-agent", "Mozilla/5.0 (iPhone) Mobile Safari/604.1")],
    );
    assert_eq!(view.status, 204, "{}", view.text());

    // The user clicks: the redirect hands the landing page a click id.
    let click = app.get(&path_of(bid["url"].as_str().expect("click url"), &app));
    assert_eq!(click.status, 302);
    let location = click.header("location").expect("location").to_string();
    let click_id = location
        .split("thrad_click_id=")
        .nth(1)
        .expect("click id")
        .to_string();

    // The advertiser's server reports the purchase.
    let purchase = json!({
        "click_id": click_id,
        "conversion_time": chrono::Utc::now().to_rfc3339(),
        "conversion_value": 120.0,
        "currency": "USD",
        "order_id": "journey-1"
    });
    let converted = app.request(
        "POST",
        "/v1/api/conversion",
        &[
            ("authorization", &format!("Bearer {PARTNER_TOKEN}")),
            ("idempotency-key", "journey-1"),
        ],
        Some(purchase.to_string().as_bytes()),
    );
    assert_eq!(
        converted.json(),
        json!({"status": "ok"}),
        "{}",
        converted.text()
    );

    // Insights show the delivery, the money and the result.
    let fields = [
        "impressions",
        "views",
        "clicks",
        "conversions",
        "conversion_value",
        "spend",
        "ctr",
        "cpc",
        "cpm",
    ]
    .map(|f| format!("fields%5B%5D={f}"))
    .join("&");
    let response = app.request(
        "GET",
        &format!(
            "/v1/campaigns/{campaign}/insights?time_granularity=none&time_ranges%5B%5D=%7B%22type%22%3A%22preset%22%2C%22preset%22%3A%22last_7_days%22%7D&{fields}"
        ),
        &[("authorization", &format!("Bearer {ADVERTISER_KEY}"))],
        None,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let list = response.json();
    assert_eq!(list["count"], 1, "{list}");
    let row = &list["data"][0];
    assert_eq!(row["campaign_id"], campaign.as_str());
    assert_eq!(row["supply"], "all");
    assert_eq!(
        (
            &row["impressions"],
            &row["views"],
            &row["clicks"],
            &row["conversions"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1))
    );
    assert_eq!(row["conversion_value"], 120.0);
    assert_eq!(
        row["spend"], 0.005,
        "$5.00 CPM is half a cent per impression"
    );
    assert_eq!(row["ctr"], 1.0);
    assert_eq!(row["cpc"], 0.005);
    assert_eq!(row["cpm"], 5.0);
}
