//! The agents API (`/api/v1/...`): the surface AI agents use to open an
//! advertiser account and buy ads without a person at a dashboard.
//!
//! Errors are `{"error": {code, message, status, details, request_id}}`
//! ([`AgentsError`]); every response carries `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` ([`limits`]).

pub mod accounts;
pub mod ai;
pub mod analytics;
pub mod auth;
pub mod batch;
pub mod billing;
pub mod business;
pub mod campaigns;
mod client;
pub mod error;
pub mod events;
pub mod html;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod mcp;
pub mod oauth;
pub mod pages;
pub mod password;
pub mod plans;
pub mod platforms;
pub mod rules;
pub mod safety;
pub mod scopes;
pub mod store;
#[cfg(test)]
mod test_support;
mod text;
pub mod webhooks;
pub mod worker;

pub use error::AgentsError;

use std::net::IpAddr;

use adspin_core::clock::Clock;
use adspin_core::db::Database;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::outbound::HttpClient;
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
    if request.uri().path() == mcp::PATH {
        return mcp::handle(env, db, kv, request, body).await;
    }
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

/// An agents API endpoint: served without a key, or for a key's caller.
/// The route table says which, so a keyed endpoint is never reached
/// without an authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Public(Public),
    Keyed(Keyed),
}

/// Endpoints served without a key (counted per client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Public {
    Register,
    Verify,
    ResendCode,
    Login,
    DashboardSession,
    Plans,
    CheckoutPage,
    CheckoutSubmit,
    StripeEvent,
    AuthorizePage,
    AuthorizeSubmit,
    Token,
    RevokeToken,
    PlatformSetupPage,
    PlatformSetupSubmit,
    PlatformCallback,
}

/// Endpoints that need a key (counted per account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyed {
    CreateKey,
    ListKeys,
    RotateKey,
    RevokeKey,
    CreateBusiness,
    ReadBusiness,
    UpdateBusiness,
    Subscribe,
    SubscribeStatus,
    BillingStatus,
    Cancel,
    Invoices,
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
    CreateCampaign,
    ListCampaigns,
    ReadCampaign,
    UpdateCampaign,
    DeleteCampaign,
    LaunchCampaign,
    CreateAdSet,
    ListAdSets,
    ReadAdSet,
    UpdateAdSet,
    DeleteAdSet,
    CreateAd,
    ListAds,
    ReadAd,
    UpdateAd,
    DeleteAd,
    AnalyticsOverview,
    CampaignAnalytics,
    TimeSeries,
    Report,
    Predictions,
    CreateRule,
    ListRules,
    ReadRule,
    UpdateRule,
    DeleteRule,
    ConnectPlatform,
    ConnectStatus,
    ListPlatforms,
    PlatformHealth,
    DisconnectPlatform,
    ListAuditLog,
    ReadSafety,
    UpdateSafety,
    Batch,
    GenerateText,
    GenerateImage,
    GenerateVariations,
    ReadGeneration,
    Suggest,
}

/// What the safety layer needs to know of a write ([`Keyed::write`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Write {
    /// The kind of resource it writes, as the audit log names it.
    resource: &'static str,
    /// The endpoint that reads the resource before the write (same path
    /// captures), for the audit log's `before`.
    before: Option<Keyed>,
    /// Whether it can raise the committed daily spend: it is run once
    /// with the spend measured before it is run for real.
    raises_spend: bool,
}

