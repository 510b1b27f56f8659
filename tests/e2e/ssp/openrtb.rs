//! OpenRTB 2.6 + Native 1.2 DSPs on loopback: fake bidders that check
//! every request against the OpenRTB rules, bid from their own table, and
//! record the win, billing and loss notices they are sent.

use std::sync::{Arc, Mutex};

use adspin_e2e::{FakeRequest, FakeResponse, FakeServer, TestApp};
use serde_json::{Value, json};

use super::{admin, bid_request_with, conversation, envelope, only_external, start};

/// A native response (`adm`) with a main image when `image`.
pub(crate) fn adm(headline: &str, image: bool) -> String {
    let mut assets = vec![
        json!({"id": 1, "title": {"text": headline}}),
        json!({"id": 2, "data": {"value": "Grip on every trail."}}),
        json!({"id": 3, "data": {"value": "Acme Outdoor"}}),
        json!({"id": 5, "img": {"url": "https://cdn.acme.example/icon.png", "w": 100, "h": 100}}),
        json!({"id": 6, "data": {"value": "Shop now"}}),
    ];
    if image {
        assets.push(json!({"id": 4, "img": {"url": "https://cdn.acme.example/main.png", "w": 600, "h": 600}}));
    }
    json!({"native": {"ver": "1.2", "assets": assets, "link": {"url": "https://acme.example/shoes"},
        "eventtrackers": [{"event": 1, "method": 1, "url": "https://acme.example/imp"}]}})
    .to_string()
}

/// Everything an OpenRTB 2.6 / Native 1.2 request must be, as problems
/// found (empty when valid).
pub(crate) fn problems(request: &FakeRequest) -> Vec<String> {
    let mut found = Vec::new();
    let mut check = |ok: bool, what: &str| {
        if !ok {
            found.push(what.to_string());
        }
    };
    check(request.method == "POST", "method is POST");
    check(
        request.header("x-openrtb-version") == Some("2.6"),
        "x-openrtb-version: 2.6",
    );
    check(
        request
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "content-type is JSON",
    );
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return vec!["the body is JSON".into()];
    };
    check(
        body["id"].as_str().is_some_and(|id| !id.is_empty()),
        "id is a non-empty string",
    );
    check(body["at"] == 1 || body["at"] == 2, "at is 1 or 2");
    check(body["tmax"].as_u64().is_some_and(|t| t > 0), "tmax > 0");
    check(
        body["cur"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c.as_str().is_some_and(|c| c.len() == 3))),
        "cur is ISO-4217 codes",
    );
    check(body["test"] == 0 || body["test"] == 1, "test is 0 or 1");
    check(
        body.get("site").is_some() != body.get("app").is_some(),
        "site xor app",
    );
    check(
        body["site"]["publisher"]["id"].as_str().is_some(),
        "site.publisher.id",
    );
    if let Some(categories) = body["site"].get("cat") {
        check(
            categories
                .as_array()
                .is_some_and(|c| !c.is_empty() && c.iter().all(Value::is_string)),
            "site.cat is a non-empty array of strings",
        );
        check(body["site"]["cattax"] == 7, "site.cat comes with cattax 7");
    }
    for field in ["keywords", "search"] {
        if let Some(value) = body["site"].get(field) {
            check(
                value.as_str().is_some_and(|v| !v.trim().is_empty()),
                "site.keywords and site.search are non-empty strings",
            );
        }
    }
    check(body["source"]["tid"].as_str().is_some(), "source.tid");
    check(
        body["regs"]["coppa"] == 0 || body["regs"]["coppa"] == 1,
        "regs.coppa",
    );
    check(
        body["regs"]["gdpr"] == 0 || body["regs"]["gdpr"] == 1,
        "regs.gdpr",
    );
    if let Some(country) = body["device"]["geo"].get("country") {
        check(
            country.as_str().is_some_and(|c| c.len() == 3),
            "geo.country is ISO-3166-1 alpha-3",
        );
    }
    let Some(imps) = body["imp"].as_array() else {
        check(false, "imp is an array");
        return found;
    };
    check(imps.len() == 1, "exactly one imp");
    for imp in imps {
        check(imp["id"] == "1", "imp.id is \"1\"");
        check(
            ["sponsored_message_image_v1", "sponsored_message_text_v1"]
                .contains(&imp["tagid"].as_str().unwrap_or_default()),
            "tagid is a documented one",
        );
        check(imp["secure"] == 1, "secure");
        check(
            imp["bidfloor"].as_f64().is_some_and(|f| f >= 0.0),
            "bidfloor >= 0",
        );
        check(imp["bidfloorcur"] == "USD", "bidfloorcur");
        check(imp["native"]["ver"] == "1.2", "native.ver 1.2");
        let Some(native) = imp["native"]["request"]
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
        else {
            check(false, "native.request is a JSON string");
            continue;
        };
        let assets = native["assets"].as_array().cloned().unwrap_or_default();
        check(!assets.is_empty(), "native assets");
        let mut ids = std::collections::HashSet::new();
        for asset in &assets {
            let kinds = ["title", "img", "data", "video"]
                .iter()
                .filter(|k| asset.get(**k).is_some())
                .count();
            check(
                kinds == 1,
                "an asset is exactly one of title/img/data/video",
            );
            check(
                asset["id"].as_u64().is_some_and(|id| ids.insert(id)),
                "asset ids are unique",
            );
            if let Some(title) = asset.get("title") {
                check(title["len"].as_u64().is_some(), "title.len");
            }
            if let Some(data) = asset.get("data") {
                check(data["type"].as_u64().is_some(), "data.type");
            }
        }
        if imp["tagid"] == "sponsored_message_text_v1" {
            check(
                assets.iter().all(|a| a["id"] != 4),
                "text tags ask for no main image",
            );
        }
        for tracker in native["eventtrackers"].as_array().into_iter().flatten() {
            check(
                tracker["event"].as_u64().is_some() && tracker["methods"].is_array(),
                "eventtrackers have event and methods",
            );
        }
    }
    found
}

