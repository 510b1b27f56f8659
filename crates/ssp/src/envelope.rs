//! The SSP response envelope: every bid-request response, success or error,
//! is `{requestId, timestamp, totalTime, status, message, data: {bid},
//! error}`.

use serde::Serialize;
use serde_json::Value;

use adspin_core::body::BodyError;
use adspin_core::db::DbError;
use adspin_core::error::{RequestInfo, SurfaceError};
use adspin_core::web::{ReadError, Response, json_response};

/// Facts about the request every envelope repeats.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    /// Seconds since the request arrived, when the response is rendered.
    pub total_time: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    request_id: &'a str,
    timestamp: String,
    total_time: f64,
    status: &'static str,
    message: &'a str,
    data: Data<'a>,
    error: Option<ErrorBody<'a>>,
}

#[derive(Serialize)]
struct Data<'a> {
    bid: Option<&'a Value>,
    /// Why no ad is served (successful no-bids only).
    #[serde(skip_serializing_if = "Option::is_none")]
    no_bid_reason: Option<&'static str>,
    /// The signed receipt of an auction that filled (`crate::receipt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt: Option<&'a str>,
    /// Every DSP's part in the auction (staging keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    debug: Option<&'a Value>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "type")]
    error_type: &'a str,
    code: u16,
}

/// A successful auction: 200 with the winning bid, or `bid: null` and a
/// message saying why nothing was served.
/// The prefix of the envelope's `requestId` (`api_req_<32 hex>`).
pub const REQUEST_ID_PREFIX: &str = "api_req_";

pub fn success(context: &RequestContext, message: &str, bid: Option<&Value>) -> Response {
    auction_answer(
        context,
        message,
        AuctionData {
            bid,
            ..AuctionData::default()
        },
    )
}

/// A successful auction that serves no ad: 200, `bid: null`, the message
/// and the machine-readable `no_bid_reason`.
pub fn no_bid(context: &RequestContext, message: &str, reason: NoBidReason) -> Response {
    auction_answer(
        context,
        message,
        AuctionData {
            no_bid_reason: Some(reason),
            ..AuctionData::default()
        },
    )
}

/// What an auction answers besides the message.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuctionData<'a> {
    /// The winning bid, or `None` with the reason.
    pub bid: Option<&'a Value>,
    pub no_bid_reason: Option<NoBidReason>,
    /// The signed receipt of an auction that filled.
    pub receipt: Option<&'a str>,
    /// For staging keys: every DSP's part in the auction (`crate::report`).
    pub debug: Option<&'a Value>,
}

/// An auction's answer: [`success`] or [`no_bid`] with its receipt and,
/// for staging keys, `data.debug`.
pub fn auction_answer(context: &RequestContext, message: &str, data: AuctionData<'_>) -> Response {
    let body = Data {
        bid: data.bid,
        no_bid_reason: data.no_bid_reason.map(NoBidReason::code),
        receipt: data.receipt,
        debug: data.debug,
    };
    render(context, 200, "success", message, body, None)
}

/// Why an auction served no ad: `data.no_bid_reason`, a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoBidReason {
    /// The conversation is about a sensitive subject.
    BrandSafety,
    /// The chat has not reached the publisher's `ad_offset` turn.
    PacingAdOffset,
    /// An ad was served in this chat fewer than `max_frequency` requests ago.
    FrequencyCapped,
    /// Privacy signals restricted the auction to contextual internal
    /// demand, and it did not bid.
    Privacy,
    /// No DSP was there to ask.
    NoEligibleDemand,
    /// The DSPs answered without a bid.
    NoBids,
    /// Every bid was below the publisher's floor.
    AllBelowFloor,
    /// Every DSP missed its deadline.
    AllTimedOut,
    /// Every DSP failed: errors, invalid answers or missed deadlines.
    DspErrors,
    /// The bids' campaigns could not pay for the impression.
    BudgetExhausted,
    /// The bids' creatives broke the publisher's limits.
    CreativeRejected,
}

impl NoBidReason {
    /// Every reason, for documents and tests.
    pub const ALL: [NoBidReason; 11] = [
        Self::BrandSafety,
        Self::PacingAdOffset,
        Self::FrequencyCapped,
        Self::Privacy,
        Self::NoEligibleDemand,
        Self::NoBids,
        Self::AllBelowFloor,
        Self::AllTimedOut,
        Self::DspErrors,
        Self::BudgetExhausted,
        Self::CreativeRejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::BrandSafety => "brand_safety",
            Self::PacingAdOffset => "pacing_ad_offset",
            Self::FrequencyCapped => "frequency_capped",
            Self::Privacy => "privacy",
            Self::NoEligibleDemand => "no_eligible_demand",
            Self::NoBids => "no_bids",
            Self::AllBelowFloor => "all_below_floor",
            Self::AllTimedOut => "all_timed_out",
            Self::DspErrors => "dsp_errors",
            Self::BudgetExhausted => "budget_exhausted",
            Self::CreativeRejected => "creative_rejected",
        }
    }
}

/// An SSP error: its HTTP status, the envelope with `status: "error"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {error_type}: {message}")]
pub struct SspError {
    status: u16,
    error_type: &'static str,
    message: String,
    /// The internal failure behind a 500, for the log only.
    cause: Option<String>,
    /// The methods a 405's path takes (the `Allow` header).
    allow: Option<String>,
}

