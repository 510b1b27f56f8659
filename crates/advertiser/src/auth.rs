//! Authentication of `/v1` requests: `Authorization: Bearer ak_...`, or
//! the dashboard's session.
//!
//! Keys are looked up by their SHA-256 hash ([`api_keys::find_accepted`]).
//! Every failure is the same uniform `401`: missing header →
//! `auth_required`; anything else (malformed, unknown, expired past its
//! rotation grace, revoked) → `invalid_api_key`.
//!
//! The dashboard signs in at `/dashboard/session`, which keeps its session
//! token in an `HttpOnly` cookie ([`SESSION_COOKIE`]) that no script can
//! read. Without an `Authorization` header, `/v1` accepts that cookie only
//! on a request that also carries [`SESSION_HEADER`]: a page of another
//! origin cannot add that header without a CORS preflight, which `/v1`
//! never grants, so the cookie alone authorizes nothing (no CSRF).

use adspin_core::api_keys::{self, KeyKind};
use adspin_core::db::Database;
use adspin_core::ids::{ApiKeyId, OrganizationId};
use adspin_core::jwt;
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Request, bearer_token, header};

use super::ApiError;

pub use adspin_core::session::{SESSION_COOKIE, SESSION_HEADER};

/// What the caller authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An Advertiser API key.
    Key(ApiKeyId),
    /// A dashboard session: the user the token names, and their role.
    Session { user: String, role: jwt::Role },
}

/// The authenticated caller of a `/v1` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub organization_id: OrganizationId,
    pub credential: Credential,
}

impl Caller {
    /// What per-caller limits count against: the key, or the session's user.
    pub fn limit_scope(&self) -> String {
        match &self.credential {
            Credential::Key(id) => id.to_string(),
            Credential::Session { user, .. } => {
                format!("session:{}:{user}", self.organization_id)
            }
        }
    }

    /// Whether the caller is the dashboard.
    pub fn is_session(&self) -> bool {
        matches!(self.credential, Credential::Session { .. })
    }

    /// Whether the caller may change things: any key; in the dashboard,
    /// owners and admins (members read).
    pub fn may_write(&self) -> bool {
        match &self.credential {
            Credential::Key(_) => true,
            Credential::Session { role, .. } => role.can_change_campaigns(),
        }
    }
}

/// Authenticates a `/v1` request: its `Authorization` header when it has
/// one, else the dashboard's session cookie with [`SESSION_HEADER`].
pub fn authenticate_request(
    db: &impl Database,
    request: &Request,
    now: UnixSeconds,
    session_secret: impl FnOnce() -> String,
) -> Result<Caller, ApiError> {
    let authorization = header(request, "authorization");
    if authorization.is_some() || header(request, SESSION_HEADER).is_none() {
        return authenticate(db, authorization, now);
    }
    let token = session_cookie(request).ok_or_else(ApiError::auth_required)?;
    authenticate_session(token, now, session_secret().as_bytes())
}

/// Authenticates the `Authorization` header value.
pub fn authenticate(
    db: &impl Database,
    authorization: Option<&str>,
    now: UnixSeconds,
) -> Result<Caller, ApiError> {
    let Some(header) = authorization else {
        return Err(ApiError::auth_required());
    };
    let secret = bearer_token(header).ok_or_else(ApiError::invalid_api_key)?;
    let key = api_keys::find_accepted(db, KeyKind::Advertiser, secret, now)
        .map_err(ApiError::from)?
        .ok_or_else(ApiError::invalid_api_key)?;
    Ok(Caller {
        organization_id: key.organization_id,
        credential: Credential::Key(key.id),
    })
}

/// Authenticates a dashboard session token (an operator-minted JWT).
pub fn authenticate_session(
    token: &str,
    now: UnixSeconds,
    secret: &[u8],
) -> Result<Caller, ApiError> {
    if secret.is_empty() {
        return Err(ApiError::invalid_session());
    }
    let claims = jwt::verify(token, secret, now).map_err(|_| ApiError::invalid_session())?;
    let organization_id =
        OrganizationId::parse(&claims.org).ok_or_else(ApiError::invalid_session)?;
    Ok(Caller {
        organization_id,
        credential: Credential::Session {
            user: claims.sub,
            role: claims.role,
        },
    })
}

