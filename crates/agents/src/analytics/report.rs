//! `POST /analytics/reports`: a report of the account's campaigns (or one)
//! over a window, by day or by campaign, as JSON, CSV or PDF, answered at
//! once. Rows come from the same rollups as the rest of analytics.

use serde::Deserialize;
use serde_json::{Value, json};

use adspin_core::body::parse_json;
use adspin_core::db::{Database, DbError, FromRow, Row as SqlRow};
use adspin_core::time::UnixSeconds;
use adspin_core::web::{Query, Response, json_response};

use super::{Window, metrics};
use crate::AgentsError;
use crate::auth::Caller;
use crate::campaigns::{self, store::Totals};
use crate::scopes::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Pdf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Campaign,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRequest {
    #[serde(default)]
    format: Option<String>,
    /// The specification's word for the format.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    campaign_id: Option<Value>,
    #[serde(default)]
    date_from: Option<String>,
    #[serde(default)]
    date_to: Option<String>,
    #[serde(default)]
    group_by: Option<String>,
}

/// One row: a day or a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub campaign_id: Option<i64>,
    pub totals: Totals,
}

impl Row {
    pub fn ctr(&self) -> f64 {
        if self.totals.impressions == 0 {
            0.0
        } else {
            self.totals.clicks as f64 * 100.0 / self.totals.impressions as f64
        }
    }

    pub fn cpc(&self) -> Option<f64> {
        (self.totals.clicks > 0).then(|| self.totals.spend.to_dollars() / self.totals.clicks as f64)
    }
}

/// A report ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    pub window: Window,
    pub group_by: GroupBy,
    pub rows: Vec<Row>,
    pub totals: Row,
}

struct Daily {
    day: i64,
    campaign: i64,
    name: String,
    totals: Totals,
}

impl FromRow for Daily {
    fn from_row(row: &SqlRow) -> Result<Self, DbError> {
        Ok(Self {
            day: row.get(0)?,
            campaign: row.get(1)?,
            name: row.get(2)?,
            totals: Totals {
                impressions: row.get(3)?,
                clicks: row.get(4)?,
                conversions: row.get(5)?,
                conversion_value: row.get(6)?,
                spend: row.get(7)?,
            },
        })
    }
}

fn parse(request: &ReportRequest) -> Result<(Format, GroupBy), AgentsError> {
    let read = |field: &str, value: Option<&str>| -> Result<Option<Format>, AgentsError> {
        match value.map(|f| f.trim().to_ascii_lowercase()).as_deref() {
            None => Ok(None),
            Some("json") => Ok(Some(Format::Json)),
            Some("csv") => Ok(Some(Format::Csv)),
            Some("pdf") => Ok(Some(Format::Pdf)),
            Some(_) => Err(AgentsError::validation(
                field,
                format!("{field} is json, csv or pdf."),
            )),
        }
    };
    let format = match (
        read("format", request.format.as_deref())?,
        read("type", request.kind.as_deref())?,
    ) {
        (Some(a), Some(b)) if a != b => {
            return Err(AgentsError::validation(
                "type",
                "type and format name different formats; give one.",
            ));
        }
        (Some(format), _) | (None, Some(format)) => format,
        (None, None) => Format::Json,
    };
    let group_by = match request.group_by.as_deref().map(str::trim) {
        None | Some("day") => GroupBy::Day,
        Some("campaign") => GroupBy::Campaign,
        Some(_) => {
            return Err(AgentsError::validation(
                "group_by",
                "group_by is day or campaign.",
            ));
        }
    };
    Ok((format, group_by))
}

