//! The `/v1` surface in one function: authenticate, count the request
//! against the key's rate limits, route, and render every outcome in the
//! `/v1` shape with the rate-limit headers.

use std::cell::LazyCell;

use http::HeaderValue;

use adspin_core::clock::Clock;
use adspin_core::db::Database;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::rate_limit::{self, Limit, Usage};
use adspin_core::routes::{self, Matched, Route};
use adspin_core::settings;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Body, Query, Request, Response, header, read_body};

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

/// The largest JSON body a `/v1` endpoint reads.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;
/// The largest `POST /v1/upload` body: the file's 5 MB and the multipart
/// framing around it.
pub const UPLOAD_BODY_LIMIT: usize = upload::MAX_UPLOAD_BYTES + 1024 * 1024;

/// Serves one `/v1` request; a key may make `v1_requests_per_hour` (the
/// variable, [`REQUESTS_PER_HOUR`] by default). The body is read only for
/// an authenticated key within its limits, and only up to the endpoint's
/// limit.
pub async fn handle<E: Env>(
    env: &E,
    db: &E::Db,
    mut request: Request,
    body: Body,
    info: &RequestInfo,
) -> Response {
    let now = env.clock().now();
    let requests_per_hour =
        settings::positive_integer(env, "v1_requests_per_hour", REQUESTS_PER_HOUR);
    let session_secret = || env.variable("dashboard_jwt_secret").unwrap_or_default();
    let caller = match auth::authenticate_request(db, &request, now, session_secret) {
        Ok(caller) => caller,
        Err(error) => return respond(info, &error),
    };
    // In the dashboard, members read; owners and admins also change things.
    if !caller.may_write() && request.method() != http::Method::GET {
        return respond(
            info,
            &ApiError::forbidden(
                "read_only_role",
                "Only organization owners and admins can make changes from the dashboard.",
            ),
        );
    }
    let hourly = Limit {
        limit: requests_per_hour,
        window_seconds: 3600,
    };
    let usage = match rate_limit::hit(db, &format!("v1:{}", caller.limit_scope()), hourly, now) {
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
        let limit = if request.uri().path() == "/v1/upload" {
            UPLOAD_BODY_LIMIT
        } else {
            JSON_BODY_LIMIT
        };
        match read_body(&mut request, body, limit).await {
            Ok(()) => {
                let files_base = || settings::public_base_url(env, &request);
                let ctx = Ctx {
                    db,
                    caller,
                    now,
                    files_base_url: LazyCell::new(&files_base),
                };
                route(&ctx, &request, env)
                    .await
                    .unwrap_or_else(|error| respond(info, &error))
            }
            Err(error) => respond(info, &ApiError::from(error)),
        }
    };
    set_rate_limit_headers(&mut response, &usage, now);
    response
}

/// The `/v1` endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    FindAdAccount,
    Insights(Level),
    CreateUpload,
    ListCampaigns,
    CreateCampaign,
    FindCampaign,
    UpdateCampaign,
    SetCampaignStatus(Status),
    ListAdGroups,
    CreateAdGroup,
    FindAdGroup,
    UpdateAdGroup,
    SetAdGroupStatus(Status),
    ListAds,
    CreateAd,
    FindAd,
    UpdateAd,
    SetAdStatus(Status),
}

use Endpoint::*;

