"""Schemathesis hooks of the contract tests (openapi/schemathesis.toml loads
them for tests/contract/run.sh).

They cover what the OpenAPI documents in this directory cannot say, and
keep the agents API's run within its rate limits; nothing else: every
check runs on every operation.

1. Integers are sent spelled as integers (`before_call`).

   The server reads integer fields with serde as `i64`, which takes `2`
   and refuses `2.0` (`400 invalid_value`, "invalid type: floating
   point"). OpenAPI 3.1.0, the version of these documents, defines
   `integer` as "a JSON number without a fraction or exponent part",
   which is what the server enforces. Schemathesis follows JSON Schema
   2020-12 instead, where `2.0` is an integer too, and sends integer
   fields of JSON bodies as `2.0` now and then. No schema keyword can
   tell the two spellings apart (they are the same JSON Schema value),
   so the hook spells whole floats the OpenAPI 3.1.0 way before each
   request: `2.0` becomes `2`. Only the spelling changes; a value is
   valid or invalid for the documents exactly as before.

2. Rules that depend on state, on other fields, or on the current time
   (`filter_failure`).

   A request can match its schema and still be refused because of
   something no schema can express: the campaign is still in review, the
   `file_id` is not an upload of this organization, `before` and `after`
   are both sent, a time window is longer than 366 days. Each document
   states those rules in the description of the field concerned.
   `ALLOWED` lists them per operation, by the error the server answers
   with (status, `code`, `param`, message). A "schema-valid request
   rejected" (ST202) failure is dropped (the run counts it under "dropped
   by `filter_failure`") only when every error of its response is one of
   those; any other refusal of a schema-valid request is still a failure:
   a rule the documents do not describe, or describe wrongly. Set
   CONTRACT_DROPPED_LOG to a file name to list the dropped failures.

3. The agents API's rate limits (`before_call`, `after_call`, and the
   connections; only when run.sh sets CONTRACT_AGENTS_CLIENTS=1).

   agents-v1.json documents its limits and their `429`s, and a `429` is
   never a failure; but a run that mostly meets them tests little else.
   Keyed requests count per account: run.sh puts the account on the
   Flexible plan (300 a minute), and before a keyed request the hooks
   wait for the window to end when the previous keyed answer said none
   was left (`X-RateLimit-Remaining: 0`, until `X-RateLimit-Reset`), as a
   well-behaved client does. Requests without a key count per client
   address (60 a minute, 20 registrations an hour): each connection comes
   from another loopback address (127.0.0.2 to 127.0.0.254; the server
   reads the connection's peer, as it should), as many clients would, and
   is not reused. Only where requests come from changes; what they say
   does not.
"""

import itertools
import json
import os
import re
import threading
import time
from dataclasses import dataclass

import schemathesis
from schemathesis.core import media_types

# 1. Integers spelled as integers.

# Past 2**53 a float no longer spells one integer (and Schemathesis keeps those as ints).
_EXACT = 2**53


def _as_integers(value):
    """`value` with whole floats spelled as ints, and whether anything changed."""
    if isinstance(value, float) and value.is_integer() and -_EXACT <= value <= _EXACT:
        return int(value), True
    if isinstance(value, dict):
        changed = False
        result = {}
        for key, item in value.items():
            result[key], item_changed = _as_integers(item)
            changed |= item_changed
        return (result, True) if changed else (value, False)
    if isinstance(value, list):
        items = [_as_integers(item) for item in value]
        if any(item_changed for _, item_changed in items):
            return [item for item, _ in items], True
        return value, False
    return value, False


@schemathesis.hook
def before_call(context, case, kwargs):
    _wait_for_the_account_window(case)
    if not case.media_type or not media_types.is_json(case.media_type):
        return
    body, changed = _as_integers(case.body)
    if changed:
        case.body = body


@schemathesis.hook
def after_call(context, case, response):
    _note_the_account_window(case, response)


# 2. Rules no schema can express.


@dataclass(frozen=True)
class Rule:
    """An error the server may answer to a schema-valid request, and why."""

    why: str
    code: str | None = None
    # A regular expression the whole `param` must match.
    param: str | None = None
    # Text the message contains.
    message: str | None = None
    status: int = 400

    def matches(self, status: int, error: dict) -> bool:
        return (
            status == self.status
            and (self.code is None or error.get("code") == self.code)
            and (self.param is None or re.fullmatch(self.param, error.get("param") or "") is not None)
            and (self.message is None or self.message in (error.get("message") or ""))
        )


