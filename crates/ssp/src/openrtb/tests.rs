use super::*;

fn request() -> BidRequest {
    let body = json!({"userId": "user_1", "chatId": "chat_1", "production": true, "messages": [
        {"role": "user", "content": "Trail shoes please, mail jane@example.com"},
        {"role": "assistant", "content": "What is your budget?"}
    ]});
    let headers = |name: &str| match name {
        "x-user-country" => Some("de"),
        "x-user-device" => Some("mobile"),
        "x-user-timezone" => Some("Europe/Berlin"),
        "x-user-city" => Some("Berlin"),
        _ => None,
    };
    BidRequest::parse(body.to_string().as_bytes(), headers).expect("valid")
}

fn config(image_enabled: bool) -> EffectiveConfig {
    EffectiveConfig {
        ad_offset: 0,
        max_frequency: 0,
        max_headline_chars: None,
        image_enabled,
    }
}

/// The bid request for `request`, its conversation redacted as the
/// auction does, with a `tmax` of `tmax_ms`.
fn body_for(request: &BidRequest, config: &EffectiveConfig, tmax_ms: u64) -> Value {
    let conversation = Conversation::redacted(&request.messages);
    let facts = Facts {
        request_id: "api_req_1",
        request,
        conversation: &conversation,
        config,
        ads_before: 2,
        publisher_id: "org_1",
        floor: Micros::new(4_000_000),
        test: false,
        child_directed: false,
        client_ip: Some("203.0.113.7"),
        user_agent: Some("Mozilla/5.0"),
        domain: Some("chat.example.com"),
        page: Some("https://chat.example.com/c/1"),
        language: Some("fr"),
    };
    bid_request(&facts, tmax_ms)
}

#[test]
fn the_language_is_the_first_of_accept_language() {
    assert_eq!(language("fr-CH, fr;q=0.9, en;q=0.8").as_deref(), Some("fr"));
    assert_eq!(language("EN").as_deref(), Some("en"));
    assert_eq!(language("*"), None);
    assert_eq!(language("zh-Hant-TW").as_deref(), Some("zh"));
}

