//! SQL of AI generations, and of the monthly credits they use.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde_json::Value;

use adspin_core::db::{Database, DbError, FromRow, Json, Row};
use adspin_core::ids::OrganizationId;
use adspin_core::time::UnixSeconds;

use crate::store::Mode;

/// What a generation makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Image,
    Variations,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Variations => "variations",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "text" => Some(Self::Text),
            "image" => Some(Self::Image),
            "variations" => Some(Self::Variations),
            _ => None,
        }
    }
}

adspin_core::sql_text_enum!(Kind);

/// Where a generation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Processing,
    Completed,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "processing" => Some(Self::Processing),
            "completed" => Some(Self::Completed),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

adspin_core::sql_text_enum!(Status);

/// A generation as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub id: String,
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub kind: Kind,
    pub status: Status,
    pub provider: String,
    pub request: Value,
    pub result: Option<Value>,
    pub error: Option<String>,
    pub credits: i64,
    pub created_at: UnixSeconds,
    pub completed_at: Option<UnixSeconds>,
}

const COLUMNS: &str = "id, organization_id, mode, kind, status, provider, request, result, error, \
    credits, created_at, completed_at";

impl FromRow for Generation {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            mode: row.get(2)?,
            kind: row.get(3)?,
            status: row.get(4)?,
            provider: row.get(5)?,
            request: row.get::<Json<Value>>(6)?.0,
            result: row.get::<Option<Json<Value>>>(7)?.map(|json| json.0),
            error: row.get(8)?,
            credits: row.get(9)?,
            created_at: row.get(10)?,
            completed_at: row.get(11)?,
        })
    }
}

/// The start of the UTC month of `now`: the period credits are counted in.
pub fn month_of(now: UnixSeconds) -> UnixSeconds {
    let at = DateTime::<Utc>::from_timestamp(now.get(), 0).unwrap_or_default();
    let start = Utc
        .with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0)
        .single()
        .map_or(0, |t| t.timestamp());
    UnixSeconds::new(start)
}

/// The start of the month after `now`'s: when the credits renew.
pub fn next_month(now: UnixSeconds) -> UnixSeconds {
    let at = DateTime::<Utc>::from_timestamp(now.get(), 0).unwrap_or_default();
    let (year, month) = if at.month() == 12 {
        (at.year() + 1, 1)
    } else {
        (at.year(), at.month() + 1)
    };
    let start = Utc
        .with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .map_or(0, |t| t.timestamp());
    UnixSeconds::new(start)
}

/// Credits the account used in `now`'s month (every mode: the plan is the
/// account's).
pub fn credits_used(
    db: &impl Database,
    organization: OrganizationId,
    now: UnixSeconds,
) -> Result<i64, DbError> {
    db.count(
        "SELECT COALESCE(SUM(credits), 0) FROM agent_generations
         WHERE organization_id = ?1 AND month = ?2",
        &[organization.into(), month_of(now).into()],
    )
}

/// A generation to write.
pub struct NewGeneration<'a> {
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub kind: Kind,
    pub status: Status,
    pub provider: &'a str,
    pub request: &'a Value,
    pub result: Option<&'a Value>,
    pub credits: i64,
}

/// Writes a generation if its credits fit in `limit` (`None`: unlimited)
/// with the month's others, in one statement; `None` when they do not.
pub fn insert_within_credits(
    db: &impl Database,
    generation: &NewGeneration<'_>,
    limit: Option<i64>,
    now: UnixSeconds,
) -> Result<Option<Generation>, DbError> {
    let id = format!("gen_{}", uuid::Uuid::new_v4().simple());
    let completed_at = (generation.status == Status::Completed).then_some(now);
    let rows = db.execute(
        "INSERT INTO agent_generations (id, organization_id, mode, kind, status, provider, request,
                 result, credits, month, created_at, completed_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12
         WHERE ?13 IS NULL OR ?9 + (SELECT COALESCE(SUM(credits), 0) FROM agent_generations
                                    WHERE organization_id = ?2 AND month = ?10) <= ?13
         RETURNING id",
        &[
            id.as_str().into(),
            generation.organization_id.into(),
            generation.mode.into(),
            generation.kind.into(),
            generation.status.into(),
            generation.provider.into(),
            Json(generation.request).into(),
            generation.result.map(Json).into(),
            generation.credits.into(),
            month_of(now).into(),
            now.into(),
            completed_at.into(),
            limit.into(),
        ],
    )?;
    if rows.is_empty() {
        return Ok(None);
    }
    find(db, generation.organization_id, generation.mode, &id)
}

