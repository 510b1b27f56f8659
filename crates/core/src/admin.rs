//! The operator's credential: `Authorization: Bearer <admin_token>` (the
//! `admin_token` variable), compared in constant time. The operator
//! surface and the scheduled work both take it.

use subtle::ConstantTimeEq;

use crate::api_error::ApiError;
use crate::web::{Request, bearer_token, header};

/// `Ok` when the request carries the admin token: `401 auth_required`
/// without an `Authorization` header, `401 invalid_api_key` for anything
/// else (or when no token is configured).
pub fn authorize(request: &Request, admin_token: &str) -> Result<(), ApiError> {
    let Some(header) = header(request, "authorization") else {
        return Err(ApiError::auth_required());
    };
    let presented = bearer_token(header).unwrap_or_default();
    let matches: bool = presented.as_bytes().ct_eq(admin_token.as_bytes()).into();
    if admin_token.is_empty() || !matches {
        return Err(ApiError::invalid_api_key());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(authorization: Option<&str>) -> Request {
        let mut builder = http::Request::builder();
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(Vec::new()).expect("request")
    }

    #[test]
    fn only_the_configured_token_passes() {
        assert!(authorize(&request(Some("Bearer adm_1")), "adm_1").is_ok());
        assert_eq!(
            authorize(&request(None), "adm_1").expect_err("none").code(),
            "auth_required"
        );
        for refused in ["Bearer adm_2", "Basic adm_1", "adm_1"] {
            let error = authorize(&request(Some(refused)), "adm_1").expect_err("refused");
            assert_eq!(error.code(), "invalid_api_key", "{refused}");
        }
        assert!(
            authorize(&request(Some("Bearer ")), "").is_err(),
            "no token configured"
        );
    }
}
