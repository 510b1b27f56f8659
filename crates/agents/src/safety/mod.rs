//! Agent safety: what keeps an AI agent from spending an advertiser's
//! money by mistake, around every write of the agents API.
//!
//! - [`dry_run`]: `?dry_run=true` validates and answers what would happen,
//!   changing nothing.
//! - [`confirm`]: a write that raises the committed daily spend
//!   ([`spend`]) by more than the account's threshold needs a
//!   confirmation token.
//! - [`spend`]: per-key spend caps, the threshold, the measure of spend.
//! - [`audit`]: every applied write, and every write refused by a check
//!   above, is recorded with the resource before and after.
//!
//! The order of the checks on a write (`crate::write`): the dry run or the
//! spend check runs the write once in a transaction that is rolled back,
//! measuring the committed daily spend before and after; an error there is
//! the answer (as the real write's would be); then the key's spend cap,
//! then (unless a dry run) the confirmation; then the write itself, and its
//! audit entry.

pub mod audit;
pub mod confirm;
pub mod dry_run;
pub mod spend;

use serde_json::{Value, json};

use adspin_core::web::{Response, json_response};

/// The body of a response as JSON (`None` for an empty body, e.g. `204`).
pub fn body_json(response: &Response) -> Option<Value> {
    serde_json::from_slice(response.body()).ok()
}

/// The answer of a dry run: `200 {"dry_run": true, "would": {...}}` with
/// the status the write would have answered, the resource as it would be
/// (`null` for a deletion), the committed daily spend before and after,
/// whether a confirmation token would be needed, and the outbound requests
/// held back.
pub fn dry_run_answer(
    response: &Response,
    change: spend::Change,
    confirmation_required: bool,
    outbound: Value,
) -> Response {
    let mut spend = change.view();
    spend["confirmation_required"] = json!(confirmation_required);
    json_response(
        200,
        &json!({
            "dry_run": true,
            "would": {
                "status": response.status().as_u16(),
                "resource": body_json(response),
                "spend": spend,
                "outbound_requests": outbound,
            },
        }),
    )
}