impl Keyed {
    /// The write this endpoint performs (`None` for a read: every `GET`,
    /// and `POST /analytics/reports`, which renders a report and stores
    /// nothing).
    const fn write(self) -> Option<Write> {
        const fn write(
            resource: &'static str,
            before: Option<Keyed>,
            raises_spend: bool,
        ) -> Option<Write> {
            Some(Write {
                resource,
                before,
                raises_spend,
            })
        }
        match self {
            Self::CreateKey | Self::RotateKey | Self::RevokeKey => write("key", None, false),
            Self::CreateBusiness => write("business", None, false),
            Self::UpdateBusiness => write("business", Some(Self::ReadBusiness), false),
            Self::Subscribe | Self::Cancel => {
                write("subscription", Some(Self::BillingStatus), false)
            }
            Self::CreateWebhook => write("webhook", None, false),
            Self::UpdateWebhook | Self::DeleteWebhook => {
                write("webhook", Some(Self::ReadWebhook), false)
            }
            Self::Redeliver => write("webhook_delivery", None, false),
            Self::CreateClient | Self::DeleteClient => write("oauth_client", None, false),
            Self::CreateCampaign => write("campaign", None, false),
            Self::UpdateCampaign | Self::LaunchCampaign => {
                write("campaign", Some(Self::ReadCampaign), true)
            }
            Self::DeleteCampaign => write("campaign", Some(Self::ReadCampaign), false),
            Self::CreateAdSet => write("ad_set", None, false),
            Self::UpdateAdSet | Self::DeleteAdSet => write("ad_set", Some(Self::ReadAdSet), false),
            Self::CreateAd => write("ad", None, false),
            Self::UpdateAd | Self::DeleteAd => write("ad", Some(Self::ReadAd), false),
            Self::CreateRule => write("rule", None, true),
            Self::UpdateRule => write("rule", Some(Self::ReadRule), true),
            Self::DeleteRule => write("rule", Some(Self::ReadRule), false),
            Self::ConnectPlatform | Self::DisconnectPlatform => write("platform", None, false),
            Self::UpdateSafety => write("safety_settings", Some(Self::ReadSafety), false),
            Self::ListKeys
            | Self::ReadBusiness
            | Self::SubscribeStatus
            | Self::BillingStatus
            | Self::Invoices
            | Self::ListWebhooks
            | Self::ReadWebhook
            | Self::ListDeliveries
            | Self::ListClients
            | Self::ListCampaigns
            | Self::ReadCampaign
            | Self::ListAdSets
            | Self::ReadAdSet
            | Self::ListAds
            | Self::ReadAd
            | Self::AnalyticsOverview
            | Self::CampaignAnalytics
            | Self::TimeSeries
            | Self::Report
            | Self::Predictions
            | Self::ListRules
            | Self::ReadRule
            | Self::ConnectStatus
            | Self::ListPlatforms
            | Self::PlatformHealth
            | Self::ListAuditLog
            | Self::ReadSafety
            | Self::Batch
            | Self::ReadGeneration
            | Self::Suggest => None,
            // A generation is stored and spends credits.
            Self::GenerateText | Self::GenerateImage | Self::GenerateVariations => {
                write("generation", None, false)
            }
        }
    }
}

use Endpoint::{Keyed as K, Public as P};

