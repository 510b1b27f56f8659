//! Property tests of the SSP's parsers of outside input: the bid request
//! (body and `X-User-*` headers), the signed click and view tokens, and
//! OpenRTB DSPs' bid responses.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); see
//! docs/TESTING.md to run them longer.

use adspin_core::time::UnixSeconds;
use adspin_ssp::SspError;
use adspin_ssp::openrtb;
use adspin_ssp::request::{BidRequest, MAX_CONTENT_CHARS, MAX_ID_CHARS, MAX_MESSAGES};
use adspin_ssp::tracking::{ClickToken, ViewToken, sign, verify};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn no_headers(_: &str) -> Option<&'static str> {
    None
}

/// Names the bid request knows, so arbitrary objects reach past the
/// first unknown field.
const KNOWN_FIELDS: &[&str] = &[
    "userId",
    "chatId",
    "messages",
    "role",
    "content",
    "timestamp",
    "production",
    "turn_number",
    "config",
    "ad_offset",
    "max_frequency",
    "max_headline_chars",
    "image_enabled",
    "restricted_click_area",
    "experiment_tag",
    "request_type",
    "ad_formats",
    "user_metadata",
    "privacy",
    "gpp",
    "gpp_sid",
    "us_privacy",
    "coppa",
    "opt_out",
    "tmax",
];

/// Any JSON value, a few levels deep, with object keys that are often
/// the bid request's own.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("user".to_string()),
            Just("assistant".to_string()),
            ".{0,12}"
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(KNOWN_FIELDS).prop_map(String::from),
            ".{0,8}"
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// How a valid message timestamp is written.
#[derive(Debug, Clone)]
enum Stamp {
    Absent,
    Null,
    Number(i64),
    NumericText(i64),
    Iso(i64),
}

impl Stamp {
    fn json(&self) -> Option<Value> {
        match self {
            Self::Absent => None,
            Self::Null => Some(Value::Null),
            Self::Number(seconds) => Some(json!(seconds)),
            Self::NumericText(seconds) => Some(json!(format!(" {seconds} "))),
            Self::Iso(seconds) => Some(json!(UnixSeconds::new(*seconds).to_iso8601())),
        }
    }

    fn parsed(&self) -> Option<UnixSeconds> {
        match self {
            Self::Absent | Self::Null => None,
            Self::Number(s) | Self::NumericText(s) | Self::Iso(s) => Some(UnixSeconds::new(*s)),
        }
    }
}

fn stamp() -> impl Strategy<Value = Stamp> {
    // Unix seconds are accepted below 1e11 (the year 5138).
    let seconds = 0..100_000_000_000_i64;
    prop_oneof![
        Just(Stamp::Absent),
        Just(Stamp::Null),
        seconds.clone().prop_map(Stamp::Number),
        seconds.clone().prop_map(Stamp::NumericText),
        seconds.prop_map(Stamp::Iso),
    ]
}

/// A valid message of the generated conversation.
#[derive(Debug, Clone)]
struct GeneratedMessage {
    content: String,
    stamp: Stamp,
}

/// The parts of a valid bid request.
#[derive(Debug, Clone)]
struct Valid {
    user_id: String,
    chat_id: String,
    /// The conversation, oldest first; roles alternate and the last one
    /// is the assistant's.
    messages: Vec<GeneratedMessage>,
    production: Option<bool>,
    turn_number: Option<i64>,
    config: Option<Value>,
    /// `X-User-Country`, `-Device`, `-Timezone` as sent.
    geo: Option<(String, String, String)>,
}

impl Valid {
    fn role(&self, index: usize) -> &'static str {
        if (self.messages.len() - 1 - index).is_multiple_of(2) {
            "assistant"
        } else {
            "user"
        }
    }

    fn body(&self) -> Value {
        let messages: Vec<Value> = self
            .messages
            .iter()
            .enumerate()
            .map(|(index, message)| {
                let mut object = json!({"role": self.role(index), "content": message.content});
                if let Some(stamp) = message.stamp.json() {
                    object["timestamp"] = stamp;
                }
                object
            })
            .collect();
        let mut body =
            json!({"userId": self.user_id, "chatId": self.chat_id, "messages": messages});
        if let Some(production) = self.production {
            body["production"] = json!(production);
        }
        if let Some(turn) = self.turn_number {
            body["turn_number"] = json!(turn);
        }
        if let Some(config) = &self.config {
            body["config"] = config.clone();
        }
        body
    }

    fn header(&self, name: &str) -> Option<&str> {
        let (country, device, timezone) = self.geo.as_ref()?;
        match name {
            "x-user-country" => Some(country),
            "x-user-device" => Some(device),
            "x-user-timezone" => Some(timezone),
            _ => None,
        }
    }
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.:-]{1,64}"
}

