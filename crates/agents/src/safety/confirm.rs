//! Confirmation tokens: a write that raises the committed daily spend by
//! more than the account's threshold answers `428 confirmation_required`
//! with a token and a summary ([`issue`]); the same request sent again
//! with the header `Confirmation-Token` is performed ([`redeem`]). A token
//! is single use, bound to the account, the key and the exact request
//! (SHA-256 of method, path and body), ends after [`TOKEN_SECONDS`], and
//! is stored hashed.

use serde_json::json;
use sha2::{Digest, Sha256};

use adspin_core::db::Database;
use adspin_core::ids::OrganizationId;
use adspin_core::keys;
use adspin_core::time::UnixSeconds;

use crate::AgentsError;
use crate::auth::Caller;
use crate::safety::spend::Change;

/// The header a confirmed request carries its token in.
pub const HEADER: &str = "confirmation-token";
/// How long a token may be redeemed: ten minutes.
pub const TOKEN_SECONDS: i64 = 600;
/// What every token starts with.
const PREFIX: &str = "cfm_";

/// The fingerprint of a request a token is bound to.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut digest = Sha256::new();
    digest.update(method.as_bytes());
    digest.update(b"\n");
    digest.update(path.as_bytes());
    digest.update(b"\n");
    digest.update(body);
    hex::encode(digest.finalize())
}

/// Stores a new token for `caller`'s request `request_hash` (removing the
/// account's expired ones, which then read as unknown) and answers the
/// `428 confirmation_required` that carries it.
pub fn issue(
    db: &impl Database,
    caller: &Caller,
    request_hash: &str,
    change: Change,
    threshold: adspin_core::money::Micros,
    now: UnixSeconds,
) -> Result<AgentsError, AgentsError> {
    let token = keys::generate(PREFIX);
    let expires_at = now.plus_seconds(TOKEN_SECONDS);
    let summary = format!(
        "This request {} (more than the ${:.2} a day that needs no confirmation).",
        change.summary(),
        threshold.to_dollars()
    );
    // The account's tokens past their end can never be redeemed again.
    db.execute(
        "DELETE FROM agent_confirmations WHERE organization_id = ?1 AND expires_at <= ?2",
        &[caller.organization_id().into(), now.into()],
    )?;
    db.execute(
        "INSERT INTO agent_confirmations (token_hash, organization_id, key_seq, request_hash, summary,
             expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            keys::hash_key(&token).into(),
            caller.organization_id().into(),
            caller.key.seq.into(),
            request_hash.into(),
            summary.as_str().into(),
            expires_at.into(),
            now.into(),
        ],
    )?;
    Ok(AgentsError::new(
        428,
        "confirmation_required",
        format!(
            "{summary} Send the same request again with the header Confirmation-Token to perform it."
        ),
    )
    .with_details(json!({
        "confirmation_token": token,
        "summary": summary,
        "expires_at": expires_at.to_iso8601_numeric_offset(),
        "confirmation_threshold": threshold.to_dollars(),
        "daily_spend_before": change.before.to_dollars(),
        "daily_spend_after": change.after.to_dollars(),
        "currency": "USD",
    })))
}

