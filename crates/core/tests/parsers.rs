//! Property tests of the core's parsers of outside input: JSON bodies
//! (`body::parse_json`), query strings (`web::Query`), bearer tokens, route
//! matching, `/v1` page requests, dashboard JWTs, DSP bid prices and
//! responses, and upload `image_url`s.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); see
//! docs/TESTING.md to run them longer.

use adspin_core::body::{BodyError, parse_json};
use adspin_core::dsp_protocol::{DspAnswer, parse_bid_response, round_price};
use adspin_core::image_fetch::check_url;
use adspin_core::jwt::{self, Claims, JwtError, Role};
use adspin_core::money::Micros;
use adspin_core::pagination::{Cursor, Order, PageRequest, RESOURCE_MAX_LIMIT};
use adspin_core::routes::{self, Matched, Route};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, bearer_token};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A body with nested objects that refuse unknown fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    name: String,
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    bid: i64,
    #[serde(default)]
    tags: Vec<String>,
}

fn create() -> impl Strategy<Value = Create> {
    let group = (any::<i64>(), prop::collection::vec(".{0,8}", 0..3))
        .prop_map(|(bid, tags)| Group { bid, tags });
    (".{0,20}", prop::collection::vec(group, 1..4))
        .prop_map(|(name, groups)| Create { name, groups })
}

/// One change that makes a valid `Create` body invalid, and the error it
/// must give.
#[derive(Debug, Clone)]
enum BodyMutation {
    UnknownTop(String),
    UnknownInGroup(usize, String),
    NoName,
    NoBid(usize),
    NameNotText(i64),
    BidNotNumber(usize, String),
}

fn body_mutation() -> impl Strategy<Value = BodyMutation> {
    let unknown = "x_[a-z]{1,6}";
    prop_oneof![
        unknown.prop_map(BodyMutation::UnknownTop),
        (any::<usize>(), unknown).prop_map(|(i, name)| BodyMutation::UnknownInGroup(i, name)),
        Just(BodyMutation::NoName),
        any::<usize>().prop_map(BodyMutation::NoBid),
        any::<i64>().prop_map(BodyMutation::NameNotText),
        (any::<usize>(), ".{0,6}").prop_map(|(i, text)| BodyMutation::BidNotNumber(i, text)),
    ]
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,10}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        let key = prop_oneof![
            prop::sample::select(
                &[
                    "data",
                    "bid",
                    "bidId",
                    "ad_data",
                    "headline",
                    "url",
                    "description"
                ][..]
            )
            .prop_map(String::from),
            ".{0,6}"
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..5)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A small route table in the shape of the surfaces'.
const ROUTES: &[Route<u8>] = &[
    Route::new("GET", "/v1/campaigns", 1),
    Route::new("POST", "/v1/campaigns", 2),
    Route::new("GET", "/v1/campaigns/:id", 3),
    Route::new("POST", "/v1/campaigns/:id", 4),
    Route::new("POST", "/v1/campaigns/:id/activate", 5),
    Route::new("GET", "/v1/campaigns/:id/insights", 6),
    Route::new("GET", "/api/v1/dsp/redirect/:token", 7),
    Route::new("GET", "/a/:x/b/:y", 8),
];

/// Paths made of the tables' segments, captures and any text.
fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        prop::sample::select(
            &[
                "",
                "v1",
                "campaigns",
                "activate",
                "insights",
                "api",
                "dsp",
                "redirect",
                "a",
                "b"
            ][..]
        )
        .prop_map(String::from),
        "[^/]{0,6}",
        ".{0,6}",
    ];
    prop::collection::vec(segment, 0..7).prop_map(|segments| format!("/{}", segments.join("/")))
}

fn claims() -> impl Strategy<Value = Claims> {
    (
        ".{0,20}",
        ".{0,36}",
        prop::sample::select(&[Role::Owner, Role::Admin, Role::Member][..]),
        any::<i64>(),
        any::<i64>(),
    )
        .prop_map(|(sub, org, role, iat, exp)| Claims {
            sub,
            org,
            role,
            iat,
            exp,
        })
}

