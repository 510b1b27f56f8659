//! Webhooks: `POST/GET /webhooks`, `GET/PATCH/DELETE /webhooks/{id}`, the
//! delivery log `GET /webhooks/{id}/deliveries` and
//! `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver`.
//!
//! An endpoint subscribes to event types ([`crate::events::TYPES`]); its
//! signing secret is shown once, when it is created. Webhooks are account
//! configuration: an unverified account may set them up, so that
//! `account.verified` reaches them. Endpoints are the
//! caller's mode's: sandbox keys manage (and get the events of) the
//! sandbox's. URLs are `https://`; a loopback URL (which may be
//! `http://`) only when the deployment allows it for development
//! (`webhook_allow_loopback`). Private, link-local and other non-public
//! address literals are refused here, and every address at delivery by the
//! runtime's egress policy.

pub mod deliver;
pub mod store;

use std::net::IpAddr;

use ip_network::IpNetwork;
use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::catalog::fields;
use adspin_core::db::{Database, transaction};
use adspin_core::keys;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response};

use crate::AgentsError;
use crate::auth::Caller;
use crate::events;
use crate::pages::PageRequest;
use crate::scopes::Scope;
use store::{DeliveryRecord, Webhook};

/// Whether a loopback URL may be registered (development only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlPolicy {
    pub allow_loopback: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    url: String,
    events: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    active: Option<bool>,
}

fn view(webhook: &Webhook) -> Value {
    json!({
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "active": webhook.active,
        "disabled_reason": webhook.disabled_reason,
        "created_at": webhook.created_at.to_iso8601_numeric_offset(),
        "updated_at": webhook.updated_at.to_iso8601_numeric_offset(),
    })
}

/// `POST /webhooks`: `201` with the endpoint and its secret (shown once).
pub fn create(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    policy: UrlPolicy,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::WebhooksManage)?;
    let request: CreateRequest = parse_json(body)?;
    let url = checked_url(&request.url, policy)?;
    let events = checked_events(&request.events)?;
    let secret = keys::generate("");
    let webhook = store::insert_webhook(
        db,
        caller.organization_id(),
        caller.mode(),
        &url,
        &events,
        &secret,
        now,
    )?;
    let mut answer = view(&webhook);
    answer["secret"] = Value::String(secret);
    Ok(json_response(201, &answer))
}

/// `GET /webhooks`: cursor pages, newest first (no secrets).
pub fn list(db: &impl Database, caller: &Caller, query: &Query) -> Result<Response, AgentsError> {
    caller.require(Scope::WebhooksManage)?;
    let page = PageRequest::from_query(query)?;
    let rows = store::list_webhooks(db, caller.organization_id(), caller.mode(), &page)?;
    let total = store::count_webhooks(db, caller.organization_id(), caller.mode())?;
    Ok(json_response(
        200,
        &page.page(rows, total, |webhook| webhook.id, view),
    ))
}

/// `GET /webhooks/{id}`.
pub fn read(db: &impl Database, caller: &Caller, id: &str) -> Result<Response, AgentsError> {
    caller.require(Scope::WebhooksManage)?;
    let webhook = owned(db, caller, id)?;
    Ok(json_response(200, &view(&webhook)))
}

/// `PATCH /webhooks/{id}`: changes the URL, the events or `active`
/// (re-activating a disabled endpoint).
pub fn update(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    body: &[u8],
    policy: UrlPolicy,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::WebhooksManage)?;
    let request: UpdateRequest = parse_json(body)?;
    let mut webhook = owned(db, caller, id)?;
    if let Some(url) = &request.url {
        webhook.url = checked_url(url, policy)?;
    }
    if let Some(events) = &request.events {
        webhook.events = checked_events(events)?;
    }
    if let Some(active) = request.active {
        webhook.active = active;
    }
    let webhook = store::update_webhook(db, &webhook, now)?;
    Ok(json_response(200, &view(&webhook)))
}

/// `DELETE /webhooks/{id}`: `204`, with its deliveries.
pub fn delete(db: &impl Database, caller: &Caller, id: &str) -> Result<Response, AgentsError> {
    caller.require(Scope::WebhooksManage)?;
    let webhook = owned(db, caller, id)?;
    transaction(db, || store::delete_webhook(db, webhook.id))?;
    Ok(adspin_core::web::no_content())
}

/// `GET /webhooks/{id}/deliveries`: the delivery log, newest first, each
/// with its attempts.
pub fn deliveries(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    query: &Query,
) -> Result<Response, AgentsError> {
    caller.require(Scope::WebhooksManage)?;
    let webhook = owned(db, caller, id)?;
    let page = PageRequest::from_query(query)?;
    let rows = store::list_deliveries(db, webhook.id, &page)?;
    let total = store::count_deliveries(db, webhook.id)?;
    let shown: Vec<i64> = rows
        .iter()
        .take(page.limit as usize)
        .map(|delivery| delivery.seq)
        .collect();
    let attempts = store::attempts_of(db, &shown)?;
    let answer = page.page(
        rows,
        total,
        |delivery| delivery.seq,
        |delivery| {
            delivery_view(
                delivery,
                attempts.get(&delivery.seq).map_or(&[], Vec::as_slice),
            )
        },
    );
    Ok(json_response(200, &answer))
}