BOTH_CURSORS = Rule(
    "`before` and `after` are mutually exclusive (a relation between parameters)",
    code="invalid_value",
    param="before",
    message="mutually exclusive",
)
UNKNOWN_CURSOR = Rule(
    "a cursor must be the id of an item of this very list (state)",
    code="invalid_value",
    param="after|before",
    message="is not the id of an item of this list",
)
INSIGHTS_CURSOR = Rule(
    "an insights cursor is a row id the server issued (an opaque token the pattern only outlines)",
    code="invalid_value",
    param="after|before",
    message="is not the id of an insights row",
)
WINDOW_ORDER = Rule(
    "a time window must end after it starts (a relation between fields, or with the current time for presets)",
    code="invalid_time_range",
    param="time_ranges",
)
WINDOW_WIDTH = Rule(
    "a time window spans at most 366 days (a relation between fields)",
    code="range_too_wide",
    param="time_ranges",
)
HOURLY_WINDOW_WIDTH = Rule(
    "with `time_granularity=hourly` a time window spans at most 25 hours (a relation between parameters)",
    code="hourly_range_too_wide",
    param="time_ranges",
)
INSIGHTS = [BOTH_CURSORS, INSIGHTS_CURSOR, WINDOW_ORDER, WINDOW_WIDTH, HOURLY_WINDOW_WIDTH]
END_AFTER_START = Rule(
    "`end_time` must be after `start_time` (a relation between fields, or with the stored or default start)",
    code="invalid_value",
    param="end_time",
    message="end_time must be after start_time",
)
ARCHIVED = Rule("an archived campaign, and its ad groups and ads, are final (state)", code="campaign_archived")


def upload_of_organization(prefix: str) -> Rule:
    return Rule(
        "a `file_id` must be an upload of the caller's organization (state)",
        code="invalid_value",
        param=prefix + r"creative\.file_id",
        message="No uploaded file found",
    )


GROUP_CREATIVE_TYPE = Rule(
    "an ad's creative type must be its ad group's, fixed by the group's first ad (state)",
    code="invalid_value",
    param=r"creative\.type",
    message="share one creative type",
)

OAUTH_CLIENT_PAGE = Rule(
    "the client must be registered, and the redirect URI one it registered (state): a page, never a redirect",
    code="html_page",
    message="This authorization request cannot be used",
)
OAUTH_CLIENT = Rule(
    "the client must be registered, with the secret it was issued (state)",
    code="invalid_client",
    status=401,
)
AGENTS_CURSOR = Rule(
    "a cursor must be the `next_cursor` of a page of the same list (state)",
    code="validation_error",
    param="cursor",
    status=422,
)

CAMPAIGN_COMPLETED = Rule(
    "a completed campaign (its end date passed or its budget spent) no longer changes (state and the current time)",
    code="campaign_completed",
    status=409,
)
BUDGET_FORMS = Rule(
    "a budget is given as `daily_budget` or as `budget`, not both (a relation between fields)",
    code="validation_error",
    param="budget",
    status=422,
)
SCHEDULE_ORDER = Rule(
    "`schedule.end_date` is not before `schedule.start_date`, and both are calendar dates (a relation between fields)",
    code="validation_error",
    param=r"schedule\.(start|end)_date",
    status=422,
)
AGES = Rule(
    "`targeting.age_max` is not below `targeting.age_min` (a relation between fields)",
    code="validation_error",
    param=r"targeting\.age_max",
    status=422,
)
CREATIVE_TEXT = Rule(
    "an ad needs `primary_text` or `description` (a relation between fields)",
    code="validation_error",
    param=r"creative\.primary_text",
    status=422,
)
CREATIVE_REQUIRED = Rule(
    "an ad's creative keeps a `headline` and a `link_url`: required on create, and an empty value (which clears a field) cannot clear them (a relation with the stored ad)",
    code="validation_error",
    param=r"creative\.(headline|link_url)",
    status=422,
)
CAMPAIGN_URL = Rule(
    "a URL must parse as a WHATWG URL with a host (the pattern only outlines it)",
    code="validation_error",
    param=r"(target_url|creative\.(link_url|image_url))",
    status=422,
)
SPENT = Rule(
    "a budget may not end below what the campaign already spent (state)",
    code="campaign_budget_too_low",
    status=422,
)