proptest! {
    #[test]
    fn any_bytes_are_a_body_or_a_body_error(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let typed = parse_json::<Create>(&body);
        let value = parse_json::<Value>(&body);
        if body.iter().all(u8::is_ascii_whitespace) {
            prop_assert_eq!(typed.err(), Some(BodyError::Empty));
            prop_assert_eq!(value.err(), Some(BodyError::Empty));
        } else {
            // The body parses exactly when serde_json reads it and it is
            // not an array.
            let read = serde_json::from_slice::<Value>(&body);
            prop_assert_eq!(value.is_ok(), read.is_ok_and(|v| !v.is_array()));
            if let Err(error) = typed {
                prop_assert!(error.to_string().len() < 1_000, "{}", error);
            }
        }
    }

    #[test]
    fn any_json_is_a_body_or_an_error_naming_a_field(value in json_value()) {
        match parse_json::<Create>(value.to_string().as_bytes()) {
            // A body is a JSON object.
            Ok(create) => prop_assert!(value.is_object(), "{create:?}"),
            Err(BodyError::Empty | BodyError::Malformed { .. }) => {
                return Err(TestCaseError::fail("valid JSON read as malformed"));
            }
            Err(_) => {}
        }
    }

    #[test]
    fn a_valid_body_round_trips(create in create(), padding in "[ \t\r\n]{0,3}") {
        let text = format!("{padding}{}{padding}", serde_json::to_string(&create)
            .map_err(|e| TestCaseError::fail(e.to_string()))?);
        prop_assert_eq!(parse_json::<Create>(text.as_bytes()), Ok(create));
    }

    #[test]
    fn a_body_with_one_field_broken_names_it(create in create(), mutation in body_mutation()) {
        let mut value = serde_json::to_value(&create).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let groups = create.groups.len();
        let expected = match &mutation {
            BodyMutation::UnknownTop(name) => {
                value[name.as_str()] = json!(1);
                BodyError::UnknownField { param: name.clone() }
            }
            BodyMutation::UnknownInGroup(index, name) => {
                let index = index % groups;
                value["groups"][index][name.as_str()] = json!(1);
                BodyError::UnknownField { param: format!("groups[{index}].{name}") }
            }
            BodyMutation::NoName => {
                value.as_object_mut().map(|object| object.remove("name"));
                BodyError::MissingField { param: "name".into() }
            }
            BodyMutation::NoBid(index) => {
                let index = index % groups;
                value["groups"][index].as_object_mut().map(|object| object.remove("bid"));
                BodyError::MissingField { param: format!("groups[{index}].bid") }
            }
            BodyMutation::NameNotText(number) => {
                value["name"] = json!(number);
                let error = parse_json::<Create>(value.to_string().as_bytes()).err();
                prop_assert_eq!(error.as_ref().and_then(BodyError::param), Some("name"));
                let invalid_value = matches!(error, Some(BodyError::InvalidValue { .. }));
                prop_assert!(invalid_value, "{:?}", error);
                return Ok(());
            }
            BodyMutation::BidNotNumber(index, text) => {
                let index = index % groups;
                value["groups"][index]["bid"] = json!(text);
                let error = parse_json::<Create>(value.to_string().as_bytes()).err();
                let param = format!("groups[{index}].bid");
                prop_assert_eq!(error.as_ref().and_then(BodyError::param), Some(param.as_str()));
                return Ok(());
            }
        };
        prop_assert_eq!(parse_json::<Create>(value.to_string().as_bytes()).err(), Some(expected));
    }

    #[test]
    fn query_pairs_come_back_decoded_in_order(
        pairs in prop::collection::vec((".{0,8}", ".{0,12}"), 0..8),
    ) {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &pairs {
            serializer.append_pair(name, value);
        }
        let query = Query::parse(&serializer.finish());
        for (name, _) in &pairs {
            let sent: Vec<&str> = pairs
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            prop_assert_eq!(query.get_all(name).collect::<Vec<_>>(), sent.clone());
            prop_assert_eq!(query.get(name), sent.first().copied());
        }
        let names = query.names();
        for (index, name) in names.iter().enumerate() {
            prop_assert!(!names[..index].contains(name));
        }
    }

    #[test]
    fn arrays_are_read_with_or_without_brackets(
        items in prop::collection::vec((any::<bool>(), ".{0,8}"), 0..6),
    ) {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (brackets, value) in &items {
            serializer.append_pair(if *brackets { "f[]" } else { "f" }, value);
        }
        let query = Query::parse(&serializer.finish());
        let values: Vec<&str> = items.iter().map(|(_, v)| v.as_str()).collect();
        prop_assert_eq!(query.array("f"), values);
    }

    #[test]
    fn any_query_text_parses(text in ".{0,80}") {
        let query = Query::parse(&text);
        for name in query.names() {
            prop_assert_eq!(query.get(name), query.get_all(name).next());
        }
    }

    #[test]
    fn a_bearer_header_gives_its_token(
        scheme in "[Bb][Ee][Aa][Rr][Ee][Rr]",
        token in "[!-~]{1,60}",
        before in " {0,2}",
        between in " {1,3}",
        after in " {0,2}",
    ) {
        let header = format!("{before}{scheme}{between}{token}{after}");
        prop_assert_eq!(bearer_token(&header), Some(token.as_str()));
    }

    #[test]
    fn any_header_gives_a_token_without_spaces_or_none(header in ".{0,60}") {
        if let Some(token) = bearer_token(&header) {
            prop_assert!(!token.is_empty() && !token.contains(' '));
            prop_assert!(header.trim_start().get(..6).is_some_and(|s| s.eq_ignore_ascii_case("bearer")));
        }
    }

    #[test]
    fn another_scheme_gives_no_token(
        scheme in "[A-Za-z]{1,10}".prop_filter("not bearer", |s| !s.eq_ignore_ascii_case("bearer")),
        token in "[!-~]{1,20}",
    ) {
        let header = format!("{scheme} {token}");
        prop_assert_eq!(bearer_token(&header), None);
    }

    #[test]
    fn any_path_finds_an_endpoint_with_its_captures_or_none(
        method in prop::sample::select(&["GET", "POST", "DELETE", "HEAD", "get"][..]),
        path in path(),
    ) {
        match routes::find(ROUTES, method, &path) {
            Matched::Found(endpoint, captures) => {
                let route = ROUTES.iter().find(|r| r.endpoint == endpoint)
                    .ok_or_else(|| TestCaseError::fail("an endpoint of the table"))?;
                prop_assert_eq!(route.method, method);
                let mut captured = captures.iter();
                let rebuilt: Vec<String> = route
                    .pattern
                    .split('/')
                    .map(|segment| if segment.starts_with(':') {
                        captured.next().map(|c| c.to_string()).unwrap_or_default()
                    } else {
                        segment.to_string()
                    })
                    .collect();
                prop_assert_eq!(&rebuilt.join("/"), &path);
                prop_assert!(captures.iter().all(|c| !c.is_empty() && !c.contains('/')));
            }
            Matched::MethodNotAllowed(allow) => {
                prop_assert!(!allow.split(", ").any(|m| m == method), "{allow}");
                prop_assert!(allow.split(", ").all(|m| ROUTES.iter().any(|r| r.method == m)));
            }
            Matched::NotFound => {}
        }
    }

    #[test]
    fn a_pattern_filled_with_segments_finds_its_endpoint(
        index in 0..ROUTES.len(),
        captures in prop::collection::vec("[^/]{1,12}", 2),
    ) {
        let route = ROUTES[index];
        let mut filled = captures.iter();
        let path: Vec<&str> = route
            .pattern
            .split('/')
            .map(|segment| if segment.starts_with(':') {
                filled.next().map_or("", String::as_str)
            } else {
                segment
            })
            .collect();
        let path = path.join("/");
        let used = route.pattern.matches(':').count();
        let expected: Vec<&str> = captures[..used].iter().map(String::as_str).collect();
        prop_assert_eq!(
            routes::find(ROUTES, route.method, &path),
            Matched::Found(route.endpoint, expected)
        );
        for broken in [format!("{path}/"), path.replacen('/', "//", 1)] {
            prop_assert_eq!(routes::find(ROUTES, route.method, &broken), Matched::NotFound);
        }
    }

    #[test]
    fn any_page_query_is_a_page_or_a_400_naming_its_parameter(
        pairs in prop::collection::vec(
            (
                prop::sample::select(&["limit", "order", "before", "after", "other"][..]),
                prop_oneof![
                    Just("asc".to_string()),
                    Just("desc".to_string()),
                    (0..=RESOURCE_MAX_LIMIT + 1).prop_map(|n| n.to_string()),
                    any::<i64>().prop_map(|n| n.to_string()),
                    ".{0,10}",
                ],
            ),
            0..5,
        ),
    ) {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &pairs {
            serializer.append_pair(name, value);
        }
        let query = Query::parse(&serializer.finish());
        match PageRequest::from_query(&query, RESOURCE_MAX_LIMIT) {
            Ok(page) => {
                prop_assert!((1..=RESOURCE_MAX_LIMIT).contains(&page.limit));
                prop_assert!(query.get("before").is_none() || query.get("after").is_none());
                prop_assert_eq!(page.cursor_id(), query.get("before").or(query.get("after")));
                prop_assert_eq!(page.scan().fetch, page.limit + 1);
            }
            Err(error) => {
                prop_assert_eq!(error.status(), 400);
                let param = error.param().unwrap_or_default();
                prop_assert!(["limit", "order", "before", "after"].contains(&param), "{}", error);
            }
        }
    }

    #[test]
    fn a_valid_page_request_round_trips_and_pages_its_rows(
        limit in 1..=RESOURCE_MAX_LIMIT,
        ascending in any::<bool>(),
        cursor in prop_oneof![
            Just(Cursor::Start),
            ".{1,20}".prop_map(Cursor::After),
            ".{1,20}".prop_map(Cursor::Before),
        ],
        fetched in 0..=RESOURCE_MAX_LIMIT + 1,
    ) {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        serializer.append_pair("limit", &limit.to_string());
        serializer.append_pair("order", if ascending { "asc" } else { "desc" });
        match &cursor {
            Cursor::Start => {}
            Cursor::After(id) => { serializer.append_pair("after", id); }
            Cursor::Before(id) => { serializer.append_pair("before", id); }
        }
        let page = PageRequest::from_query(&Query::parse(&serializer.finish()), RESOURCE_MAX_LIMIT)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let order = if ascending { Order::Asc } else { Order::Desc };
        prop_assert_eq!(&page, &PageRequest { limit, order, cursor });
        let fetched = fetched.min(page.scan().fetch);
        let list = page.into_list((0..fetched).collect(), |n| n.to_string());
        prop_assert_eq!(list.has_more, fetched > limit);
        prop_assert_eq!(list.count, usize::try_from(fetched.min(limit)).unwrap_or(usize::MAX));
    }

    #[test]
    fn a_signed_jwt_verifies_until_it_expires(
        claims in claims(),
        secret in prop::collection::vec(any::<u8>(), 1..48),
        now in any::<i64>(),
    ) {
        let token = jwt::sign(&claims, &secret);
        let verified = jwt::verify(&token, &secret, UnixSeconds::new(now));
        if claims.exp > now {
            prop_assert_eq!(verified, Ok(claims));
        } else {
            prop_assert_eq!(verified, Err(JwtError::Expired));
        }
    }

    #[test]
    fn a_tampered_or_random_jwt_is_refused(
        claims in claims(),
        position in any::<usize>(),
        replacement in prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=".to_vec()
        ),
        random in ".{0,80}",
    ) {
        let claims = Claims { exp: i64::MAX, ..claims };
        let token = jwt::sign(&claims, b"secret");
        let mut bytes = token.clone().into_bytes();
        let position = position % bytes.len();
        bytes[position] = replacement;
        let tampered = String::from_utf8(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Only a change of the unused low bits of a part's last character
        // could decode to the same token; base64 refuses those.
        if tampered != token {
            prop_assert!(jwt::verify(&tampered, b"secret", UnixSeconds::new(0)).is_err());
        }
        prop_assert!(jwt::verify(&random, b"secret", UnixSeconds::new(0)).is_err());
    }

    #[test]
    fn a_jwt_of_another_algorithm_is_refused(alg in "[A-Za-z0-9]{0,8}".prop_filter("not HS256", |a| a != "HS256")) {
        use base64::Engine;
        let encode = |value: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
        let token = format!(
            "{}.{}.",
            encode(json!({"alg": alg, "typ": "JWT"})),
            encode(json!({"sub": "u", "org": "o", "role": "owner", "iat": 0, "exp": i64::MAX})),
        );
        prop_assert_eq!(jwt::verify(&token, b"secret", UnixSeconds::new(0)), Err(JwtError::Algorithm));
    }

    #[test]
    fn any_price_text_rounds_or_is_refused(text in prop_oneof![
        ".{0,24}",
        "[0-9]{0,20}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{1,12})?",
        ("[0-9]{0,4}(\\.[0-9]{0,4})?", any::<i32>()).prop_map(|(m, e)| format!("{m}e{e}")),
    ]) {
        if let Some(price) = round_price(&text) {
            prop_assert!(price.get() >= 0);
            prop_assert_eq!(price.get() % 10_000, 0, "whole cents");
        }
    }

    #[test]
    fn a_price_in_cents_is_kept_exactly(cents in 0..=1_000_000_000_000_i64, exponent in -3..=3_i32) {
        // The same number written with its point moved by an exponent.
        let digits = format!("{}.{:02}", cents / 100, cents % 100);
        let text = if exponent == 0 {
            digits
        } else {
            let scaled = cents as f64 / 100.0 / 10f64.powi(exponent);
            format!("{scaled}e{exponent}")
        };
        let expected = Micros::new(cents * 10_000);
        if exponent == 0 {
            prop_assert_eq!(round_price(&text), Some(expected));
        } else if let Some(price) = round_price(&text) {
            // A float of the scaled value may be a cent off after rounding.
            prop_assert!((price.get() - expected.get()).abs() <= 10_000, "{text}: {price:?}");
        }
    }

    #[test]
    fn any_dsp_answer_is_a_bid_no_bid_or_rejected(
        status in prop_oneof![Just(200_u16), Just(204), any::<u16>()],
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..128),
            json_value().prop_map(|value| json!({"data": value}).to_string().into_bytes()),
            (any::<f64>(), ".{0,8}", json_value()).prop_map(|(bid, id, ad)| {
                json!({"data": {"bid": bid, "bidId": id, "ad_data": ad}}).to_string().into_bytes()
            }),
        ],
    ) {
        match parse_bid_response(status, &body) {
            DspAnswer::Bid(bid) => {
                prop_assert_eq!(status, 200);
                prop_assert!(bid.price.get() > 0);
                prop_assert!(!bid.bid_id.trim().is_empty());
                if let Some(ad) = &bid.ad_data {
                    prop_assert!(ad.validate().is_ok());
                }
            }
            DspAnswer::NoBid => prop_assert!(status == 200 || status == 204),
            DspAnswer::Rejected(_) => prop_assert!(status != 204),
        }
    }

    #[test]
    fn any_image_url_is_a_web_url_or_refused(url in prop_oneof![
        ".{0,60}",
        "(https?|ftp|HTTP|file|data)://[a-z0-9.:@\\[\\]-]{0,20}(/[ -~]{0,20})?",
    ]) {
        if let Ok(parsed) = check_url(&url) {
            prop_assert!(matches!(parsed.scheme(), "http" | "https"));
            prop_assert!(parsed.host_str().is_some_and(|host| !host.is_empty()));
            prop_assert!(parsed.username().is_empty() && parsed.password().is_none());
            prop_assert!(!url.chars().any(char::is_whitespace));
        }
    }

    #[test]
    fn a_plain_web_url_is_accepted(
        scheme in prop::sample::select(&["http", "https", "HTTPS"][..]),
        // Labels starting `xn--` are punycode, which these are not.
        host in "[a-wyz][a-z0-9-]{0,10}(\\.[a-wyz][a-z0-9-]{0,10}){0,3}",
        path in "(/[A-Za-z0-9._~-]{0,12}){0,3}",
    ) {
        let url = format!("{scheme}://{host}{path}");
        prop_assert!(check_url(&url).is_ok(), "{url}");
    }
}

