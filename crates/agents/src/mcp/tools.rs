//! The MCP tools: each names the agents API endpoint it runs, the scope it
//! needs, and JSON Schemas for its arguments and its result. A call turns
//! its arguments into that endpoint's request and runs the same handler
//! as the REST route, so the tool and the route cannot drift apart.

use serde_json::{Map, Value, json};

use crate::Keyed;
use crate::scopes::Scope;

/// The argument every write tool takes beside its own: the confirmation
/// token of a spend raise.
pub(crate) const CONFIRMATION_TOKEN: &str = "confirmation_token";

/// A tool call made into an agents API request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invocation {
    pub endpoint: Keyed,
    pub method: http::Method,
    /// The REST path the call stands for (with its query string).
    pub path: String,
    /// The path's captures (`campaign_id`).
    pub ids: [String; 3],
    pub body: Vec<u8>,
}

impl Invocation {
    fn new(endpoint: Keyed, method: http::Method, path: String) -> Self {
        Self {
            endpoint,
            method,
            path,
            ids: Default::default(),
            body: Vec::new(),
        }
    }

    fn with_id(mut self, id: String) -> Self {
        self.ids[0] = id;
        self
    }

    fn with_body(mut self, body: &Value) -> Self {
        self.body = body.to_string().into_bytes();
        self
    }
}

/// Why arguments cannot make a request: answered as a tool error (the
/// model can correct its arguments), naming the argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArgumentError {
    pub argument: &'static str,
    pub message: String,
}

/// One tool.
pub(crate) struct Tool {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub scope: Scope,
    pub input_schema: fn() -> Value,
    pub output_schema: fn() -> Value,
    pub invocation: fn(&Map<String, Value>) -> Result<Invocation, ArgumentError>,
}

impl Tool {
    /// The tool as `tools/list` describes it.
    pub fn describe(&self) -> Value {
        let mut input = (self.input_schema)();
        if !self.scope_is_read() {
            // A write that raises spend past the account's threshold
            // answers `confirmation_required` with a token; the call is
            // repeated with it (the REST route's Confirmation-Token).
            input["properties"][CONFIRMATION_TOKEN] = json!({
                "type": "string",
                "description": "The token of a confirmation_required answer, to perform the spend raise it summarized (single use, 10 minutes)."
            });
        }
        json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": input,
            "outputSchema": (self.output_schema)(),
            "annotations": {"title": self.title, "readOnlyHint": self.scope_is_read()},
        })
    }

    fn scope_is_read(&self) -> bool {
        matches!(self.scope, Scope::CampaignsRead | Scope::AnalyticsRead)
    }
}

/// Every tool, in the order `tools/list` gives them: the specification's
/// seven.
pub(crate) const TOOLS: &[Tool] = &[
    Tool {
        name: "generate_ad_content",
        title: "Generate ad content",
        description: "Generate ad copy (headline, primary text, description, each with a predicted CTR) and, \
                      with include_images, banner images for a product and its audience. Answers a generation: \
                      completed at once without images; with images it is processing until \
                      GET /ai/generations/{id} (or the scheduled work) completes it. Uses one credit per \
                      variation and per image. Runs POST /ai/generate/variations; needs content:generate.",
        scope: Scope::ContentGenerate,
        input_schema: generate_input,
        output_schema: generation_output,
        invocation: generate_ad_content,
    },
    Tool {
        name: "create_campaign",
        title: "Create a campaign",
        description: "Create and configure a new ad campaign (a draft: add ad sets and ads, then launch it). \
                      Runs POST /campaigns; needs the campaigns:write scope, a verified account and a business profile.",
        scope: Scope::CampaignsWrite,
        input_schema: create_campaign_input,
        output_schema: campaign_output,
        invocation: create_campaign,
    },
    Tool {
        name: "launch_campaign",
        title: "Launch a campaign",
        description: "Deploy a campaign to the platforms it names (the chat network, Facebook, Instagram). \
                      It needs at least one active ad. Runs POST /campaigns/{id}/launch; needs campaigns:write.",
        scope: Scope::CampaignsWrite,
        input_schema: campaign_id_input,
        output_schema: launched_output,
        invocation: launch_campaign,
    },
    Tool {
        name: "get_analytics",
        title: "Get analytics",
        description: "Retrieve performance metrics (impressions, clicks, ctr %, conversions, spend, cpc, roas) \
                      of one campaign, or of the whole account without campaign_id, over a window of days \
                      (the last 7 by default). Runs GET /analytics/campaigns/{id} or GET /analytics/overview; \
                      needs analytics:read.",
        scope: Scope::AnalyticsRead,
        input_schema: analytics_input,
        output_schema: analytics_output,
        invocation: get_analytics,
    },
    Tool {
        name: "optimize_campaign",
        title: "Optimize a campaign",
        description: "Apply an optimization to a campaign: a rule the platform judges every 15 minutes \
                      (for example pause ads whose ctr is under 1% over 48 hours, or scale the budget when \
                      roas is high). Runs POST /optimization/rules for the campaign; needs campaigns:write.",
        scope: Scope::CampaignsWrite,
        input_schema: optimize_input,
        output_schema: rule_output,
        invocation: optimize_campaign,
    },
    Tool {
        name: "manage_budget",
        title: "Manage a campaign's budget",
        description: "Change a campaign's budget: a daily amount in dollars, or {type: daily|lifetime, amount}. \
                      Runs PATCH /campaigns/{id}; needs campaigns:write.",
        scope: Scope::CampaignsWrite,
        input_schema: budget_input,
        output_schema: campaign_output,
        invocation: manage_budget,
    },
    Tool {
        name: "list_campaigns",
        title: "List campaigns",
        description: "View the account's campaigns, newest first, with their status and metrics. \
                      Runs GET /campaigns; needs campaigns:read.",
        scope: Scope::CampaignsRead,
        input_schema: list_input,
        output_schema: list_output,
        invocation: list_campaigns,
    },
];

