//! Billing: the plans, subscribing through an emailed payment link, the
//! subscription's status, cancellation and invoices.
//!
//! A free plan is active at once. A paid plan answers `pending` with a
//! checkout link (also emailed) valid for 24 hours; the subscription
//! starts when the payment provider reports the payment. Two providers
//! sit behind that link: the embedded **demo** provider, whose checkout
//! page has a button that completes (or declines) the payment, and
//! **Stripe**, where the link leads to a Stripe Checkout Session and
//! Stripe's signed `checkout.session.completed` event activates the plan.
//! Sandbox (`aa_test_`) keys always use the demo provider: nothing in the
//! sandbox spends money.

pub mod store;
pub mod stripe;

use chrono::{DateTime, Months, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::db::{Database, DbError, transaction};
use adspin_core::env::Env;
use adspin_core::ids::OrganizationId;
use adspin_core::keys;
use adspin_core::outbound::HttpClient;
use adspin_core::outbox::{self, Email};
use adspin_core::settings::{self, UntrustedHost};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response};

use crate::AgentsError;
use crate::auth::Caller;
use crate::events;
use crate::html;
use crate::pages::PageRequest;
use crate::plans::{self, CURRENCY, Plan};
use crate::scopes::Scope;
use crate::store::{self as accounts, Mode};
use store::{Checkout, CheckoutStatus, NewInvoice, NewSubscription, Provider, Subscription};
use stripe::StripeConfig;

/// How long a payment link works.
pub const CHECKOUT_LIFETIME_SECONDS: i64 = 24 * 3_600;

/// Which provider takes live payments, from the component's variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingConfig {
    /// `Demo` or `Stripe` (`payment_provider`).
    pub provider: Provider,
    /// Stripe's base URL and secrets, when configured.
    pub stripe: Option<StripeConfig>,
}

impl BillingConfig {
    /// `payment_provider` (`demo`, the default, or `stripe`),
    /// `stripe_api_base`, `stripe_secret_key`, `stripe_webhook_secret`.
    pub fn from_env(env: &impl Env) -> Self {
        let variable = |name: &str| settings::text(env, name);
        let provider = match variable("payment_provider").as_deref() {
            Some("stripe") => Provider::Stripe,
            _ => Provider::Demo,
        };
        let stripe = variable("stripe_secret_key").map(|secret_key| StripeConfig {
            api_base: variable("stripe_api_base")
                .unwrap_or_else(|| "https://api.stripe.com".to_string()),
            secret_key,
            webhook_secret: variable("stripe_webhook_secret").unwrap_or_default(),
        });
        Self { provider, stripe }
    }
}

/// The plan an account's live keys are held to now: its live
/// subscription's, or Free.
pub fn effective_plan(
    db: &impl Database,
    organization_id: OrganizationId,
    now: UnixSeconds,
) -> Result<Plan, DbError> {
    Ok(
        store::current_subscription(db, organization_id, Mode::Live, now)?
            .and_then(|subscription| Plan::by_id(subscription.plan_id))
            .unwrap_or(plans::FREE),
    )
}