/// The caller's generation `id` (another account's or mode's is `None`).
pub fn find(
    db: &impl Database,
    organization: OrganizationId,
    mode: Mode,
    id: &str,
) -> Result<Option<Generation>, DbError> {
    db.find(
        &format!(
            "SELECT {COLUMNS} FROM agent_generations WHERE id = ?1 AND organization_id = ?2 AND mode = ?3"
        ),
        &[id.into(), organization.into(), mode.into()],
    )
}

/// Generations still processing, oldest first.
pub fn pending(db: &impl Database, limit: i64) -> Result<Vec<Generation>, DbError> {
    db.list(
        &format!(
            "SELECT {COLUMNS} FROM agent_generations WHERE status = 'processing'
             ORDER BY created_at, id LIMIT ?1"
        ),
        &[limit.into()],
    )
}

/// Records a processing generation's outcome; `false` when another
/// request finished it first.
pub fn finish(
    db: &impl Database,
    id: &str,
    status: Status,
    result: Option<&Value>,
    error: Option<&str>,
    now: UnixSeconds,
) -> Result<bool, DbError> {
    let rows = db.execute(
        "UPDATE agent_generations SET status = ?2, result = ?3, error = ?4, completed_at = ?5
         WHERE id = ?1 AND status = 'processing' RETURNING id",
        &[
            id.into(),
            status.into(),
            result.map(Json).into(),
            error.into(),
            now.into(),
        ],
    )?;
    Ok(!rows.is_empty())
}

/// Records that a processing generation failed and gives its credits
/// back; `false` when another request finished it first.
pub fn fail(db: &impl Database, id: &str, error: &str, now: UnixSeconds) -> Result<bool, DbError> {
    let rows = db.execute(
        "UPDATE agent_generations SET status = 'failed', error = ?2, credits = 0, completed_at = ?3
         WHERE id = ?1 AND status = 'processing' RETURNING id",
        &[id.into(), error.into(), now.into()],
    )?;
    Ok(!rows.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::testing::{database, organization};

    #[test]
    fn a_generation_is_written_only_while_its_credits_fit_the_month() {
        let db = database();
        let account = organization(&db);
        let now = UnixSeconds::new(1_771_524_000);
        let request = serde_json::json!({});
        let generation = |credits| NewGeneration {
            organization_id: account,
            mode: Mode::Live,
            kind: Kind::Text,
            status: Status::Completed,
            provider: "builtin",
            request: &request,
            result: None,
            credits,
        };
        let first = insert_within_credits(&db, &generation(6), Some(10), now).expect("insert");
        assert_eq!(first.map(|g| g.credits), Some(6));
        assert_eq!(
            insert_within_credits(&db, &generation(5), Some(10), now).expect("insert"),
            None
        );
        assert!(
            insert_within_credits(&db, &generation(4), Some(10), now)
                .expect("insert")
                .is_some()
        );
        assert_eq!(credits_used(&db, account, now).expect("used"), 10);
        assert!(
            insert_within_credits(&db, &generation(50), None, now)
                .expect("insert")
                .is_some()
        );
        // Next month starts from nothing.
        let later = next_month(now);
        assert_eq!(credits_used(&db, account, later).expect("used"), 0);
        assert!(
            insert_within_credits(&db, &generation(10), Some(10), later)
                .expect("insert")
                .is_some()
        );
    }

    #[test]
    fn credits_are_counted_by_utc_calendar_month() {
        // 2026-02-19T18:00:00Z
        let now = UnixSeconds::new(1_771_524_000);
        assert_eq!(month_of(now).to_iso8601(), "2026-02-01T00:00:00Z");
        assert_eq!(next_month(now).to_iso8601(), "2026-03-01T00:00:00Z");
        let december = UnixSeconds::parse_iso8601("2026-12-31T23:59:59Z").expect("date");
        assert_eq!(next_month(december).to_iso8601(), "2027-01-01T00:00:00Z");
    }
}