/// The tool named `name`.
pub(crate) fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|tool| tool.name == name)
}

fn invalid(argument: &'static str, message: impl Into<String>) -> ArgumentError {
    ArgumentError {
        argument,
        message: message.into(),
    }
}

/// A campaign id argument: `5` or `"camp_5"`.
fn campaign_id(arguments: &Map<String, Value>) -> Result<String, ArgumentError> {
    match arguments.get("campaign_id") {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Some(Value::Number(number)) if number.is_i64() => Ok(number.to_string()),
        None | Some(Value::Null) => Err(invalid("campaign_id", "campaign_id is required.")),
        Some(_) => Err(invalid(
            "campaign_id",
            "campaign_id is a campaign's id, such as 5 or \"camp_5\".",
        )),
    }
}

/// `arguments` without the names in `taken` (what goes to a body as is).
fn without(arguments: &Map<String, Value>, taken: &[&str]) -> Value {
    Value::Object(
        arguments
            .iter()
            .filter(|(name, _)| !taken.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    )
}

/// A budget argument as the REST body takes it: a number is a daily
/// amount in dollars (as the specification's example calls
/// `create_campaign(budget=50)`), an object is the REST `budget`.
fn budget_fields(body: &mut Value) {
    if let Some(amount) = body.get("budget").filter(|budget| budget.is_number()) {
        let amount = amount.clone();
        if let Some(object) = body.as_object_mut() {
            object.remove("budget");
            object.insert("daily_budget".into(), amount);
        }
    }
}

/// A query string of the string arguments named in `names`.
fn query(arguments: &Map<String, Value>, names: &[&'static str]) -> Result<String, ArgumentError> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for name in names {
        match arguments.get(*name) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => {
                query.append_pair(name, text);
            }
            Some(Value::Number(number)) => {
                query.append_pair(name, &number.to_string());
            }
            Some(_) => return Err(invalid(name, format!("{name} is a string."))),
        }
    }
    let query = query.finish();
    Ok(if query.is_empty() {
        query
    } else {
        format!("?{query}")
    })
}

fn create_campaign(arguments: &Map<String, Value>) -> Result<Invocation, ArgumentError> {
    let mut body = Value::Object(arguments.clone());
    budget_fields(&mut body);
    Ok(Invocation::new(
        Keyed::CreateCampaign,
        http::Method::POST,
        "/api/v1/campaigns".into(),
    )
    .with_body(&body))
}

fn launch_campaign(arguments: &Map<String, Value>) -> Result<Invocation, ArgumentError> {
    let id = campaign_id(arguments)?;
    Ok(Invocation::new(
        Keyed::LaunchCampaign,
        http::Method::POST,
        format!("/api/v1/campaigns/{id}/launch"),
    )
    .with_id(id))
}