/// Every agents API endpoint, once (the `Allow` of a `405` comes from here).
const ROUTES: &[Route<Endpoint>] = &[
    Route::new("POST", "/api/v1/auth/register", P(Public::Register)),
    Route::new("POST", "/api/v1/auth/verify", P(Public::Verify)),
    Route::new("POST", "/api/v1/auth/verify/resend", P(Public::ResendCode)),
    Route::new("POST", "/api/v1/auth/login", P(Public::Login)),
    Route::new("POST", "/api/v1/auth/session", P(Public::DashboardSession)),
    Route::new("POST", "/api/v1/auth/keys", K(Keyed::CreateKey)),
    Route::new("GET", "/api/v1/auth/keys", K(Keyed::ListKeys)),
    Route::new("POST", "/api/v1/auth/keys/:id/rotate", K(Keyed::RotateKey)),
    Route::new("DELETE", "/api/v1/auth/keys/:id", K(Keyed::RevokeKey)),
    Route::new("POST", "/api/v1/account/business", K(Keyed::CreateBusiness)),
    Route::new("GET", "/api/v1/account/business", K(Keyed::ReadBusiness)),
    Route::new(
        "PATCH",
        "/api/v1/account/business",
        K(Keyed::UpdateBusiness),
    ),
    Route::new("GET", "/api/v1/account/safety", K(Keyed::ReadSafety)),
    Route::new("PATCH", "/api/v1/account/safety", K(Keyed::UpdateSafety)),
    Route::new("GET", "/api/v1/audit-log", K(Keyed::ListAuditLog)),
    Route::new("GET", "/api/v1/billing/plans", P(Public::Plans)),
    Route::new("POST", "/api/v1/billing/subscribe", K(Keyed::Subscribe)),
    Route::new(
        "GET",
        "/api/v1/billing/subscribe/status",
        K(Keyed::SubscribeStatus),
    ),
    Route::new("GET", "/api/v1/billing/status", K(Keyed::BillingStatus)),
    Route::new("POST", "/api/v1/billing/cancel", K(Keyed::Cancel)),
    Route::new("GET", "/api/v1/billing/invoices", K(Keyed::Invoices)),
    Route::new("GET", "/api/v1/billing/checkout", P(Public::CheckoutPage)),
    Route::new(
        "POST",
        "/api/v1/billing/checkout",
        P(Public::CheckoutSubmit),
    ),
    Route::new(
        "POST",
        "/api/v1/billing/stripe/webhook",
        P(Public::StripeEvent),
    ),
    Route::new("POST", "/api/v1/webhooks", K(Keyed::CreateWebhook)),
    Route::new("GET", "/api/v1/webhooks", K(Keyed::ListWebhooks)),
    Route::new("GET", "/api/v1/webhooks/:id", K(Keyed::ReadWebhook)),
    Route::new("PATCH", "/api/v1/webhooks/:id", K(Keyed::UpdateWebhook)),
    Route::new("DELETE", "/api/v1/webhooks/:id", K(Keyed::DeleteWebhook)),
    Route::new(
        "GET",
        "/api/v1/webhooks/:id/deliveries",
        K(Keyed::ListDeliveries),
    ),
    Route::new(
        "POST",
        "/api/v1/webhooks/:id/deliveries/:delivery/redeliver",
        K(Keyed::Redeliver),
    ),
    Route::new("POST", "/api/v1/oauth/clients", K(Keyed::CreateClient)),
    Route::new("GET", "/api/v1/oauth/clients", K(Keyed::ListClients)),
    Route::new(
        "DELETE",
        "/api/v1/oauth/clients/:id",
        K(Keyed::DeleteClient),
    ),
    Route::new("GET", "/api/v1/oauth/authorize", P(Public::AuthorizePage)),
    Route::new(
        "POST",
        "/api/v1/oauth/authorize",
        P(Public::AuthorizeSubmit),
    ),
    Route::new("POST", "/api/v1/oauth/token", P(Public::Token)),
    Route::new("POST", "/api/v1/oauth/revoke", P(Public::RevokeToken)),
    Route::new("POST", "/api/v1/campaigns", K(Keyed::CreateCampaign)),
    Route::new("GET", "/api/v1/campaigns", K(Keyed::ListCampaigns)),
    Route::new("GET", "/api/v1/campaigns/:id", K(Keyed::ReadCampaign)),
    Route::new("PATCH", "/api/v1/campaigns/:id", K(Keyed::UpdateCampaign)),
    Route::new("DELETE", "/api/v1/campaigns/:id", K(Keyed::DeleteCampaign)),
    Route::new(
        "POST",
        "/api/v1/campaigns/:id/launch",
        K(Keyed::LaunchCampaign),
    ),
    Route::new(
        "POST",
        "/api/v1/campaigns/:id/ad-sets",
        K(Keyed::CreateAdSet),
    ),
    Route::new("GET", "/api/v1/campaigns/:id/ad-sets", K(Keyed::ListAdSets)),
    Route::new(
        "GET",
        "/api/v1/campaigns/:id/ad-sets/:ad_set",
        K(Keyed::ReadAdSet),
    ),
    Route::new(
        "PATCH",
        "/api/v1/campaigns/:id/ad-sets/:ad_set",
        K(Keyed::UpdateAdSet),
    ),
    Route::new(
        "DELETE",
        "/api/v1/campaigns/:id/ad-sets/:ad_set",
        K(Keyed::DeleteAdSet),
    ),
    Route::new(
        "POST",
        "/api/v1/campaigns/:id/ad-sets/:ad_set/ads",
        K(Keyed::CreateAd),
    ),
    Route::new(
        "GET",
        "/api/v1/campaigns/:id/ad-sets/:ad_set/ads",
        K(Keyed::ListAds),
    ),
    Route::new(
        "GET",
        "/api/v1/campaigns/:id/ad-sets/:ad_set/ads/:ad",
        K(Keyed::ReadAd),
    ),
    Route::new(
        "PATCH",
        "/api/v1/campaigns/:id/ad-sets/:ad_set/ads/:ad",
        K(Keyed::UpdateAd),
    ),
    Route::new(
        "DELETE",
        "/api/v1/campaigns/:id/ad-sets/:ad_set/ads/:ad",
        K(Keyed::DeleteAd),
    ),
    Route::new(
        "GET",
        "/api/v1/analytics/overview",
        K(Keyed::AnalyticsOverview),
    ),
    Route::new(
        "GET",
        "/api/v1/analytics/campaigns/:id",
        K(Keyed::CampaignAnalytics),
    ),
    Route::new("GET", "/api/v1/analytics/time-series", K(Keyed::TimeSeries)),
    Route::new("POST", "/api/v1/analytics/reports", K(Keyed::Report)),
    Route::new(
        "GET",
        "/api/v1/analytics/predictions",
        K(Keyed::Predictions),
    ),
    Route::new("POST", "/api/v1/optimization/rules", K(Keyed::CreateRule)),
    Route::new("GET", "/api/v1/optimization/rules", K(Keyed::ListRules)),
    Route::new("GET", "/api/v1/optimization/rules/:id", K(Keyed::ReadRule)),
    Route::new(
        "PATCH",
        "/api/v1/optimization/rules/:id",
        K(Keyed::UpdateRule),
    ),
    Route::new(
        "DELETE",
        "/api/v1/optimization/rules/:id",
        K(Keyed::DeleteRule),
    ),
    Route::new("GET", "/api/v1/platforms", K(Keyed::ListPlatforms)),
    Route::new(
        "POST",
        "/api/v1/platforms/:platform/connect",
        K(Keyed::ConnectPlatform),
    ),
    Route::new(
        "GET",
        "/api/v1/platforms/:platform/connect/status",
        K(Keyed::ConnectStatus),
    ),
    Route::new(
        "GET",
        "/api/v1/platforms/:platform/setup",
        P(Public::PlatformSetupPage),
    ),
    Route::new(
        "POST",
        "/api/v1/platforms/:platform/setup",
        P(Public::PlatformSetupSubmit),
    ),
    Route::new(
        "GET",
        "/api/v1/platforms/:platform/callback",
        P(Public::PlatformCallback),
    ),
    Route::new(
        "GET",
        "/api/v1/platforms/:id/status",
        K(Keyed::PlatformHealth),
    ),
    Route::new(
        "DELETE",
        "/api/v1/platforms/:id",
        K(Keyed::DisconnectPlatform),
    ),
    Route::new("POST", "/api/v1/batch", K(Keyed::Batch)),
    Route::new("POST", "/api/v1/ai/generate/text", K(Keyed::GenerateText)),
    Route::new("POST", "/api/v1/ai/generate/image", K(Keyed::GenerateImage)),
    Route::new(
        "POST",
        "/api/v1/ai/generate/variations",
        K(Keyed::GenerateVariations),
    ),
    Route::new("POST", "/api/v1/ai/optimize/suggest", K(Keyed::Suggest)),
    Route::new(
        "GET",
        "/api/v1/ai/generations/:id",
        K(Keyed::ReadGeneration),
    ),
];