/// Spends `token` on `caller`'s request `request_hash`; `409
/// confirmation_token_invalid` (with `details.reason`) for a token that
/// is unknown or already used, expired, issued to another key, or issued
/// for another request. Only a matching token is spent.
pub fn redeem(
    db: &impl Database,
    caller: &Caller,
    token: &str,
    request_hash: &str,
    now: UnixSeconds,
) -> Result<(), AgentsError> {
    let refuse = |reason: &str, message: &str| {
        AgentsError::new(409, "confirmation_token_invalid", message)
            .with_details(json!({"reason": reason}))
    };
    let row = db.query_row(
        "SELECT organization_id, key_seq, request_hash, expires_at, used_at
         FROM agent_confirmations WHERE token_hash = ?1",
        &[keys::hash_key(token.trim()).into()],
    )?;
    let Some(row) = row else {
        return Err(refuse("unknown", "This confirmation token is not known."));
    };
    if row.get::<OrganizationId>(0)? != caller.organization_id() {
        return Err(refuse("unknown", "This confirmation token is not known."));
    }
    if row.get::<Option<i64>>(4)?.is_some() {
        return Err(refuse(
            "used",
            "This confirmation token was already used; send the request without it for a new one.",
        ));
    }
    if row.get::<i64>(1)? != caller.key.seq {
        return Err(refuse(
            "other_key",
            "This confirmation token was issued to another key.",
        ));
    }
    if row.get::<String>(2)? != request_hash {
        return Err(refuse(
            "request_mismatch",
            "This confirmation token was issued for another request (method, path and body must be the same).",
        ));
    }
    if UnixSeconds::new(row.get(3)?) <= now {
        return Err(refuse(
            "expired",
            "This confirmation token has expired; send the request without it for a new one.",
        ));
    }
    let spent = db.execute(
        "UPDATE agent_confirmations SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL
         RETURNING token_hash",
        &[keys::hash_key(token.trim()).into(), now.into()],
    )?;
    if spent.is_empty() {
        return Err(refuse(
            "used",
            "This confirmation token was already used; send the request without it for a new one.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{self, Mode, NewKey};
    use crate::test_support::{Account, NOW};
    use adspin_core::money::Micros;
    use adspin_core::testing::database;

    const CHANGE: Change = Change {
        before: Micros::from_dollars(50),
        after: Micros::from_dollars(500),
    };

    fn token_of(error: &AgentsError, db: &impl Database) -> String {
        assert_eq!(
            (error.status(), error.code()),
            (428, "confirmation_required")
        );
        let rendered: serde_json::Value =
            serde_json::from_slice(error.to_response("req_1").body()).expect("json");
        let details = &rendered["error"]["details"];
        assert_eq!(details["daily_spend_before"], 50.0);
        assert_eq!(details["daily_spend_after"], 500.0);
        assert!(
            details["summary"]
                .as_str()
                .expect("summary")
                .contains("from $50.00 to $500.00"),
            "{details}"
        );
        let token = details["confirmation_token"]
            .as_str()
            .expect("token")
            .to_string();
        let stored = db
            .count(
                "SELECT COUNT(*) FROM agent_confirmations WHERE token_hash = ?1",
                &[keys::hash_key(&token).into()],
            )
            .expect("count");
        assert_eq!(stored, 1, "stored by its hash");
        let plain = db
            .count(
                "SELECT COUNT(*) FROM agent_confirmations WHERE token_hash = ?1",
                &[token.as_str().into()],
            )
            .expect("count");
        assert_eq!(plain, 0, "never in the clear");
        token
    }

    fn reason(result: Result<(), AgentsError>) -> String {
        let error = result.expect_err("refused");
        assert_eq!(
            (error.status(), error.code()),
            (409, "confirmation_token_invalid")
        );
        let rendered: serde_json::Value =
            serde_json::from_slice(error.to_response("req_1").body()).expect("json");
        rendered["error"]["details"]["reason"]
            .as_str()
            .expect("reason")
            .to_string()
    }

    #[test]
    fn a_token_confirms_its_own_request_once_for_its_key_until_it_expires() {
        let db = database();
        let (caller, _) = Account::verified("jane@example.com").create(&db);
        let request = request_hash("PATCH", "/api/v1/campaigns/1", br#"{"daily_budget":500}"#);
        let other_request =
            request_hash("PATCH", "/api/v1/campaigns/1", br#"{"daily_budget":900}"#);
        let issued = issue(
            &db,
            &caller,
            &request,
            CHANGE,
            Micros::from_dollars(100),
            NOW,
        )
        .expect("issued");
        let token = token_of(&issued, &db);

        assert_eq!(
            reason(redeem(&db, &caller, "cfm_nope", &request, NOW)),
            "unknown"
        );
        assert_eq!(
            reason(redeem(&db, &caller, &token, &other_request, NOW)),
            "request_mismatch"
        );
        let (record, _) = store::mint_key(
            &db,
            &NewKey {
                organization_id: caller.organization_id(),
                user_id: caller.key.user_id,
                mode: Mode::Live,
                name: None,
                scopes: &caller.key.scopes,
                oauth_expires_at: None,
            },
            NOW,
        )
        .expect("second key");
        let mut second = caller.clone();
        second.key = record;
        assert_eq!(
            reason(redeem(&db, &second, &token, &request, NOW)),
            "other_key"
        );
        let (stranger, _) = Account::verified("john@example.com").create(&db);
        assert_eq!(
            reason(redeem(&db, &stranger, &token, &request, NOW)),
            "unknown",
            "another account's token is not even known"
        );
        let late = NOW.plus_seconds(TOKEN_SECONDS);
        assert_eq!(
            reason(redeem(&db, &caller, &token, &request, late)),
            "expired"
        );

        // None of the refusals spent it.
        redeem(&db, &caller, &token, &request, late.plus_seconds(-1)).expect("confirmed");
        assert_eq!(reason(redeem(&db, &caller, &token, &request, NOW)), "used");
    }
}
