//! The `/v1` surface in one function: authenticate, count the request
//! against the key's rate limits, route, and render every outcome in the
//! `/v1` shape with the rate-limit headers.

use http::HeaderValue;

use adspin_core::db::Database;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::rate_limit::{self, Limit, Usage};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Request, Response, header};

use super::ApiError;
use super::auth;
use super::context::Ctx;
use super::insights::{self, params::Level};
use super::{ad_account, ad_groups, ads, campaigns, upload};
use adspin_core::catalog::fields::Status;

/// Every `/v1` request of a key: 1,000 per hour, unless the deployment
/// sets another limit (the `v1_requests_per_hour` variable).
pub const REQUESTS_PER_HOUR: u32 = 1000;
/// `POST /v1/campaigns` (which charges a deposit): 60 per hour per key,
/// on top of the general limit.
pub const CAMPAIGN_CREATES_PER_HOUR: Limit = Limit {
    limit: 60,
    window_seconds: 3600,
};

/// Serves one `/v1` request; a key may make `requests_per_hour`.
pub fn handle(
    db: &impl Database,
    request: &Request,
    info: &RequestInfo,
    now: UnixSeconds,
    files_base_url: &str,
    requests_per_hour: u32,
) -> Response {
    let caller = match auth::authenticate(db, header(request, "authorization"), now) {
        Ok(caller) => caller,
        Err(error) => return respond(info, &error),
    };
    let hourly = Limit {
        limit: requests_per_hour,
        window_seconds: 3600,
    };
    let usage = match rate_limit::hit(db, &format!("v1:{}", caller.key_id), hourly, now) {
        Ok(usage) => usage,
        Err(error) => return respond(info, &ApiError::from(error)),
    };
    let mut response = if usage.exceeded() {
        rate_limited(
            &usage,
            now,
            &format!(
                "You exceeded {} requests per hour for this API key.",
                usage.limit
            ),
        )
    } else {
        let ctx = Ctx {
            db,
            caller,
            now,
            files_base_url,
        };
        route(&ctx, request).unwrap_or_else(|error| respond(info, &error))
    };
    set_rate_limit_headers(&mut response, &usage, now);
    response
}

fn route<D: Database>(ctx: &Ctx<'_, D>, request: &Request) -> Result<Response, ApiError> {
    let method = request.method().as_str();
    let path = request.uri().path();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    if segments.iter().any(|segment| segment.is_empty()) {
        // `/v1/campaigns/` and `//v1` name no endpoint (no trailing slashes).
        return Err(ApiError::unknown_path(method, path));
    }
    let query = || Query::from_request(request);
    let body = request.body().as_slice();
    match (method, segments.as_slice()) {
        ("GET", ["v1", "ad_account"]) => ad_account::find_ad_account(ctx),
        ("GET", ["v1", "ad_account", "insights"]) => {
            insights::insights(ctx, Level::AdAccount, None, &query())
        }
        ("GET", ["v1", "campaigns", id, "insights"]) => {
            insights::insights(ctx, Level::Campaign, Some(id), &query())
        }
        ("GET", ["v1", "ad_groups", id, "insights"]) => {
            insights::insights(ctx, Level::AdGroup, Some(id), &query())
        }
        ("GET", ["v1", "ads", id, "insights"]) => {
            insights::insights(ctx, Level::Ad, Some(id), &query())
        }
        ("POST", ["v1", "upload"]) => upload::create_upload(ctx, request),

        ("GET", ["v1", "campaigns"]) => campaigns::list_campaigns(ctx, &query()),
        ("POST", ["v1", "campaigns"]) => {
            campaigns::create_campaign(ctx, body, header(request, "idempotency-key"))
        }
        ("GET", ["v1", "campaigns", id]) => campaigns::find_campaign(ctx, id),
        ("POST", ["v1", "campaigns", id]) => campaigns::update_campaign(ctx, id, body),
        ("POST", ["v1", "campaigns", id, action]) if lifecycle(action).is_some() => {
            campaigns::set_campaign_status(ctx, id, lifecycle(action).unwrap_or(Status::Paused))
        }

        ("GET", ["v1", "ad_groups"]) => ad_groups::list_ad_groups(ctx, &query()),
        ("POST", ["v1", "ad_groups"]) => ad_groups::create_ad_group(ctx, body),
        ("GET", ["v1", "ad_groups", id]) => ad_groups::find_ad_group(ctx, id),
        ("POST", ["v1", "ad_groups", id]) => ad_groups::update_ad_group(ctx, id, body),
        ("POST", ["v1", "ad_groups", id, action]) if lifecycle(action).is_some() => {
            ad_groups::set_ad_group_status(ctx, id, lifecycle(action).unwrap_or(Status::Paused))
        }

        ("GET", ["v1", "ads"]) => ads::list_ads(ctx, &query()),
        ("POST", ["v1", "ads"]) => ads::create_ad(ctx, body),
        ("GET", ["v1", "ads", id]) => ads::find_ad(ctx, id),
        ("POST", ["v1", "ads", id]) => ads::update_ad(ctx, id, body),
        ("POST", ["v1", "ads", id, action]) if lifecycle(action).is_some() => {
            ads::set_ad_status(ctx, id, lifecycle(action).unwrap_or(Status::Paused))
        }

        (_, path_segments) if is_known_path(path_segments) => {
            Err(ApiError::method_not_allowed(method, path))
        }
        _ => Err(ApiError::unknown_path(method, path)),
    }
}