/// `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver`: sends a
/// delivery again at the next pass (`202`), with the same id.
pub fn redeliver(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    delivery_id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::WebhooksManage)?;
    let webhook = owned(db, caller, id)?;
    if !webhook.active {
        return Err(AgentsError::new(
            409,
            "webhook_disabled",
            "The webhook is disabled; re-activate it with PATCH {\"active\": true} first.",
        ));
    }
    let delivery = store::find_delivery(db, webhook.id, delivery_id)?.ok_or_else(|| {
        AgentsError::new(
            404,
            "not_found",
            format!("No delivery {delivery_id} of this webhook."),
        )
    })?;
    store::redeliver(db, delivery.seq, now)?;
    let delivery = store::find_delivery(db, webhook.id, delivery_id)?.unwrap_or(delivery);
    Ok(json_response(
        202,
        &delivery_view(
            &delivery,
            store::attempts_of(db, &[delivery.seq])?
                .get(&delivery.seq)
                .map_or(&[], Vec::as_slice),
        ),
    ))
}

fn delivery_view(delivery: &DeliveryRecord, attempts: &[store::Attempt]) -> Value {
    let attempts: Vec<Value> = attempts
        .iter()
        .map(|attempt| {
            json!({
                "attempted_at": attempt.attempted_at.to_iso8601_numeric_offset(),
                "status_code": attempt.status_code,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
            })
        })
        .collect();
    json!({
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": attempts,
        "next_attempt_at": (delivery.status == "pending")
            .then(|| delivery.next_attempt_at.to_iso8601_numeric_offset()),
        "delivered_at": delivery.delivered_at.map(UnixSeconds::to_iso8601_numeric_offset),
        "created_at": delivery.created_at.to_iso8601_numeric_offset(),
    })
}

/// The caller's webhook `id` (another account's reads as missing).
fn owned(db: &impl Database, caller: &Caller, id: &str) -> Result<Webhook, AgentsError> {
    let missing = || {
        AgentsError::new(
            404,
            "not_found",
            format!("No webhook {id} in this account."),
        )
    };
    let id: i64 = id.parse().map_err(|_| missing())?;
    store::find_webhook(db, caller.organization_id(), caller.mode(), id)?.ok_or_else(missing)
}

fn checked_events(names: &[String]) -> Result<Vec<String>, AgentsError> {
    if names.is_empty() {
        return Err(AgentsError::validation(
            "events",
            "events must name at least one event type.",
        ));
    }
    let mut events: Vec<String> = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let name = name.trim();
        if !events::TYPES.contains(&name) {
            return Err(AgentsError::validation(
                &format!("events[{index}]"),
                format!(
                    "Unknown event {name:?}; the events are {}.",
                    events::TYPES.join(", ")
                ),
            ));
        }
        if !events.iter().any(|known| known == name) {
            events.push(name.to_string());
        }
    }
    Ok(events)
}

/// An `https://` URL whose host is not a non-public address literal; a
/// loopback one (any scheme) only when the policy allows it.
fn checked_url(text: &str, policy: UrlPolicy) -> Result<String, AgentsError> {
    let url = text.trim();
    let invalid = |message: &str| AgentsError::validation("url", message.to_string());
    fields::url("url", url).map_err(|_| invalid("url must be an https:// URL."))?;
    let parsed = url::Url::parse(url).map_err(|_| invalid("url must be an https:// URL."))?;
    // An address literal: loopback (allowed in development) or public. An
    // IPv4-mapped IPv6 address is judged as the IPv4 address it names.
    let literal = |ip: IpAddr| {
        let ip = ip.to_canonical();
        if ip.is_loopback() {
            Ok(true)
        } else if IpNetwork::from(ip).is_global() {
            Ok(false)
        } else {
            Err(invalid(
                "url must not name a private, link-local or reserved address.",
            ))
        }
    };
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => literal(IpAddr::V4(ip))?,
        Some(url::Host::Ipv6(ip)) => literal(IpAddr::V6(ip))?,
        None => return Err(invalid("url must name a host.")),
    };
    if loopback {
        return if policy.allow_loopback {
            Ok(url.to_string())
        } else {
            Err(invalid("url must not name this machine (loopback)."))
        };
    }
    if parsed.scheme() != "https" {
        return Err(invalid("url must be an https:// URL."));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: UrlPolicy = UrlPolicy {
        allow_loopback: true,
    };
    const PRODUCTION: UrlPolicy = UrlPolicy {
        allow_loopback: false,
    };

    #[test]
    fn urls_must_be_https_and_public_loopback_only_in_development() {
        assert!(checked_url("https://acme.com/hooks/ads", PRODUCTION).is_ok());
        for refused in [
            "http://acme.com/hooks",
            "ftp://acme.com/x",
            "https://10.0.0.1/x",
            "https://169.254.169.254/latest",
            "https://[fd00::1]/x",
            "https://[::ffff:192.168.0.1]/x",
            "https://100.64.0.1/x",
            "not a url",
        ] {
            assert!(checked_url(refused, DEV).is_err(), "{refused}");
        }
        for loopback in [
            "http://127.0.0.1:9000/hook",
            "http://localhost:9000/x",
            "http://[::1]:9/x",
        ] {
            assert!(checked_url(loopback, PRODUCTION).is_err(), "{loopback}");
            assert!(checked_url(loopback, DEV).is_ok(), "{loopback}");
        }
    }

    #[test]
    fn events_must_be_known_and_are_kept_once() {
        let events = checked_events(&[
            "campaign.created".into(),
            "campaign.updated".into(),
            "campaign.created".into(),
        ])
        .expect("known");
        assert_eq!(events, ["campaign.created", "campaign.updated"]);
        let error = checked_events(&["campaign.created".into(), "campaign.exploded".into()])
            .expect_err("unknown");
        assert_eq!(error.status(), 422);
        assert!(checked_events(&[]).is_err());
    }
}