fn valid() -> impl Strategy<Value = Valid> {
    let message =
        (".{0,40}", stamp()).prop_map(|(content, stamp)| GeneratedMessage { content, stamp });
    let config = prop::option::of(
        (
            prop::option::of(0..1_000_i64),
            prop::option::of(0..1_000_i64),
            prop::option::of(30..500_i64),
            prop::option::of(any::<bool>()),
            prop::option::of(".{0,100}"),
        )
            .prop_map(
                |(ad_offset, max_frequency, max_headline_chars, image, tag)| {
                    json!({"ad_offset": ad_offset, "max_frequency": max_frequency,
                       "max_headline_chars": max_headline_chars, "image_enabled": image,
                       "experiment_tag": tag})
                },
            ),
    );
    let geo = prop::option::of((
        prop::sample::select(&["US", "us", "Fr", "DE", "jp", " BR "][..]),
        prop::sample::select(&["mobile", "Desktop", " MOBILE "][..]),
        prop::sample::select(&["America/New_York", "Europe/Paris", "UTC"][..]),
    ));
    (
        id(),
        id(),
        prop::collection::vec(message, 2..12),
        prop::option::of(any::<bool>()),
        prop::option::of(0..10_000_i64),
        config,
        geo,
    )
        .prop_map(
            |(user_id, chat_id, messages, production, turn_number, config, geo)| Valid {
                user_id,
                chat_id,
                messages,
                production,
                turn_number,
                config,
                geo: geo.map(|(c, d, t)| (c.to_string(), d.to_string(), t.to_string())),
            },
        )
}

/// One change that makes a valid request invalid.
#[derive(Debug, Clone)]
enum Mutation {
    UserId(String),
    ChatId(String),
    OneMessage,
    TooManyMessages,
    RepeatedRole(usize),
    EndsWithUser,
    Role(usize, String),
    LongContent(usize),
    Timestamp(usize, Value),
    TurnNumber(i64),
    Config(&'static str, Value),
    UnknownField(String),
    RequestType(String),
    AdFormats(Vec<String>),
    UserMetadata(Value),
    CountryAlone,
    Country(String),
    Device(String),
}

fn bad_id() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ \t\n]{0,4}",
        "[a-z]{1,3}".prop_map(|s| s.repeat(MAX_ID_CHARS + 1)),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let index = any::<usize>();
    prop_oneof![
        bad_id().prop_map(Mutation::UserId),
        bad_id().prop_map(Mutation::ChatId),
        Just(Mutation::OneMessage),
        Just(Mutation::TooManyMessages),
        index.prop_map(Mutation::RepeatedRole),
        Just(Mutation::EndsWithUser),
        (
            index,
            "[a-z]{0,10}".prop_filter("not a role", |r| r != "user" && r != "assistant")
        )
            .prop_map(|(i, role)| Mutation::Role(i, role)),
        index.prop_map(Mutation::LongContent),
        (
            index,
            prop_oneof![
                (i64::MIN..0).prop_map(Value::from),
                (100_000_000_000..i64::MAX).prop_map(Value::from),
                Just(json!(-0.5)),
                Just(json!(1e300)),
                Just(json!("yesterday")),
                Just(json!("2024-13-01T00:00:00Z")),
                Just(json!(true)),
                Just(json!([1])),
                Just(json!({})),
            ]
        )
            .prop_map(|(i, value)| Mutation::Timestamp(i, value)),
        (i64::MIN..0).prop_map(Mutation::TurnNumber),
        (i64::MIN..0).prop_map(|v| Mutation::Config("ad_offset", json!(v))),
        (i64::MIN..0).prop_map(|v| Mutation::Config("max_frequency", json!(v))),
        (i64::MIN..30).prop_map(|v| Mutation::Config("max_headline_chars", json!(v))),
        "[a-z]{101,120}".prop_map(|v| Mutation::Config("experiment_tag", json!(v))),
        "[a-z]{1,3}".prop_map(|v| Mutation::Config("unknown", json!(v))),
        "[a-z_]{1,12}"
            .prop_filter("unknown", |name| !KNOWN_FIELDS.contains(&name.as_str()))
            .prop_map(Mutation::UnknownField),
        ".{0,12}"
            .prop_filter("not contextual", |kind| kind != "contextual")
            .prop_map(Mutation::RequestType),
        prop::collection::vec(
            "[a-z_]{0,20}".prop_filter("other formats", |f| f != "sponsored_message"),
            0..4
        )
        .prop_map(Mutation::AdFormats),
        json_value()
            .prop_filter("not an object", |v| !v.is_object() && !v.is_null())
            .prop_map(Mutation::UserMetadata),
        Just(Mutation::CountryAlone),
        prop_oneof![
            "[A-Z]{3,4}",
            Just("ZZ".to_string()),
            Just("U S".to_string())
        ]
        .prop_map(Mutation::Country),
        "[a-z]{1,10}"
            .prop_filter("not a device", |d| d != "mobile" && d != "desktop")
            .prop_map(Mutation::Device),
    ]
}