/// A fake OpenRTB bidder: answers each bid request with `bids(request)`
/// (a `seatbid[0].bid` array; empty is a 204) and 200 to notices.
pub(crate) struct Bidder {
    pub server: FakeServer,
    invalid: Arc<Mutex<Vec<String>>>,
}

impl Bidder {
    pub fn start(bids: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Self {
        let invalid = Arc::new(Mutex::new(Vec::new()));
        let seen = invalid.clone();
        let server = FakeServer::start(move |request| {
            if request.path != "/openrtb/bid" {
                return FakeResponse::new(200, "");
            }
            seen.lock().expect("lock").extend(problems(request));
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            match bids(&body) {
                Value::Array(list) if list.is_empty() => FakeResponse::new(204, ""),
                list => FakeResponse::json(
                    200,
                    &json!({"id": body["id"], "cur": "USD", "seatbid": [{"seat": "seat1", "bid": list}]}),
                ),
            }
        });
        Self { server, invalid }
    }

    /// Registers the bidder as OpenRTB DSP `id`.
    pub fn register(&self, app: &TestApp, id: &str) {
        admin(
            app,
            "PUT",
            &format!("/admin/dsps/{id}"),
            Some(
                json!({"name": id, "protocol": "openrtb", "auth_token": "ortb-key",
                        "bid_url": format!("{}/openrtb/bid", self.server.base_url()), "timeout_ms": 1000}),
            ),
        );
    }

    /// The bid requests received.
    pub fn bid_requests(&self) -> Vec<Value> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path == "/openrtb/bid")
            .map(|r| serde_json::from_slice(&r.body).expect("json"))
            .collect()
    }

    /// The notice paths received once there are `count` (the SSP sends
    /// them before it answers, but the server may record one a moment
    /// after), waiting up to 3 s.
    pub fn notices_when(&self, count: usize) -> Vec<String> {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            let notices = self.notices();
            if notices.len() >= count || std::time::Instant::now() > until {
                return notices;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The notice paths received (with their queries), in order.
    pub fn notices(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path != "/openrtb/bid")
            .map(|r| {
                assert_eq!(r.method, "GET", "notices are GETs");
                r.path.clone()
            })
            .collect()
    }

    #[track_caller]
    pub fn assert_only_valid_requests(&self) {
        let invalid = self.invalid.lock().expect("lock").clone();
        assert!(invalid.is_empty(), "invalid OpenRTB requests: {invalid:?}");
        assert!(!self.bid_requests().is_empty(), "asked for bids");
    }
}

