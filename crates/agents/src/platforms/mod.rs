//! Platform connections: `POST /platforms/{platform}/connect`, the emailed
//! single-use setup link (`GET /platforms/{platform}/setup?token=`), the
//! OAuth callback, `GET /platforms/{platform}/connect/status?token=`,
//! `GET /platforms`, `GET /platforms/{id}/status` and
//! `DELETE /platforms/{id}`.
//!
//! Facebook and Instagram both connect through Meta: the setup link sends
//! the person to Meta's login dialog with a one-time `state`; the callback
//! exchanges the code for an access token (sealed at rest, [`seal`]) and
//! keeps the first active ad account and Page it reaches. Without a Meta
//! app configured (`meta_app_id`), the setup link shows a demo consent
//! page instead, which connects a demo ad account: development works
//! offline, and a launch on it creates `demo_` objects without leaving the
//! machine.

pub mod launch;
pub mod meta;
pub mod seal;
pub mod store;
pub mod sync;

use serde_json::{Value, json};

use adspin_core::db::{Database, transaction};
use adspin_core::keys;
use adspin_core::outbound::HttpClient;
use adspin_core::outbox::{self, Email};
use adspin_core::settings::UntrustedHost;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response, no_content};

use crate::AgentsError;
use crate::auth::Caller;
use crate::campaigns;
use crate::html;
use crate::scopes::Scope;
use crate::store as account_store;
use meta::MetaConfig;
use store::{Connected, Connection, NewConnection};

/// How long a setup link works, in seconds.
pub const SETUP_LINK_SECONDS: i64 = 3_600;

/// The platforms an account connects (`chat` needs no connection).
pub const PLATFORMS: [&str; 2] = ["facebook", "instagram"];

fn platform_of(name: &str) -> Result<&'static str, AgentsError> {
    PLATFORMS
        .into_iter()
        .find(|p| p.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            AgentsError::new(
                404,
                "not_found",
                "Platforms to connect are facebook and instagram (chat needs no connection).",
            )
        })
}

fn title(platform: &str) -> &'static str {
    if platform == "instagram" {
        "Instagram"
    } else {
        "Facebook"
    }
}

fn callback_url(base_url: &str, platform: &str) -> String {
    format!("{base_url}/api/v1/platforms/{platform}/callback")
}

fn connection_view(connection: &Connection) -> Value {
    json!({
        "id": connection.id,
        "platform": connection.platform,
        "status": connection.status,
        "provider": connection.provider,
        "ad_account_id": connection.ad_account_id,
        "ad_account_name": connection.ad_account_name,
        "page_id": connection.page_id,
        "connected_at": connection.connected_at.map(UnixSeconds::to_iso8601_numeric_offset),
    })
}

/// `POST /platforms/{platform}/connect`: a pending connection and its
/// setup link, emailed to the account's address (1 hour, single use).
pub fn connect(
    db: &impl Database,
    caller: &Caller,
    platform: &str,
    meta: Option<&MetaConfig>,
    base_url: Result<String, UntrustedHost>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    caller.require_verified()?;
    let platform = platform_of(platform)?;
    let base_url = base_url.map_err(AgentsError::internal_because)?;
    let token = keys::generate("");
    let expires_at = now.plus_seconds(SETUP_LINK_SECONDS);
    let connect_url = format!("{base_url}/api/v1/platforms/{platform}/setup?token={token}");
    let email = transaction(db, || {
        let user = account_store::find_user(db, caller.key.user_id)?
            .ok_or_else(|| AgentsError::internal_because("the key's user is missing"))?;
        store::insert(
            db,
            &NewConnection {
                organization_id: caller.organization_id(),
                mode: caller.mode(),
                platform,
                provider: if meta.is_some() { "meta" } else { "demo" },
                setup_token_hash: &keys::hash_key(&token),
                expires_at,
            },
            now,
        )?;
        let body = format!(
            "Open this link to connect your {name} Ads account to adspin:\n\n{connect_url}\n\n\
             It works once, for one hour. If you did not ask for it, ignore this email.",
            name = title(platform)
        );
        outbox::enqueue(
            db,
            &Email {
                to: &user.email,
                kind: "platform_connect",
                subject: &format!("Connect {} Ads", title(platform)),
                body: &body,
            },
            now,
        )?;
        Ok::<_, AgentsError>(user.email)
    })?;
    Ok(json_response(
        200,
        &json!({
            "status": "pending",
            "platform": platform,
            "connect_url": connect_url,
            "message": format!(
                "A connection link has been sent to {email}. Click the link to authorize {} access. The link expires in 1 hour.",
                title(platform)
            ),
            "token": token,
            "expires_at": expires_at.to_iso8601_numeric_offset(),
        }),
    ))
}

