//! Privacy: personal data in the chat never reaches a DSP.

use adspin_e2e::{FakeResponse, FakeServer};
use serde_json::{Value, json};

use super::{
    ad_data, auction, bid_answer, bid_request, conversation, envelope, live_campaign, register_dsp,
    start,
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