fn get_analytics(arguments: &Map<String, Value>) -> Result<Invocation, ArgumentError> {
    let query = query(arguments, &["date_from", "date_to"])?;
    match arguments.get("campaign_id") {
        None | Some(Value::Null) => Ok(Invocation::new(
            Keyed::AnalyticsOverview,
            http::Method::GET,
            format!("/api/v1/analytics/overview{query}"),
        )),
        Some(_) => {
            let id = campaign_id(arguments)?;
            Ok(Invocation::new(
                Keyed::CampaignAnalytics,
                http::Method::GET,
                format!("/api/v1/analytics/campaigns/{id}{query}"),
            )
            .with_id(id))
        }
    }
}

fn optimize_campaign(arguments: &Map<String, Value>) -> Result<Invocation, ArgumentError> {
    let id = campaign_id(arguments)?;
    let mut body = without(arguments, &["campaign_id"]);
    if let Some(object) = body.as_object_mut() {
        object.insert("campaign_id".into(), Value::String(id));
        object
            .entry("name")
            .or_insert_with(|| Value::String("Optimization from an agent".into()));
    }
    Ok(Invocation::new(
        Keyed::CreateRule,
        http::Method::POST,
        "/api/v1/optimization/rules".into(),
    )
    .with_body(&body))
}

fn manage_budget(arguments: &Map<String, Value>) -> Result<Invocation, ArgumentError> {
    let id = campaign_id(arguments)?;
    let mut body = without(arguments, &["campaign_id"]);
    budget_fields(&mut body);
    if body.get("budget").is_none() && body.get("daily_budget").is_none() {
        return Err(invalid(
            "budget",
            "Give budget (a daily amount in dollars, or {type, amount}).",
        ));
    }
    Ok(Invocation::new(
        Keyed::UpdateCampaign,
        http::Method::PATCH,
        format!("/api/v1/campaigns/{id}"),
    )
    .with_id(id)
    .with_body(&body))
}

/// `generate_ad_content(product, audience)` as the specification calls
/// it; `product_description` and `target_audience` (the REST names) are
/// taken too.
fn generate_ad_content(arguments: &Map<String, Value>) -> Result<Invocation, ArgumentError> {
    let mut body = without(arguments, &["product", "audience"]);
    for (short, full) in [
        ("product", "product_description"),
        ("audience", "target_audience"),
    ] {
        if let Some(value) = arguments.get(short)
            && body.get(full).is_none()
        {
            body[full] = value.clone();
        }
    }
    if body.get("product_description").is_none() {
        return Err(invalid(
            "product",
            "product (what is advertised) is required.",
        ));
    }
    if body.get("target_audience").is_none() {
        return Err(invalid("audience", "audience (who it is for) is required."));
    }
    Ok(Invocation::new(
        Keyed::GenerateVariations,
        http::Method::POST,
        "/api/v1/ai/generate/variations".into(),
    )
    .with_body(&body))
}

fn list_campaigns(arguments: &Map<String, Value>) -> Result<Invocation, ArgumentError> {
    let query = query(arguments, &["limit", "cursor"])?;
    Ok(Invocation::new(
        Keyed::ListCampaigns,
        http::Method::GET,
        format!("/api/v1/campaigns{query}"),
    ))
}

// The schemas (JSON Schema 2020-12, MCP's default dialect).

fn campaign_id_schema() -> Value {
    json!({
        "type": ["integer", "string"],
        "description": "The campaign's id: 5, or \"camp_5\" as the specification writes ids."
    })
}

fn budget_schema() -> Value {
    json!({
        "description": "A daily amount in dollars (50), or {type, amount, currency}.",
        "oneOf": [
            {"type": "number", "exclusiveMinimum": 0},
            {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["daily", "lifetime"]},
                    "amount": {"type": "number", "exclusiveMinimum": 0},
                    "currency": {"type": "string", "enum": ["USD"]}
                },
                "required": ["amount"],
                "additionalProperties": false
            }
        ]
    })
}