fn link_page(status: u16, heading: &str, text: &str) -> Response {
    html::page(status, heading, &format!("<p>{}</p>", html::escape(text)))
}

/// `GET /platforms/{platform}/setup?token=`: sends the person to Meta's
/// login dialog (or shows the demo consent page). The link works once.
pub fn setup_page(
    db: &impl Database,
    platform: &str,
    query: &Query,
    meta: Option<&MetaConfig>,
    base_url: Result<String, UntrustedHost>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let Ok(platform) = platform_of(platform) else {
        return Ok(link_page(
            404,
            "Link not found",
            "This link does not exist.",
        ));
    };
    let token = query.get("token").unwrap_or_default();
    let Some(connection) = store::by_setup_token(db, platform, &keys::hash_key(token))? else {
        return Ok(link_page(
            404,
            "Link not found",
            "This connection link does not exist. Ask for a new one.",
        ));
    };
    if connection.status != "pending" || connection.setup_used_at.is_some() {
        return Ok(link_page(
            410,
            "Link already used",
            "This connection link has been used. Ask for a new one if the connection did not complete.",
        ));
    }
    if connection.expires_at <= now {
        return Ok(link_page(
            410,
            "Link expired",
            "This connection link has expired. Ask for a new one.",
        ));
    }
    let name = title(platform);
    match meta {
        Some(config) => {
            let base_url = base_url.map_err(AgentsError::internal_because)?;
            let state = keys::generate("");
            if !store::use_setup_link(db, connection.id, Some(&keys::hash_key(&state)), now)? {
                return Ok(link_page(
                    410,
                    "Link already used",
                    "This connection link has been used.",
                ));
            }
            let target = config.dialog_url(&callback_url(&base_url, platform), &state);
            Ok(html::redirect(http::StatusCode::SEE_OTHER, &target))
        }
        None => Ok(html::page(
            200,
            &format!("Connect {name} Ads (demo)"),
            &format!(
                "<p>This deployment has no Meta app configured, so this connects a <strong>demo</strong> {name} ad account: \
                 campaigns launched to it are recorded here and nothing is sent to Meta.</p>\
                 <form method=\"post\" action=\"/api/v1/platforms/{platform}/setup\">\
                 <input type=\"hidden\" name=\"token\" value=\"{token}\">\
                 <button class=\"pay\" name=\"action\" value=\"connect\">Connect demo account</button>\
                 <button class=\"decline\" name=\"action\" value=\"cancel\">Cancel</button></form>",
                token = html::escape(token)
            ),
        )),
    }
}

