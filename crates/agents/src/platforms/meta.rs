//! The Meta Marketing API (Graph API) client: the OAuth code exchange, the
//! ad accounts and Pages a token reaches, and the campaign → ad set →
//! creative → ad objects a launch creates. The Graph API's address and
//! version are settings (`meta_graph_host`, `meta_graph_version`), so tests
//! point it at a fake server on loopback.

use serde::Deserialize;
use serde_json::Value;

use adspin_core::env::Env;
use adspin_core::outbound::{HttpClient, OutboundRequest};
use adspin_core::settings;

/// Largest Graph answer read.
const RESPONSE_LIMIT: usize = 512 * 1024;

/// Where Meta is, and the app adspin connects accounts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaConfig {
    /// `https://graph.facebook.com`.
    pub graph_host: String,
    /// `v21.0`.
    pub version: String,
    /// `https://www.facebook.com`: where the login dialog is.
    pub dialog_host: String,
    pub app_id: String,
    pub app_secret: String,
}

impl MetaConfig {
    /// The configured Meta app; `None` without `meta_app_id` (the demo
    /// connection then stands in).
    pub fn from_env(env: &impl Env) -> Option<Self> {
        let variable = |name: &str| settings::text(env, name);
        let app_id = variable("meta_app_id")?;
        Some(Self {
            graph_host: variable("meta_graph_host")
                .unwrap_or_else(|| "https://graph.facebook.com".into()),
            version: variable("meta_graph_version").unwrap_or_else(|| "v21.0".into()),
            dialog_host: variable("meta_dialog_host")
                .unwrap_or_else(|| "https://www.facebook.com".into()),
            app_id,
            app_secret: variable("meta_app_secret").unwrap_or_default(),
        })
    }

    fn graph(&self, path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.graph_host.trim_end_matches('/'),
            self.version,
            path.trim_start_matches('/')
        )
    }

    /// The login dialog a person is sent to, with our `state`.
    pub fn dialog_url(&self, redirect_uri: &str, state: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.app_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair(
                "scope",
                "ads_management,ads_read,business_management,pages_show_list",
            )
            .append_pair("response_type", "code")
            .finish();
        format!(
            "{}/{}/dialog/oauth?{query}",
            self.dialog_host.trim_end_matches('/'),
            self.version
        )
    }
}

/// Why the Graph API did not do what was asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    #[error("the Graph API could not be reached: {0}")]
    Unreachable(String),
    /// Graph's own error object (`{"error": {message, type, code, ...}}`).
    #[error("the Graph API answered {status}: {message}")]
    Refused {
        status: u16,
        message: String,
        error: Value,
    },
    #[error("the Graph API's answer could not be read: {0}")]
    Malformed(String),
}

async fn send(http: &impl HttpClient, request: OutboundRequest) -> Result<Value, GraphError> {
    let response = http
        .send(request, RESPONSE_LIMIT)
        .await
        .map_err(|error| GraphError::Unreachable(error.to_string()))?;
    let body: Value = serde_json::from_slice(&response.body)
        .map_err(|error| GraphError::Malformed(error.to_string()))?;
    if !(200..300).contains(&response.status) {
        let error = body.get("error").cloned().unwrap_or(Value::Null);
        return Err(GraphError::Refused {
            status: response.status,
            message: error["message"]
                .as_str()
                .unwrap_or("no message")
                .to_string(),
            error,
        });
    }
    Ok(body)
}

fn form(pairs: &[(&str, String)]) -> Vec<u8> {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish().into_bytes()
}

fn post(url: String, pairs: &[(&str, String)]) -> OutboundRequest {
    OutboundRequest::post_form(url, form(pairs))
}

fn get(url: String) -> OutboundRequest {
    OutboundRequest::without_body(http::Method::GET, url)
}

/// What a code is worth.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// Exchanges the login dialog's `code` for an access token.
pub async fn exchange_code(
    http: &impl HttpClient,
    config: &MetaConfig,
    redirect_uri: &str,
    code: &str,
) -> Result<AccessToken, GraphError> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &config.app_id)
        .append_pair("client_secret", &config.app_secret)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code", code)
        .finish();
    let body = send(
        http,
        get(format!("{}?{query}", config.graph("oauth/access_token"))),
    )
    .await?;
    serde_json::from_value(body).map_err(|error| GraphError::Malformed(error.to_string()))
}

/// An ad account or a Page the token reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub id: String,
    pub name: String,
}