/// An endpoint with what it may be run as: keyed endpoints carry their
/// authenticated caller.
enum Authorized {
    Public(Public),
    Keyed(Keyed, Box<auth::Caller>),
}

/// What an endpoint is given: the platform, the request (its body read)
/// and who sent it.
struct Context<'a, E: Env> {
    env: &'a E,
    db: &'a E::Db,
    kv: &'a E::Kv,
    request: &'a Request,
    client: Option<IpAddr>,
    now: UnixSeconds,
}

impl<E: Env> Context<'_, E> {
    fn body(&self) -> &[u8] {
        self.request.body()
    }

    fn query(&self) -> Query {
        Query::from_request(self.request)
    }

    fn header(&self, name: &str) -> Option<&str> {
        header(self.request, name)
    }

    fn billing(&self) -> billing::BillingConfig {
        billing::BillingConfig::from_env(self.env)
    }

    fn meta(&self) -> Option<platforms::meta::MetaConfig> {
        platforms::meta::MetaConfig::from_env(self.env)
    }

    /// The key platform tokens are sealed with.
    fn secret(&self) -> Vec<u8> {
        settings::tracking_secret(self.env)
    }

    /// Whether the request came over HTTPS (cookies are then `Secure`).
    fn is_https(&self) -> bool {
        adspin_core::web::base_url(self.request).starts_with("https://")
    }

    fn base_url(&self) -> Result<String, settings::UntrustedHost> {
        settings::trusted_base_url(self.env, self.request)
    }

    fn url_policy(&self) -> webhooks::UrlPolicy {
        webhooks::UrlPolicy {
            allow_loopback: self
                .env
                .variable("webhook_allow_loopback")
                .is_some_and(|value| value.trim() == "true"),
        }
    }
}

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
    let ids = [
        captures.first().copied().unwrap_or_default(),
        captures.get(1).copied().unwrap_or_default(),
        captures.get(2).copied().unwrap_or_default(),
    ];
    let client = client::address(&request);
    // A key is checked before anything is counted against its account; a
    // request without a valid one counts against its address.
    let (authorized, usage) = match endpoint {
        P(public @ Public::StripeEvent) => (
            Authorized::Public(public),
            limits::count_provider_events(kv, client, now),
        ),
        P(public) => (
            Authorized::Public(public),
            limits::count_anonymous(kv, client, now),
        ),
        K(keyed) => match auth::authenticate(db, header(&request, "authorization"), now) {
            Err(error) => return (limits::count_anonymous(kv, client, now).ok(), Err(error)),
            Ok(caller) => {
                let usage = count_caller(env, kv, &caller, now);
                (Authorized::Keyed(keyed, Box::new(caller)), usage)
            }
        },
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
    let context = Context {
        env,
        db,
        kv,
        request: &request,
        client,
        now,
    };
    let outcome = match &authorized {
        Authorized::Public(endpoint) => public(&context, *endpoint, ids[0]).await,
        Authorized::Keyed(Keyed::Batch, caller) => batch::run(&context, caller).await,
        Authorized::Keyed(endpoint, caller) => {
            let via = safety::audit::Via::Route {
                method: method.clone(),
                path: path.clone(),
            };
            dispatch(&context, *endpoint, caller, ids, via).await
        }
    };
    (Some(usage), outcome)
}