fn create_campaign_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "objective": {
                "type": "string",
                "enum": ["conversions", "traffic", "awareness", "engagement", "leads", "app_installs"]
            },
            "platforms": {
                "type": "array",
                "items": {"type": "string", "enum": ["chat", "facebook", "instagram"]},
                "description": "Where the campaign runs; the chat network when omitted."
            },
            "budget": budget_schema(),
            "daily_budget": {"type": "number", "exclusiveMinimum": 0, "description": "Dollars a day."},
            "schedule": {
                "type": "object",
                "properties": {
                    "start_date": {"type": "string", "description": "YYYY-MM-DD"},
                    "end_date": {"type": "string", "description": "YYYY-MM-DD"}
                },
                "additionalProperties": false
            },
            "optimization": {
                "type": "object",
                "properties": {
                    "enabled": {"type": "boolean"},
                    "strategy": {"type": "string"},
                    "frequency": {"type": "string"}
                },
                "additionalProperties": false
            },
            "product_description": {"type": "string"},
            "message": {"type": "string"},
            "target_url": {"type": "string", "description": "An http or https URL."},
            "audience_description": {"type": "string"},
            "target_location": {"type": "string"}
        },
        "required": ["name", "objective"],
        "additionalProperties": false
    })
}

fn campaign_id_input() -> Value {
    json!({
        "type": "object",
        "properties": {"campaign_id": campaign_id_schema()},
        "required": ["campaign_id"],
        "additionalProperties": false
    })
}

fn analytics_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "campaign_id": campaign_id_schema(),
            "date_from": {"type": "string", "description": "YYYY-MM-DD; 6 days before date_to by default."},
            "date_to": {"type": "string", "description": "YYYY-MM-DD; today by default."}
        },
        "additionalProperties": false
    })
}

fn optimize_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "campaign_id": campaign_id_schema(),
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "condition": {
                "type": "object",
                "properties": {
                    "metric": {"type": "string", "description": "ctr, cpc, roas, spend, impressions, clicks, conversions, ..."},
                    "operator": {"type": "string", "description": "lt, gt, ..."},
                    "value": {"type": "number"},
                    "timeframe_hours": {"type": "integer", "minimum": 1}
                },
                "required": ["metric", "operator", "value"]
            },
            "action": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "description": "pause_ad, pause_campaign, adjust_budget, notify, ..."}
                },
                "required": ["type"]
            },
            "active": {"type": "boolean"}
        },
        "required": ["campaign_id", "condition", "action"],
        "additionalProperties": false
    })
}

fn budget_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "campaign_id": campaign_id_schema(),
            "budget": budget_schema(),
            "daily_budget": {"type": "number", "exclusiveMinimum": 0, "description": "Dollars a day."}
        },
        "required": ["campaign_id"],
        "additionalProperties": false
    })
}

fn list_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "cursor": {"type": "string", "description": "pagination.next_cursor of the previous page."}
        },
        "additionalProperties": false
    })
}

fn metrics_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "impressions": {"type": "integer"},
            "clicks": {"type": "integer"},
            "ctr": {"type": "number", "description": "A percentage: 2.83 for 2.83%."},
            "conversions": {"type": "integer"},
            "spend": {"type": "number", "description": "Dollars."},
            "cpc": {"type": ["number", "null"]},
            "roas": {"type": ["number", "null"]}
        },
        "required": ["impressions", "clicks", "ctr", "conversions", "spend"]
    })
}

fn campaign_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "objective": {"type": "string"},
            "status": {"type": "string", "enum": ["draft", "active", "paused", "completed"]},
            "platforms": {"type": "array", "items": {"type": "string"}},
            "budget": {"type": "object"},
            "daily_budget": {"type": ["number", "null"]},
            "metrics": metrics_schema(),
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"}
        },
        "required": ["id", "name", "objective", "status", "platforms", "budget", "metrics"]
    })
}

fn generate_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "product": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "What is advertised."},
            "audience": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "Who it is for."},
            "product_description": {"type": "string", "description": "Same as product."},
            "target_audience": {"type": "string", "description": "Same as audience."},
            "count": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many variations (3 by default)."},
            "tone": {"type": "string", "description": "professional (default), friendly, playful or urgent."},
            "platform": {"type": "string", "enum": ["facebook", "instagram", "chat"]},
            "language": {"type": "string", "description": "ISO 639-1 (en by default)."},
            "include_images": {"type": "boolean", "description": "Banners too (each uses a credit)."}
        },
        "additionalProperties": false
    })
}

fn generation_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "status": {"type": "string", "enum": ["processing", "completed", "failed"]},
            "provider": {"type": "string"},
            "credits_used": {"type": "integer"},
            "credits_remaining": {"type": ["integer", "null"]},
            "variations": {"type": "array", "items": {"type": "object"}},
            "result": {"type": "object"}
        },
        "required": ["id", "status"]
    })
}