/// What the price property found: an exponent near `i32::MAX` overflowed
/// the position of the decimal point (a panic in debug builds).
#[test]
fn a_price_with_a_huge_exponent_is_refused_not_overflowed() {
    for text in ["1e2147483647", "9.99e2147483646", "123e2147483600"] {
        assert_eq!(round_price(text), None, "{text}");
    }
}

/// And a price of $9.2 trillion or more overflowed its micros (a panic in
/// debug builds, a negative price in release ones).
#[test]
fn a_price_too_large_for_micros_is_refused_not_wrapped() {
    assert_eq!(
        round_price("9223372036854"),
        Some(Micros::new(9_223_372_036_854_000_000))
    );
    for text in ["9223372036855", "9999999999999.99", "9.999e12"] {
        assert_eq!(round_price(text), None, "{text}");
    }
    assert_eq!(
        parse_bid_response(200, br#"{"data": {"bid": 9999999999999, "bidId": "b"}}"#),
        DspAnswer::Rejected("bid is negative or too large".into())
    );
}

/// And an exponent near `i32::MIN` walked through two billion zeros
/// before the first digit (seconds of CPU for one bid price).
#[test]
fn a_price_with_a_huge_negative_exponent_is_zero_at_once() {
    let started = std::time::Instant::now();
    for text in ["1e-2147483648", "5e-2147483000", "999.999e-2000000000"] {
        assert_eq!(round_price(text), Some(Micros::ZERO), "{text}");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// What the body property found: serde fills a struct from an array of its
/// fields in order, so `["x"]` was a valid `{"name": "x"}`. A body is a
/// JSON object.
#[test]
fn a_body_that_is_an_array_is_refused() {
    for body in [r#"["x"]"#, r#" ["x", [[1, []]]]"#, "[]"] {
        let error = parse_json::<Create>(body.as_bytes()).expect_err(body);
        assert!(
            matches!(error, BodyError::InvalidValue { ref param, .. } if param.is_empty()),
            "{body}: {error:?}"
        );
    }
    assert!(matches!(
        parse_json::<Create>(b"[\"x\""),
        Err(BodyError::Malformed { .. })
    ));
}