/// `GET /billing/plans` (no key needed).
pub fn plans() -> Response {
    let data: Vec<Value> = plans::PLANS.iter().map(Plan::view).collect();
    json_response(200, &json!({ "data": data }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscribeRequest {
    #[serde(default)]
    plan_id: Option<Value>,
    #[serde(default)]
    plan: Option<Value>,
    #[serde(default)]
    billing_cycle: Option<String>,
    #[serde(default)]
    payment_method: Option<String>,
}

/// The plan a subscribe request names: `plan_id` (an id) or `plan` (an id
/// or any of its names).
fn requested_plan(request: &SubscribeRequest) -> Result<Plan, AgentsError> {
    let (field, value) = match (&request.plan_id, &request.plan) {
        (Some(value), _) => ("plan_id", value),
        (None, Some(value)) => ("plan", value),
        (None, None) => {
            return Err(AgentsError::validation(
                "plan_id",
                "Name the plan with plan_id (see GET /billing/plans).",
            ));
        }
    };
    let plan = match value {
        Value::Number(number) => number.as_i64().and_then(Plan::by_id),
        Value::String(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(Plan::by_id)
            .or_else(|| Plan::by_name(text)),
        _ => None,
    };
    plan.ok_or_else(|| {
        let names: Vec<String> = plans::PLANS
            .iter()
            .map(|plan| format!("{} ({})", plan.id, plan.name))
            .collect();
        AgentsError::validation(
            field,
            format!("Unknown plan; the plans are {}.", names.join(", ")),
        )
    })
}

/// `POST /billing/subscribe`.
pub async fn subscribe(
    db: &impl Database,
    http: &impl HttpClient,
    config: &BillingConfig,
    caller: &Caller,
    body: &[u8],
    base_url: Result<String, UntrustedHost>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::BillingWrite)?;
    caller.require_verified()?;
    let request: SubscribeRequest = parse_json(body)?;
    let plan = requested_plan(&request)?;
    if let Some(cycle) = request.billing_cycle.as_deref()
        && cycle != "monthly"
    {
        return Err(AgentsError::validation(
            "billing_cycle",
            "billing_cycle must be monthly, the only cycle.",
        ));
    }
    if let Some(method) = request.payment_method.as_deref()
        && method != "email"
    {
        return Err(AgentsError::validation(
            "payment_method",
            "payment_method must be email: the payment link is emailed.",
        ));
    }
    let organization = caller.organization_id();
    let mode = caller.mode();
    let current = store::current_subscription(db, organization, mode, now)?;
    let current_plan = current.as_ref().and_then(|s| Plan::by_id(s.plan_id));
    if plan.is_free() {
        return subscribe_free(db, caller, current.as_ref(), current_plan, now);
    }
    if let (Some(subscription), Some(current_plan)) = (&current, current_plan)
        && current_plan.id == plan.id
        && !subscription.cancel_at_period_end
    {
        return Err(AgentsError::new(
            409,
            "already_subscribed",
            format!("The {} plan is already active.", plan.name),
        ));
    }
    let base_url = base_url.map_err(AgentsError::internal_because)?;
    let user = accounts::find_user(db, caller.key.user_id)?
        .ok_or_else(|| AgentsError::internal_because("the key's user is missing"))?;
    let token = keys::generate("");
    let token_hash = keys::hash_key(&token);
    let checkout_url = format!("{base_url}/api/v1/billing/checkout?token={token}");
    let provider = if mode == Mode::Test {
        Provider::Demo
    } else {
        config.provider
    };
    let (provider_session_id, provider_url) = match provider {
        Provider::Stripe => {
            let stripe_config = config.stripe.as_ref().ok_or_else(|| {
                AgentsError::internal_because(
                    "payment_provider is stripe but stripe_secret_key is not set",
                )
            })?;
            let session = stripe::create_session(
                http,
                stripe_config,
                &stripe::SessionRequest {
                    plan,
                    email: &user.email,
                    reference: &token_hash,
                    success_url: &format!("{checkout_url}&result=success"),
                    cancel_url: &format!("{checkout_url}&result=canceled"),
                },
            )
            .await
            .map_err(|error| {
                AgentsError::new(
                    502,
                    "payment_provider_unavailable",
                    "The payment provider could not start a checkout. Retry in a minute.",
                )
                .with_cause(error)
            })?;
            (Some(session.id), Some(session.url))
        }
        Provider::Demo | Provider::None => (None, None),
    };
    let expires_at = now.plus_seconds(CHECKOUT_LIFETIME_SECONDS);
    transaction(db, || {
        store::insert_checkout(
            db,
            &Checkout {
                token_hash: token_hash.clone(),
                organization_id: organization,
                mode,
                user_id: user.id,
                plan_id: plan.id,
                provider,
                provider_session_id: provider_session_id.clone(),
                provider_url: provider_url.clone(),
                status: CheckoutStatus::Pending,
                subscription_id: None,
                expires_at,
            },
            now,
        )?;
        let body = format!(
            "Hello {},\n\nComplete your {} subscription (${:.2}/mo) here:\n\n{checkout_url}\n\n\
             The link expires in 24 hours. If you did not ask for this, ignore this email.\n",
            user.first_name,
            plan.name,
            plan.price()
        );
        outbox::enqueue(
            db,
            &Email {
                to: &user.email,
                kind: "checkout_link",
                subject: &format!("Subscribe Now: your {} plan", plan.name),
                body: &body,
            },
            now,
        )?;
        Ok::<_, AgentsError>(())
    })?;
    Ok(json_response(
        200,
        &json!({
            "status": "pending",
            "plan": plan.summary(),
            "checkout_url": checkout_url,
            "token": token,
            "message": format!(
                "A payment link has been sent to {}. Click the link to complete your {} subscription (${:.2}/mo). The link expires in 24 hours.",
                user.email, plan.name, plan.price()
            ),
            "expires_at": expires_at.to_iso8601_numeric_offset(),
        }),
    ))
}

fn subscribe_free(
    db: &impl Database,
    caller: &Caller,
    current: Option<&Subscription>,
    current_plan: Option<Plan>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let subscription = match (current, current_plan) {
        (Some(subscription), Some(plan)) if plan.is_free() => subscription.clone(),
        (Some(_), Some(plan)) => {
            return Err(AgentsError::new(
                409,
                "paid_plan_active",
                format!(
                    "The {} plan is active. Cancel it with POST /billing/cancel; the account returns to Free when its period ends.",
                    plan.name
                ),
            ));
        }
        _ => transaction(db, || {
            store::start_subscription(
                db,
                &NewSubscription {
                    organization_id: caller.organization_id(),
                    mode: caller.mode(),
                    plan_id: plans::FREE.id,
                    provider: Provider::None,
                    provider_reference: None,
                    period_end: None,
                },
                now,
            )
        })?,
    };
    Ok(json_response(
        200,
        &json!({
            "status": "active",
            "subscription": subscription_view(&subscription),
            "message": "Free plan activated.",
        }),
    ))
}

/// `GET /billing/subscribe/status?token=`.
pub fn subscribe_status(
    db: &impl Database,
    caller: &Caller,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::BillingRead)?;
    caller.require_verified()?;
    let token = query
        .get("token")
        .filter(|token| !token.is_empty())
        .ok_or_else(|| AgentsError::validation("token", "token is required."))?;
    let checkout = store::find_checkout(db, &keys::hash_key(token))?
        .filter(|checkout| {
            checkout.organization_id == caller.organization_id() && checkout.mode == caller.mode()
        })
        .ok_or_else(checkout_not_found)?;
    let answer = match checkout.status {
        CheckoutStatus::Pending if checkout.expires_at <= now => json!({
            "status": "expired",
            "message": "The payment link expired. Subscribe again for a new one.",
        }),
        CheckoutStatus::Pending => json!({
            "status": "pending",
            "message": "Waiting for payment to be completed.",
            "expires_at": checkout.expires_at.to_iso8601_numeric_offset(),
        }),
        CheckoutStatus::Failed => json!({
            "status": "failed",
            "message": "The payment failed. Subscribe again for a new link.",
        }),
        CheckoutStatus::Completed => {
            let subscription =
                store::current_subscription(db, checkout.organization_id, checkout.mode, now)?
                    .filter(|subscription| Some(subscription.id) == checkout.subscription_id);
            match subscription {
                Some(subscription) => json!({
                    "status": "active",
                    "subscription": subscription_view(&subscription),
                    "message": "Subscription is active.",
                }),
                None => json!({
                    "status": "ended",
                    "message": "The subscription this payment started is no longer current.",
                }),
            }
        }
    };
    Ok(json_response(200, &answer))
}

/// `GET /billing/status`: the plan in force, and the subscription behind
/// it (`null` on Free without one).
pub fn status(
    db: &impl Database,
    caller: &Caller,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::BillingRead)?;
    caller.require_verified()?;
    let subscription =
        store::current_subscription(db, caller.organization_id(), caller.mode(), now)?;
    let plan = subscription
        .as_ref()
        .and_then(|subscription| Plan::by_id(subscription.plan_id))
        .unwrap_or(plans::FREE);
    let mut plan_view = plan.summary();
    plan_view["limits"] = plan.limits_view();
    Ok(json_response(
        200,
        &json!({
            "plan": plan_view,
            "status": "active",
            "subscription": subscription.as_ref().map(subscription_view),
        }),
    ))
}

/// `POST /billing/cancel`: a paid plan stays until its period ends, then
/// the account is on Free.
pub async fn cancel(
    db: &impl Database,
    http: &impl HttpClient,
    config: &BillingConfig,
    caller: &Caller,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::BillingWrite)?;
    caller.require_verified()?;
    let subscription =
        store::current_subscription(db, caller.organization_id(), caller.mode(), now)?
            .filter(|subscription| {
                Plan::by_id(subscription.plan_id).is_some_and(|plan| !plan.is_free())
            })
            .ok_or_else(|| {
                AgentsError::new(
                    409,
                    "no_paid_subscription",
                    "There is no paid subscription to cancel; the account is on Free.",
                )
            })?;
    if let (Provider::Stripe, Some(reference), Some(stripe_config)) = (
        subscription.provider,
        subscription.provider_reference.as_deref(),
        config.stripe.as_ref(),
    ) && !subscription.cancel_at_period_end
    {
        stripe::cancel_at_period_end(http, stripe_config, reference)
            .await
            .map_err(|error| {
                AgentsError::new(
                    502,
                    "payment_provider_unavailable",
                    "The payment provider could not cancel the subscription. Retry in a minute.",
                )
                .with_cause(error)
            })?;
    }
    let subscription = store::cancel_at_period_end(db, subscription.id, now)?
        .ok_or_else(|| AgentsError::internal_because("the subscription vanished"))?;
    let plan_name = Plan::by_id(subscription.plan_id).map_or("paid", |plan| plan.name);
    let until = subscription
        .current_period_end
        .map(UnixSeconds::to_iso8601_numeric_offset)
        .unwrap_or_default();
    Ok(json_response(
        200,
        &json!({
            "status": "canceled",
            "subscription": subscription_view(&subscription),
            "message": format!("The {plan_name} plan stays active until {until}, then the account returns to Free."),
        }),
    ))
}