/// A bid of `price` with notice URLs on the bidder at `base` naming `id`.
pub(crate) fn bid(base: &str, id: &str, price: f64, adm: Option<String>) -> Value {
    let mut bid = json!({
        "id": id, "impid": "1", "price": price, "crid": format!("cr_{id}"),
        "nurl": format!("{base}/win/{id}?price=${{AUCTION_PRICE}}&auction=${{AUCTION_ID}}&imp=${{AUCTION_IMP_ID}}"),
        "burl": format!("{base}/bill/{id}?price=${{AUCTION_PRICE}}"),
        "lurl": format!("{base}/loss/{id}?reason=${{AUCTION_LOSS}}&price=${{AUCTION_PRICE}}"),
    });
    if let Some(adm) = adm {
        bid["adm"] = json!(adm);
    }
    bid
}

fn live_request(app: &TestApp, chat: &str) -> adspin_e2e::TestResponse {
    bid_request_with(
        app,
        adspin_e2e::demo::PUBLISHER_PRODUCTION_KEY,
        &conversation(chat, "trail shoes"),
        &[
            ("user-agent", "Mozilla/5.0 test"),
            ("x-forwarded-for", "203.0.113.7"),
            ("x-user-country", "fr"),
            ("x-user-device", "mobile"),
            ("x-user-timezone", "Europe/Paris"),
        ],
    )
}