/// Builds the report of `caller`'s campaigns.
fn build(
    db: &impl Database,
    caller: &Caller,
    request: &ReportRequest,
    group_by: GroupBy,
    now: UnixSeconds,
) -> Result<Report, AgentsError> {
    let mut query = String::new();
    for (name, value) in [
        ("date_from", &request.date_from),
        ("date_to", &request.date_to),
    ] {
        if let Some(value) = value {
            query.push_str(&format!("{name}={}&", urlencode(value)));
        }
    }
    let window = Window::from_query(&Query::parse(&query), now)?;
    let campaign = match &request.campaign_id {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(campaigns::owned(db, caller, &n.to_string())?),
        Some(Value::String(s)) => Some(campaigns::owned(db, caller, s)?),
        Some(_) => {
            return Err(AgentsError::validation(
                "campaign_id",
                "campaign_id is a campaign id.",
            ));
        }
    };
    let daily: Vec<Daily> = db.list(
        "SELECT r.day, a.id, c.name, SUM(r.impressions), SUM(r.clicks), SUM(r.conversions),
                SUM(r.conversion_value_micros), SUM(r.spend_micros)
         FROM rollups_daily r
         JOIN agent_campaigns a ON a.campaign_id = r.campaign_id AND a.organization_id = r.organization_id
         JOIN campaigns c ON c.id = r.campaign_id
         WHERE r.organization_id = ?1 AND a.mode = ?2 AND r.day >= ?3 AND r.day < ?4
           AND (?5 IS NULL OR a.id = ?5)
         GROUP BY r.day, a.id ORDER BY r.day, a.id",
        &[
            caller.organization_id().into(),
            caller.mode().into(),
            window.start().into(),
            window.end().into(),
            campaign.as_ref().map(|c| c.id).into(),
        ],
    )?;
    let rows = match group_by {
        GroupBy::Day => {
            let mut rows = Vec::new();
            let mut day = window.start().get();
            while day < window.end().get() {
                let totals = daily
                    .iter()
                    .filter(|d| d.day == day)
                    .map(|d| d.totals)
                    .sum();
                let label = chrono::DateTime::from_timestamp(day, 0)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                rows.push(Row {
                    label,
                    campaign_id: None,
                    totals,
                });
                day += 86_400;
            }
            rows
        }
        GroupBy::Campaign => {
            let mut rows: Vec<Row> = Vec::new();
            for d in &daily {
                match rows.iter_mut().find(|r| r.campaign_id == Some(d.campaign)) {
                    Some(row) => row.totals = row.totals + d.totals,
                    None => rows.push(Row {
                        label: d.name.clone(),
                        campaign_id: Some(d.campaign),
                        totals: d.totals,
                    }),
                }
            }
            rows
        }
    };
    let totals = Row {
        label: "Total".into(),
        campaign_id: None,
        totals: rows.iter().map(|r| r.totals).sum(),
    };
    let (from, to) = (window.first_day, window.last_day);
    Ok(Report {
        title: match &campaign {
            Some(c) => format!("Campaign report: {}", c.name),
            None => "Account report".into(),
        },
        subtitle: format!("{from} to {to} (UTC), generated {}", now.to_iso8601()),
        window,
        group_by,
        rows,
        totals,
    })
}

fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn json_of(report: &Report) -> Value {
    let row = |r: &Row| {
        let mut value = metrics(&r.totals);
        match report.group_by {
            GroupBy::Day => value["date"] = json!(r.label),
            GroupBy::Campaign => {
                value["campaign_id"] = json!(r.campaign_id);
                value["campaign_name"] = json!(r.label);
            }
        }
        value
    };
    json!({
        "title": report.title,
        "date_from": report.window.first_day.to_string(),
        "date_to": report.window.last_day.to_string(),
        "group_by": match report.group_by { GroupBy::Day => "day", GroupBy::Campaign => "campaign" },
        "rows": report.rows.iter().map(row).collect::<Vec<_>>(),
        "totals": metrics(&report.totals.totals),
    })
}