/// `GET /billing/invoices`: cursor pages, newest first.
pub fn invoices(
    db: &impl Database,
    caller: &Caller,
    query: &Query,
) -> Result<Response, AgentsError> {
    caller.require(Scope::BillingRead)?;
    caller.require_verified()?;
    let page = PageRequest::from_query(query)?;
    let organization = caller.organization_id();
    let rows = store::list_invoices(db, organization, caller.mode(), &page)?;
    let total = store::count_invoices(db, organization, caller.mode())?;
    Ok(json_response(
        200,
        &page.page(
            rows,
            total,
            |invoice| invoice.seq,
            |invoice| {
                json!({
                    "id": invoice.id,
                    "plan": Plan::by_id(invoice.plan_id).map(|plan| plan.summary()),
                    "amount": invoice.amount_cents as f64 / 100.0,
                    "currency": invoice.currency,
                    "status": invoice.status,
                    "provider": invoice.provider.as_str(),
                    "period_start": invoice.period_start.to_iso8601_numeric_offset(),
                    "period_end": invoice.period_end.to_iso8601_numeric_offset(),
                    "created_at": invoice.created_at.to_iso8601_numeric_offset(),
                })
            },
        ),
    ))
}

/// `GET /billing/checkout?token=`: the page the emailed link opens. A
/// demo checkout shows the plan with Pay and Decline buttons; a Stripe
/// checkout goes on to Stripe's page.
pub fn checkout_page(
    db: &impl Database,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let token = query.get("token").unwrap_or_default();
    let Some(checkout) = store::find_checkout(db, &keys::hash_key(token))? else {
        return Ok(html::page(
            404,
            "Payment link not found",
            "<p>This payment link does not exist. Ask for a new one.</p>",
        ));
    };
    let plan = Plan::by_id(checkout.plan_id).unwrap_or(plans::FREE);
    match (checkout.status, checkout.provider) {
        (CheckoutStatus::Completed, _) => Ok(html::page(
            200,
            "Subscription active",
            &format!(
                "<p>Your {} plan is active. You can close this page.</p>",
                html::escape(plan.name)
            ),
        )),
        (CheckoutStatus::Failed, _) => Ok(html::page(
            200,
            "Payment failed",
            "<p>The payment did not go through. Ask for a new payment link.</p>",
        )),
        (CheckoutStatus::Pending, _) if checkout.expires_at <= now => Ok(html::page(
            410,
            "Payment link expired",
            "<p>This payment link has expired. Ask for a new one.</p>",
        )),
        (CheckoutStatus::Pending, Provider::Stripe) => {
            let target = checkout.provider_url.unwrap_or_default();
            Ok(html::redirect(http::StatusCode::SEE_OTHER, &target))
        }
        (CheckoutStatus::Pending, _) => {
            let email = accounts::find_user(db, checkout.user_id)?
                .map(|user| user.email)
                .unwrap_or_default();
            let sandbox = if checkout.mode == Mode::Test {
                "<p class=\"note\">Sandbox: no money moves.</p>"
            } else {
                ""
            };
            Ok(html::page(
                200,
                &format!("Subscribe to {}", plan.name),
                &format!(
                    "<p>For {email}</p><p class=\"price\">${price:.2} / month</p>{sandbox}\
                     <form method=\"post\" action=\"/api/v1/billing/checkout\">\
                     <input type=\"hidden\" name=\"token\" value=\"{token}\">\
                     <button class=\"pay\" name=\"action\" value=\"pay\">Pay ${price:.2}</button>\
                     <button class=\"decline\" name=\"action\" value=\"decline\">Decline</button></form>\
                     <p class=\"note\">Demo payment provider: the Pay button completes the payment.</p>",
                    email = html::escape(&email),
                    price = plan.price(),
                    token = html::escape(token),
                ),
            ))
        }
    }
}

