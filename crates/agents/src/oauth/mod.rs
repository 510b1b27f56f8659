//! OAuth 2.0 for third-party integrations (RFC 6749 authorization code
//! grant, RFC 7636 PKCE with S256, RFC 7009 revocation).
//!
//! - An account registers a client (`POST /oauth/clients`): a name and the
//!   redirect URIs it may use (matched exactly). A confidential client
//!   gets a secret, shown once; a public one (a native or browser app)
//!   relies on PKCE alone.
//! - `GET /oauth/authorize` shows the consent page: the client's name and
//!   the scopes it asks for; the person signs in with the account's email
//!   and password (the login limits apply) and approves or denies.
//! - Approval redirects with a code (10 minutes, one use) bound to the
//!   client, the redirect URI and the PKCE challenge; `POST /oauth/token`
//!   exchanges it for an access token (`aa_oat_...`, one hour, limited to
//!   the granted scopes, used like a key) and a refresh token
//!   (`aa_ort_...`, 30 days, rotated at every use). A code or refresh token
//!   presented twice revokes every token of its grant.
//! - `POST /oauth/revoke` revokes an access or refresh token.
//!
//! Errors of the token and revocation endpoints are RFC 6749's
//! `{"error", "error_description"}`; the authorization endpoint reports
//! them on the redirect URI once that is known to be the client's, and on
//! a page before.

pub mod store;

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use adspin_core::body::parse_json;
use adspin_core::db::{Database, DbError, transaction};
use adspin_core::keys;
use adspin_core::kv::KeyValue;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response};

use crate::AgentsError;
use crate::accounts;
use crate::auth::Caller;
use crate::html;
use crate::scopes::Scope;
use crate::store::{self as accounts_store, Mode, NewKey};
use crate::text;
use store::{Client, Code, Refresh};

/// How long an authorization code can be exchanged.
pub const CODE_LIFETIME_SECONDS: i64 = 600;
/// How long an access token works.
pub const ACCESS_TOKEN_LIFETIME_SECONDS: i64 = 3_600;
/// How long a refresh token works.
pub const REFRESH_TOKEN_LIFETIME_SECONDS: i64 = 30 * 86_400;

/// Redirect URIs one client may register.
const MAX_REDIRECT_URIS: usize = 10;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClient {
    name: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    confidential: Option<bool>,
}

fn client_view(client: &Client) -> Value {
    json!({
        "client_id": client.id,
        "name": client.name,
        "redirect_uris": client.redirect_uris,
        "confidential": client.secret_hash.is_some(),
        "created_at": client.created_at.to_iso8601_numeric_offset(),
    })
}

/// `POST /oauth/clients`: `201` with the client (and its secret, once).
pub fn create_client(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    caller.require_verified()?;
    let request: NewClient = parse_json(body)?;
    let name = text::checked("name", &request.name, 100)?;
    if request.redirect_uris.is_empty() || request.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(AgentsError::validation(
            "redirect_uris",
            "redirect_uris must list 1 to 10 URIs.",
        ));
    }
    for (index, uri) in request.redirect_uris.iter().enumerate() {
        if !valid_redirect_uri(uri) {
            return Err(AgentsError::validation(
                &format!("redirect_uris[{index}]"),
                "A redirect URI is an https:// URL (http:// only for localhost or a loopback address) without a fragment.",
            ));
        }
    }
    let secret = request
        .confidential
        .unwrap_or(true)
        .then(|| keys::generate("ocs_"));
    let client = Client {
        id: format!("oc_{}", uuid::Uuid::new_v4().simple()),
        organization_id: caller.organization_id(),
        name: name.to_string(),
        redirect_uris: request.redirect_uris.clone(),
        secret_hash: secret.as_deref().map(keys::hash_key),
        created_at: now,
    };
    store::insert_client(db, &client)?;
    let mut answer = client_view(&client);
    if let Some(secret) = secret {
        answer["client_secret"] = Value::String(secret);
    }
    Ok(json_response(201, &answer))
}