/// Every `/v1` endpoint, once: what a request calls, and the `Allow` of a
/// `405` for a known path.
const ROUTES: &[Route<Endpoint>] = &[
    Route::new("GET", "/v1/ad_account", FindAdAccount),
    Route::new("GET", "/v1/ad_account/insights", Insights(Level::AdAccount)),
    Route::new("POST", "/v1/upload", CreateUpload),
    Route::new("GET", "/v1/campaigns", ListCampaigns),
    Route::new("POST", "/v1/campaigns", CreateCampaign),
    Route::new("GET", "/v1/campaigns/:id", FindCampaign),
    Route::new("POST", "/v1/campaigns/:id", UpdateCampaign),
    Route::new(
        "GET",
        "/v1/campaigns/:id/insights",
        Insights(Level::Campaign),
    ),
    Route::new(
        "POST",
        "/v1/campaigns/:id/activate",
        SetCampaignStatus(Status::Active),
    ),
    Route::new(
        "POST",
        "/v1/campaigns/:id/pause",
        SetCampaignStatus(Status::Paused),
    ),
    Route::new(
        "POST",
        "/v1/campaigns/:id/archive",
        SetCampaignStatus(Status::Archived),
    ),
    Route::new("GET", "/v1/ad_groups", ListAdGroups),
    Route::new("POST", "/v1/ad_groups", CreateAdGroup),
    Route::new("GET", "/v1/ad_groups/:id", FindAdGroup),
    Route::new("POST", "/v1/ad_groups/:id", UpdateAdGroup),
    Route::new(
        "GET",
        "/v1/ad_groups/:id/insights",
        Insights(Level::AdGroup),
    ),
    Route::new(
        "POST",
        "/v1/ad_groups/:id/activate",
        SetAdGroupStatus(Status::Active),
    ),
    Route::new(
        "POST",
        "/v1/ad_groups/:id/pause",
        SetAdGroupStatus(Status::Paused),
    ),
    Route::new(
        "POST",
        "/v1/ad_groups/:id/archive",
        SetAdGroupStatus(Status::Archived),
    ),
    Route::new("GET", "/v1/ads", ListAds),
    Route::new("POST", "/v1/ads", CreateAd),
    Route::new("GET", "/v1/ads/:id", FindAd),
    Route::new("POST", "/v1/ads/:id", UpdateAd),
    Route::new("GET", "/v1/ads/:id/insights", Insights(Level::Ad)),
    Route::new("POST", "/v1/ads/:id/activate", SetAdStatus(Status::Active)),
    Route::new("POST", "/v1/ads/:id/pause", SetAdStatus(Status::Paused)),
    Route::new("POST", "/v1/ads/:id/archive", SetAdStatus(Status::Archived)),
];

async fn route<D: Database>(
    ctx: &Ctx<'_, D>,
    request: &Request,
    env: &impl Env,
) -> Result<Response, ApiError> {
    let method = request.method().as_str();
    let path = request.uri().path();
    let (endpoint, captures) = match routes::find(ROUTES, method, path) {
        Matched::Found(endpoint, captures) => (endpoint, captures),
        Matched::MethodNotAllowed(allow) => {
            return Err(ApiError::method_not_allowed(method, path, &allow));
        }
        Matched::NotFound => return Err(ApiError::unknown_path(method, path)),
    };
    let id = captures.first().copied().unwrap_or_default();
    let query = || Query::from_request(request);
    let body = request.body().as_slice();
    match endpoint {
        FindAdAccount => ad_account::find_ad_account(ctx),
        Insights(level) => {
            let id = (level != Level::AdAccount).then_some(id);
            insights::insights(ctx, level, id, &query())
        }
        CreateUpload => upload::create_upload(ctx, request, env).await,
        ListCampaigns => campaigns::list_campaigns(ctx, &query()),
        CreateCampaign => campaigns::create_campaign(ctx, body, header(request, "idempotency-key")),
        FindCampaign => campaigns::find_campaign(ctx, id),
        UpdateCampaign => campaigns::update_campaign(ctx, id, body),
        SetCampaignStatus(status) => campaigns::set_campaign_status(ctx, id, status),
        ListAdGroups => ad_groups::list_ad_groups(ctx, &query()),
        CreateAdGroup => ad_groups::create_ad_group(ctx, body),
        FindAdGroup => ad_groups::find_ad_group(ctx, id),
        UpdateAdGroup => ad_groups::update_ad_group(ctx, id, body),
        SetAdGroupStatus(status) => ad_groups::set_ad_group_status(ctx, id, status),
        ListAds => ads::list_ads(ctx, &query()),
        CreateAd => ads::create_ad(ctx, body),
        FindAd => ads::find_ad(ctx, id),
        UpdateAd => ads::update_ad(ctx, id, body),
        SetAdStatus(status) => ads::set_ad_status(ctx, id, status),
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
    fn known_paths_get_405_with_their_methods_not_404() {
        assert_eq!(
            routes::find(ROUTES, "DELETE", "/v1/campaigns"),
            Matched::MethodNotAllowed("GET, POST".into())
        );
        assert_eq!(
            routes::find(ROUTES, "GET", "/v1/ads/x/pause"),
            Matched::MethodNotAllowed("POST".into())
        );
        assert_eq!(
            routes::find(ROUTES, "POST", "/v1/ads/x/explode"),
            Matched::NotFound
        );
        assert_eq!(routes::find(ROUTES, "GET", "/v1/nope"), Matched::NotFound);
    }
}