/// `POST /billing/checkout` (the demo page's form): `action=pay` completes
/// the payment, `action=decline` fails it.
pub fn checkout_submit(
    db: &impl Database,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let form = Query::parse(&String::from_utf8_lossy(body));
    let token = form.get("token").unwrap_or_default();
    let checkout = store::find_checkout(db, &keys::hash_key(token))?
        .filter(|checkout| checkout.provider == Provider::Demo);
    let Some(checkout) = checkout else {
        return Ok(html::page(
            404,
            "Payment link not found",
            "<p>This payment link does not exist. Ask for a new one.</p>",
        ));
    };
    if checkout.status == CheckoutStatus::Pending && checkout.expires_at <= now {
        return Ok(html::page(
            410,
            "Payment link expired",
            "<p>This payment link has expired. Ask for a new one.</p>",
        ));
    }
    match form.get("action") {
        Some("pay") => {
            complete(db, &checkout, None, now)?;
        }
        Some("decline") => {
            fail(db, &checkout, now)?;
        }
        _ => {
            return Ok(html::page(
                400,
                "Choose Pay or Decline",
                "<p>Go back and press Pay or Decline.</p>",
            ));
        }
    }
    let query = Query::parse(&format!("token={token}"));
    checkout_page(db, &query, now)
}

