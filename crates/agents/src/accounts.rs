//! Accounts: registration, email verification and login.
//!
//! An agents API account is an advertiser organization (the rows `/v1`
//! serves) with one user who signs in with an email and a password.
//! Registration answers at once with a live key; the account stays
//! unverified (`enabled: false`) until the 6-digit code emailed to the
//! user is submitted. Codes live 15 minutes, are stored as salted SHA-256
//! hashes and allow [`MAX_CODE_ATTEMPTS`] submissions.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use adspin_core::body::parse_json;
use adspin_core::db::{Database, transaction};
use adspin_core::ids::OrganizationId;
use adspin_core::jwt;
use adspin_core::kv::KeyValue;
use adspin_core::organizations::{NewOrganization, insert_organization};
use adspin_core::outbox::{self, Email};
use adspin_core::rate_limit;
use adspin_core::session;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Response, json_response};

use crate::AgentsError;
use crate::events;
use crate::limits::{self, too_many_requests};
use crate::password;
use crate::scopes::Scope;
use crate::store::{self, Mode, NewKey, NewUser, User};
use crate::text;

/// How long a verification code can be submitted.
pub const CODE_LIFETIME_SECONDS: i64 = 15 * 60;

/// Submissions one code allows; then a new code must be requested.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// Longest accepted email address (RFC 5321's path limit).
const MAX_EMAIL_LENGTH: usize = 254;

/// Longest accepted first or last name, in characters.
const MAX_NAME_LENGTH: usize = 100;