CONFIRMATION = Rule(
    "a write that raises the committed daily spend above the account's threshold needs a confirmation token (state)",
    code="confirmation_required",
    status=428,
)
CONFIRMATION_TOKEN = Rule(
    "a confirmation token must be one issued to this key for this very request, unused and unexpired (state)",
    code="confirmation_token_invalid",
    status=409,
)
SPEND_CAP = Rule(
    "a key's spend cap bounds the committed daily spend its writes may reach (state)",
    code="spend_cap_exceeded",
    status=403,
)
SPEND_CHECKS = [CONFIRMATION, CONFIRMATION_TOKEN, SPEND_CAP]

BUILTIN_LANGUAGES = Rule(
    "the languages depend on the configuration: the built-in copywriter writes en, es and fr, a model any (the deployment)",
    code="validation_error",
    param="language",
    status=422,
)
ANALYTICS_WINDOW = Rule(
    "a window's days are calendar dates, `date_to` not before `date_from`, at most 366 days (31 hourly): relations between parameters and with today",
    code="validation_error",
    param="date_from|date_to",
    status=422,
)

ALLOWED: dict[str, list[Rule]] = {
    # advertiser-v1.json
    "GET /campaigns": [BOTH_CURSORS, UNKNOWN_CURSOR],
    "GET /ad_groups": [BOTH_CURSORS, UNKNOWN_CURSOR],
    "GET /ads": [BOTH_CURSORS, UNKNOWN_CURSOR],
    "GET /ad_account/insights": INSIGHTS,
    "GET /campaigns/{id}/insights": INSIGHTS,
    "GET /ad_groups/{id}/insights": INSIGHTS,
    "GET /ads/{id}/insights": INSIGHTS,
    "POST /upload": [
        *(
            Rule(
                "the file must be a complete PNG, JPEG or WebP image of at most 5 MB and 4096 px a side (its contents)",
                code=code,
                param="file",
            )
            for code in ("invalid_file", "unsupported_mimetype", "file_too_large", "image_too_large")
        ),
        # By `image_url`: run.sh's egress guard refuses every destination, so no download succeeds.
        Rule(
            "an image_url's host must resolve (the network)",
            code="invalid_image_url",
            param="image_url",
            message="does not resolve",
        ),
        Rule(
            "an image_url must reach a public host on its scheme's standard port (the egress policy)",
            code="invalid_image_url",
            param="image_url",
            message="must point to a public host",
        ),
        Rule("the download must succeed (the network)", code="image_fetch_failed", param="image_url"),
        Rule("the download must not redirect (the remote server)", code="too_many_redirects", param="image_url"),
        Rule("the download must be at most 5 MB (the remote server)", code="file_too_large", param="image_url"),
    ],
    "POST /campaigns": [
        END_AFTER_START,
        upload_of_organization(r"ad_groups\[[0-9]+\]\.ads\[[0-9]+\]\."),
    ],
    "POST /campaigns/{id}": [
        ARCHIVED,
        END_AFTER_START,
        Rule(
            "the budget may not go below what the campaign already spent (state)",
            code="invalid_value",
            param=r"budget\.lifetime_spend_limit_micros",
            message="already spent",
        ),
    ],
    "POST /campaigns/{id}/activate": [
        Rule("only an approved campaign can be activated (state)", code="campaign_not_approved"),
        ARCHIVED,
    ],
    "POST /campaigns/{id}/pause": [ARCHIVED],
    "POST /ad_groups": [ARCHIVED, upload_of_organization(r"ads\[[0-9]+\]\.")],
    "POST /ad_groups/{id}": [ARCHIVED],
    "POST /ad_groups/{id}/activate": [ARCHIVED],
    "POST /ads": [ARCHIVED, upload_of_organization(""), GROUP_CREATIVE_TYPE],
    "POST /ads/{id}": [ARCHIVED, upload_of_organization(""), GROUP_CREATIVE_TYPE],
    "POST /ads/{id}/activate": [ARCHIVED],
    # ssp-v1.json (errors are the envelope: only the message says which rule)
    "POST /api/v1/ssp/bid-request": [
        Rule(
            "`X-User-Country` requires `X-User-Device` and `X-User-Timezone` (a relation between headers)",
            message="X-User-Country requires X-User-Device and X-User-Timezone",
        ),
        Rule(
            "message roles alternate between user and assistant (a relation between items)",
            message="messages must alternate between user and assistant",
        ),
        Rule(
            "a conversation ends with a user message and the assistant's reply (a relation between items)",
            message="messages must end with a user message followed by an assistant message",
        ),
        Rule("`privacy.gpp` and `privacy.gpp_sid` come together (a relation between fields)", message="requires privacy.gpp"),
        Rule(
            "`privacy.gpp` has one section per id in `privacy.gpp_sid` (a relation between fields)",
            message="section(s) after its header but privacy.gpp_sid lists",
        ),
    ],
    "POST /api/conversion": [
        Rule(
            "`conversion_time` may be at most 10 minutes in the future (the current time)",
            code="value_error",
            param="conversion_time",
            message="conversion_time is in the future",
            status=422,
        ),
        Rule("the click must be on an ad a campaign bid for (state)", message="Click missing bid id"),
    ],
    # operator.json
    "PUT /admin/organizations/{id}/supply-reports": [
        Rule(
            "each row's ad must be an ad of the organization (state)",
            code="invalid_value",
            param=r"rows\[[0-9]+\]\.ad_id",
            message="No such ad in this organization",
        ),
        Rule(
            "each row's hour must not be in the future (the current time)",
            code="invalid_value",
            param=r"rows\[[0-9]+\]\.hour",
            message="past hour",
        ),
    ],
    # agents-v1.json (the error's `details.field` is its `param`)
    "POST /api/v1/auth/verify": [
        Rule(
            "the code must be the one last emailed to this address, for an account waiting for it (state)",
            code="invalid_code",
        ),
        Rule("a code works for 15 minutes (the current time)", code="code_expired"),
        Rule("a code allows 5 submissions (state)", code="too_many_attempts"),
    ],
    "GET /api/v1/auth/keys": [AGENTS_CURSOR],
    "POST /api/v1/auth/keys": [
        Rule(
            "a new key's spend cap may not exceed the calling key's own (state)",
            code="validation_error",
            param="spend_cap",
            status=422,
        ),
    ],
    "GET /api/v1/audit-log": [AGENTS_CURSOR],
    "GET /api/v1/billing/invoices": [AGENTS_CURSOR],
    "GET /api/v1/webhooks": [AGENTS_CURSOR],
    "GET /api/v1/webhooks/{id}/deliveries": [AGENTS_CURSOR],
    "GET /api/v1/oauth/authorize": [OAUTH_CLIENT_PAGE],
    "POST /api/v1/oauth/authorize": [
        OAUTH_CLIENT_PAGE,
        Rule(
            "approving needs the email and password of a verified account (state)",
            code="html_page",
            message="Connect ",
            status=401,
        ),
        Rule(
            "approving needs the email and password of a verified account (state)",
            code="html_page",
            message="Connect ",
            status=403,
        ),
    ],
    "POST /api/v1/oauth/token": [
        OAUTH_CLIENT,
        Rule(
            "a code or refresh token must be one the server issued to this client, unused and unexpired (state)",
            code="invalid_grant",
        ),
        Rule(
            "which fields a grant needs depends on grant_type (a relation between fields)",
            code="invalid_request",
        ),
        Rule(
            "a refresh may only narrow the scopes its grant has (state)",
            code="invalid_scope",
        ),
    ],
    "POST /api/v1/oauth/revoke": [OAUTH_CLIENT],
    "GET /api/v1/campaigns": [AGENTS_CURSOR],
    "POST /api/v1/campaigns": [
        BUDGET_FORMS,
        SCHEDULE_ORDER,
        CAMPAIGN_URL,
        Rule("campaigns need a business profile (state)", code="business_required", status=409),
        Rule("the plan holds a bounded number of campaigns (state)", code="plan_limit_reached", status=403),
    ],
    "PATCH /api/v1/campaigns/{id}": [
        BUDGET_FORMS,
        SCHEDULE_ORDER,
        CAMPAIGN_URL,
        CAMPAIGN_COMPLETED,
        SPENT,
        Rule("a draft goes live with launch, not a status change (state)", code="campaign_not_launched", status=409),
        Rule("a status change follows the lifecycle (state)", code="invalid_status_transition", status=409),
        *SPEND_CHECKS,
    ],
    "POST /api/v1/campaigns/{id}/launch": [
        CAMPAIGN_COMPLETED,
        Rule("a live campaign is launched once (state)", code="campaign_already_active", status=409),
        Rule("Facebook and Instagram need a connected account (state)", code="platform_not_connected", status=409),
        Rule("a launch needs an active ad (state)", code="campaign_has_no_ads", status=422),
        *SPEND_CHECKS,
    ],
    "POST /api/v1/campaigns/{id}/ad-sets": [CAMPAIGN_COMPLETED, AGES],
    "PATCH /api/v1/campaigns/{id}/ad-sets/{ad_set}": [CAMPAIGN_COMPLETED, AGES],
    "POST /api/v1/campaigns/{id}/ad-sets/{ad_set}/ads": [
        CAMPAIGN_COMPLETED,
        CREATIVE_TEXT,
        CREATIVE_REQUIRED,
        CAMPAIGN_URL,
    ],
    "PATCH /api/v1/campaigns/{id}/ad-sets/{ad_set}/ads/{ad}": [
        CAMPAIGN_COMPLETED,
        CREATIVE_TEXT,
        CREATIVE_REQUIRED,
        CAMPAIGN_URL,
    ],
    "GET /api/v1/analytics/overview": [ANALYTICS_WINDOW],
    "GET /api/v1/analytics/campaigns/{id}": [ANALYTICS_WINDOW],
    "GET /api/v1/analytics/time-series": [ANALYTICS_WINDOW],
    "POST /api/v1/analytics/reports": [
        ANALYTICS_WINDOW,
        Rule(
            "`type` and `format` must name the same format when both are given (a relation between fields)",
            code="validation_error",
            param="type",
            status=422,
        ),
    ],
    "POST /api/v1/ai/generate/text": [BUILTIN_LANGUAGES],
    "POST /api/v1/ai/generate/variations": [BUILTIN_LANGUAGES],
    "POST /api/v1/batch": [
        Rule(
            "an item's path must be one of this API's paths (the route table; the pattern only says it starts with /)",
            code="validation_error",
            param=r"requests\[[0-9]+\]\.path",
            status=422,
        ),
        Rule(
            "each request of a batch has its own `id` (a relation between items)",
            code="validation_error",
            param=r"requests\[[0-9]+\]\.id",
            message="is used twice",
            status=422,
        ),
    ],
    "GET /api/v1/optimization/rules": [AGENTS_CURSOR],
    "POST /api/v1/optimization/rules": [
        Rule("`campaign_id` must name a campaign of the account (state)", code="validation_error", param="campaign_id", status=422),
        *SPEND_CHECKS,
    ],
    "PATCH /api/v1/optimization/rules/{id}": [
        Rule("`campaign_id` must name a campaign of the account (state)", code="validation_error", param="campaign_id", status=422),
        *SPEND_CHECKS,
    ],
}