/// `POST /billing/stripe/webhook`: Stripe's signed events.
pub fn stripe_event(
    db: &impl Database,
    config: &BillingConfig,
    signature: Option<&str>,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let secret = config
        .stripe
        .as_ref()
        .map(|stripe| stripe.webhook_secret.as_str())
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| {
            AgentsError::new(
                404,
                "not_found",
                "Stripe is not this deployment's payment provider.",
            )
        })?;
    stripe::verify_signature(signature, body, secret, now).map_err(|error| {
        AgentsError::new(
            400,
            "invalid_signature",
            format!("Stripe-Signature refused: {error}."),
        )
    })?;
    let event: stripe::Event = serde_json::from_slice(body).map_err(|error| {
        AgentsError::new(
            400,
            "invalid_json",
            format!("The event could not be read: {error}."),
        )
    })?;
    let checkout = store::find_checkout_by_session(db, &event.data.object.id)?;
    match (event.kind.as_str(), checkout) {
        (
            "checkout.session.completed" | "checkout.session.async_payment_succeeded",
            Some(checkout),
        ) if event.data.object.payment_status.as_deref() != Some("unpaid") => {
            complete(
                db,
                &checkout,
                event.data.object.subscription.as_deref(),
                now,
            )?;
        }
        ("checkout.session.async_payment_failed" | "checkout.session.expired", Some(checkout)) => {
            fail(db, &checkout, now)?;
        }
        ("invoice.paid", _)
            if event.data.object.billing_reason.as_deref() == Some("subscription_cycle") =>
        {
            renew_from_stripe(db, &event.data.object, now)?;
        }
        ("invoice.payment_failed", _) => {
            if let Some(reference) = event.data.object.subscription.as_deref()
                && let Some(owner) = store::find_by_reference(db, Provider::Stripe, reference)?
            {
                let plan = Plan::by_id(owner.plan_id).unwrap_or(plans::FREE);
                transaction(db, || {
                    events::emit(
                        db,
                        owner.organization_id,
                        owner.mode,
                        "billing.payment_failed",
                        &json!({
                            "plan": plan.summary(),
                            "amount": plan.price(),
                            "currency": CURRENCY,
                            "subscription_id": owner.id,
                            "message": "Stripe could not collect the renewal; it retries as its settings say.",
                        }),
                        now,
                    )
                })?;
            }
        }
        ("customer.subscription.deleted", _) => {
            store::end_by_reference(db, Provider::Stripe, &event.data.object.id, now)?;
        }
        // Other events, and sessions this deployment did not create, are
        // acknowledged so Stripe stops sending them.
        _ => {}
    }
    Ok(json_response(
        200,
        &json!({ "received": true, "id": event.id }),
    ))
}

