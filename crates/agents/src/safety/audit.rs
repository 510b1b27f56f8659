//! The audit log: one entry for every agents API write that was applied
//! or refused by a safety check ([`record`]), read with `GET /audit-log`
//! ([`list`]). An entry names the key (its public id, never its secret),
//! how the write came (a route or an MCP tool, [`Via`]), the resource and
//! its state before and after, with secrets taken out ([`redact`]).

use serde_json::{Value, json};

use adspin_core::db::{Database, DbError, FromRow, Json, Row, SqlValue};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response};

use crate::AgentsError;
use crate::auth::Caller;
use crate::pages::PageRequest;
use crate::scopes::Scope;

/// How a write reached the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// An HTTP route: its method and path (`PATCH /api/v1/campaigns/camp_1`).
    Route { method: String, path: String },
    /// A tool of the MCP server (`update_campaign`).
    Tool(String),
}

impl Via {
    /// How the audit log shows it: `PATCH /api/v1/...` or `mcp:<tool>`.
    pub fn label(&self) -> String {
        match self {
            Self::Route { method, path } => format!("{method} {path}"),
            Self::Tool(name) => format!("mcp:{name}"),
        }
    }
}

/// What became of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    ConfirmationRequired,
    SpendCapExceeded,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::ConfirmationRequired => "confirmation_required",
            Self::SpendCapExceeded => "spend_cap_exceeded",
        }
    }
}

/// One write to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub via: &'a Via,
    /// The kind of resource written (`campaign`, `ad_set`, `key`, ...).
    pub resource: Option<&'a str>,
    pub resource_id: Option<String>,
    pub outcome: Outcome,
    /// The HTTP status the write answered with.
    pub status: u16,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Fields whose values are secrets: the audit log keeps their names only.
const SECRET_FIELDS: [&str; 4] = ["api_key", "secret", "client_secret", "confirmation_token"];

/// `value` with every secret field (at any depth) replaced by
/// `"[redacted]"`: a key's or a webhook's secret is shown once, in the
/// answer that mints it, and never again.
pub fn redact(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (name, field) in map.iter_mut() {
                    if SECRET_FIELDS.contains(&name.as_str()) && !field.is_null() {
                        *field = Value::String("[redacted]".into());
                    } else {
                        walk(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

/// Records `entry` for `caller`'s key; returns the entry's id.
pub fn record(
    db: &impl Database,
    caller: &Caller,
    entry: &Entry<'_>,
    now: UnixSeconds,
) -> Result<String, DbError> {
    let id = format!("aud_{}", uuid::Uuid::new_v4().simple());
    let json = |value: &Option<Value>| -> SqlValue {
        match value {
            Some(value) => Json(&redact(value.clone())).into(),
            None => SqlValue::Null,
        }
    };
    db.execute(
        "INSERT INTO agent_audit_log (id, organization_id, mode, key_id, via, resource, resource_id,
             outcome, status, before, after, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        &[
            id.as_str().into(),
            caller.organization_id().into(),
            caller.mode().into(),
            caller.key.id.as_str().into(),
            entry.via.label().into(),
            entry.resource.into(),
            entry.resource_id.as_deref().into(),
            entry.outcome.as_str().into(),
            i64::from(entry.status).into(),
            json(&entry.before),
            json(&entry.after),
            now.into(),
        ],
    )?;
    Ok(id)
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    seq: i64,
    id: String,
    key_id: String,
    via: String,
    resource: Option<String>,
    resource_id: Option<String>,
    outcome: String,
    status: i64,
    before: Option<Value>,
    after: Option<Value>,
    created_at: UnixSeconds,
}

impl FromRow for Stored {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            seq: row.get(0)?,
            id: row.get(1)?,
            key_id: row.get(2)?,
            via: row.get(3)?,
            resource: row.get(4)?,
            resource_id: row.get(5)?,
            outcome: row.get(6)?,
            status: row.get(7)?,
            before: row.get::<Option<Json<Value>>>(8)?.map(|json| json.0),
            after: row.get::<Option<Json<Value>>>(9)?.map(|json| json.0),
            created_at: row.get(10)?,
        })
    }
}

fn view(entry: &Stored) -> Value {
    json!({
        "id": entry.id,
        "time": entry.created_at.to_iso8601_numeric_offset(),
        "key_id": entry.key_id,
        "via": entry.via,
        "resource": entry.resource,
        "resource_id": entry.resource_id,
        "outcome": entry.outcome,
        "status": entry.status,
        "before": entry.before,
        "after": entry.after,
    })
}

/// The filters of `GET /audit-log`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Filters {
    resource: Option<String>,
    key_id: Option<String>,
    since: Option<UnixSeconds>,
}