def _errors(response) -> list:
    """The errors of a response as `code`, `param` and `message`, whichever surface answered."""
    headers = {name.lower(): values for name, values in response.headers.items()}
    if (headers.get("content-type") or [""])[0].startswith("text/html"):
        # The agents API's pages (checkout, OAuth consent): the title says what went wrong.
        title = re.search(r"<title>(.*?)</title>", response.content.decode("utf-8", "replace"))
        return [{"code": "html_page", "message": title.group(1) if title else ""}]
    try:
        body = json.loads(response.content)
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    error = body.get("error")
    if isinstance(error, str) and "error_description" in body:
        # OAuth 2.0 (RFC 6749 section 5.2): {"error", "error_description"}
        return [{"code": error, "message": body.get("error_description")}]
    if isinstance(error, dict) and isinstance(error.get("code"), str) and "request_id" in error:
        # The agents API: {"error": {"code", "message", "status", "details": {"field", ...}, "request_id"}}
        details = error.get("details")
        field = details.get("field") if isinstance(details, dict) else None
        return [{"code": error["code"], "param": field, "message": error.get("message")}]
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        # `/v1` and `/admin`: {"error": {"message", "type", "param", "code"}}
        return [error]
    detail = body.get("detail")
    if isinstance(detail, str):
        # S2S and the tracking links: {"detail": "Click not found"}
        return [{"message": detail}]
    if isinstance(detail, list):
        # S2S validation: {"detail": [{"loc": ["body", "click_id"], "msg", "type"}, ...]}, every problem
        return [
            {"code": item.get("type"), "param": ".".join(map(str, item.get("loc", [])[1:])), "message": item.get("msg")}
            for item in detail
            if isinstance(item, dict)
        ]
    if isinstance(body.get("message"), str):
        # The SSP envelope: {"status": "error", "message", "error": {"type", "code": 400}}
        return [{"message": body["message"]}]
    return []