/// The body and headers of `valid` changed by `mutation`.
fn mutated(valid: &Valid, mutation: &Mutation) -> (Value, Vec<(&'static str, String)>) {
    let mut body = valid.body();
    let mut headers: Vec<(&'static str, String)> =
        ["x-user-country", "x-user-device", "x-user-timezone"]
            .into_iter()
            .filter_map(|name| valid.header(name).map(|v| (name, v.to_string())))
            .collect();
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let count = messages.len();
    match mutation {
        Mutation::UserId(id) => body["userId"] = json!(id),
        Mutation::ChatId(id) => body["chatId"] = json!(id),
        Mutation::OneMessage => body["messages"] = json!([messages[count - 1]]),
        Mutation::TooManyMessages => {
            let pairs = (0..MAX_MESSAGES / 2 + 1).flat_map(|_| {
                [
                    json!({"role": "user", "content": "u"}),
                    json!({"role": "assistant", "content": "a"}),
                ]
            });
            body["messages"] = Value::Array(pairs.collect());
        }
        Mutation::RepeatedRole(index) => {
            let index = index % count;
            let mut repeated = messages.clone();
            repeated.insert(index, messages[index].clone());
            body["messages"] = json!(repeated);
        }
        Mutation::EndsWithUser => body["messages"] = json!(messages[..count - 1]),
        Mutation::Role(index, role) => body["messages"][index % count]["role"] = json!(role),
        Mutation::LongContent(index) => {
            body["messages"][index % count]["content"] = json!("x".repeat(MAX_CONTENT_CHARS + 1));
        }
        Mutation::Timestamp(index, value) => {
            body["messages"][index % count]["timestamp"] = value.clone();
        }
        Mutation::TurnNumber(turn) => body["turn_number"] = json!(turn),
        Mutation::Config(name, value) => {
            if !body["config"].is_object() {
                body["config"] = json!({});
            }
            body["config"][*name] = value.clone();
        }
        Mutation::UnknownField(name) => body[name.as_str()] = json!(1),
        Mutation::RequestType(kind) => body["request_type"] = json!(kind),
        Mutation::AdFormats(formats) => body["ad_formats"] = json!(formats),
        Mutation::UserMetadata(value) => body["user_metadata"] = value.clone(),
        Mutation::CountryAlone => headers = vec![("x-user-country", "US".into())],
        Mutation::Country(country) => {
            headers = vec![
                ("x-user-country", country.clone()),
                ("x-user-device", "mobile".into()),
                ("x-user-timezone", "UTC".into()),
            ];
        }
        Mutation::Device(device) => headers = vec![("x-user-device", device.clone())],
    }
    (body, headers)
}

fn parse_with(body: &[u8], headers: &[(&'static str, String)]) -> Result<BidRequest, SspError> {
    BidRequest::parse(body, |name| {
        headers
            .iter()
            .find(|(header, _)| *header == name)
            .map(|(_, value)| value.as_str())
    })
}

/// Characters a tampered token may get: base64url's, and some that are not.
const TAMPER_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";

proptest! {
    #[test]
    fn arbitrary_bytes_are_refused_with_a_400_never_a_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(error) = BidRequest::parse(&body, no_headers) {
            prop_assert_eq!(error.status(), 400);
        }
    }

    #[test]
    fn arbitrary_json_is_parsed_the_same_way_twice_and_refused_with_a_400(value in json_value()) {
        let body = value.to_string();
        let first = BidRequest::parse(body.as_bytes(), no_headers);
        prop_assert_eq!(&first, &BidRequest::parse(body.as_bytes(), no_headers));
        if let Err(error) = first {
            prop_assert_eq!(error.status(), 400);
        }
    }

    #[test]
    fn arbitrary_geo_headers_never_panic(
        country in prop::option::of(".{0,4}"),
        device in prop::option::of(".{0,8}"),
        timezone in prop::option::of(".{0,8}"),
    ) {
        let body = json!({"userId": "u", "chatId": "c", "messages": [
            {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]});
        let headers: Vec<(&'static str, String)> = [
            ("x-user-country", country),
            ("x-user-device", device),
            ("x-user-timezone", timezone),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
        match parse_with(body.to_string().as_bytes(), &headers) {
            Ok(request) => {
                let device = request.geo.device.as_deref();
                prop_assert!(device.is_none() || device == Some("mobile") || device == Some("desktop"));
                if request.geo.country.is_some() {
                    prop_assert!(request.geo.timezone.is_some());
                }
            }
            Err(error) => prop_assert_eq!(error.status(), 400),
        }
    }

    #[test]
    fn a_valid_request_is_accepted_with_what_it_says(valid in valid()) {
        let headers: Vec<(&'static str, String)> =
            ["x-user-country", "x-user-device", "x-user-timezone"]
                .into_iter()
                .filter_map(|name| valid.header(name).map(|v| (name, v.to_string())))
                .collect();
        let request = parse_with(valid.body().to_string().as_bytes(), &headers)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&request.user_id, &valid.user_id);
        prop_assert_eq!(&request.chat_id, &valid.chat_id);
        prop_assert_eq!(request.production, valid.production.unwrap_or(true));
        let derived = i64::try_from(valid.messages.len() / 2).unwrap_or(i64::MAX);
        prop_assert_eq!(request.turn_number, valid.turn_number.unwrap_or(derived));
        prop_assert_eq!(request.messages.len(), valid.messages.len());
        for (parsed, sent) in request.messages.iter().zip(&valid.messages) {
            prop_assert_eq!(&parsed.content, &sent.content);
            prop_assert_eq!(parsed.timestamp, sent.stamp.parsed());
        }
        if let Some((country, device, _)) = &valid.geo {
            prop_assert_eq!(request.geo.country, Some(country.trim().to_ascii_uppercase()));
            prop_assert_eq!(request.geo.device, Some(device.trim().to_ascii_lowercase()));
        }
    }

    #[test]
    fn a_valid_request_with_one_field_broken_is_refused_with_a_400(
        valid in valid(),
        mutation in mutation(),
    ) {
        let (body, headers) = mutated(&valid, &mutation);
        match parse_with(body.to_string().as_bytes(), &headers) {
            Ok(request) => {
                return Err(TestCaseError::fail(format!("accepted {mutation:?}: {request:?}")));
            }
            Err(error) => prop_assert_eq!(error.status(), 400, "{}", error),
        }
    }

    #[test]
    fn a_signed_click_token_round_trips(
        impression in ".{0,40}",
        url in ".{0,80}",
        expires in any::<i64>(),
        secret in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let token = ClickToken { i: impression, u: url, e: expires };
        let signed = sign(&token, &secret);
        prop_assert!(signed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'),
            "a token is URL-safe: {}", signed);
        prop_assert_eq!(verify::<ClickToken>(&signed, &secret), Some(token));
        prop_assert_eq!(verify::<ViewToken>(&signed, &secret), None);
    }

    #[test]
    fn a_signed_view_token_round_trips_and_is_not_a_click(
        impression in ".{0,40}",
        expires in any::<i64>(),
        secret in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let token = ViewToken { v: impression, e: expires };
        let signed = sign(&token, &secret);
        prop_assert_eq!(verify::<ViewToken>(&signed, &secret), Some(token));
        prop_assert_eq!(verify::<ClickToken>(&signed, &secret), None);
    }

    #[test]
    fn a_tampered_token_is_refused(
        impression in "[a-z0-9-]{1,36}",
        url in "https://[a-z]{1,12}\\.example/[a-z]{0,12}",
        position in any::<usize>(),
        shift in 1..TAMPER_ALPHABET.len(),
    ) {
        let signed = sign(&ClickToken { i: impression, u: url, e: 0 }, b"secret");
        let mut bytes = signed.clone().into_bytes();
        let position = position % bytes.len();
        // Another character than the one there, by construction.
        let original = TAMPER_ALPHABET.iter().position(|&b| b == bytes[position]).unwrap_or(0);
        bytes[position] = TAMPER_ALPHABET[(original + shift) % TAMPER_ALPHABET.len()];
        let tampered = String::from_utf8(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // The last character of a base64url part carries unused low bits:
        // a change of only those would decode to the same token, not a
        // forgery (the decoder refuses it anyway).
        let decoded = |token: &str| -> Option<Vec<Vec<u8>>> {
            use base64::Engine;
            token
                .split('.')
                .map(|part| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).ok())
                .collect()
        };
        if decoded(&tampered) != decoded(&signed) {
            prop_assert_eq!(verify::<ClickToken>(&tampered, b"secret"), None);
        }
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused(
        // `tracking_secret` is text. (HMAC pads keys with zero bytes, so
        // keys that differ only by trailing NULs are the same key.)
        secret in "[ -~]{1,32}",
        other in "[ -~]{1,32}",
    ) {
        if secret != other {
            let signed = sign(&ViewToken { v: "imp".into(), e: 1 }, secret.as_bytes());
            prop_assert_eq!(verify::<ViewToken>(&signed, other.as_bytes()), None);
        }
    }

    #[test]
    fn random_tokens_are_refused(token in prop_oneof![
        ".{0,120}",
        "[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,60}",
        "[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{43}",
    ]) {
        prop_assert_eq!(verify::<ClickToken>(&token, b"secret"), None);
        prop_assert_eq!(verify::<ViewToken>(&token, b"secret"), None);
    }

    #[test]
    fn a_forged_payload_with_a_real_signature_is_refused(
        url in "https://[a-z]{1,12}\\.example/[a-z]{0,12}",
    ) {
        use base64::Engine;
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let signed = sign(&ClickToken { i: "imp".into(), u: "https://shop.example/p".into(), e: 0 }, b"secret");
        let (_, signature) = signed.split_once('.').ok_or_else(|| TestCaseError::fail("two parts"))?;
        let mut payload = Map::new();
        payload.insert("i".into(), json!("imp"));
        payload.insert("u".into(), json!(url));
        let forged = format!("{}.{signature}", encode(Value::Object(payload).to_string().as_bytes()));
        prop_assert_eq!(verify::<ClickToken>(&forged, b"secret"), None);
    }
}

/// Pieces of chat text near the redaction's formats: digits, separators,
/// `@`, letters of several scripts and multi-byte characters next to them.
fn chat_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,5}",
        "[ .,:/()+@-]",
        "[A-Za-z]{1,6}",
        "[äöüßéèñçº€’ǅİ]",
        Just("rue ".to_string()),
        Just("Straße ".to_string()),
        Just("passport ".to_string()),
        Just("tel ".to_string()),
        Just("::".to_string()),
        ".",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn redaction_never_panics_and_its_spans_are_ordered_char_boundaries(text in chat_text()) {
        let spans = adspin_ssp::redaction::find(&text);
        let mut at = 0;
        for span in &spans {
            prop_assert!(span.start >= at && span.start < span.end && span.end <= text.len());
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            at = span.end;
        }
        let redacted = adspin_ssp::redaction::redact(&text);
        prop_assert_eq!(spans.is_empty(), redacted == text);
    }

    #[test]
    fn redaction_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = adspin_ssp::redaction::redact(&text);
    }
}

/// A valid OpenRTB bid response to `api_req_1`: one bid of `cents`
/// cents with a native ad titled `title`, with a main image when `image`.
#[derive(Debug, Clone)]
struct ValidResponse {
    cents: u32,
    title: String,
    image: bool,
}

impl ValidResponse {
    fn bid(&self) -> Value {
        let mut assets = vec![
            json!({"id": 1, "title": {"text": self.title}}),
            json!({"id": 2, "data": {"value": "Description"}}),
            json!({"id": 5, "img": {"url": "https://cdn.example/icon.png"}}),
        ];
        if self.image {
            assets.push(json!({"id": 4, "img": {"url": "https://cdn.example/main.png"}}));
        }
        let adm = json!({"native": {"assets": assets, "link": {"url": "https://shop.example/"}}});
        json!({"id": "b1", "impid": "1", "price": f64::from(self.cents) / 100.0,
               "adm": adm.to_string(), "lurl": "https://dsp.example/loss?r=${AUCTION_LOSS}"})
    }

    fn body(&self, bid: Value) -> Value {
        json!({"id": "api_req_1", "cur": "USD", "seatbid": [{"seat": "s", "bid": [bid]}]})
    }
}

fn valid_response() -> impl Strategy<Value = ValidResponse> {
    (1u32..100_000, "[A-Za-z][A-Za-z ]{0,60}", any::<bool>()).prop_map(|(cents, title, image)| {
        ValidResponse {
            cents,
            title,
            image,
        }
    })
}

/// One thing that makes a valid response's bid unusable.
#[derive(Debug, Clone, Copy)]
enum Breakage {
    ResponseId,
    Currency,
    ImpId,
    NoPrice,
    NegativePrice,
    NoMarkup,
    MarkupNotNative,
    InsecureLink,
    NoTitle,
}

fn breakage() -> impl Strategy<Value = Breakage> {
    prop_oneof![
        Just(Breakage::ResponseId),
        Just(Breakage::Currency),
        Just(Breakage::ImpId),
        Just(Breakage::NoPrice),
        Just(Breakage::NegativePrice),
        Just(Breakage::NoMarkup),
        Just(Breakage::MarkupNotNative),
        Just(Breakage::InsecureLink),
        Just(Breakage::NoTitle),
    ]
}

proptest! {
    #[test]
    fn arbitrary_openrtb_answers_are_never_bids_and_never_panic(
        status in prop_oneof![Just(200u16), Just(204), 100u16..600],
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let answer = openrtb::parse_response("api_req_1", openrtb::IMAGE_TAG, status, &body);
        prop_assert!(!matches!(answer, openrtb::Answer::Bid { .. }), "{answer:?}");
    }

    #[test]
    fn arbitrary_json_answers_never_panic(value in json_value()) {
        let body = value.to_string();
        let _ = openrtb::parse_response("api_req_1", openrtb::IMAGE_TAG, 200, body.as_bytes());
    }

    #[test]
    fn a_valid_openrtb_bid_enters_with_its_price_and_creative(valid in valid_response()) {
        let body = valid.body(valid.bid()).to_string();
        let answer = openrtb::parse_response("api_req_1", openrtb::IMAGE_TAG, 200, body.as_bytes());
        let openrtb::Answer::Bid { bid, dropped, .. } = answer else {
            panic!("{valid:?} was not a bid: {answer:?}");
        };
        prop_assert_eq!(bid.price.get(), i64::from(valid.cents) * 10_000);
        let ad = bid.ad_data.expect("creative");
        prop_assert_eq!(ad.headline, valid.title.clone());
        prop_assert_eq!(ad.placement.as_deref(), Some(if valid.image { "image" } else { "text" }));
        prop_assert!(dropped.is_empty());
    }

    #[test]
    fn a_valid_openrtb_bid_with_one_thing_broken_is_dropped_and_told_why(
        valid in valid_response(),
        breakage in breakage(),
    ) {
        let mut bid = valid.bid();
        let mut body = Value::Null;
        let adm = |bid: &Value| -> Value {
            serde_json::from_str(bid["adm"].as_str().expect("adm")).expect("json")
        };
        match breakage {
            Breakage::ResponseId => {
                body = valid.body(bid.clone());
                body["id"] = json!("api_req_2");
            }
            Breakage::Currency => {
                body = valid.body(bid.clone());
                body["cur"] = json!("EUR");
            }
            Breakage::ImpId => bid["impid"] = json!("2"),
            Breakage::NoPrice => {
                bid.as_object_mut().expect("bid").remove("price");
            }
            Breakage::NegativePrice => bid["price"] = json!(-1.5),
            Breakage::NoMarkup => {
                bid.as_object_mut().expect("bid").remove("adm");
            }
            Breakage::MarkupNotNative => bid["adm"] = json!("<div>banner</div>"),
            Breakage::InsecureLink => {
                let mut native = adm(&bid);
                native["native"]["link"]["url"] = json!("http://shop.example/");
                bid["adm"] = json!(native.to_string());
            }
            Breakage::NoTitle => {
                let mut native = adm(&bid);
                native["native"]["assets"].as_array_mut().expect("assets").remove(0);
                bid["adm"] = json!(native.to_string());
            }
        }
        if body.is_null() {
            body = valid.body(bid);
        }
        let answer =
            openrtb::parse_response("api_req_1", openrtb::IMAGE_TAG, 200, body.to_string().as_bytes());
        let openrtb::Answer::Invalid { dropped, .. } = answer else {
            panic!("{breakage:?} was not refused: {answer:?}");
        };
        prop_assert_eq!(dropped.len(), 1);
        let expected = if matches!(breakage, Breakage::NoMarkup) { 7 } else { 3 };
        prop_assert_eq!(dropped[0].loss, expected);
    }
}