/// `POST /platforms/{platform}/setup` (the demo consent page's form):
/// `action=connect` connects the demo ad account, `cancel` ends the link.
pub fn setup_submit(
    db: &impl Database,
    platform: &str,
    body: &[u8],
    meta: Option<&MetaConfig>,
    secret: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let Ok(platform) = platform_of(platform) else {
        return Ok(link_page(
            404,
            "Link not found",
            "This link does not exist.",
        ));
    };
    let form = Query::parse(std::str::from_utf8(body).unwrap_or_default());
    let token = form.get("token").unwrap_or_default();
    let Some(connection) = store::by_setup_token(db, platform, &keys::hash_key(token))? else {
        return Ok(link_page(
            404,
            "Link not found",
            "This connection link does not exist.",
        ));
    };
    if meta.is_some() || connection.provider != "demo" {
        return Ok(link_page(
            404,
            "Link not found",
            "This link connects through Meta; open it again.",
        ));
    }
    if connection.expires_at <= now {
        return Ok(link_page(
            410,
            "Link expired",
            "This connection link has expired. Ask for a new one.",
        ));
    }
    if !store::use_setup_link(db, connection.id, None, now)? {
        return Ok(link_page(
            410,
            "Link already used",
            "This connection link has been used.",
        ));
    }
    if form.get("action") != Some("connect") {
        store::fail(db, connection.id, "cancelled", now)?;
        return Ok(link_page(
            200,
            "Connection cancelled",
            "Nothing was connected. You can close this page.",
        ));
    }
    let ad_account = format!("act_demo_{}", connection.id);
    let connected = store::connect(
        db,
        &connection,
        &Connected {
            sealed_token: &seal::seal(secret, "demo"),
            token_expires_at: None,
            ad_account_id: &ad_account,
            ad_account_name: "Demo ad account",
            page_id: Some("demo_page"),
        },
        now,
    )?;
    Ok(if connected {
        link_page(
            200,
            &format!("{} connected", title(platform)),
            "The demo ad account is connected. You can close this page.",
        )
    } else {
        link_page(
            410,
            "Link already used",
            "This connection link has been used.",
        )
    })
}

/// `GET /platforms/{platform}/callback?code=&state=`: Meta's answer.
pub async fn callback(
    db: &impl Database,
    http: &impl HttpClient,
    platform: &str,
    query: &Query,
    (meta, secret): (Option<&MetaConfig>, &[u8]),
    base_url: Result<String, UntrustedHost>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let (Ok(platform), Some(config)) = (platform_of(platform), meta) else {
        return Ok(link_page(
            404,
            "Not found",
            "This deployment does not connect through Meta.",
        ));
    };
    let state = query.get("state").unwrap_or_default();
    let Some(connection) = store::by_state(db, platform, &keys::hash_key(state))? else {
        return Ok(link_page(
            400,
            "Connection not found",
            "This answer does not belong to a connection in progress. Ask for a new link.",
        ));
    };
    if connection.status != "pending" {
        return Ok(link_page(
            410,
            "Already done",
            "This connection has already completed.",
        ));
    }
    let Some(code) = query.get("code").filter(|c| !c.is_empty()) else {
        let reason = query
            .get("error_description")
            .or(query.get("error"))
            .unwrap_or("no code");
        store::fail(db, connection.id, reason, now)?;
        return Ok(link_page(
            200,
            "Connection declined",
            "Nothing was connected. You can close this page.",
        ));
    };
    let base_url = base_url.map_err(AgentsError::internal_because)?;
    let failed = |reason: String| -> Result<Response, AgentsError> {
        store::fail(db, connection.id, &reason, now)?;
        Ok(link_page(
            502,
            "Connection failed",
            &format!("Meta did not complete the connection: {reason}"),
        ))
    };
    let token =
        match meta::exchange_code(http, config, &callback_url(&base_url, platform), code).await {
            Ok(token) => token,
            Err(error) => return failed(error.to_string()),
        };
    let account = match meta::ad_account(http, config, &token.access_token).await {
        Ok(Some(account)) => account,
        Ok(None) => return failed("the Facebook user has no active ad account".into()),
        Err(error) => return failed(error.to_string()),
    };
    let page = match meta::page(http, config, &token.access_token).await {
        Ok(page) => page,
        Err(error) => return failed(error.to_string()),
    };
    let connected = store::connect(
        db,
        &connection,
        &Connected {
            sealed_token: &seal::seal(secret, &token.access_token),
            token_expires_at: token.expires_in.map(|seconds| now.plus_seconds(seconds)),
            ad_account_id: &account.id,
            ad_account_name: &account.name,
            page_id: page.as_ref().map(|p| p.id.as_str()),
        },
        now,
    )?;
    Ok(if connected {
        link_page(
            200,
            &format!("{} connected", title(platform)),
            &format!(
                "The ad account {} is connected. You can close this page.",
                account.name
            ),
        )
    } else {
        link_page(
            410,
            "Already done",
            "This connection has already completed.",
        )
    })
}

