//! The agents API (`/api/v1/...`): the surface AI agents use to open an
//! advertiser account and buy ads without a person at a dashboard.
//!
//! Errors are `{"error": {code, message, status, details, request_id}}`
//! ([`AgentsError`]); every response carries `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` ([`limits`]).

pub mod accounts;
pub mod auth;
pub mod billing;
pub mod business;
mod client;
pub mod error;
pub mod events;
pub mod html;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod oauth;
pub mod pages;
pub mod password;
pub mod plans;
pub mod scopes;
pub mod store;
mod text;
pub mod webhooks;
pub mod worker;

pub use error::AgentsError;

use adspin_core::clock::Clock;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::routes::{self, Matched, Route};
use adspin_core::settings;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Body, IncomingRequest, Query, Request, Response, header, read_body, split};

/// The largest body an agents API endpoint reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Serves one agents API request.
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    let (request, body) = split(request);
    let info = RequestInfo::new("req_");
    let db = match env.db() {
        Ok(db) => db,
        Err(error) => return respond(&info, &AgentsError::from(error)),
    };
    let kv = match env.kv() {
        Ok(kv) => kv,
        Err(error) => return respond(&info, &AgentsError::from(error)),
    };
    let (usage, outcome) = serve(env, db, kv, request, body).await;
    let mut response = match outcome {
        Ok(response) => response,
        Err(error) => respond(&info, &error),
    };
    if let Some(usage) = usage {
        limits::add_headers(&mut response, &usage);
    }
    response
}

/// The agents API endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Register,
    Verify,
    ResendCode,
    Login,
    CreateKey,
    ListKeys,
    RotateKey,
    RevokeKey,
    CreateBusiness,
    ReadBusiness,
    UpdateBusiness,
    Plans,
    Subscribe,
    SubscribeStatus,
    BillingStatus,
    Cancel,
    Invoices,
    CheckoutPage,
    CheckoutSubmit,
    StripeEvent,
    CreateWebhook,
    ListWebhooks,
    ReadWebhook,
    UpdateWebhook,
    DeleteWebhook,
    ListDeliveries,
    Redeliver,
    CreateClient,
    ListClients,
    DeleteClient,
    AuthorizePage,
    AuthorizeSubmit,
    Token,
    RevokeToken,
}

impl Endpoint {
    /// Whether the endpoint is served without a key.
    fn is_public(self) -> bool {
        matches!(
            self,
            Self::Register
                | Self::Verify
                | Self::ResendCode
                | Self::Login
                | Self::Plans
                | Self::CheckoutPage
                | Self::CheckoutSubmit
                | Self::StripeEvent
                | Self::AuthorizePage
                | Self::AuthorizeSubmit
                | Self::Token
                | Self::RevokeToken
        )
    }
}

/// Every agents API endpoint, once (the `Allow` of a `405` comes from here).
const ROUTES: &[Route<Endpoint>] = &[
    Route::new("POST", "/api/v1/auth/register", Endpoint::Register),
    Route::new("POST", "/api/v1/auth/verify", Endpoint::Verify),
    Route::new("POST", "/api/v1/auth/verify/resend", Endpoint::ResendCode),
    Route::new("POST", "/api/v1/auth/login", Endpoint::Login),
    Route::new("POST", "/api/v1/auth/keys", Endpoint::CreateKey),
    Route::new("GET", "/api/v1/auth/keys", Endpoint::ListKeys),
    Route::new("POST", "/api/v1/auth/keys/:id/rotate", Endpoint::RotateKey),
    Route::new("DELETE", "/api/v1/auth/keys/:id", Endpoint::RevokeKey),
    Route::new("POST", "/api/v1/account/business", Endpoint::CreateBusiness),
    Route::new("GET", "/api/v1/account/business", Endpoint::ReadBusiness),
    Route::new(
        "PATCH",
        "/api/v1/account/business",
        Endpoint::UpdateBusiness,
    ),
    Route::new("GET", "/api/v1/billing/plans", Endpoint::Plans),
    Route::new("POST", "/api/v1/billing/subscribe", Endpoint::Subscribe),
    Route::new(
        "GET",
        "/api/v1/billing/subscribe/status",
        Endpoint::SubscribeStatus,
    ),
    Route::new("GET", "/api/v1/billing/status", Endpoint::BillingStatus),
    Route::new("POST", "/api/v1/billing/cancel", Endpoint::Cancel),
    Route::new("GET", "/api/v1/billing/invoices", Endpoint::Invoices),
    Route::new("GET", "/api/v1/billing/checkout", Endpoint::CheckoutPage),
    Route::new("POST", "/api/v1/billing/checkout", Endpoint::CheckoutSubmit),
    Route::new(
        "POST",
        "/api/v1/billing/stripe/webhook",
        Endpoint::StripeEvent,
    ),
    Route::new("POST", "/api/v1/webhooks", Endpoint::CreateWebhook),
    Route::new("GET", "/api/v1/webhooks", Endpoint::ListWebhooks),
    Route::new("GET", "/api/v1/webhooks/:id", Endpoint::ReadWebhook),
    Route::new("PATCH", "/api/v1/webhooks/:id", Endpoint::UpdateWebhook),
    Route::new("DELETE", "/api/v1/webhooks/:id", Endpoint::DeleteWebhook),
    Route::new(
        "GET",
        "/api/v1/webhooks/:id/deliveries",
        Endpoint::ListDeliveries,
    ),
    Route::new(
        "POST",
        "/api/v1/webhooks/:id/deliveries/:delivery/redeliver",
        Endpoint::Redeliver,
    ),
    Route::new("POST", "/api/v1/oauth/clients", Endpoint::CreateClient),
    Route::new("GET", "/api/v1/oauth/clients", Endpoint::ListClients),
    Route::new(
        "DELETE",
        "/api/v1/oauth/clients/:id",
        Endpoint::DeleteClient,
    ),
    Route::new("GET", "/api/v1/oauth/authorize", Endpoint::AuthorizePage),
    Route::new("POST", "/api/v1/oauth/authorize", Endpoint::AuthorizeSubmit),
    Route::new("POST", "/api/v1/oauth/token", Endpoint::Token),
    Route::new("POST", "/api/v1/oauth/revoke", Endpoint::RevokeToken),
];

