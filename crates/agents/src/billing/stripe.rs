//! Stripe, as the paid plans' payment provider: Checkout Sessions created
//! through Stripe's API (at a configurable base URL), and Stripe's signed
//! events, verified as Stripe documents (`Stripe-Signature: t=...,v1=...`,
//! HMAC-SHA256 of `{t}.{body}` with the endpoint's signing secret, at most
//! five minutes old).

use serde::Deserialize;
use subtle::ConstantTimeEq;

use adspin_core::outbound::{HttpClient, OutboundRequest};
use adspin_core::signed::hmac_sha256;
use adspin_core::time::UnixSeconds;

use crate::plans::Plan;

/// How old a signed event may be, in seconds (Stripe's default tolerance).
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// Largest Stripe API answer read.
const RESPONSE_LIMIT: usize = 256 * 1024;

/// Where Stripe is and the account's secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeConfig {
    /// `https://api.stripe.com` (a fake server's address in tests).
    pub api_base: String,
    /// The secret API key (`sk_live_...`, `sk_test_...`).
    pub secret_key: String,
    /// The webhook endpoint's signing secret (`whsec_...`).
    pub webhook_secret: String,
}

/// A Checkout Session Stripe created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Session {
    pub id: String,
    pub url: String,
}

/// Why Stripe did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    #[error("Stripe could not be reached: {0}")]
    Unreachable(String),
    #[error("Stripe answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("Stripe's answer could not be read: {0}")]
    Malformed(String),
}

/// What a Checkout Session is for.
pub struct SessionRequest<'a> {
    pub plan: Plan,
    pub email: &'a str,
    /// Our checkout reference (the token's hash), echoed back in events.
    pub reference: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

/// Creates a subscription Checkout Session for one month of `plan`.
pub async fn create_session(
    http: &impl HttpClient,
    config: &StripeConfig,
    request: &SessionRequest<'_>,
) -> Result<Session, StripeError> {
    let unit_amount = request.plan.price_cents.to_string();
    let product = format!("adspin {}", request.plan.name);
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("mode", "subscription")
        .append_pair("line_items[0][quantity]", "1")
        .append_pair("line_items[0][price_data][currency]", "usd")
        .append_pair("line_items[0][price_data][unit_amount]", &unit_amount)
        .append_pair("line_items[0][price_data][recurring][interval]", "month")
        .append_pair("line_items[0][price_data][product_data][name]", &product)
        .append_pair("customer_email", request.email)
        .append_pair("client_reference_id", request.reference)
        .append_pair("success_url", request.success_url)
        .append_pair("cancel_url", request.cancel_url)
        .finish();
    let outbound = OutboundRequest {
        method: http::Method::POST,
        url: format!(
            "{}/v1/checkout/sessions",
            config.api_base.trim_end_matches('/')
        ),
        headers: vec![
            (
                "authorization".into(),
                format!("Bearer {}", config.secret_key),
            ),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            // Retrying the same checkout never makes a second session.
            ("idempotency-key".into(), request.reference.to_string()),
        ],
        body: form.into_bytes(),
    };
    let response = http
        .send(outbound, RESPONSE_LIMIT)
        .await
        .map_err(|error| StripeError::Unreachable(error.to_string()))?;
    if !(200..300).contains(&response.status) {
        return Err(StripeError::Refused {
            status: response.status,
            body: String::from_utf8_lossy(&response.body)
                .chars()
                .take(500)
                .collect(),
        });
    }
    serde_json::from_slice(&response.body)
        .map_err(|error| StripeError::Malformed(error.to_string()))
}

/// Asks Stripe to end a subscription when its period ends.
pub async fn cancel_at_period_end(
    http: &impl HttpClient,
    config: &StripeConfig,
    subscription_id: &str,
) -> Result<(), StripeError> {
    let outbound = OutboundRequest {
        method: http::Method::POST,
        url: format!(
            "{}/v1/subscriptions/{}",
            config.api_base.trim_end_matches('/'),
            percent_encoding::utf8_percent_encode(
                subscription_id,
                percent_encoding::NON_ALPHANUMERIC
            )
        ),
        headers: vec![
            (
                "authorization".into(),
                format!("Bearer {}", config.secret_key),
            ),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        body: b"cancel_at_period_end=true".to_vec(),
    };
    let response = http
        .send(outbound, RESPONSE_LIMIT)
        .await
        .map_err(|error| StripeError::Unreachable(error.to_string()))?;
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(StripeError::Refused {
            status: response.status,
            body: String::from_utf8_lossy(&response.body)
                .chars()
                .take(500)
                .collect(),
        })
    }
}

/// Why a signed event is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("no signature matches")]
    Mismatch,
    #[error("the event is older or newer than the tolerance")]
    OutsideTolerance,
}

/// Checks `header` (`t=...,v1=...[,v1=...]`) against `payload`.
pub fn verify_signature(
    header: Option<&str>,
    payload: &[u8],
    secret: &str,
    now: UnixSeconds,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::encode(sign(secret, timestamp, payload));
    let matches = signatures
        .iter()
        .any(|candidate| bool::from(candidate.as_bytes().ct_eq(expected.as_bytes())));
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now.get() - timestamp).abs() > SIGNATURE_TOLERANCE_SECONDS {
        return Err(SignatureError::OutsideTolerance);
    }
    Ok(())
}

/// Stripe's `v1` signature of `payload` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> [u8; 32] {
    hmac_sha256(
        secret.as_bytes(),
        &[timestamp.to_string().as_bytes(), b".", payload],
    )
}

/// The part of a Stripe event billing reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    pub object: EventObject,
}

/// The object an event is about (a Checkout Session, an invoice or a
/// subscription): the fields billing reads of any of them.
#[derive(Debug, Clone, Deserialize)]
pub struct EventObject {
    pub id: String,
    /// A session's or an invoice's subscription.
    #[serde(default)]
    pub subscription: Option<String>,
    /// A session's `paid`, `unpaid` or `no_payment_required`.
    #[serde(default)]
    pub payment_status: Option<String>,
    /// An invoice's reason: `subscription_cycle` for a renewal.
    #[serde(default)]
    pub billing_reason: Option<String>,
    /// An invoice's amount paid, in cents.
    #[serde(default)]
    pub amount_paid: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    fn header(timestamp: i64, payload: &[u8]) -> String {
        format!(
            "t={timestamp},v1={}",
            hex::encode(sign(SECRET, timestamp, payload))
        )
    }

    #[test]
    fn a_fresh_signed_event_verifies_and_anything_else_is_refused() {
        let payload = br#"{"id":"evt_1"}"#;
        let now = UnixSeconds::new(1_800_000_000);
        let good = header(now.get() - 10, payload);
        assert_eq!(verify_signature(Some(&good), payload, SECRET, now), Ok(()));
        let rotated = format!("{good},v1=deadbeef");
        assert_eq!(
            verify_signature(Some(&rotated), payload, SECRET, now),
            Ok(())
        );
        assert_eq!(
            verify_signature(Some(&good), b"{\"id\":\"evt_2\"}", SECRET, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(Some(&good), payload, "whsec_other", now),
            Err(SignatureError::Mismatch)
        );
        let old = header(now.get() - 301, payload);
        assert_eq!(
            verify_signature(Some(&old), payload, SECRET, now),
            Err(SignatureError::OutsideTolerance)
        );
        for malformed in ["", "t=1", "v1=abc", "t=x,v1=abc"] {
            assert_eq!(
                verify_signature(Some(malformed), payload, SECRET, now),
                Err(SignatureError::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            verify_signature(None, payload, SECRET, now),
            Err(SignatureError::Malformed)
        );
    }
}