# A file to list every dropped failure in (operation, status, rule, error).
DROPPED_LOG = os.environ.get("CONTRACT_DROPPED_LOG")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code != "ST202":
        return True
    rules = ALLOWED.get(case.operation.label, [])
    errors = _errors(response)
    # Dropped only when every problem the response names is one of the operation's rules.
    matched = [next((rule for rule in rules if rule.matches(response.status_code, error)), None) for error in errors]
    if not errors or None in matched:
        return True
    if DROPPED_LOG:
        with open(DROPPED_LOG, "a") as log:
            for rule, error in zip(matched, errors):
                print(case.operation.label, response.status_code, rule.why, json.dumps(error), sep="\t", file=log)
    return False


# 3. The agents API's rate limits.

AGENTS_CLIENTS = os.environ.get("CONTRACT_AGENTS_CLIENTS") == "1"


def _keyed_agents_operation(case) -> bool:
    """Whether `case` is an operation of the agents API that takes a key."""
    operation = case.operation
    return operation.path.startswith("/api/v1/") and operation.definition.raw.get("security") != []


class _AccountWindow:
    """What the last keyed answer said about the account's window."""

    lock = threading.Lock()
    remaining: int | None = None
    reset: float = 0.0


def _wait_for_the_account_window(case) -> None:
    if not AGENTS_CLIENTS or not _keyed_agents_operation(case):
        return
    with _AccountWindow.lock:
        wait = _AccountWindow.reset - time.time() if _AccountWindow.remaining == 0 else 0.0
    if wait > 0:
        # The server's windows end on its clock, the same machine's; half a second of margin.
        time.sleep(wait + 0.5)
        with _AccountWindow.lock:
            _AccountWindow.remaining = None