#[test]
fn an_openrtb_dsp_wins_with_its_native_ad_and_gets_its_win_billing_and_loss_notices() {
    let app = start();
    only_external(&app);
    let base = Arc::new(Mutex::new(String::new()));
    let url = base.clone();
    let bidder = Bidder::start(move |_| {
        let base = url.lock().expect("lock").clone();
        json!([
            bid(&base, "low", 3.0, Some(adm("Cheaper shoes", true))),
            bid(&base, "high", 5.0, Some(adm("Trail shoes", true))),
        ])
    });
    *base.lock().expect("lock") = bidder.server.base_url();
    bidder.register(&app, "ortb");
    let listed = admin(&app, "GET", "/admin/dsps", None).json();
    let entry = listed["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["id"] == "ortb")
        .expect("registered")
        .clone();
    assert_eq!(entry["protocol"], "openrtb");

    let response = live_request(&app, "ortb_chat_1");
    let bid = envelope(&response, 200, "success");
    assert_eq!(bid["dsp"], "ortb");
    assert_eq!(bid["price"], 5.0);
    assert_eq!(bid["headline"], "Trail shoes");
    assert_eq!(bid["advertiser"], "Acme Outdoor");
    assert_eq!(bid["cta_text"], "Shop now");
    assert_eq!(bid["image_url"], "https://cdn.acme.example/main.png");
    assert_eq!(bid["bidId"], "high");
    bidder.assert_only_valid_requests();

    let requests = bidder.bid_requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let request_id = response.json()["requestId"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(request["id"], request_id.as_str());
    assert_eq!(request["source"]["tid"], request_id.as_str());
    assert_eq!(request["imp"][0]["tagid"], "sponsored_message_image_v1");
    assert_eq!(request["imp"][0]["bidfloor"], 1.0);
    assert!(
        request["tmax"].as_u64().is_some_and(|t| t <= 1000),
        "{request}"
    );
    assert_eq!(request["device"]["ua"], "Mozilla/5.0 test");
    assert_eq!(request["device"]["ip"], "203.0.113.7");
    assert_eq!(request["device"]["geo"]["country"], "FRA");
    assert_eq!(request["user"]["id"], "user_123");
    assert_eq!(request["test"], 0);
    // "I am looking for trail shoes": Style & Fashion in Content
    // Taxonomy 3.0, its words, and the question itself.
    assert_eq!(request["site"]["cat"], json!(["552"]), "{request}");
    assert_eq!(request["site"]["cattax"], 7);
    assert_eq!(request["site"]["keywords"], "trail,shoes");
    assert_eq!(request["site"]["search"], "I am looking for trail shoes");
    let raw = bidder
        .server
        .requests()
        .into_iter()
        .find(|r| r.path == "/openrtb/bid")
        .expect("bid request");
    assert_eq!(raw.header("authorization"), Some("Bearer ortb-key"));

    let mut notices = bidder.notices_when(3);
    notices.sort();
    assert_eq!(
        notices,
        [
            "/bill/high?price=5.00".to_string(),
            "/loss/low?reason=102&price=5.00".to_string(),
            format!("/win/high?price=5.00&auction={request_id}&imp=1"),
        ],
        "each notice once, macros substituted"
    );
}

#[test]
fn every_losing_openrtb_bid_hears_its_loss_code() {
    let app = start();
    only_external(&app);
    let bidders: Vec<Bidder> = [
        ("winner", 6.0, true),
        ("second", 4.0, true),
        ("cheap", 0.5, true),
        ("broken", 9.0, false),
    ]
    .into_iter()
    .map(|(id, price, valid)| {
        let base = Arc::new(Mutex::new(String::new()));
        let url = base.clone();
        let bidder = Bidder::start(move |_| {
            let base = url.lock().expect("lock").clone();
            let markup = if valid {
                adm(&format!("{id} shoes"), false)
            } else {
                "{\"native\": {}}".to_string()
            };
            json!([bid(&base, id, price, Some(markup))])
        });
        *base.lock().expect("lock") = bidder.server.base_url();
        bidder
    })
    .collect();
    for (bidder, id) in bidders.iter().zip(["winner", "second", "cheap", "broken"]) {
        bidder.register(&app, id);
    }
    let quiet = Bidder::start(|_| json!([]));
    quiet.register(&app, "quiet");

    let bid = envelope(&live_request(&app, "ortb_chat_2"), 200, "success");
    assert_eq!(bid["dsp"], "winner");
    assert_eq!(bid["placement"], "text", "an icon without a main image");
    for bidder in bidders.iter().chain([&quiet]) {
        bidder.assert_only_valid_requests();
    }
    assert_eq!(
        bidders[0].notices_when(2).len(),
        2,
        "win and billing: {:?}",
        bidders[0].notices()
    );
    assert_eq!(
        bidders[1].notices_when(1),
        ["/loss/second?reason=102&price=6.00"]
    );
    assert_eq!(
        bidders[2].notices_when(1),
        ["/loss/cheap?reason=100&price=6.00"]
    );
    assert_eq!(
        bidders[3].notices_when(1),
        ["/loss/broken?reason=3&price=6.00"],
        "a bid whose markup is no native ad is an invalid response (3)"
    );
    assert!(quiet.notices().is_empty(), "a 204 is a no-bid");
}

/// Runs `tests/python/verify_receipt.py` on `receipt`: the payload when
/// it verifies.
fn verify_with_python(app: &TestApp, receipt: &str) -> Result<Value, String> {
    let script = adspin_e2e::artifacts().path("tests/python/verify_receipt.py");
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(app.base_url())
        .arg(receipt)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    if output.status.success() {
        Ok(serde_json::from_str(&stdout).expect("payload JSON"))
    } else {
        Err(format!(
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[test]
fn publisher_and_winning_bidder_get_the_same_receipt_and_python_verifies_it() {
    let app = start();
    only_external(&app);
    let base = Arc::new(Mutex::new(String::new()));
    let url = base.clone();
    let bidder = Bidder::start(move |_| {
        let base = url.lock().expect("lock").clone();
        json!([bid(&base, "r1", 3.25, Some(adm("Receipt shoes", false)))])
    });
    *base.lock().expect("lock") = bidder.server.base_url();
    bidder.register(&app, "ortb");

    let response = live_request(&app, "receipt_chat");
    envelope(&response, 200, "success");
    let body = response.json();
    let receipt = body["data"]["receipt"]
        .as_str()
        .expect("receipt")
        .to_string();
    bidder.notices_when(2);
    let win = bidder
        .server
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/win/"))
        .expect("win notice");
    assert_eq!(
        win.header("x-adspin-receipt"),
        Some(receipt.as_str()),
        "the bidder gets the publisher's receipt"
    );

    let payload = verify_with_python(&app, &receipt).expect("the receipt verifies");
    assert_eq!(payload["request_id"], body["requestId"]);
    assert_eq!(payload["winner"], "ortb");
    assert_eq!(payload["bid_id"], "r1");
    assert_eq!(payload["price"], 3.25);
    assert_eq!(payload["floor"], 1.0);
    assert_eq!(payload["bidders"], json!(["ortb"]));
    assert!(payload["time"].as_str().is_some_and(|t| t.ends_with('Z')));

    // A receipt whose price was changed does not verify.
    let parts: Vec<&str> = receipt.split('.').collect();
    let mut forged = payload.clone();
    forged["price"] = json!(0.01);
    use base64::Engine;
    let forged_part = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    let tampered = format!("{}.{forged_part}.{}", parts[0], parts[2]);
    assert!(verify_with_python(&app, &tampered).is_err());

    let keys = app.get("/api/v1/ssp/receipt-keys");
    assert_eq!(keys.status, 200);
    assert_eq!(keys.json()["keys"][0]["crv"], "Ed25519");
}

#[test]
fn a_creative_over_the_headline_limit_hears_200_and_the_next_bid_wins() {
    let app = start();
    only_external(&app);
    let make = |id: &'static str, price: f64, headline: &'static str| {
        let base = Arc::new(Mutex::new(String::new()));
        let url = base.clone();
        let bidder = Bidder::start(move |_| {
            let base = url.lock().expect("lock").clone();
            json!([bid(&base, id, price, Some(adm(headline, false)))])
        });
        *base.lock().expect("lock") = bidder.server.base_url();
        bidder
    };
    let long = make(
        "long",
        8.0,
        "A headline far longer than this publisher allows in its chat",
    );
    let short = make("short", 2.0, "Short shoes");
    long.register(&app, "long");
    short.register(&app, "short");
    let mut body = conversation("headline_chat", "trail shoes");
    body["config"] = json!({"max_headline_chars": 40});
    let response = bid_request_with(&app, adspin_e2e::demo::PUBLISHER_PRODUCTION_KEY, &body, &[]);
    assert_eq!(envelope(&response, 200, "success")["dsp"], "short");
    long.assert_only_valid_requests();
    let request = &long.bid_requests()[0];
    let native: Value = serde_json::from_str(
        request["imp"][0]["native"]["request"]
            .as_str()
            .expect("native"),
    )
    .expect("json");
    assert_eq!(
        native["assets"][0]["title"]["len"], 40,
        "the limit is asked"
    );
    assert_eq!(long.notices_when(1), ["/loss/long?reason=200&price=2.00"]);
    assert_eq!(short.notices_when(2).len(), 2, "win and billing");
}

#[test]
fn openrtb_dsps_get_the_privacy_signals_in_regs_and_never_a_restricted_auction() {
    let app = start();
    super::live_campaign(&app, "trail shoes", 5_000_000, 50_000_000);
    let bidder = Bidder::start(|_| json!([]));
    bidder.register(&app, "ortb");
    let with_privacy = |chat: &str, privacy: Value| {
        let mut body = conversation(chat, "trail shoes");
        body["privacy"] = privacy;
        bid_request_with(&app, adspin_e2e::demo::PUBLISHER_PRODUCTION_KEY, &body, &[])
    };
    for (chat, privacy) in [
        ("minor", json!({"coppa": true})),
        ("opted_out", json!({"us_privacy": "1YYN"})),
    ] {
        let bid = envelope(&with_privacy(chat, privacy), 200, "success");
        assert_eq!(
            bid["dsp"], "thrad_dsp",
            "{chat}: contextual internal demand"
        );
    }
    assert!(
        bidder.bid_requests().is_empty(),
        "a restricted auction never reaches an OpenRTB DSP"
    );
    with_privacy("consenting", json!({"us_privacy": "1YNN"}));
    bidder.assert_only_valid_requests();
    let request = &bidder.bid_requests()[0];
    assert_eq!(
        request["regs"],
        json!({"coppa": 0, "gdpr": 0, "us_privacy": "1YNN"})
    );
    assert_eq!(request["user"]["id"], "user_123");
}