/// `GET /oauth/clients`: the account's clients (never their secrets).
pub fn list_clients(db: &impl Database, caller: &Caller) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountRead)?;
    let clients = store::list_clients(db, caller.organization_id())?;
    let data: Vec<Value> = clients.iter().map(client_view).collect();
    let total = data.len();
    Ok(json_response(
        200,
        &json!({"data": data, "pagination": {"next_cursor": null, "has_more": false, "total": total}}),
    ))
}

/// `DELETE /oauth/clients/{id}`: `204`; every token issued to it stops.
pub fn delete_client(
    db: &impl Database,
    caller: &Caller,
    id: &str,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountWrite)?;
    let client = store::find_client(db, id)?
        .filter(|client| client.organization_id == caller.organization_id())
        .ok_or_else(|| {
            AgentsError::new(
                404,
                "not_found",
                format!("No OAuth client {id} in this account."),
            )
        })?;
    transaction(db, || store::revoke_client(db, &client.id, now))?;
    Ok(adspin_core::web::no_content())
}

/// What an authorization request asks for, once checked.
struct Authorization {
    client: Client,
    redirect_uri: String,
    scopes: Vec<Scope>,
    state: Option<String>,
    code_challenge: String,
}

/// Why an authorization request is refused.
enum Refusal {
    /// The client or redirect URI cannot be trusted: shown on a page,
    /// never redirected (RFC 6749 section 4.1.2.1).
    Page(String),
    /// Reported to the client on its redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

fn check_authorization(
    db: &impl Database,
    query: &Query,
) -> Result<Result<Authorization, Refusal>, DbError> {
    let Some(client_id) = query.get("client_id") else {
        return Ok(Err(Refusal::Page("The request names no client_id.".into())));
    };
    let Some(client) = store::find_client(db, client_id)? else {
        return Ok(Err(Refusal::Page("The client is not registered.".into())));
    };
    let redirect_uri = match query.get("redirect_uri") {
        Some(uri) if client.redirect_uris.iter().any(|known| known == uri) => uri.to_string(),
        Some(_) => {
            return Ok(Err(Refusal::Page(
                "The redirect_uri is not one the client registered.".into(),
            )));
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return Ok(Err(Refusal::Page(
                "The client registered several redirect URIs: the request must name one.".into(),
            )));
        }
    };
    let state = query.get("state").map(str::to_string);
    let refuse = |error: &'static str, description: &str| {
        Err(Refusal::Redirect {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            error,
            description: description.to_string(),
        })
    };
    if query.get("response_type") != Some("code") {
        return Ok(refuse(
            "unsupported_response_type",
            "response_type must be code.",
        ));
    }
    let Some(scopes) = query.get("scope").and_then(parse_scope) else {
        return Ok(refuse(
            "invalid_scope",
            "scope must list one or more of the API's scopes, separated by spaces.",
        ));
    };
    let challenge = query.get("code_challenge").unwrap_or_default();
    if query.get("code_challenge_method") != Some("S256") || !valid_challenge(challenge) {
        return Ok(refuse(
            "invalid_request",
            "PKCE is required: code_challenge (43 characters, base64url of SHA-256) with code_challenge_method=S256.",
        ));
    }
    Ok(Ok(Authorization {
        client,
        redirect_uri,
        scopes,
        state,
        code_challenge: challenge.to_string(),
    }))
}

/// `GET /oauth/authorize`: the consent page.
pub fn authorize_page(db: &impl Database, query: &Query) -> Result<Response, AgentsError> {
    match check_authorization(db, query)? {
        Err(refusal) => Ok(refused(refusal)),
        Ok(authorization) => Ok(consent_page(&authorization, None)),
    }
}