/// The session token in the request's `Cookie` header, if any.
pub fn session_cookie(request: &Request) -> Option<&str> {
    request
        .headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::db::native::NativeDb;

    const KEY: &str = "ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b";

    fn db() -> NativeDb {
        NativeDb::with_schema(&[
            include_str!("../../../migrations/0001_foundation.sql"),
            include_str!("../../../seed/dev.sql"),
        ])
        .expect("seeded")
    }

    fn code(result: Result<Caller, ApiError>) -> String {
        result.expect_err("rejected").code().to_string()
    }

    #[test]
    fn the_demo_key_authenticates_as_the_demo_organization() {
        let caller =
            authenticate(&db(), Some(&format!("Bearer {KEY}")), UnixSeconds::now()).expect("valid");
        assert_eq!(
            caller.organization_id.to_string(),
            "0d3e0000-0000-4000-8000-000000000001"
        );
    }

    #[test]
    fn a_missing_header_is_auth_required() {
        assert_eq!(
            code(authenticate(&db(), None, UnixSeconds::now())),
            "auth_required"
        );
    }

    #[test]
    fn malformed_unknown_and_foreign_surface_keys_are_invalid() {
        let now = UnixSeconds::now();
        for header in [
            KEY.to_string(),
            format!("Basic {KEY}"),
            "Bearer ".to_string(),
            "Bearer ak_unknown".to_string(),
            "Bearer pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b".to_string(),
        ] {
            assert_eq!(
                code(authenticate(&db(), Some(&header), now)),
                "invalid_api_key",
                "{header}"
            );
        }
    }

    #[test]
    fn expired_and_revoked_keys_are_invalid() {
        let db = db();
        let now = UnixSeconds::new(2_000_000_000);
        let header = format!("Bearer {KEY}");
        db.execute(
            "UPDATE api_keys SET expires_at = ?1 WHERE kind = 'advertiser'",
            &[now.into()],
        )
        .expect("expire");
        assert_eq!(
            code(authenticate(&db, Some(&header), now)),
            "invalid_api_key"
        );
        db.execute(
            "UPDATE api_keys SET expires_at = ?1, revoked_at = ?2",
            &[(now.get() + 60).into(), now.into()],
        )
        .expect("revoke");
        assert_eq!(
            code(authenticate(&db, Some(&header), now)),
            "invalid_api_key"
        );
    }

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder().uri("/v1/campaigns");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Vec::new()).expect("request")
    }

    fn session_token(secret: &[u8], exp: i64) -> String {
        jwt::sign(
            &jwt::Claims {
                sub: "jane@example.com".into(),
                org: "0d3e0000-0000-4000-8000-000000000001".into(),
                role: jwt::Role::Member,
                iat: 0,
                exp,
            },
            secret,
        )
    }

    #[test]
    fn the_session_cookie_authenticates_only_with_the_dashboard_header() {
        let now = UnixSeconds::new(1_000);
        let token = session_token(b"s", 2_000);
        let cookie = format!("theme=dark; {SESSION_COOKIE}={token}");
        let with_header = request(&[("cookie", &cookie), (SESSION_HEADER, "1")]);
        let caller =
            authenticate_request(&db(), &with_header, now, || "s".into()).expect("session");
        assert!(caller.is_session());
        assert!(!caller.may_write(), "members read");
        assert_eq!(
            caller.limit_scope(),
            "session:0d3e0000-0000-4000-8000-000000000001:jane@example.com"
        );
        let cookie_alone = request(&[("cookie", &cookie)]);
        assert_eq!(
            code(authenticate_request(&db(), &cookie_alone, now, || "s".into())),
            "auth_required",
            "a cross-site form could send the cookie; it cannot send the header"
        );
    }

    #[test]
    fn a_session_token_signed_elsewhere_or_expired_is_refused() {
        let cookie = |token: &str| format!("{SESSION_COOKIE}={token}");
        for (token, now, secret) in [
            (session_token(b"other", 2_000), 1_000, &b"s"[..]),
            (session_token(b"s", 2_000), 2_001, &b"s"[..]),
            (session_token(b"s", 2_000), 1_000, &b""[..]),
            ("garbage".to_string(), 1_000, &b"s"[..]),
        ] {
            let request = request(&[("cookie", &cookie(&token)), (SESSION_HEADER, "1")]);
            assert_eq!(
                code(authenticate_request(
                    &db(),
                    &request,
                    UnixSeconds::new(now),
                    || String::from_utf8_lossy(secret).into_owned()
                )),
                "invalid_session"
            );
        }
    }

    #[test]
    fn an_authorization_header_wins_over_the_cookie() {
        let token = session_token(b"s", 2_000);
        let request = request(&[
            ("authorization", "Bearer ak_unknown"),
            ("cookie", &format!("{SESSION_COOKIE}={token}")),
            (SESSION_HEADER, "1"),
        ]);
        assert_eq!(
            code(authenticate_request(
                &db(),
                &request,
                UnixSeconds::new(1_000),
                || panic!("a keyed request reads no session secret")
            )),
            "invalid_api_key"
        );
    }
}