/// The status a lifecycle action sets.
fn lifecycle(action: &str) -> Option<Status> {
    match action {
        "activate" => Some(Status::Active),
        "pause" => Some(Status::Paused),
        "archive" => Some(Status::Archived),
        _ => None,
    }
}

/// Paths that exist with some other method (for `405` rather than `404`).
fn is_known_path(segments: &[&str]) -> bool {
    match segments {
        [
            "v1",
            "ad_account" | "upload" | "campaigns" | "ad_groups" | "ads",
        ] => true,
        ["v1", "ad_account", "insights"] => true,
        ["v1", "campaigns" | "ad_groups" | "ads", _] => true,
        ["v1", "campaigns" | "ad_groups" | "ads", _, "insights"] => true,
        ["v1", "campaigns" | "ad_groups" | "ads", _, action] => lifecycle(action).is_some(),
        _ => false,
    }
}

fn rate_limited(usage: &Usage, now: UnixSeconds, message: &str) -> Response {
    ApiError::rate_limited(message)
        .with_retry_after(usage.retry_after(now))
        .to_response()
}

/// `x-ratelimit-*-requests` on every authenticated response, as OpenAI's
/// APIs send them (the reset is a duration such as `59m12s`).
fn set_rate_limit_headers(response: &mut Response, usage: &Usage, now: UnixSeconds) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit-requests", HeaderValue::from(usage.limit));
    headers.insert(
        "x-ratelimit-remaining-requests",
        HeaderValue::from(usage.remaining()),
    );
    if let Ok(value) = HeaderValue::from_str(&duration(usage.retry_after(now))) {
        headers.insert("x-ratelimit-reset-requests", value);
    }
}

fn duration(seconds: i64) -> String {
    let (minutes, seconds) = (seconds / 60, seconds % 60);
    if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_openai_reset_headers() {
        assert_eq!(duration(3552), "59m12s");
        assert_eq!(duration(42), "42s");
    }

    #[test]
    fn known_paths_get_405_not_404() {
        assert!(is_known_path(&["v1", "campaigns"]));
        assert!(is_known_path(&["v1", "ads", "x", "pause"]));
        assert!(!is_known_path(&["v1", "ads", "x", "explode"]));
        assert!(!is_known_path(&["v1", "nope"]));
    }
}