/// `POST /oauth/authorize` (the consent form): with `decision=approve` and
/// the account's email and password, redirects with a code; with
/// `decision=deny`, with `access_denied`.
pub fn authorize_submit(
    db: &impl Database,
    kv: &impl KeyValue,
    body: &[u8],
    client_address: Option<IpAddr>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let form = Query::parse(&String::from_utf8_lossy(body));
    let authorization = match check_authorization(db, &form)? {
        Err(refusal) => return Ok(refused(refusal)),
        Ok(authorization) => authorization,
    };
    if form.get("decision") != Some("approve") {
        return Ok(refused(Refusal::Redirect {
            redirect_uri: authorization.redirect_uri,
            state: authorization.state,
            error: "access_denied",
            description: "The account holder denied the request.".into(),
        }));
    }
    let email = form.get("email").unwrap_or_default();
    let password = form.get("password").unwrap_or_default();
    let user = match accounts::check_password(db, kv, email, password, client_address, now) {
        Ok(user) => user,
        Err(error) if error.status() == 500 => return Err(error),
        // A malformed email is a wrong one here: the page says so (401).
        Err(error) => {
            let (status, message) = if error.status() == 429 {
                (
                    http::StatusCode::TOO_MANY_REQUESTS,
                    "Too many failed sign-ins. Wait a few minutes and try again.",
                )
            } else {
                (
                    http::StatusCode::UNAUTHORIZED,
                    "The email or password is incorrect.",
                )
            };
            let mut page = consent_page(&authorization, Some(message));
            *page.status_mut() = status;
            // The page waits as the API's 429 does.
            if let Some(value) = error
                .retry_after()
                .and_then(|seconds| http::HeaderValue::from_str(&seconds.to_string()).ok())
            {
                page.headers_mut().insert(http::header::RETRY_AFTER, value);
            }
            return Ok(page);
        }
    };
    if !user.enabled {
        let mut page = consent_page(
            &authorization,
            Some("Verify the account's email before connecting applications."),
        );
        *page.status_mut() = http::StatusCode::FORBIDDEN;
        return Ok(page);
    }
    let code = keys::generate("");
    store::insert_code(
        db,
        &Code {
            code_hash: keys::hash_key(&code),
            client_id: authorization.client.id.clone(),
            organization_id: user.organization_id,
            user_id: user.id,
            scopes: authorization.scopes.clone(),
            redirect_uri: authorization.redirect_uri.clone(),
            code_challenge: authorization.code_challenge.clone(),
            expires_at: now.plus_seconds(CODE_LIFETIME_SECONDS),
            used_at: None,
        },
        now,
    )?;
    let mut target = url::Url::parse(&authorization.redirect_uri)
        .map_err(|_| AgentsError::internal_because("a stored redirect URI does not parse"))?;
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = &authorization.state {
        target.query_pairs_mut().append_pair("state", state);
    }
    Ok(html::redirect(http::StatusCode::FOUND, target.as_str()))
}

fn consent_page(authorization: &Authorization, error: Option<&str>) -> Response {
    let scopes: String = authorization
        .scopes
        .iter()
        .map(|scope| {
            format!(
                "<li><code>{}</code>: {}</li>",
                scope.as_str(),
                describe(*scope)
            )
        })
        .collect();
    let hidden: String = [
        ("response_type", Some("code")),
        ("client_id", Some(authorization.client.id.as_str())),
        ("redirect_uri", Some(authorization.redirect_uri.as_str())),
        ("scope", Some(&*scope_text(&authorization.scopes))),
        ("state", authorization.state.as_deref()),
        (
            "code_challenge",
            Some(authorization.code_challenge.as_str()),
        ),
        ("code_challenge_method", Some("S256")),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.map(|value| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                html::escape(value)
            )
        })
    })
    .collect();
    let error = error
        .map(|message| format!("<p class=\"error\">{}</p>", html::escape(message)))
        .unwrap_or_default();
    html::page(
        200,
        &format!("Connect {}", authorization.client.name),
        &format!(
            "<p><strong>{name}</strong> asks to use your adspin account with these permissions:</p>\
             <ul class=\"scopes\">{scopes}</ul>{error}\
             <form method=\"post\" action=\"/api/v1/oauth/authorize\">{hidden}\
             <label for=\"email\">Email</label><input id=\"email\" type=\"email\" name=\"email\" autocomplete=\"username\">\
             <label for=\"password\">Password</label><input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"current-password\">\
             <p><button class=\"pay\" name=\"decision\" value=\"approve\">Approve</button>\
             <button class=\"decline\" name=\"decision\" value=\"deny\">Deny</button></p></form>\
             <p class=\"note\">You will be sent back to {redirect}.</p>",
            name = html::escape(&authorization.client.name),
            redirect = html::escape(&authorization.redirect_uri),
        ),
    )
}

fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Page(message) => html::page(
            400,
            "This authorization request cannot be used",
            &format!("<p>{}</p>", html::escape(&message)),
        ),
        Refusal::Redirect {
            redirect_uri,
            state,
            error,
            description,
        } => match url::Url::parse(&redirect_uri) {
            Ok(mut target) => {
                target
                    .query_pairs_mut()
                    .append_pair("error", error)
                    .append_pair("error_description", &description);
                if let Some(state) = state {
                    target.query_pairs_mut().append_pair("state", &state);
                }
                html::redirect(http::StatusCode::FOUND, target.as_str())
            }
            Err(_) => html::page(
                400,
                "This authorization request cannot be used",
                "<p>Bad redirect URI.</p>",
            ),
        },
    }
}

/// An RFC 6749 error of the token and revocation endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: 400,
            error,
            description: description.into(),
        }
    }

    fn invalid_client() -> Self {
        Self {
            status: 401,
            error: "invalid_client",
            description: "Client authentication failed.".into(),
        }
    }

    pub fn to_response(&self) -> Response {
        let mut response = json_response(
            self.status,
            &json!({"error": self.error, "error_description": self.description}),
        );
        let headers = response.headers_mut();
        headers.insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        if self.status == 401 {
            headers.insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Basic realm=\"adspin\""),
            );
        }
        response
    }
}

/// `POST /oauth/token` (form-encoded): `authorization_code` and
/// `refresh_token` grants.
pub fn token(
    db: &impl Database,
    authorization: Option<&str>,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let form = Query::parse(&String::from_utf8_lossy(body));
    let outcome = match authenticate_client(db, authorization, &form) {
        Err(error) => Err(error),
        Ok(client) => match form.get("grant_type") {
            Some("authorization_code") => exchange_code(db, &client, &form, now),
            Some("refresh_token") => refresh(db, &client, &form, now),
            Some(_) => Err(OAuthError::new(
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token.",
            )),
            None => Err(OAuthError::new(
                "invalid_request",
                "grant_type is required.",
            )),
        },
    };
    Ok(match outcome {
        Ok(Ok(answer)) => {
            let mut response = json_response(200, &answer);
            response.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store"),
            );
            response
        }
        Ok(Err(database)) => return Err(database.into()),
        Err(error) => error.to_response(),
    })
}

type Grant = Result<Result<Value, DbError>, OAuthError>;

fn exchange_code(db: &impl Database, client: &Client, form: &Query, now: UnixSeconds) -> Grant {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::new("invalid_request", "code is required."))?;
    let invalid = || OAuthError::new("invalid_grant", "The code is invalid, expired or used.");
    let stored = match store::find_code(db, &keys::hash_key(code)) {
        Ok(stored) => stored.ok_or_else(invalid)?,
        Err(error) => return Ok(Err(error)),
    };
    if stored.client_id != client.id || stored.expires_at <= now {
        return Err(invalid());
    }
    if form
        .get("redirect_uri")
        .is_some_and(|uri| uri != stored.redirect_uri)
    {
        return Err(OAuthError::new(
            "invalid_grant",
            "redirect_uri differs from the authorization request's.",
        ));
    }
    let verifier = form.get("code_verifier").unwrap_or_default();
    let matches: bool = challenge_of(verifier)
        .as_bytes()
        .ct_eq(stored.code_challenge.as_bytes())
        .into();
    if !valid_verifier(verifier) || !matches {
        return Err(OAuthError::new(
            "invalid_grant",
            "code_verifier does not match the code_challenge.",
        ));
    }
    let issued = transaction(db, || {
        if !store::use_code(db, &stored.code_hash, now)? {
            // A replayed code: everything issued from it stops.
            store::revoke_family(db, &stored.code_hash, now)?;
            return Ok(None);
        }
        issue(
            db,
            client,
            &stored.code_hash,
            stored.organization_id,
            stored.user_id,
            &stored.scopes,
            now,
        )
        .map(Some)
    });
    match issued {
        Ok(Some(answer)) => Ok(Ok(answer)),
        Ok(None) => Err(invalid()),
        Err(error) => Ok(Err(error)),
    }
}