/// The request's answer, and the usage of the limit it was counted in
/// (for the rate-limit headers), when it got that far.
async fn serve<E: Env>(
    env: &E,
    db: &E::Db,
    kv: &E::Kv,
    mut request: Request,
    body: Body,
) -> (Option<limits::Usage>, Result<Response, AgentsError>) {
    let now = env.clock().now();
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let (endpoint, captures) = match routes::find(ROUTES, &method, &path) {
        Matched::Found(endpoint, captures) => (endpoint, captures),
        Matched::MethodNotAllowed(allow) => {
            return (None, Err(AgentsError::method_not_allowed(&method, &allow)));
        }
        Matched::NotFound => return (None, Err(AgentsError::not_found(&path))),
    };
    let id = captures.first().copied().unwrap_or_default();
    let second = captures.get(1).copied().unwrap_or_default();
    let client = client::address(&request);
    // A key is checked before anything is counted against its account; a
    // request without a valid one counts against its address.
    let caller = if endpoint.is_public() {
        None
    } else {
        match auth::authenticate(db, header(&request, "authorization"), now) {
            Ok(caller) => Some(caller),
            Err(error) => {
                let usage = limits::count_anonymous(kv, client, now);
                return (usage.ok(), Err(error));
            }
        }
    };
    let usage = match (&caller, endpoint) {
        (None, Endpoint::StripeEvent) => limits::count_provider_events(kv, client, now),
        (None, _) => limits::count_anonymous(kv, client, now),
        (Some(caller), _) => {
            let multiplier = settings::positive_integer(env, "agents_rate_limit_multiplier", 1);
            let limits = caller.plan.limits.scaled(multiplier);
            limits::count_account(kv, caller.organization_id(), limits, now)
        }
    };
    let usage = match usage {
        Ok(usage) => usage,
        Err(error) => return (None, Err(error)),
    };
    if usage.exceeded() {
        return (Some(usage), Err(limits::too_many_requests(&usage, now)));
    }
    if let Err(error) = read_body(&mut request, body, BODY_LIMIT).await {
        return (Some(usage), Err(error.into()));
    }
    let outcome = route(
        env,
        db,
        kv,
        &request,
        endpoint,
        caller.as_ref(),
        [id, second],
        client,
        now,
    )
    .await;
    (Some(usage), outcome)
}