/// A Stripe renewal (`invoice.paid`, `subscription_cycle`): the
/// subscription runs another month from where its period ended, with an
/// invoice and `billing.payment_completed`, once per Stripe invoice.
fn renew_from_stripe(
    db: &impl Database,
    invoice: &stripe::EventObject,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let Some(reference) = invoice.subscription.as_deref() else {
        return Ok(());
    };
    transaction(db, || {
        let Some(owner) = store::find_by_reference(db, Provider::Stripe, reference)? else {
            return Ok(());
        };
        if store::invoice_recorded(db, Provider::Stripe, &invoice.id)? {
            return Ok(());
        }
        let Some(plan) = Plan::by_id(owner.plan_id) else {
            return Ok(());
        };
        let start = owner.current_period_end.unwrap_or(now);
        let end = one_month_after(start);
        if !store::extend_period(db, owner.id, start, end, now)? {
            return Ok(());
        }
        record_payment(
            db,
            &NewInvoice {
                organization_id: owner.organization_id,
                mode: owner.mode,
                subscription_id: owner.id,
                plan_id: plan.id,
                amount_cents: invoice.amount_paid.unwrap_or(plan.price_cents),
                currency: CURRENCY,
                provider: Provider::Stripe,
                provider_reference: Some(&invoice.id),
                period_start: start,
                period_end: end,
            },
            now,
        )?;
        Ok::<_, AgentsError>(())
    })
}

/// Starts the paid subscription of a pending checkout and records its
/// invoice, once: a second completion (a repeated event, a second click)
/// changes nothing.
fn complete(
    db: &impl Database,
    checkout: &Checkout,
    provider_reference: Option<&str>,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let plan = Plan::by_id(checkout.plan_id)
        .ok_or_else(|| AgentsError::internal_because("a checkout for an unknown plan"))?;
    transaction(db, || {
        if !store::finish_checkout(
            db,
            &checkout.token_hash,
            CheckoutStatus::Completed,
            None,
            now,
        )? {
            return Ok(());
        }
        let period_end = one_month_after(now);
        let subscription = store::start_subscription(
            db,
            &NewSubscription {
                organization_id: checkout.organization_id,
                mode: checkout.mode,
                plan_id: plan.id,
                provider: checkout.provider,
                provider_reference,
                period_end: Some(period_end),
            },
            now,
        )?;
        db.execute(
            "UPDATE agent_checkouts SET subscription_id = ?2 WHERE token_hash = ?1",
            &[checkout.token_hash.as_str().into(), subscription.id.into()],
        )?;
        record_payment(
            db,
            &NewInvoice {
                organization_id: checkout.organization_id,
                mode: checkout.mode,
                subscription_id: subscription.id,
                plan_id: plan.id,
                amount_cents: plan.price_cents,
                currency: CURRENCY,
                provider: checkout.provider,
                provider_reference: checkout.provider_session_id.as_deref(),
                period_start: now,
                period_end,
            },
            now,
        )?;
        Ok::<_, AgentsError>(())
    })
}