impl Filters {
    /// `resource`, `key_id` and `since` (ISO 8601); `422` naming the one
    /// that is wrong.
    fn from_query(query: &Query) -> Result<Self, AgentsError> {
        let text = |name: &str| {
            query
                .get(name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
        };
        // A `since` given is a date-time, as written (not even blank).
        let since = match query.get("since") {
            None => None,
            Some(value) => Some(UnixSeconds::parse_iso8601(value).ok_or_else(|| {
                AgentsError::validation(
                    "since",
                    "since must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z.",
                )
            })?),
        };
        Ok(Self {
            resource: text("resource"),
            key_id: text("key_id"),
            since,
        })
    }

    fn params(&self) -> [SqlValue; 3] {
        [
            self.resource.as_deref().into(),
            self.key_id.as_deref().into(),
            self.since.into(),
        ]
    }
}

/// The `WHERE` of a listing: the caller's account and mode, then the
/// filters (`?3` to `?5`).
const WHERE: &str = "organization_id = ?1 AND mode = ?2
    AND (?3 IS NULL OR resource = ?3) AND (?4 IS NULL OR key_id = ?4)
    AND (?5 IS NULL OR created_at >= ?5)";

/// `GET /audit-log`: the account's (and mode's) entries, newest first, in
/// cursor pages; filtered by `resource`, `key_id` and `since`.
pub fn list(db: &impl Database, caller: &Caller, query: &Query) -> Result<Response, AgentsError> {
    caller.require(Scope::AccountRead)?;
    let page = PageRequest::from_query(query)?;
    let filters = Filters::from_query(query)?;
    let mut params: Vec<SqlValue> = vec![caller.organization_id().into(), caller.mode().into()];
    params.extend(filters.params());
    let total = db.count(
        &format!("SELECT COUNT(*) FROM agent_audit_log WHERE {WHERE}"),
        &params,
    )?;
    params.push(page.before_seq.into());
    params.push(page.rows_to_fetch().into());
    let rows: Vec<Stored> = db.list(
        &format!(
            "SELECT seq, id, key_id, via, resource, resource_id, outcome, status, before, after, created_at
             FROM agent_audit_log WHERE {WHERE} AND (?6 IS NULL OR seq < ?6)
             ORDER BY seq DESC LIMIT ?7"
        ),
        &params,
    )?;
    Ok(json_response(
        200,
        &page.page(rows, total, |entry| entry.seq, view),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_nothing_else() {
        let value = json!({
            "id": "key_1", "api_key": "aa_live_x", "name": "agent",
            "nested": [{"secret": "whsec_1", "url": "https://example.com"}],
            "client_secret": null,
        });
        assert_eq!(
            redact(value),
            json!({
                "id": "key_1", "api_key": "[redacted]", "name": "agent",
                "nested": [{"secret": "[redacted]", "url": "https://example.com"}],
                "client_secret": null,
            })
        );
    }

    #[test]
    fn a_route_and_a_tool_are_labelled_apart() {
        let route = Via::Route {
            method: "PATCH".into(),
            path: "/api/v1/campaigns/camp_1".into(),
        };
        assert_eq!(route.label(), "PATCH /api/v1/campaigns/camp_1");
        assert_eq!(
            Via::Tool("update_campaign".into()).label(),
            "mcp:update_campaign"
        );
    }
}