/// `GET /platforms/{platform}/connect/status?token=`: `pending`,
/// `connected`, `failed` or `expired`.
pub fn connect_status(
    db: &impl Database,
    caller: &Caller,
    platform: &str,
    query: &Query,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountRead)?;
    let platform = platform_of(platform)?;
    let token = query
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AgentsError::validation("token", "token is required."))?;
    let connection = store::by_setup_token(db, platform, &keys::hash_key(token))?
        .filter(|c| c.organization_id == caller.organization_id() && c.mode == caller.mode())
        .ok_or_else(|| {
            AgentsError::new(
                404,
                "not_found",
                "No connection of this account has this token.",
            )
        })?;
    let status = match connection.status.as_str() {
        "pending" if connection.expires_at <= now && connection.setup_used_at.is_none() => {
            "expired"
        }
        status => status,
    };
    let mut body = connection_view(&connection);
    body["status"] = json!(status);
    body["failure"] = json!(connection.failure);
    Ok(json_response(200, &body))
}

/// `GET /platforms`: the account's connected platforms.
pub fn list(db: &impl Database, caller: &Caller) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountRead)?;
    let connections = store::connected(db, caller.organization_id(), caller.mode())?;
    let data: Vec<Value> = connections.iter().map(connection_view).collect();
    Ok(json_response(200, &json!({"data": data})))
}

fn owned(db: &impl Database, caller: &Caller, id: &str) -> Result<Connection, AgentsError> {
    let not_found = || AgentsError::new(404, "not_found", "No connected platform has this id.");
    let id = campaigns::parse_id(id, "").ok_or_else(not_found)?;
    store::find(db, caller.organization_id(), caller.mode(), id)?.ok_or_else(not_found)
}

/// `GET /platforms/{id}/status`: whether the token still works and the ad
/// account is reachable, asked of Meta now.
pub async fn health(
    db: &impl Database,
    http: &impl HttpClient,
    caller: &Caller,
    id: &str,
    meta: Option<&MetaConfig>,
    secret: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountRead)?;
    let connection = owned(db, caller, id)?;
    let token = connection
        .sealed_token
        .as_deref()
        .and_then(|sealed| seal::open(secret, sealed));
    let (token_valid, reachable, error) = match (connection.provider.as_str(), meta, token) {
        ("demo", _, Some(_)) => (true, true, None),
        ("meta", Some(config), Some(token)) => {
            meta::health(
                http,
                config,
                &token,
                connection.ad_account_id.as_deref().unwrap_or_default(),
            )
            .await
        }
        (_, _, None) => (
            false,
            false,
            Some("the stored token cannot be opened; reconnect the platform".into()),
        ),
        _ => (
            false,
            false,
            Some("this deployment no longer has a Meta app configured".into()),
        ),
    };
    let mut body = connection_view(&connection);
    body["health"] = json!(if token_valid && reachable {
        "healthy"
    } else {
        "unhealthy"
    });
    body["token_valid"] = json!(token_valid);
    body["ad_account_reachable"] = json!(reachable);
    body["error"] = json!(error);
    body["checked_at"] = json!(now.to_iso8601_numeric_offset());
    Ok(json_response(200, &body))
}

/// `DELETE /platforms/{id}`: `204`; the token is forgotten.
pub fn disconnect(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    caller.require_verified()?;
    let connection = owned(db, caller, id)?;
    store::disconnect(db, connection.id, now)?;
    Ok(no_content())
}