fn campaign_output() -> Value {
    campaign_schema()
}

fn launched_output() -> Value {
    let mut schema = campaign_schema();
    schema["properties"]["launch_message"] = json!({"type": "string"});
    schema["required"] = json!([
        "id",
        "name",
        "status",
        "platforms",
        "metrics",
        "launch_message"
    ]);
    schema
}

fn analytics_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "campaign_id": {"type": "integer", "description": "Only for one campaign."},
            "campaign_name": {"type": "string"},
            "date_from": {"type": "string"},
            "date_to": {"type": "string"},
            "metrics": metrics_schema(),
            "by_platform": {
                "type": "object",
                "description": "Metrics by platform (chat, facebook, instagram).",
                "additionalProperties": metrics_schema()
            },
            "by_ad_set": {
                "type": "array",
                "description": "Only for one campaign.",
                "items": {"type": "object", "properties": {"ad_set_id": {"type": "integer"}, "name": {"type": "string"}, "metrics": metrics_schema()}}
            },
            "campaigns": {"description": "Only for the account: its campaigns by status."}
        },
        "required": ["date_from", "date_to", "metrics", "by_platform"]
    })
}

fn rule_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "campaign_id": {"type": ["integer", "null"]},
            "condition": {"type": "object"},
            "action": {"type": "object"},
            "active": {"type": "boolean"},
            "next_evaluation_at": {"type": "string"}
        },
        "required": ["id", "name", "campaign_id", "condition", "action", "active"]
    })
}

fn list_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": campaign_schema()},
            "pagination": {
                "type": "object",
                "properties": {
                    "next_cursor": {"type": ["string", "null"]},
                    "has_more": {"type": "boolean"},
                    "total": {"type": "integer"}
                },
                "required": ["next_cursor", "has_more", "total"]
            }
        },
        "required": ["data", "pagination"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(value: Value) -> Map<String, Value> {
        value.as_object().expect("object").clone()
    }

    #[test]
    fn every_tool_has_object_schemas_and_a_unique_name() {
        let mut names: Vec<&str> = TOOLS.iter().map(|tool| tool.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TOOLS.len());
        for tool in TOOLS {
            let described = tool.describe();
            assert_eq!(described["inputSchema"]["type"], "object", "{}", tool.name);
            assert_eq!(described["outputSchema"]["type"], "object", "{}", tool.name);
        }
    }

    #[test]
    fn a_number_budget_is_a_daily_amount_as_in_the_specifications_example() {
        let call = create_campaign(&arguments(
            json!({"name": "SaaS Launch", "budget": 50, "platforms": ["facebook"]}),
        ))
        .expect("valid");
        assert_eq!(call.endpoint, Keyed::CreateCampaign);
        let body: Value = serde_json::from_slice(&call.body).expect("json");
        assert_eq!(
            body,
            json!({"name": "SaaS Launch", "daily_budget": 50, "platforms": ["facebook"]})
        );
        let budget = manage_budget(&arguments(
            json!({"campaign_id": "camp_3", "budget": {"type": "lifetime", "amount": 900}}),
        ))
        .expect("valid");
        assert_eq!(
            (budget.endpoint, budget.ids[0].as_str()),
            (Keyed::UpdateCampaign, "camp_3")
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&budget.body).expect("json"),
            json!({"budget": {"type": "lifetime", "amount": 900}})
        );
        assert_eq!(
            manage_budget(&arguments(json!({"campaign_id": 3})))
                .expect_err("no budget")
                .argument,
            "budget"
        );
    }

    #[test]
    fn analytics_read_one_campaign_or_the_account() {
        let one = get_analytics(&arguments(
            json!({"campaign_id": 7, "date_from": "2026-07-01"}),
        ))
        .expect("valid");
        assert_eq!(one.endpoint, Keyed::CampaignAnalytics);
        assert_eq!(
            one.path,
            "/api/v1/analytics/campaigns/7?date_from=2026-07-01"
        );
        let all = get_analytics(&Map::new()).expect("valid");
        assert_eq!(all.endpoint, Keyed::AnalyticsOverview);
        assert_eq!(
            get_analytics(&arguments(json!({"campaign_id": true})))
                .expect_err("not an id")
                .argument,
            "campaign_id"
        );
    }
}