fn refresh(db: &impl Database, client: &Client, form: &Query, now: UnixSeconds) -> Grant {
    let token = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required."))?;
    let invalid = || {
        OAuthError::new(
            "invalid_grant",
            "The refresh token is invalid, expired or revoked.",
        )
    };
    let stored = match store::find_refresh(db, &keys::hash_key(token)) {
        Ok(stored) => stored.ok_or_else(invalid)?,
        Err(error) => return Ok(Err(error)),
    };
    if stored.client_id != client.id || stored.expires_at <= now || stored.revoked_at.is_some() {
        return Err(invalid());
    }
    let scopes = match form.get("scope") {
        None => stored.scopes.clone(),
        Some(text) => parse_scope(text)
            .filter(|asked| asked.iter().all(|scope| stored.scopes.contains(scope)))
            .ok_or_else(|| {
                OAuthError::new("invalid_scope", "scope may only narrow the granted scopes.")
            })?,
    };
    let issued = transaction(db, || {
        if !store::use_refresh(db, &stored.token_hash, now)? {
            store::revoke_family(db, &stored.family, now)?;
            return Ok(None);
        }
        issue(
            db,
            client,
            &stored.family,
            stored.organization_id,
            stored.user_id,
            &scopes,
            now,
        )
        .map(Some)
    });
    match issued {
        Ok(Some(answer)) => Ok(Ok(answer)),
        Ok(None) => Err(invalid()),
        Err(error) => Ok(Err(error)),
    }
}

/// Mints an access token and a refresh token for a grant.
fn issue(
    db: &impl Database,
    client: &Client,
    family: &str,
    organization_id: adspin_core::ids::OrganizationId,
    user_id: i64,
    scopes: &[Scope],
    now: UnixSeconds,
) -> Result<Value, DbError> {
    let name = format!("OAuth: {}", client.name);
    let (access, access_token) = accounts_store::mint_key(
        db,
        &NewKey {
            organization_id,
            user_id,
            mode: Mode::Live,
            name: Some(&name),
            scopes,
            oauth_expires_at: Some(now.plus_seconds(ACCESS_TOKEN_LIFETIME_SECONDS)),
        },
        now,
    )?;
    let refresh_token = keys::generate(keys::AGENTS_REFRESH_PREFIX);
    store::insert_refresh(
        db,
        &Refresh {
            token_hash: keys::hash_key(&refresh_token),
            family: family.to_string(),
            client_id: client.id.clone(),
            organization_id,
            user_id,
            scopes: scopes.to_vec(),
            access_key_seq: access.seq,
            expires_at: now.plus_seconds(REFRESH_TOKEN_LIFETIME_SECONDS),
            used_at: None,
            revoked_at: None,
        },
        now,
    )?;
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME_SECONDS,
        "refresh_token": refresh_token,
        "scope": scope_text(scopes),
    }))
}