impl SspError {
    fn new(status: u16, error_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error_type,
            message: message.into(),
            cause: None,
            allow: None,
        }
    }

    /// 400: malformed body or a missing/invalid field.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "RequestValidationError", message)
    }

    /// 401: missing or invalid `thrad-api-key`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "HTTPException", message)
    }

    /// 403: browser origin not registered for the key.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "HTTPException", message)
    }

    /// 429: the key's rate limit is exhausted.
    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(429, "HTTPException", message)
    }

    /// 500: render failure or an internal error (no internal detail).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "HTTPException", message)
    }

    /// 500 `Internal server error`; `cause` is logged, never sent.
    pub fn internal_because(cause: impl std::fmt::Display) -> Self {
        let mut error = Self::internal("Internal server error");
        error.cause = Some(cause.to_string());
        error
    }

    /// 405: the endpoint takes another method; `allow` lists the ones it
    /// takes (sent as `Allow`).
    pub fn method_not_allowed(message: impl Into<String>, allow: &str) -> Self {
        let mut error = Self::new(405, "HTTPException", message);
        error.allow = Some(allow.to_string());
        error
    }

    /// 413: the body is larger than the endpoint reads.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, "HTTPException", message)
    }

    /// 501: a feature that is not available.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(501, "HTTPException", message)
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn to_response(&self, context: &RequestContext) -> Response {
        let mut response = render(
            context,
            self.status,
            "error",
            &self.message,
            Data {
                bid: None,
                no_bid_reason: None,
                receipt: None,
                debug: None,
            },
            Some(ErrorBody {
                error_type: self.error_type,
                code: self.status,
            }),
        );
        if let Some(allow) = self
            .allow
            .as_deref()
            .and_then(|allow| http::HeaderValue::from_str(allow).ok())
        {
            response.headers_mut().insert(http::header::ALLOW, allow);
        }
        response
    }
}

/// A storage failure is the client's generic 500; the cause is logged.
impl From<DbError> for SspError {
    fn from(error: DbError) -> Self {
        Self::internal_because(format_args!("database: {error}"))
    }
}

impl SurfaceError for SspError {
    fn status(&self) -> u16 {
        self.status
    }

    fn render(&self, request: &RequestInfo) -> Response {
        self.to_response(&RequestContext::of(request))
    }

    fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }
}

impl RequestContext {
    /// The envelope's view of a request: its id and the time spent.
    pub fn of(request: &RequestInfo) -> Self {
        Self {
            request_id: request.id.clone(),
            total_time: request.elapsed.as_secs_f64(),
        }
    }
}

/// A body past the limit is `413`; one cut short, `400`.
impl From<ReadError> for SspError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::TooLarge { limit } => Self::too_large(format!(
                "Request body too large: a bid request is at most {limit} bytes"
            )),
            ReadError::Failed(_) => Self::bad_request("Request body could not be read"),
        }
    }
}

impl From<BodyError> for SspError {
    fn from(error: BodyError) -> Self {
        Self::bad_request(error.to_string())
    }
}

fn render(
    context: &RequestContext,
    status: u16,
    outcome: &'static str,
    message: &str,
    data: Data<'_>,
    error: Option<ErrorBody<'_>>,
) -> Response {
    json_response(
        status,
        &Envelope {
            request_id: &context.request_id,
            timestamp: adspin_core::time::now_iso8601_micros(),
            total_time: (context.total_time * 1000.0).round() / 1000.0,
            status: outcome,
            message,
            data,
            error,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> RequestContext {
        RequestContext {
            request_id: "api_req_1".into(),
            total_time: 0.12345,
        }
    }

    fn parse(response: &Response) -> Value {
        serde_json::from_slice(response.body()).expect("json")
    }

    #[test]
    fn a_no_bid_is_a_successful_envelope_with_a_null_bid() {
        let value = parse(&success(&context(), "No bids", None));
        assert_eq!(value["requestId"], "api_req_1");
        assert_eq!(value["status"], "success");
        assert_eq!(value["message"], "No bids");
        assert_eq!(value["data"], json!({"bid": null}));
        assert_eq!(value["error"], Value::Null);
        assert_eq!(value["totalTime"], 0.123);
        assert!(
            value["timestamp"]
                .as_str()
                .expect("timestamp")
                .ends_with('Z')
        );
    }

    #[test]
    fn a_no_bid_says_why_with_a_stable_code() {
        let value = parse(&no_bid(
            &context(),
            "No bid: every bid was below the floor",
            NoBidReason::AllBelowFloor,
        ));
        assert_eq!(value["status"], "success");
        assert_eq!(
            value["data"],
            json!({"bid": null, "no_bid_reason": "all_below_floor"})
        );
        let codes: std::collections::HashSet<_> =
            NoBidReason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), NoBidReason::ALL.len(), "codes are distinct");
    }

    #[test]
    fn errors_carry_their_status_in_the_envelope() {
        let response = SspError::internal("Render failed").to_response(&context());
        assert_eq!(response.status(), 500);
        let value = parse(&response);
        assert_eq!(value["status"], "error");
        assert_eq!(value["message"], "Render failed");
        assert_eq!(value["data"], json!({"bid": null}));
        assert_eq!(
            value["error"],
            json!({"type": "HTTPException", "code": 500})
        );
    }

    #[test]
    fn body_errors_are_400s() {
        let error: SspError = BodyError::MissingField {
            param: "userId".into(),
        }
        .into();
        assert_eq!(error.status(), 400);
    }
}