async fn first_of(
    http: &impl HttpClient,
    config: &MetaConfig,
    (path, fields): (&str, &str),
    token: &str,
    usable: impl Fn(&Value) -> bool,
) -> Result<Option<Reached>, GraphError> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("fields", fields)
        .append_pair("access_token", token)
        .finish();
    let body = send(http, get(format!("{}?{query}", config.graph(path)))).await?;
    Ok(body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|item| usable(item))
        .and_then(|item| {
            Some(Reached {
                id: item["id"].as_str()?.to_string(),
                name: item["name"].as_str().unwrap_or_default().to_string(),
            })
        }))
}

/// The first active ad account of the token (`account_status` 1).
pub async fn ad_account(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
) -> Result<Option<Reached>, GraphError> {
    first_of(
        http,
        config,
        ("me/adaccounts", "id,name,account_status"),
        token,
        |account| account["account_status"].as_i64() == Some(1),
    )
    .await
}

/// The first Page the token manages (ads are published as a Page).
pub async fn page(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
) -> Result<Option<Reached>, GraphError> {
    first_of(http, config, ("me/accounts", "id,name"), token, |_| true).await
}

/// The interest Meta's targeting search finds first for a term
/// (`GET /search?type=adinterest`), as its id and name; `None` when Meta
/// knows no interest by that name.
pub async fn interest(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
    term: &str,
) -> Result<Option<Reached>, GraphError> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("type", "adinterest")
        .append_pair("q", term)
        .append_pair("limit", "1")
        .append_pair("access_token", token)
        .finish();
    let body = send(http, get(format!("{}?{query}", config.graph("search")))).await?;
    Ok(body["data"].as_array().and_then(|found| {
        let first = found.first()?;
        Some(Reached {
            id: first["id"].as_str()?.to_string(),
            name: first["name"].as_str().unwrap_or(term).to_string(),
        })
    }))
}

/// Whether the token still works and the ad account is active.
pub async fn health(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
    ad_account: &str,
) -> (bool, bool, Option<String>) {
    let query = |fields: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("fields", fields)
            .append_pair("access_token", token)
            .finish()
    };
    let me = send(http, get(format!("{}?{}", config.graph("me"), query("id")))).await;
    let token_valid = me.is_ok();
    let account = send(
        http,
        get(format!(
            "{}?{}",
            config.graph(ad_account),
            query("account_status")
        )),
    )
    .await;
    let reachable = account
        .as_ref()
        .is_ok_and(|body| body["account_status"].as_i64() == Some(1));
    let error = me.err().or(account.err()).map(|e| e.to_string());
    (token_valid, reachable, error)
}

/// Creates an object under the ad account (`campaigns`, `adsets`,
/// `adcreatives`, `ads`); its id.
pub async fn create(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
    ad_account: &str,
    edge: &str,
    fields: &[(&str, String)],
) -> Result<String, GraphError> {
    let mut pairs = fields.to_vec();
    pairs.push(("access_token", token.to_string()));
    let body = send(
        http,
        post(config.graph(&format!("{ad_account}/{edge}")), &pairs),
    )
    .await?;
    body["id"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| GraphError::Malformed(format!("no id in {body}")))
}

/// Changes fields of an object (`status`, `daily_budget`, ...).
pub async fn update(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
    id: &str,
    fields: &[(&str, String)],
) -> Result<(), GraphError> {
    let mut pairs = fields.to_vec();
    pairs.push(("access_token", token.to_string()));
    send(http, post(config.graph(id), &pairs)).await.map(|_| ())
}

/// Deletes an object.
pub async fn delete(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
    id: &str,
) -> Result<(), GraphError> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("access_token", token)
        .finish();
    send(
        http,
        OutboundRequest::without_body(
            http::Method::DELETE,
            format!("{}?{query}", config.graph(id)),
        ),
    )
    .await
    .map(|_| ())
}

/// An ad's delivery of the last 7 days, by day and publisher platform
/// (Graph's insights rows: `date_start`, `impressions`, `clicks`, `spend`,
/// `actions`, `publisher_platform`).
pub async fn insights(
    http: &impl HttpClient,
    config: &MetaConfig,
    token: &str,
    ad: &str,
) -> Result<Vec<Value>, GraphError> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("fields", "impressions,clicks,spend,actions")
        .append_pair("time_increment", "1")
        .append_pair("date_preset", "last_7d")
        .append_pair("breakdowns", "publisher_platform")
        .append_pair("access_token", token)
        .finish();
    let body = send(
        http,
        get(format!(
            "{}?{query}",
            config.graph(&format!("{ad}/insights"))
        )),
    )
    .await?;
    Ok(body["data"].as_array().cloned().unwrap_or_default())
}