def _note_the_account_window(case, response) -> None:
    # A 401 is counted per client address, not per account.
    if not AGENTS_CLIENTS or not _keyed_agents_operation(case) or response.status_code == 401:
        return
    headers = {name.lower(): values for name, values in response.headers.items()}
    try:
        remaining = int(headers["x-ratelimit-remaining"][0])
        reset = float(headers["x-ratelimit-reset"][0])
    except (KeyError, IndexError, ValueError):
        return
    with _AccountWindow.lock:
        _AccountWindow.remaining = remaining
        _AccountWindow.reset = reset


if AGENTS_CLIENTS:
    import urllib3.connectionpool
    import urllib3.util.connection

    _CLIENT_ADDRESSES = itertools.cycle([f"127.0.0.{n}" for n in range(2, 255)])
    _create_connection = urllib3.util.connection.create_connection
    _put_conn = urllib3.connectionpool.HTTPConnectionPool._put_conn

    def _create_connection_from_next_address(address, *args, source_address=None, **kwargs):
        if source_address is None and address[0] in ("127.0.0.1", "localhost"):
            source_address = (next(_CLIENT_ADDRESSES), 0)
        return _create_connection(address, *args, source_address=source_address, **kwargs)

    def _close_instead_of_reusing(self, conn):
        if conn is not None:
            conn.close()
        _put_conn(self, None)

    urllib3.util.connection.create_connection = _create_connection_from_next_address
    urllib3.connectionpool.HTTPConnectionPool._put_conn = _close_instead_of_reusing