/// Records a paid invoice and announces it (`billing.payment_completed`),
/// in the caller's transaction.
fn record_payment(
    db: &impl Database,
    invoice: &NewInvoice<'_>,
    now: UnixSeconds,
) -> Result<(), DbError> {
    let invoice_id = store::insert_invoice(db, invoice, now)?;
    let plan = Plan::by_id(invoice.plan_id).unwrap_or(plans::FREE);
    events::emit(
        db,
        invoice.organization_id,
        invoice.mode,
        "billing.payment_completed",
        &json!({
            "plan": plan.summary(),
            "subscription_id": invoice.subscription_id,
            "invoice_id": invoice_id,
            "amount": invoice.amount_cents as f64 / 100.0,
            "currency": invoice.currency,
            "period_start": invoice.period_start.to_iso8601_numeric_offset(),
            "period_end": invoice.period_end.to_iso8601_numeric_offset(),
        }),
        now,
    )?;
    Ok(())
}

/// What one pass of the scheduled work did to subscriptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Maintenance {
    /// Demo-provider subscriptions renewed for another month.
    pub renewed: u32,
    /// Cancelled subscriptions whose period ended.
    pub ended: u32,
}

/// Subscriptions the pass looks at, at most.
const MAINTENANCE_BATCH: u32 = 100;

/// Renews demo-provider subscriptions whose month ended (a new invoice, a
/// `billing.payment_completed`) and ends the cancelled ones. Stripe renews
/// its own subscriptions and says so with `invoice.paid`.
pub fn maintain(db: &impl Database, now: UnixSeconds) -> Result<Maintenance, DbError> {
    let mut report = Maintenance {
        ended: store::end_cancelled(db, now)?,
        ..Maintenance::default()
    };
    for due in store::renewals_due(db, now, MAINTENANCE_BATCH)? {
        let Some(plan) = Plan::by_id(due.plan_id) else {
            continue;
        };
        let Some(start) = due.current_period_end else {
            continue;
        };
        let end = one_month_after(start);
        let renewed = transaction(db, || {
            if !store::extend_period(db, due.id, start, end, now)? {
                return Ok::<_, DbError>(false);
            }
            record_payment(
                db,
                &NewInvoice {
                    organization_id: due.organization_id,
                    mode: due.mode,
                    subscription_id: due.id,
                    plan_id: plan.id,
                    amount_cents: plan.price_cents,
                    currency: CURRENCY,
                    provider: Provider::Demo,
                    provider_reference: None,
                    period_start: start,
                    period_end: end,
                },
                now,
            )?;
            Ok(true)
        })?;
        if renewed {
            report.renewed += 1;
        }
    }
    Ok(report)
}

/// Marks a pending checkout failed, once, announcing
/// `billing.payment_failed`.
fn fail(db: &impl Database, checkout: &Checkout, now: UnixSeconds) -> Result<(), AgentsError> {
    let plan = Plan::by_id(checkout.plan_id).unwrap_or(plans::FREE);
    transaction(db, || {
        if store::finish_checkout(db, &checkout.token_hash, CheckoutStatus::Failed, None, now)? {
            events::emit(
                db,
                checkout.organization_id,
                checkout.mode,
                "billing.payment_failed",
                &json!({
                    "plan": plan.summary(),
                    "amount": plan.price(),
                    "currency": CURRENCY,
                    "message": "The payment did not go through. Subscribe again for a new link.",
                }),
                now,
            )?;
        }
        Ok::<_, AgentsError>(())
    })
}

fn subscription_view(subscription: &Subscription) -> Value {
    let plan = Plan::by_id(subscription.plan_id).unwrap_or(plans::FREE);
    json!({
        "id": subscription.id,
        "plan": plan.summary(),
        "active": true,
        "provider": subscription.provider.as_str(),
        "current_period_start": subscription.current_period_start.to_iso8601_numeric_offset(),
        "current_period_end": subscription.current_period_end.map(UnixSeconds::to_iso8601_numeric_offset),
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "created_at": subscription.created_at.to_iso8601_numeric_offset(),
    })
}

fn checkout_not_found() -> AgentsError {
    AgentsError::new(
        404,
        "checkout_not_found",
        "No checkout of this account has that token.",
    )
}

/// The same day of the next month (the month's last day when it has no
/// such day), as subscriptions renew.
fn one_month_after(start: UnixSeconds) -> UnixSeconds {
    DateTime::<Utc>::from_timestamp(start.get(), 0)
        .and_then(|time| time.checked_add_months(Months::new(1)))
        .map_or(start.plus_seconds(30 * 86_400), |time| {
            UnixSeconds::new(time.timestamp())
        })
}

#[cfg(test)]
mod tests;
