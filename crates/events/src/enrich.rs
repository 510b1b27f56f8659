//! Server-side enrichment of S2S events: the sender's IP address, its
//! location as the edge in front of the app reports it, and the parsed
//! user agent.
//!
//! The app carries no IP-geolocation database: location comes from the
//! visitor-location headers of the edge proxy (Cloudflare's `CF-IP*`,
//! Vercel's `X-Vercel-IP-*`, or generic `X-Geo-*` set by any other proxy),
//! and is `null` when there is none.

use serde_json::{Map, Value};

use super::user_agent;
use adspin_core::web::{Request, header};

/// The location headers, most specific proxy first, for each field.
const GEO_HEADERS: &[(&str, &[&str])] = &[
    (
        "geo_country",
        &["cf-ipcountry", "x-vercel-ip-country", "x-geo-country"],
    ),
    (
        "geo_region",
        &["cf-region", "x-vercel-ip-country-region", "x-geo-region"],
    ),
    ("geo_city", &["cf-ipcity", "x-vercel-ip-city", "x-geo-city"]),
    (
        "geo_lat",
        &["cf-iplatitude", "x-vercel-ip-latitude", "x-geo-latitude"],
    ),
    (
        "geo_lon",
        &["cf-iplongitude", "x-vercel-ip-longitude", "x-geo-longitude"],
    ),
];

/// The enrichment fields of an event sent in `request`, whose end user's
/// agent is `user_agent` (the body's, else the request's).
pub fn enrichment(request: &Request, user_agent: Option<&str>) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("ip_address".into(), client_ip(request).into());
    for (field, names) in GEO_HEADERS {
        let value = names
            .iter()
            .find_map(|name| header(request, name))
            .map(|v| percent_decoded(v.trim()))
            .filter(|v| !v.is_empty() && v != "XX");
        let value = match (*field, value) {
            ("geo_lat" | "geo_lon", Some(v)) => v.parse::<f64>().ok().map(Value::from),
            (_, v) => v.map(Value::from),
        };
        fields.insert((*field).into(), value.unwrap_or(Value::Null));
    }
    let agent = user_agent.or_else(|| header(request, "user-agent"));
    let parsed = agent.map(user_agent::classify);
    fields.insert("ua_browser".into(), parsed.map(|p| p.browser).into());
    fields.insert("ua_os".into(), parsed.map(|p| p.os).into());
    fields.insert("ua_device".into(), parsed.map(|p| p.device).into());
    fields.insert("channel".into(), "server".into());
    fields
}

/// The sender's address: the first `X-Forwarded-For` hop when a proxy set
/// one, else the connection's peer (`spin-client-addr`).
fn client_ip(request: &Request) -> Option<String> {
    header(request, "x-forwarded-for")
        .and_then(|value| value.split(',').next())
        .map(|ip| ip.trim().to_string())
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        .or_else(|| {
            header(request, "spin-client-addr")
                .and_then(|addr| addr.parse::<std::net::SocketAddr>().ok())
                .map(|addr| addr.ip().to_string())
        })
}

/// Vercel sends city names percent-encoded (`S%C3%A3o%20Paulo`).
/// A value that does not decode to UTF-8 is kept as sent.
fn percent_decoded(value: &str) -> String {
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .map_or_else(|_| value.to_string(), String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder().uri("/v1/api/collect");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Vec::new()).expect("request")
    }

    #[test]
    fn ip_location_and_agent_come_from_the_request() {
        let fields = enrichment(
            &request(&[
                ("x-forwarded-for", "203.0.113.9, 10.0.0.1"),
                ("cf-ipcountry", "BR"),
                ("x-vercel-ip-city", "S%C3%A3o%20Paulo"),
                ("cf-iplatitude", "-23.55"),
                ("user-agent", "shop-backend/1.0"),
            ]),
            Some(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1",
            ),
        );
        assert_eq!(fields["ip_address"], "203.0.113.9");
        assert_eq!(fields["geo_country"], "BR");
        assert_eq!(fields["geo_city"], "São Paulo");
        assert_eq!(fields["geo_lat"], -23.55);
        assert_eq!(fields["geo_lon"], Value::Null);
        assert_eq!(fields["ua_os"], "iOS");
        assert_eq!(fields["ua_device"], "mobile");
        assert_eq!(fields["channel"], "server");
    }

    #[test]
    fn without_a_proxy_the_peer_address_is_used_and_unknowns_are_null() {
        let fields = enrichment(
            &request(&[
                ("spin-client-addr", "198.51.100.7:5123"),
                ("cf-ipcountry", "XX"),
            ]),
            None,
        );
        assert_eq!(fields["ip_address"], "198.51.100.7");
        assert_eq!(fields["geo_country"], Value::Null);
        assert_eq!(fields["ua_browser"], Value::Null);
    }

    #[test]
    fn percent_decoding_keeps_ampersands_and_plus_signs() {
        assert_eq!(
            percent_decoded("Saint%20John%27s%20%26%20Co"),
            "Saint John's & Co"
        );
        assert_eq!(percent_decoded("A&B+C"), "A&B+C");
        assert_eq!(percent_decoded("%FF"), "%FF", "not UTF-8: kept as sent");
    }
}