/// `POST /oauth/revoke` (RFC 7009): revokes an access or refresh token of
/// the client; `200` whether or not the token was known.
pub fn revoke(
    db: &impl Database,
    authorization: Option<&str>,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let form = Query::parse(&String::from_utf8_lossy(body));
    let client = match authenticate_client(db, authorization, &form) {
        Ok(client) => client,
        Err(error) => return Ok(error.to_response()),
    };
    let Some(token) = form.get("token") else {
        return Ok(OAuthError::new("invalid_request", "token is required.").to_response());
    };
    let token_hash = keys::hash_key(token);
    transaction(db, || {
        if let Some(refresh) = store::find_refresh(db, &token_hash)?
            && refresh.client_id == client.id
        {
            store::revoke_family(db, &refresh.family, now)?;
        } else if let Some(grant) = accounts_store::find_grant(db, &token_hash, now)?
            && let Some(refresh) = store::find_refresh_by_access(db, grant.key.seq)?
            && refresh.client_id == client.id
        {
            accounts_store::revoke_key(db, grant.key.seq, now)?;
        }
        Ok::<_, DbError>(())
    })?;
    let mut response = Response::new(Vec::new());
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The client of a token or revocation request: HTTP Basic
/// (`client_id:client_secret`) or `client_id` (and `client_secret`) in the
/// form. A confidential client must present its secret.
fn authenticate_client(
    db: &impl Database,
    authorization: Option<&str>,
    form: &Query,
) -> Result<Client, OAuthError> {
    let basic = authorization.and_then(basic_credentials);
    let (client_id, secret) = match &basic {
        Some((id, secret)) => (id.clone(), Some(secret.clone())),
        None => (
            form.get("client_id")
                .ok_or_else(|| OAuthError::new("invalid_request", "client_id is required."))?
                .to_string(),
            form.get("client_secret").map(str::to_string),
        ),
    };
    let client = store::find_client(db, &client_id)
        .ok()
        .flatten()
        .ok_or_else(OAuthError::invalid_client)?;
    match (&client.secret_hash, secret) {
        (Some(stored), Some(secret)) => {
            let matches: bool = keys::hash_key(&secret)
                .as_bytes()
                .ct_eq(stored.as_bytes())
                .into();
            if matches {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client())
            }
        }
        (Some(_), None) => Err(OAuthError::invalid_client()),
        (None, Some(_)) => Err(OAuthError::invalid_client()),
        (None, None) => Ok(client),
    }
}

/// `Authorization: Basic base64(urlencoded id ":" urlencoded secret)`.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .ok()
            .map(|value| value.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

/// Space-separated scope names, each known, at least one.
fn parse_scope(text: &str) -> Option<Vec<Scope>> {
    let mut scopes = Vec::new();
    for name in text.split(' ').filter(|name| !name.is_empty()) {
        let scope = Scope::parse(name)?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    (!scopes.is_empty()).then_some(scopes)
}

fn scope_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn describe(scope: Scope) -> &'static str {
    match scope {
        Scope::CampaignsRead => "see your campaigns",
        Scope::CampaignsWrite => "create, change and launch campaigns",
        Scope::ContentGenerate => "generate ad content",
        Scope::AnalyticsRead => "read performance analytics",
        Scope::BillingRead => "see your plan and invoices",
        Scope::BillingWrite => "change or cancel your plan",
        Scope::WebhooksManage => "manage webhooks",
        Scope::AccountRead => "see your account and business",
        Scope::AccountWrite => "change your account, keys and business",
    }
}

/// An https:// URL, or http:// on localhost or a loopback address (native
/// apps, RFC 8252), without a fragment.
fn valid_redirect_uri(text: &str) -> bool {
    let Ok(url) = url::Url::parse(text) else {
        return false;
    };
    // A domain is letters, digits, hyphens and dots (the URL parser also
    // takes characters such as `*` that no registrable name has).
    let odd_domain = matches!(url.host(), Some(url::Host::Domain(name))
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    if url.fragment().is_some()
        || url.host().is_none()
        || odd_domain
        || text.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// RFC 7636: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An S256 challenge: 43 characters of base64url.
fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// `BASE64URL(SHA256(verifier))`, without padding.
fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests;