#[test]
fn the_request_has_one_native_imp_with_the_documented_tag_assets_and_floor() {
    let request = request();
    let config = config(true);
    let body = body_for(&request, &config, 1_800);
    assert_eq!(body["id"], "api_req_1");
    assert_eq!(body["at"], 1);
    assert_eq!(body["tmax"], 1_800);
    assert_eq!(body["cur"], json!(["USD"]));
    assert_eq!(body["test"], 0);
    let imps = body["imp"].as_array().expect("imps");
    assert_eq!(imps.len(), 1);
    let imp = &imps[0];
    assert_eq!(imp["id"], "1");
    assert_eq!(imp["tagid"], IMAGE_TAG);
    assert_eq!(imp["secure"], 1);
    assert_eq!(imp["bidfloor"], 4.0);
    assert_eq!(imp["bidfloorcur"], "USD");
    assert!(imp.get("pos").is_none() && imp.get("battr").is_none());
    assert_eq!(imp["native"]["ver"], "1.2");
    let native: Value =
        serde_json::from_str(imp["native"]["request"].as_str().expect("string")).expect("json");
    let ids: Vec<u64> = native["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .map(|a| a["id"].as_u64().expect("id"))
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(native["assets"][0]["title"]["len"], 90);
    assert_eq!(native["assets"][3]["img"]["type"], 3);
    assert_eq!(native["assets"][3]["img"]["wmin"], 400);
    assert_eq!(native["assets"][4]["img"]["type"], 1);
    assert_eq!(native["assets"][5]["data"], json!({"type": 12, "len": 15}));
    assert_eq!(
        native["eventtrackers"],
        json!([{"event": 1, "methods": [1]}])
    );
    assert_eq!(imp["ext"]["thrad"]["chat_id"], "chat_1");
    assert_eq!(imp["ext"]["thrad"]["n_ads_before"], 2);
    assert_eq!(
        imp["ext"]["thrad"]["messages"][0]["content"],
        "Trail shoes please, mail [email]"
    );
    assert_eq!(body["site"]["domain"], "chat.example.com");
    assert_eq!(body["site"]["page"], "https://chat.example.com/c/1");
    assert_eq!(body["device"]["language"], "fr");
    assert_eq!(body["device"]["ip"], "203.0.113.7");
    assert_eq!(body["device"]["devicetype"], 1);
    assert_eq!(
        body["device"]["geo"],
        json!({"country": "DEU", "city": "Berlin", "type": 2})
    );
    assert_eq!(body["user"]["id"], "user_1");
    assert_eq!(body["regs"], json!({"coppa": 0, "gdpr": 0}));
    assert_eq!(body["source"]["tid"], "api_req_1");
}

#[test]
fn a_text_only_publisher_asks_for_the_text_tag_with_a_required_icon() {
    let request = request();
    let config = config(false);
    let body = body_for(&request, &config, 500);
    assert_eq!(body["imp"][0]["tagid"], TEXT_TAG);
    let native: Value =
        serde_json::from_str(body["imp"][0]["native"]["request"].as_str().expect("s"))
            .expect("json");
    let assets = native["assets"].as_array().expect("assets");
    assert!(assets.iter().all(|a| a["id"] != 4), "no main image");
    let icon = assets.iter().find(|a| a["id"] == 5).expect("icon");
    assert_eq!(icon["required"], 1);
}

fn adm(main_image: bool) -> String {
    let mut assets = vec![
        json!({"id": 1, "title": {"text": "Trail shoes"}}),
        json!({"id": 2, "data": {"value": "Grip on every trail."}}),
        json!({"id": 3, "data": {"value": "Acme"}}),
        json!({"id": 5, "img": {"url": "https://cdn.acme.example/icon.png", "w": 100, "h": 100}}),
        json!({"id": 6, "data": {"value": "Shop"}}),
    ];
    if main_image {
        assets.push(json!({"id": 4, "img": {"url": "https://cdn.acme.example/main.png", "w": 600, "h": 600}}));
    }
    json!({"native": {"ver": "1.2", "assets": assets, "link": {"url": "https://acme.example/shoes"},
        "eventtrackers": [{"event": 1, "method": 1, "url": "https://acme.example/imp"}]}})
    .to_string()
}

fn response(bids: Value) -> Vec<u8> {
    json!({"id": "api_req_1", "cur": "USD", "seatbid": [{"seat": "s1", "bid": bids}]})
        .to_string()
        .into_bytes()
}

#[test]
fn the_highest_bid_of_a_response_enters_and_the_others_are_told_why_they_lost() {
    let body = response(json!([
        {"id": "b1", "impid": "1", "price": 3.0, "adm": adm(true), "lurl": "https://dsp/l1"},
        {"id": "b2", "impid": "1", "price": 5.0, "adm": adm(false), "nurl": "https://dsp/n2",
         "burl": "https://dsp/b2", "lurl": "https://dsp/l2", "crid": "cr2"},
        {"id": "b3", "impid": "1", "price": 5.0, "adm": adm(false), "lurl": "https://dsp/l3"},
        {"id": "b4", "impid": "1", "price": 9.0, "lurl": "https://dsp/l4"},
        {"id": "b5", "impid": "1", "price": 9.0, "adm": "{}", "lurl": "https://dsp/l5"}
    ]));
    let Answer::Bid {
        bid,
        notices,
        dropped,
    } = parse_response("api_req_1", IMAGE_TAG, 200, &body)
    else {
        panic!("a bid");
    };
    assert_eq!(bid.bid_id, "b2", "highest, ties to the first");
    assert_eq!(bid.price, Micros::new(5_000_000));
    let ad = bid.ad_data.expect("creative");
    assert_eq!(ad.headline, "Trail shoes");
    assert_eq!(ad.placement.as_deref(), Some("text"));
    assert_eq!(
        ad.logo_url.as_deref(),
        Some("https://cdn.acme.example/icon.png")
    );
    assert_eq!(ad.view_url.as_deref(), Some("https://acme.example/imp"));
    assert_eq!(notices.seat.as_deref(), Some("s1"));
    assert_eq!(notices.ad_id.as_deref(), Some("cr2"));
    let losses: Vec<(&str, u16)> = dropped
        .iter()
        .map(|d| (d.bid.bid_id.as_str(), d.loss))
        .collect();
    assert_eq!(
        losses,
        [("b1", 102), ("b3", 102), ("b4", 7), ("b5", 3)],
        "lower bids lost to a higher one; no markup is 7, bad markup 3"
    );
}

#[test]
fn no_bids_204s_and_invalid_responses() {
    assert_eq!(
        parse_response("api_req_1", IMAGE_TAG, 204, b""),
        Answer::NoBid
    );
    assert_eq!(
        parse_response(
            "api_req_1",
            IMAGE_TAG,
            200,
            br#"{"id": "api_req_1", "seatbid": []}"#
        ),
        Answer::NoBid
    );
    assert!(matches!(
        parse_response("api_req_1", IMAGE_TAG, 500, b""),
        Answer::Invalid { .. }
    ));
    let euros = json!({"id": "api_req_1", "cur": "EUR", "seatbid": [{"bid": [
        {"id": "b1", "impid": "1", "price": 3.0, "adm": adm(true), "lurl": "https://dsp/l1"}]}]});
    let Answer::Invalid { reason, dropped } =
        parse_response("api_req_1", IMAGE_TAG, 200, euros.to_string().as_bytes())
    else {
        panic!("invalid");
    };
    assert!(reason.contains("USD"), "{reason}");
    assert_eq!(dropped[0].loss, 3);
    let other = String::from_utf8(response(json!([
        {"id": "b1", "impid": "1", "price": 3.0, "adm": adm(true)}])))
    .expect("utf8")
    .replace("api_req_1", "api_req_2");
    assert!(matches!(
        parse_response("api_req_1", IMAGE_TAG, 200, other.as_bytes()),
        Answer::Invalid { .. }
    ));
}

#[test]
fn creatives_follow_the_tag_and_the_secure_imp() {
    assert!(
        native_ad(&adm(true), TEXT_TAG).is_err(),
        "text tags take no image"
    );
    assert_eq!(
        native_ad(&adm(true), IMAGE_TAG)
            .expect("image")
            .placement
            .as_deref(),
        Some("image")
    );
    let insecure = adm(false).replace("https://acme.example/shoes", "http://acme.example/shoes");
    assert!(native_ad(&insecure, IMAGE_TAG).is_err());
    let bare =
        json!({"assets": [{"id": 1, "title": {"text": "T"}}, {"id": 2, "data": {"value": "D"}}],
                      "link": {"url": "https://acme.example/"}})
        .to_string();
    assert!(
        native_ad(&bare, IMAGE_TAG).is_err(),
        "neither image nor icon"
    );
}

#[test]
fn macros_are_substituted_url_encoded_and_empty_when_unknown() {
    let bid = ResponseBid {
        bid_id: "b 1".into(),
        seat: Some("s1".into()),
        ad_id: None,
        price: Some(Micros::new(3_000_000)),
        urls: NoticeUrls::default(),
    };
    let url = "https://dsp/loss?a=${AUCTION_ID}&b=${AUCTION_BID_ID}&p=${AUCTION_PRICE}&l=${AUCTION_LOSS}&m=${AUCTION_MIN_TO_WIN}&ad=${AUCTION_AD_ID}&c=${AUCTION_CURRENCY}";
    let expanded = expand(
        url,
        &Macros {
            auction_id: "api_req_1",
            bid: Some(&bid),
            price: Some(Micros::new(5_500_000)),
            loss: Some(102),
        },
    );
    assert_eq!(
        expanded,
        "https://dsp/loss?a=api_req_1&b=b+1&p=5.50&l=102&m=5.50&ad=&c=USD"
    );
}

#[test]
fn only_the_first_bids_of_a_response_are_considered() {
    let bids: Vec<Value> = (0..25)
        .map(|n| {
            json!({"id": format!("b{n}"), "impid": "1", "price": 1.0 + f64::from(n),
                        "adm": adm(false), "lurl": format!("https://dsp/l{n}")})
        })
        .collect();
    let Answer::Bid { bid, dropped, .. } =
        parse_response("api_req_1", IMAGE_TAG, 200, &response(json!(bids)))
    else {
        panic!("a bid");
    };
    assert_eq!(bid.bid_id, format!("b{}", MAX_BIDS - 1));
    assert_eq!(dropped.len(), MAX_BIDS - 1, "the rest get no notice");
}