/// Runs a keyed endpoint for an authenticated caller: a read as it is, a
/// write through the safety checks ([`guarded`]), recorded in the audit
/// log as having come `via` its route (or an MCP tool that runs it).
async fn dispatch<E: Env>(
    context: &Context<'_, E>,
    endpoint: Keyed,
    caller: &auth::Caller,
    ids: [&str; 3],
    via: safety::audit::Via,
) -> Result<Response, AgentsError> {
    match endpoint.write() {
        None => {
            keyed(
                context,
                (context.db, context.env.http()),
                endpoint,
                caller,
                ids,
            )
            .await
        }
        Some(write) => guarded(context, endpoint, write, caller, ids, via).await,
    }
}

/// Runs a write for an authenticated caller, with the safety checks of
/// [`safety`]: a dry run, the key's spend cap, the confirmation of a
/// spend raise above the account's threshold, and the audit log.
async fn guarded<E: Env>(
    context: &Context<'_, E>,
    endpoint: Keyed,
    write: Write,
    caller: &auth::Caller,
    ids: [&str; 3],
    via: safety::audit::Via,
) -> Result<Response, AgentsError> {
    let Context { env, db, now, .. } = *context;
    let dry_run = safety::dry_run::requested(context.request)?;
    let method = context.request.method().as_str();
    let path = context.request.uri().path();
    let before = match write.before {
        Some(read) => snapshot(context, read, caller, ids).await,
        None => None,
    };
    let audit = |outcome, status, after: Option<serde_json::Value>| {
        let resource_id = after
            .as_ref()
            .or(before.as_ref())
            .and_then(|value| value.get("id"))
            .map(|id| match id {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .or_else(|| {
                ids.iter()
                    .rev()
                    .find(|id| !id.is_empty())
                    .map(|id| id.to_string())
            });
        let entry = safety::audit::Entry {
            via: &via,
            resource: Some(write.resource),
            resource_id,
            outcome,
            status,
            before: before.clone(),
            after,
        };
        safety::audit::record(db, caller, &entry, now)
    };
    if dry_run || write.raises_spend {
        let held_back = safety::dry_run::HeldBack::default();
        let (outcome, change) = rehearse(context, endpoint, caller, ids, &held_back).await?;
        let response = outcome?;
        if change.raise().get() > 0
            && let Some(cap) = safety::spend::cap(db, caller.key.seq)?
            && change.after > cap
        {
            let error = safety::spend::cap_exceeded(change, cap);
            if !dry_run {
                audit(
                    safety::audit::Outcome::SpendCapExceeded,
                    error.status(),
                    None,
                )?;
            }
            return Err(error);
        }
        let threshold = safety::spend::threshold(db, caller.organization_id())?;
        let needs_confirmation = change.raise() > threshold;
        if dry_run {
            return Ok(safety::dry_run_answer(
                &response,
                change,
                needs_confirmation,
                held_back.requests(),
            ));
        }
        if needs_confirmation {
            let request_hash = safety::confirm::request_hash(method, path, context.body());
            match context.header(safety::confirm::HEADER) {
                Some(token) => {
                    safety::confirm::redeem(db, caller, token, &request_hash, now)?;
                }
                None => {
                    let error =
                        safety::confirm::issue(db, caller, &request_hash, change, threshold, now)?;
                    audit(
                        safety::audit::Outcome::ConfirmationRequired,
                        error.status(),
                        None,
                    )?;
                    return Err(error);
                }
            }
        }
    }
    let response = keyed(context, (db, env.http()), endpoint, caller, ids).await?;
    let after = safety::body_json(&response);
    if let Err(error) = audit(
        safety::audit::Outcome::Applied,
        response.status().as_u16(),
        after,
    ) {
        // The write is applied: answering 500 now would invite a retry.
        adspin_core::log::warn(&format!("audit log entry not recorded: {error}"));
    }
    Ok(response)
}

/// Runs a write in a transaction that is always rolled back, with
/// outbound requests held back: its answer (or error) and the committed
/// daily spend before and after it.
async fn rehearse<E: Env>(
    context: &Context<'_, E>,
    endpoint: Keyed,
    caller: &auth::Caller,
    ids: [&str; 3],
    held_back: &safety::dry_run::HeldBack,
) -> Result<(Result<Response, AgentsError>, safety::spend::Change), AgentsError> {
    let Context { db, now, .. } = *context;
    let (organization, mode) = (caller.organization_id(), caller.mode());
    db.execute("BEGIN IMMEDIATE", &[])?;
    let nested = safety::dry_run::Nested::new(db);
    let before = safety::spend::committed(db, organization, mode, now);
    let outcome = keyed(context, (&nested, held_back), endpoint, caller, ids).await;
    let after = safety::spend::committed(db, organization, mode, now);
    db.execute("ROLLBACK", &[])?;
    let change = safety::spend::Change {
        before: before?,
        after: after?,
    };
    Ok((outcome, change))
}

/// The resource a write is about to change, read by the endpoint `read`
/// (with every read scope: the audit log shows it to the account whatever
/// the writing key may read); `None` when there is none.
async fn snapshot<E: Env>(
    context: &Context<'_, E>,
    read: Keyed,
    caller: &auth::Caller,
    ids: [&str; 3],
) -> Option<serde_json::Value> {
    let mut reader = caller.clone();
    reader.key.scopes = scopes::Scope::ALL.to_vec();
    let response = keyed(
        context,
        (context.db, context.env.http()),
        read,
        &reader,
        ids,
    )
    .await
    .ok()?;
    safety::body_json(&response)
}

/// Counts one request of `caller` in its account's windows (its plan's
/// limits times the deployment's `agents_rate_limit_multiplier`).
fn count_caller(
    env: &impl Env,
    kv: &impl adspin_core::kv::KeyValue,
    caller: &auth::Caller,
    now: UnixSeconds,
) -> Result<limits::Usage, AgentsError> {
    Ok(count_caller_requests(env, kv, caller, now, 1)?.of(0))
}

/// Counts `requests` requests of `caller` at once (a batch's items).
fn count_caller_requests(
    env: &impl Env,
    kv: &impl adspin_core::kv::KeyValue,
    caller: &auth::Caller,
    now: UnixSeconds,
    requests: u32,
) -> Result<limits::AccountCount, AgentsError> {
    let multiplier = settings::positive_integer(env, "agents_rate_limit_multiplier", 1);
    let limits = caller.plan.limits.scaled(multiplier);
    limits::AccountCount::new(kv, caller.organization_id(), limits, now, requests)
}

/// Runs one request of a batch for the batch's caller (already counted
/// against its limits): routed like any request, refused unless it names a
/// keyed endpoint other than `/batch`.
async fn batch_item<E: Env>(
    context: &Context<'_, E>,
    request: &Request,
    caller: &auth::Caller,
) -> Result<Response, AgentsError> {
    let method = request.method().as_str();
    let path = request.uri().path();
    let (endpoint, captures) = match routes::find(ROUTES, method, path) {
        Matched::Found(K(Keyed::Batch), _) => return Err(batch::nested()),
        Matched::Found(P(_), _) => return Err(batch::not_keyed(path)),
        Matched::Found(K(endpoint), captures) => (endpoint, captures),
        Matched::MethodNotAllowed(allow) => {
            return Err(AgentsError::method_not_allowed(method, &allow));
        }
        Matched::NotFound => return Err(AgentsError::not_found(path)),
    };
    let ids = [
        captures.first().copied().unwrap_or_default(),
        captures.get(1).copied().unwrap_or_default(),
        captures.get(2).copied().unwrap_or_default(),
    ];
    let item = Context {
        request,
        ..*context
    };
    let via = safety::audit::Via::Route {
        method: method.to_string(),
        path: path.to_string(),
    };
    dispatch(&item, endpoint, caller, ids, via).await
}

/// Runs an endpoint that needs no key.
async fn public<E: Env>(
    context: &Context<'_, E>,
    endpoint: Public,
    id: &str,
) -> Result<Response, AgentsError> {
    let Context {
        db,
        kv,
        client,
        now,
        ..
    } = *context;
    let body = context.body();
    match endpoint {
        Public::Register => accounts::register(db, kv, body, client, now),
        Public::Verify => accounts::verify(db, body, now),
        Public::ResendCode => accounts::resend_code(db, kv, body, now),
        Public::Login => accounts::login(db, kv, body, client, now),
        Public::DashboardSession => accounts::dashboard_session(
            db,
            kv,
            body,
            (client, context.is_https()),
            context
                .env
                .variable("dashboard_jwt_secret")
                .unwrap_or_default()
                .as_bytes(),
            now,
        ),
        Public::Plans => Ok(billing::plans()),
        Public::CheckoutPage => billing::checkout_page(db, &context.query(), now),
        Public::CheckoutSubmit => billing::checkout_submit(db, body, now),
        Public::StripeEvent => billing::stripe_event(
            db,
            &context.billing(),
            context.header("stripe-signature"),
            body,
            now,
        ),
        Public::AuthorizePage => oauth::authorize_page(db, &context.query()),
        Public::AuthorizeSubmit => oauth::authorize_submit(db, kv, body, client, now),
        Public::Token => oauth::token(db, context.header("authorization"), body, now),
        Public::RevokeToken => oauth::revoke(db, context.header("authorization"), body, now),
        Public::PlatformSetupPage => platforms::setup_page(
            db,
            id,
            &context.query(),
            context.meta().as_ref(),
            context.base_url(),
            now,
        ),
        Public::PlatformSetupSubmit => platforms::setup_submit(
            db,
            id,
            body,
            context.meta().as_ref(),
            &context.secret(),
            now,
        ),
        Public::PlatformCallback => {
            platforms::callback(
                db,
                context.env.http(),
                id,
                &context.query(),
                (context.meta().as_ref(), &context.secret()),
                context.base_url(),
                now,
            )
            .await
        }
    }
}

/// Runs an endpoint for an authenticated caller; `id`, `second` and
/// `third` are the path's captures.
async fn keyed<E: Env, D: Database, H: HttpClient>(
    context: &Context<'_, E>,
    (db, http): (&D, &H),
    endpoint: Keyed,
    caller: &auth::Caller,
    [id, second, third]: [&str; 3],
) -> Result<Response, AgentsError> {
    let Context { env, now, .. } = *context;
    let body = context.body();
    match endpoint {
        Keyed::CreateKey => keys::create(db, caller, body, now),
        Keyed::ListKeys => keys::list(db, caller, &context.query(), now),
        Keyed::RotateKey => keys::rotate(db, caller, id, now),
        Keyed::RevokeKey => keys::revoke(db, caller, id, now),
        Keyed::CreateBusiness => business::create(db, caller, body, now),
        Keyed::ReadBusiness => business::read(db, caller),
        Keyed::UpdateBusiness => business::update(db, caller, body, now),
        Keyed::Subscribe => {
            let base_url = settings::trusted_base_url(env, context.request);
            billing::subscribe(db, http, &context.billing(), caller, body, base_url, now).await
        }
        Keyed::SubscribeStatus => billing::subscribe_status(db, caller, &context.query(), now),
        Keyed::BillingStatus => billing::status(db, caller, now),
        Keyed::Cancel => billing::cancel(db, http, &context.billing(), caller, now).await,
        Keyed::Invoices => billing::invoices(db, caller, &context.query()),
        Keyed::CreateWebhook => webhooks::create(db, caller, body, context.url_policy(), now),
        Keyed::ListWebhooks => webhooks::list(db, caller, &context.query()),
        Keyed::ReadWebhook => webhooks::read(db, caller, id),
        Keyed::UpdateWebhook => webhooks::update(db, caller, id, body, context.url_policy(), now),
        Keyed::DeleteWebhook => webhooks::delete(db, caller, id),
        Keyed::ListDeliveries => webhooks::deliveries(db, caller, id, &context.query()),
        Keyed::Redeliver => webhooks::redeliver(db, caller, id, second, now),
        Keyed::CreateClient => oauth::create_client(db, caller, body, now),
        Keyed::ListClients => oauth::list_clients(db, caller),
        Keyed::DeleteClient => oauth::delete_client(db, caller, id, now),
        Keyed::CreateCampaign => campaigns::create(db, caller, body, now),
        Keyed::ListCampaigns => campaigns::list(db, caller, &context.query(), now),
        Keyed::ReadCampaign => campaigns::read(db, caller, id, now),
        Keyed::UpdateCampaign => {
            let (meta, secret) = (context.meta(), context.secret());
            let platforms = campaigns::Platforms {
                http,
                meta: meta.as_ref(),
                secret: &secret,
            };
            campaigns::update(db, &platforms, caller, id, body, now).await
        }
        Keyed::DeleteCampaign => {
            let (meta, secret) = (context.meta(), context.secret());
            let platforms = campaigns::Platforms {
                http,
                meta: meta.as_ref(),
                secret: &secret,
            };
            campaigns::delete(db, &platforms, caller, id, now).await
        }
        Keyed::LaunchCampaign => {
            let (meta, secret) = (context.meta(), context.secret());
            let platforms = campaigns::Platforms {
                http,
                meta: meta.as_ref(),
                secret: &secret,
            };
            campaigns::launch(db, &platforms, caller, id, now).await
        }
        Keyed::CreateAdSet => campaigns::ad_sets::create(db, caller, id, body, now),
        Keyed::ListAdSets => campaigns::ad_sets::list(db, caller, id),
        Keyed::ReadAdSet => campaigns::ad_sets::read(db, caller, id, second),
        Keyed::UpdateAdSet => campaigns::ad_sets::update(db, caller, id, second, body, now),
        Keyed::DeleteAdSet => campaigns::ad_sets::delete(db, caller, id, second, now),
        Keyed::CreateAd => campaigns::ads::create(db, caller, [id, second], body, now),
        Keyed::ListAds => campaigns::ads::list(db, caller, [id, second]),
        Keyed::ReadAd => campaigns::ads::read(db, caller, [id, second, third]),
        Keyed::UpdateAd => campaigns::ads::update(db, caller, [id, second, third], body, now),
        Keyed::DeleteAd => campaigns::ads::delete(db, caller, [id, second, third], now),
        Keyed::AnalyticsOverview => analytics::overview(db, caller, &context.query(), now),
        Keyed::CampaignAnalytics => analytics::campaign(db, caller, id, &context.query(), now),
        Keyed::TimeSeries => analytics::time_series(db, caller, &context.query(), now),
        Keyed::Report => analytics::report::report(db, caller, body, now),
        Keyed::Predictions => {
            analytics::predictions::predictions(db, caller, &context.query(), now)
        }
        Keyed::CreateRule => rules::create(db, caller, body, now),
        Keyed::ListRules => rules::list(db, caller, &context.query()),
        Keyed::ReadRule => rules::read(db, caller, id),
        Keyed::UpdateRule => rules::update(db, caller, id, body, now),
        Keyed::DeleteRule => rules::delete(db, caller, id, now),
        Keyed::ConnectPlatform => platforms::connect(
            db,
            caller,
            id,
            context.meta().as_ref(),
            context.base_url(),
            now,
        ),
        Keyed::ConnectStatus => platforms::connect_status(db, caller, id, &context.query(), now),
        Keyed::ListPlatforms => platforms::list(db, caller),
        Keyed::PlatformHealth => {
            platforms::health(
                db,
                http,
                caller,
                id,
                context.meta().as_ref(),
                &context.secret(),
                now,
            )
            .await
        }
        Keyed::DisconnectPlatform => platforms::disconnect(db, caller, id, now),
        Keyed::ListAuditLog => safety::audit::list(db, caller, &context.query()),
        Keyed::ReadSafety => safety::spend::read_settings(db, caller),
        Keyed::UpdateSafety => safety::spend::update_settings(db, caller, body, now),
        // A batch runs from `serve`; inside a batch (or a tool) it is refused.
        Keyed::Batch => Err(batch::nested()),
        Keyed::GenerateText => ai::generate_text(env, db, caller, body, now),
        Keyed::GenerateImage => ai::generate_image(env, db, caller, body, now),
        Keyed::GenerateVariations => ai::generate_variations(env, db, caller, body, now),
        Keyed::ReadGeneration => {
            ai::read_generation(env, db, caller, id, context.base_url(), now).await
        }
        Keyed::Suggest => ai::suggest::suggest(db, caller, body, now),
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
            Matched::Found(P(Public::ResendCode), vec![])
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