/// A user as the agents API shows it.
#[derive(Debug, Serialize)]
pub struct UserView<'a> {
    pub id: i64,
    pub email: &'a str,
    /// The advertiser organization of the account (the one `/v1` keys and
    /// the dashboard serve).
    pub organization_id: String,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub enabled: bool,
    pub created_at: String,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(user: &'a User) -> Self {
        Self {
            id: user.id,
            email: &user.email,
            organization_id: user.organization_id.to_string(),
            first_name: &user.first_name,
            last_name: &user.last_name,
            enabled: user.enabled,
            created_at: user.created_at.to_iso8601_numeric_offset(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    email: String,
    password: String,
    first_name: String,
    last_name: String,
    /// How the code is delivered; `email` is the only method.
    #[serde(default)]
    verification_method: Option<String>,
}

/// `POST /auth/register`: `201` with the user and a live key.
pub fn register(
    db: &impl Database,
    kv: &impl KeyValue,
    body: &[u8],
    client: Option<IpAddr>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let registration: Registration = parse_json(body)?;
    let email = normalize_email(&registration.email)?;
    let first_name = text::checked("first_name", &registration.first_name, MAX_NAME_LENGTH)?;
    let last_name = text::checked("last_name", &registration.last_name, MAX_NAME_LENGTH)?;
    if let Some(method) = registration.verification_method.as_deref()
        && method != "email"
    {
        return Err(AgentsError::validation(
            "verification_method",
            "verification_method must be \"email\".",
        ));
    }
    password::check(&registration.password).map_err(|error| {
        AgentsError::validation("password", format!("{error}.")).with_details(
            json!({"field": "password", "min_length": password::MIN_LENGTH,
                "max_length": password::MAX_LENGTH}),
        )
    })?;
    let usage = limits::count_address(kv, "registrations", limits::REGISTRATIONS, client, now)?;
    if usage.exceeded() {
        return Err(too_many_requests(&usage, now));
    }
    // Hashing takes tens of milliseconds: done before the write
    // transaction so it holds no lock meanwhile.
    let password_hash = password::hash(&registration.password)
        .map_err(|error| AgentsError::internal_because(format_args!("password hash: {error}")))?;
    let code = new_code();
    let (user, api_key) = transaction(db, || {
        let organization_id = OrganizationId::new_random();
        insert_organization(
            db,
            NewOrganization {
                id: organization_id,
                name: format!("{first_name} {last_name}"),
                url: None,
                timezone: "UTC".into(),
                currency_code: "USD".into(),
            },
            now,
        )?;
        let user = store::insert_user(
            db,
            &NewUser {
                organization_id,
                email: &email,
                password_hash: &password_hash,
                first_name,
                last_name,
            },
            now,
        )
        .map_err(|error| {
            if error.is_unique_violation() {
                email_taken()
            } else {
                error.into()
            }
        })?;
        let (_, api_key) = store::mint_key(
            db,
            &NewKey {
                organization_id,
                user_id: user.id,
                mode: Mode::Live,
                name: Some("Registration"),
                scopes: &Scope::ALL,
                oauth_expires_at: None,
            },
            now,
        )?;
        issue_code(db, &user, &code, now)?;
        Ok::<_, AgentsError>((user, api_key))
    })?;
    Ok(json_response(
        201,
        &json!({
            "user": UserView::from(&user),
            "api_key": api_key,
            "message": "Account created. Please verify your email \u{2014} a 6-digit code has been issued.",
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verification {
    email: String,
    code: String,
}

/// `POST /auth/verify`: enables the account when the code matches.
pub fn verify(db: &impl Database, body: &[u8], now: UnixSeconds) -> Result<Response, AgentsError> {
    let verification: Verification = parse_json(body)?;
    let email = normalize_email(&verification.email)?;
    let code = verification.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AgentsError::validation(
            "code",
            "code must be the 6 digits of the email.",
        ));
    }
    // An unknown email and a wrong code answer alike.
    let Some(mut user) = store::find_user_by_email(db, &email)? else {
        return Err(invalid_code(None));
    };
    if user.enabled {
        return Ok(verified(&user, "Account already verified."));
    }
    let Some(stored) = store::claim_attempt(db, user.id, MAX_CODE_ATTEMPTS)? else {
        return Err(match store::find_code(db, user.id)? {
            Some(_) => AgentsError::new(
                400,
                "too_many_attempts",
                "Too many wrong codes. Request a new code with POST /auth/verify/resend.",
            ),
            None => invalid_code(None),
        });
    };
    let matches: bool = code_hash(&stored.salt, code)
        .as_bytes()
        .ct_eq(stored.code_hash.as_bytes())
        .into();
    if !matches {
        return Err(invalid_code(Some(MAX_CODE_ATTEMPTS - stored.attempts)));
    }
    if stored.expires_at <= now {
        return Err(AgentsError::new(
            400,
            "code_expired",
            "The code has expired. Request a new one with POST /auth/verify/resend.",
        ));
    }
    transaction(db, || {
        store::enable_user(db, user.id, now)?;
        events::emit(
            db,
            user.organization_id,
            Mode::Live,
            "account.verified",
            &json!({"user_id": user.id, "email": user.email, "organization_id": user.organization_id.to_string()}),
            now,
        )?;
        Ok::<_, AgentsError>(())
    })?;
    user.enabled = true;
    Ok(verified(&user, "Account verified successfully."))
}

fn verified(user: &User, message: &str) -> Response {
    json_response(
        200,
        &json!({ "message": message, "user": UserView::from(user) }),
    )
}

fn invalid_code(attempts_remaining: Option<i64>) -> AgentsError {
    let error = AgentsError::new(
        400,
        "invalid_code",
        "The email and code do not match a pending verification.",
    );
    match attempts_remaining {
        Some(left) => error.with_details(json!({ "attempts_remaining": left })),
        None => error,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resend {
    email: String,
}

/// `POST /auth/verify/resend`: a new code (voiding the old one) for an
/// unverified account. The answer is the same whether or not one exists.
pub fn resend_code(
    db: &impl Database,
    kv: &impl KeyValue,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let resend: Resend = parse_json(body)?;
    let email = normalize_email(&resend.email)?;
    let usage = rate_limit::kv::hit(
        kv,
        &limits::email_bucket("resends", &email),
        limits::RESENDS_PER_EMAIL,
        now,
    )?;
    if usage.exceeded() {
        return Err(too_many_requests(&usage, now));
    }
    if let Some(user) = store::find_user_by_email(db, &email)?
        && !user.enabled
    {
        let code = new_code();
        transaction(db, || issue_code(db, &user, &code, now))?;
    }
    Ok(json_response(
        200,
        &json!({
            "message": "If an unverified account uses this email, a new 6-digit code has been sent. It expires in 15 minutes."
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

/// `POST /auth/login`: a new live key for the right email and password.
/// A wrong password and an unknown email answer alike and take as long;
/// failures are limited per email and per client address.
pub fn login(
    db: &impl Database,
    kv: &impl KeyValue,
    body: &[u8],
    client: Option<IpAddr>,
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let login: Login = parse_json(body)?;
    let user = check_password(db, kv, &login.email, &login.password, client, now)?;
    let (_, api_key) = store::mint_key(
        db,
        &NewKey {
            organization_id: user.organization_id,
            user_id: user.id,
            mode: Mode::Live,
            name: Some("Login"),
            scopes: &Scope::ALL,
            oauth_expires_at: None,
        },
        now,
    )?;
    let scopes: Vec<&str> = Scope::ALL.iter().map(|scope| scope.as_str()).collect();
    Ok(json_response(
        200,
        &json!({ "user": UserView::from(&user), "api_key": api_key, "scopes": scopes }),
    ))
}

/// How long a dashboard session opened with a password lasts: a working
/// day, after which the dashboard asks again.
pub const DASHBOARD_SESSION_SECONDS: i64 = 8 * 3600;

/// `POST /auth/session`: signs the account into the advertiser dashboard.
/// The email and password are checked as for `/auth/login` (same limits,
/// same answers); the account must be verified. The answer is `204` with
/// the dashboard's `HttpOnly` session cookie for the account's
/// organization, as its owner, for [`DASHBOARD_SESSION_SECONDS`]; no key
/// is minted.
pub fn dashboard_session(
    db: &impl Database,
    kv: &impl KeyValue,
    body: &[u8],
    (client, secure): (Option<IpAddr>, bool),
    secret: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    let login: Login = parse_json(body)?;
    if secret.is_empty() {
        return Err(AgentsError::new(
            503,
            "dashboard_unavailable",
            "The dashboard is not configured on this deployment (no dashboard_jwt_secret).",
        ));
    }
    let user = check_password(db, kv, &login.email, &login.password, client, now)?;
    if !user.enabled {
        return Err(AgentsError::new(
            403,
            "account_not_verified",
            "Verify the account's email (POST /auth/verify) before signing in to the dashboard.",
        ));
    }
    let claims = jwt::Claims {
        sub: format!("agents-user:{}", user.id),
        org: user.organization_id.to_string(),
        role: jwt::Role::Owner,
        iat: now.get(),
        exp: now.get() + DASHBOARD_SESSION_SECONDS,
    };
    let token = jwt::sign(&claims, secret);
    Ok(session::cookie_response(
        &token,
        DASHBOARD_SESSION_SECONDS,
        secure,
    ))
}

/// The user whose email and password these are, under the login limits:
/// failures count per email and per client address, and past either limit
/// the answer is `429` until the window ends. A wrong password and an
/// unknown email answer alike (`401 invalid_credentials`) and take as long.
pub fn check_password(
    db: &impl Database,
    kv: &impl KeyValue,
    email: &str,
    password: &str,
    client: Option<IpAddr>,
    now: UnixSeconds,
) -> Result<User, AgentsError> {
    let email = normalize_email(email)?;
    let by_email = limits::email_bucket("login-failures", &email);
    let by_address = limits::address_bucket("login-failures", client);
    for (bucket, limit) in [
        (&by_email, limits::LOGIN_FAILURES_PER_EMAIL),
        (&by_address, limits::LOGIN_FAILURES_PER_ADDRESS),
    ] {
        let usage = rate_limit::kv::peek(kv, bucket, limit, now)?;
        if usage.used >= usage.limit {
            return Err(too_many_requests(&usage, now));
        }
    }
    match store::find_user_by_email(db, &email)? {
        Some(user) if password::verify(password, &user.password_hash) => Ok(user),
        Some(_) => Err(failed_login(kv, &by_email, &by_address, now)),
        None => {
            password::verify_nothing(password);
            Err(failed_login(kv, &by_email, &by_address, now))
        }
    }
}

/// Counts a failed login and answers `401 invalid_credentials`.
fn failed_login(
    kv: &impl KeyValue,
    by_email: &str,
    by_address: &str,
    now: UnixSeconds,
) -> AgentsError {
    for (bucket, limit) in [
        (by_email, limits::LOGIN_FAILURES_PER_EMAIL),
        (by_address, limits::LOGIN_FAILURES_PER_ADDRESS),
    ] {
        if let Err(error) = rate_limit::kv::hit(kv, bucket, limit, now) {
            return error.into();
        }
    }
    AgentsError::new(
        401,
        "invalid_credentials",
        "The email or password is incorrect.",
    )
}

fn email_taken() -> AgentsError {
    AgentsError::new(
        409,
        "email_taken",
        "An account with this email already exists. Log in with POST /auth/login.",
    )
    .with_details(json!({ "field": "email" }))
}

/// Stores a new code for `user` (voiding the previous one) and queues the
/// email that carries it, in the caller's transaction.
fn issue_code(
    db: &impl Database,
    user: &User,
    code: &str,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let salt = uuid::Uuid::new_v4().simple().to_string();
    store::put_code(
        db,
        user.id,
        &code_hash(&salt, code),
        &salt,
        now.plus_seconds(CODE_LIFETIME_SECONDS),
        now,
    )?;
    let body = format!(
        "Hello {},\n\nYour verification code is {code}. It expires in 15 minutes.\n\n\
         Submit it with POST /api/v1/auth/verify {{\"email\": \"{}\", \"code\": \"{code}\"}}.\n\n\
         If you did not create an account, ignore this email.\n",
        user.first_name, user.email
    );
    outbox::enqueue(
        db,
        &Email {
            to: &user.email,
            kind: "verification_code",
            subject: "Your verification code",
            body: &body,
        },
        now,
    )?;
    Ok(())
}

/// Six random digits.
fn new_code() -> String {
    // 122 random bits reduced modulo 10^6: the bias is below 2^-100.
    format!("{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000)
}

fn code_hash(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

/// The email as stored: trimmed and lower-cased; `422` unless it looks
/// like `local@domain.tld`.
pub fn normalize_email(text: &str) -> Result<String, AgentsError> {
    let email = text.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL_LENGTH
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !local.contains('@')
                && domain.contains('.')
                && domain
                    .split('.')
                    .all(|label| !label.is_empty() && !label.starts_with('-'))
        });
    if valid {
        Ok(email)
    } else {
        Err(AgentsError::validation(
            "email",
            "email must be an address such as jane@example.com.",
        ))
    }
}

#[cfg(test)]
mod tests;