/// Runs the endpoint.
#[allow(clippy::too_many_arguments)]
async fn route<E: Env>(
    env: &E,
    db: &E::Db,
    kv: &E::Kv,
    request: &Request,
    endpoint: Endpoint,
    caller: Option<&auth::Caller>,
    [id, second]: [&str; 2],
    client: Option<std::net::IpAddr>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let url_policy = || webhooks::UrlPolicy {
        allow_loopback: env
            .variable("webhook_allow_loopback")
            .is_some_and(|value| value.trim() == "true"),
    };
    let body = request.body().as_slice();
    let query = || Query::from_request(request);
    match (endpoint, caller) {
        (Endpoint::Register, _) => accounts::register(db, kv, body, client, now),
        (Endpoint::Verify, _) => accounts::verify(db, body, now),
        (Endpoint::ResendCode, _) => accounts::resend_code(db, kv, body, now),
        (Endpoint::Login, _) => accounts::login(db, kv, body, client, now),
        (Endpoint::Plans, _) => Ok(billing::plans()),
        (Endpoint::CheckoutPage, _) => billing::checkout_page(db, &query(), now),
        (Endpoint::CheckoutSubmit, _) => billing::checkout_submit(db, body, now),
        (Endpoint::AuthorizePage, _) => oauth::authorize_page(db, &query()),
        (Endpoint::AuthorizeSubmit, _) => oauth::authorize_submit(db, kv, body, client, now),
        (Endpoint::Token, _) => oauth::token(db, header(request, "authorization"), body, now),
        (Endpoint::RevokeToken, _) => {
            oauth::revoke(db, header(request, "authorization"), body, now)
        }
        (Endpoint::StripeEvent, _) => billing::stripe_event(
            db,
            &billing::BillingConfig::from_env(env),
            header(request, "stripe-signature"),
            body,
            now,
        ),
        (_, None) => Err(AgentsError::internal_because(
            "a keyed endpoint without a caller",
        )),
        (Endpoint::CreateKey, Some(caller)) => keys::create(db, caller, body, now),
        (Endpoint::ListKeys, Some(caller)) => keys::list(db, caller, &query(), now),
        (Endpoint::RotateKey, Some(caller)) => keys::rotate(db, caller, id, now),
        (Endpoint::RevokeKey, Some(caller)) => keys::revoke(db, caller, id, now),
        (Endpoint::CreateBusiness, Some(caller)) => business::create(db, caller, body, now),
        (Endpoint::ReadBusiness, Some(caller)) => business::read(db, caller),
        (Endpoint::UpdateBusiness, Some(caller)) => business::update(db, caller, body, now),
        (Endpoint::Subscribe, Some(caller)) => {
            billing::subscribe(
                db,
                env.http(),
                &billing::BillingConfig::from_env(env),
                caller,
                body,
                settings::trusted_base_url(env, request),
                now,
            )
            .await
        }
        (Endpoint::SubscribeStatus, Some(caller)) => {
            billing::subscribe_status(db, caller, &query(), now)
        }
        (Endpoint::BillingStatus, Some(caller)) => billing::status(db, caller, now),
        (Endpoint::Cancel, Some(caller)) => {
            billing::cancel(
                db,
                env.http(),
                &billing::BillingConfig::from_env(env),
                caller,
                now,
            )
            .await
        }
        (Endpoint::Invoices, Some(caller)) => billing::invoices(db, caller, &query()),
        (Endpoint::CreateWebhook, Some(caller)) => {
            webhooks::create(db, caller, body, url_policy(), now)
        }
        (Endpoint::ListWebhooks, Some(caller)) => webhooks::list(db, caller, &query()),
        (Endpoint::ReadWebhook, Some(caller)) => webhooks::read(db, caller, id),
        (Endpoint::UpdateWebhook, Some(caller)) => {
            webhooks::update(db, caller, id, body, url_policy(), now)
        }
        (Endpoint::DeleteWebhook, Some(caller)) => webhooks::delete(db, caller, id),
        (Endpoint::ListDeliveries, Some(caller)) => webhooks::deliveries(db, caller, id, &query()),
        (Endpoint::Redeliver, Some(caller)) => webhooks::redeliver(db, caller, id, second, now),
        (Endpoint::CreateClient, Some(caller)) => oauth::create_client(db, caller, body, now),
        (Endpoint::ListClients, Some(caller)) => oauth::list_clients(db, caller),
        (Endpoint::DeleteClient, Some(caller)) => oauth::delete_client(db, caller, id, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_table_answers_405_with_allow_for_known_paths() {
        assert_eq!(
            routes::find(ROUTES, "GET", "/api/v1/auth/login"),
            Matched::MethodNotAllowed("POST".into())
        );
        assert_eq!(
            routes::find(ROUTES, "POST", "/api/v1/auth/verify/resend"),
            Matched::Found(Endpoint::ResendCode, vec![])
        );
        assert_eq!(
            routes::find(ROUTES, "POST", "/api/v1/auth/nope"),
            Matched::NotFound
        );
    }

    #[test]
    fn the_openapi_document_describes_every_route_and_no_other() {
        let document: serde_json::Value =
            serde_json::from_str(include_str!("../../../openapi/agents-v1.json")).expect("json");
        // Path parameters as `{}`, whatever their names.
        let shape = |path: &str| -> String {
            path.split('/')
                .map(|segment| {
                    if segment.starts_with(':') || segment.starts_with('{') {
                        "{}"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        };
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, operations) in document["paths"].as_object().expect("paths") {
            for method in operations.as_object().expect("operations").keys() {
                documented.push((method.to_uppercase(), shape(path)));
            }
        }
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|route| (route.method.to_string(), shape(route.pattern)))
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
    }
}