/// RFC 4180: CRLF line ends; a field with a comma, quote or line break is
/// quoted with its quotes doubled; a field a spreadsheet would read as a
/// formula is prefixed with `'`.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub fn csv_of(report: &Report) -> String {
    let first = match report.group_by {
        GroupBy::Day => "date",
        GroupBy::Campaign => "campaign",
    };
    let mut out = format!(
        "{first},impressions,clicks,ctr_percent,conversions,conversion_value,spend,cpc\r\n"
    );
    for row in report.rows.iter().chain([&report.totals]) {
        out.push_str(&format!(
            "{},{},{},{:.2},{},{:.2},{:.2},{}\r\n",
            csv_field(&row.label),
            row.totals.impressions,
            row.totals.clicks,
            row.ctr(),
            row.totals.conversions,
            row.totals.conversion_value.to_dollars(),
            row.totals.spend.to_dollars(),
            row.cpc().map_or(String::new(), |c| format!("{c:.4}")),
        ));
    }
    out
}

fn file(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut response = Response::new(bytes);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    if let Ok(value) = http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(http::header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `POST /analytics/reports {format, campaign_id?, date_from?, date_to?,
/// group_by?}`.
pub fn report(
    db: &impl Database,
    caller: &Caller,
    body: &[u8],
    now: UnixSeconds,
) -> Result<Response, AgentsError> {
    caller.require(Scope::AnalyticsRead)?;
    let request: ReportRequest = parse_json(body)?;
    let (format, group_by) = parse(&request)?;
    let report = build(db, caller, &request, group_by, now)?;
    let name = format!(
        "adspin-report-{}-{}",
        report.window.first_day, report.window.last_day
    );
    Ok(match format {
        Format::Json => json_response(200, &json_of(&report)),
        Format::Csv => file(
            csv_of(&report).into_bytes(),
            "text/csv; charset=utf-8",
            &format!("{name}.csv"),
        ),
        Format::Pdf => file(
            super::pdf::render(&report),
            "application/pdf",
            &format!("{name}.pdf"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use adspin_core::money::Micros;
    use chrono::NaiveDate;

    fn sample() -> Report {
        let day = |d: u32, impressions: i64, clicks: i64| Row {
            label: format!("2026-07-{d:02}"),
            campaign_id: None,
            totals: Totals {
                impressions,
                clicks,
                spend: Micros::new(impressions * 4_000),
                ..Totals::default()
            },
        };
        let rows: Vec<Row> = (1..=30)
            .map(|d| day(d, 1_000 + i64::from(d) * 37, i64::from(d % 7) * 3))
            .collect();
        let totals = Row {
            label: "Total".into(),
            campaign_id: None,
            totals: rows.iter().map(|r| r.totals).sum(),
        };
        let first = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
        Report {
            title: "Campaign report: Summer \"Launch\", 2026 – €".into(),
            subtitle: "2026-07-01 to 2026-07-30 (UTC)".into(),
            window: Window {
                first_day: first,
                last_day: first + chrono::Days::new(29),
            },
            group_by: GroupBy::Day,
            rows,
            totals,
        }
    }

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        assert_eq!(
            csv_field("Summer, \"Launch\""),
            "\"Summer, \"\"Launch\"\"\""
        );
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        let csv = csv_of(&sample());
        assert!(csv.starts_with("date,impressions,clicks,ctr_percent,"));
        assert_eq!(csv.lines().count(), 32, "heading, 30 days, totals");
        assert!(csv.ends_with("\r\n"));
    }

    #[test]
    fn the_pdf_is_a_pdf_with_every_page_counted() {
        let pdf = super::super::pdf::render(&sample());
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(
            text.contains("/Count 2"),
            "22 rows on the first page, the rest on the second"
        );
        assert!(text.contains("Helvetica-Bold"));
    }

    #[test]
    fn formats_and_groupings_are_checked() {
        let request = |format: &str| ReportRequest {
            format: Some(format.into()),
            ..Default::default()
        };
        assert_eq!(parse(&request("PDF")).expect("pdf").0, Format::Pdf);
        assert_eq!(parse(&request("xlsx")).expect_err("xlsx").status(), 422);
        let kind = ReportRequest {
            kind: Some("csv".into()),
            ..Default::default()
        };
        assert_eq!(parse(&kind).expect("csv").0, Format::Csv);
    }
}
