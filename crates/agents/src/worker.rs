//! The scheduled work: `POST /admin/tick`, served by the `scheduler`
//! component and called on a timer (by `./dev up`, by `./dev tick` beside
//! `spin up`, by a Kubernetes CronJob on SpinKube: docs/DEPLOY.md).
//!
//! Each call does what is due: judges the optimization rules that are
//! due, sends due webhook deliveries and emails (retries included), renews
//! demo-provider subscriptions whose month ended, ends cancelled ones, and completes pending AI images. Work is claimed in SQL, so ticks that overlap (two
//! timers, several instances) never do the same work twice. Authenticated
//! like the operator surface (`Authorization: Bearer <admin_token>`), with
//! its `/v1`-shaped errors.

use serde_json::json;

use adspin_core::admin;
use adspin_core::api_error::ApiError;
use adspin_core::clock::Clock;
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::web::{IncomingRequest, Response, json_response, split};

use crate::ai;
use crate::billing;
use crate::mail;
use crate::platforms;
use crate::rules;
use crate::webhooks::deliver;

/// Base delay of webhook retries, in seconds (`webhook_retry_seconds`).
pub const DEFAULT_RETRY_SECONDS: i64 = 30;

/// Serves `POST /admin/tick`.
pub async fn handle(env: &impl Env, request: IncomingRequest) -> Response {
    let (request, _body) = split(request);
    let info = RequestInfo::new("req_");
    let path = request.uri().path();
    if path != "/admin/tick" {
        return respond(
            &info,
            &ApiError::unknown_path(request.method().as_str(), path),
        );
    }
    if request.method() != http::Method::POST {
        return respond(
            &info,
            &ApiError::method_not_allowed(request.method().as_str(), path, "POST"),
        );
    }
    let admin_token = env.variable("admin_token").unwrap_or_default();
    if let Err(error) = admin::authorize(&request, &admin_token) {
        return respond(&info, &error);
    }
    let db = match env.db() {
        Ok(db) => db,
        Err(error) => return respond(&info, &ApiError::from(error)),
    };
    let retry_seconds = {
        // 0 is allowed: retries at the next tick (tests, development).
        env.variable("webhook_retry_seconds")
            .and_then(|value| value.trim().parse::<i64>().ok())
            .filter(|seconds| *seconds >= 0)
            .unwrap_or(DEFAULT_RETRY_SECONDS)
    };
    // Rules first: the events of their actions go out in this same call.
    let rules = match rules::evaluate_due(db, env.clock().now()) {
        Ok(report) => report,
        Err(error) => return respond(&info, &ApiError::from(error)),
    };
    let meta = platforms::meta::MetaConfig::from_env(env);
    let secret = adspin_core::settings::tracking_secret(env);
    let platform_sync =
        match platforms::sync::sync_due(db, env.http(), meta.as_ref(), &secret, env.clock().now())
            .await
        {
            Ok(report) => report,
            Err(error) => return respond(&info, &ApiError::from(error)),
        };
    // Pending AI images, when links to them can be built (before the
    // webhooks, so their generation.completed goes out in this call).
    let generations = match adspin_core::settings::trusted_base_url(env, &request) {
        Ok(base_url) => {
            match ai::images::complete_pending(env, db, &base_url, env.clock().now()).await {
                Ok(completed) => json!({"completed": completed}),
                Err(error) => {
                    adspin_core::log::warn(&format!("AI generations: {error}"));
                    json!({"completed": 0, "failed": true})
                }
            }
        }
        Err(_) => json!({"completed": 0, "skipped": "public_base_url is not set"}),
    };
    let webhooks = match deliver::deliver_due(db, env.http(), env.clock(), retry_seconds).await {
        Ok(report) => report,
        Err(error) => return respond(&info, &ApiError::from(error)),
    };
    let transport = mail::Transport::from_env(env);
    let emails = match mail::deliver_due(db, env.http(), env.clock(), &transport).await {
        Ok(report) => report,
        Err(error) => return respond(&info, &ApiError::from(error)),
    };
    let subscriptions = match billing::maintain(db, env.clock().now()) {
        Ok(report) => report,
        Err(error) => return respond(&info, &ApiError::from(error)),
    };
    json_response(
        200,
        &json!({ "rules": rules, "platform_sync": platform_sync, "webhooks": webhooks,
                 "emails": emails, "subscriptions": subscriptions, "generations": generations }),
    )
}
