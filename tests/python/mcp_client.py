"""Drives adspin's MCP server with the official MCP Python SDK (`mcp`).

Usage: mcp_client.py BASE_URL API_KEY ADS_AGENTS_MCP http|stdio

Over streamable HTTP (`BASE_URL/mcp`), or over stdio through the
`ads-agents-mcp` command, first with the 2025-11-25 handshake, then with
2026-07-28 (negotiated by the SDK's `server/discover` probe): each run
lists the tools, creates a campaign, gives it an ad set and an ad (REST:
no tool makes those), launches it, reads its analytics, lists campaigns,
changes its budget and adds an optimization rule. Prints one JSON line per
run; exits non-zero on the first failed check.
"""

import asyncio
import json
import os
import sys
import urllib.request

import httpx2
import jsonschema
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

BASE, KEY, COMMAND, TRANSPORT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]

TOOLS = {
    "generate_ad_content",
    "create_campaign",
    "launch_campaign",
    "get_analytics",
    "optimize_campaign",
    "manage_budget",
    "list_campaigns",
}


def rest(method, path, body):
    request = urllib.request.Request(
        f"{BASE}/api/v1{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def check(condition, message):
    if not condition:
        raise SystemExit(f"check failed: {message}")


async def exercise(client, label):
    listed = await client.list_tools()
    names = {tool.name for tool in listed.tools}
    check(names == TOOLS, f"{label}: tools {sorted(names)}")
    for tool in listed.tools:
        check(tool.input_schema.get("type") == "object", f"{tool.name} inputSchema")
        check((tool.output_schema or {}).get("type") == "object", f"{tool.name} outputSchema")
        # Both are valid JSON Schema 2020-12 (MCP's default dialect).
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)

    arguments = {"name": f"SaaS Launch ({label})", "objective": "traffic", "budget": 50, "platforms": ["chat"]}
    schemas = {tool.name: tool.input_schema for tool in listed.tools}
    jsonschema.validate(arguments, schemas["create_campaign"], cls=jsonschema.Draft202012Validator)
    created = await client.call_tool("create_campaign", arguments)
    check(not created.is_error, f"create_campaign: {created.content}")
    campaign = created.structured_content
    check(campaign["status"] == "draft" and campaign["daily_budget"] == 50, f"created {campaign}")
    check(json.loads(created.content[0].text) == campaign, "the text content is the structured content")
    campaign_id = campaign["id"]

    # The specification's generate_ad_content(product=..., audience=...).
    generated = await client.call_tool(
        "generate_ad_content", {"product": "SaaS project management", "audience": "startups", "count": 2}
    )
    check(not generated.is_error, f"generate_ad_content: {generated.content}")
    generation = generated.structured_content
    check(generation["status"] == "completed", f"generated {generation}")
    variation = generation["result"]["variations"][0]
    check(variation["headline"] and variation["primary_text"], f"variation {variation}")

    ad_set = rest(
        "POST",
        f"/campaigns/{campaign_id}/ad-sets",
        {"name": "Founders", "targeting": {"age_min": 25, "age_max": 45, "interests": ["startups"]}},
    )
    rest(
        "POST",
        f"/campaigns/{campaign_id}/ad-sets/{ad_set['id']}/ads",
        {
            "name": "Variation 1",
            "creative": {
                "headline": variation["headline"],
                "primary_text": variation["primary_text"],
                "description": variation["description"],
                "call_to_action": "sign_up",
                "link_url": "https://saas.example/signup",
            },
        },
    )

    launched = await client.call_tool("launch_campaign", {"campaign_id": f"camp_{campaign_id}"})
    check(not launched.is_error, f"launch_campaign: {launched.content}")
    check(launched.structured_content["status"] == "active", f"launched {launched.structured_content}")

    analytics = await client.call_tool("get_analytics", {"campaign_id": campaign_id})
    check(not analytics.is_error, f"get_analytics: {analytics.content}")
    check(analytics.structured_content["campaign_id"] == campaign_id, "analytics of the campaign")
    check(analytics.structured_content["metrics"]["impressions"] == 0, "nothing served yet")

    overview = await client.call_tool("get_analytics", {"date_from": "2026-01-01", "date_to": "2026-01-31"})
    check(not overview.is_error, f"get_analytics of the account: {overview.content}")
    check(overview.structured_content["date_from"] == "2026-01-01", f"{overview.structured_content}")

    page = await client.call_tool("list_campaigns", {"limit": 100})
    check(campaign_id in [c["id"] for c in page.structured_content["data"]], "listed")

    budget = await client.call_tool("manage_budget", {"campaign_id": campaign_id, "budget": 75})
    check(not budget.is_error and budget.structured_content["daily_budget"] == 75, f"budget {budget.content}")

    rule = await client.call_tool(
        "optimize_campaign",
        {
            "campaign_id": campaign_id,
            "name": "Pause low CTR ads",
            "condition": {"metric": "ctr", "operator": "lt", "value": 1.0, "timeframe_hours": 48},
            "action": {"type": "pause_ad"},
        },
    )
    check(not rule.is_error and rule.structured_content["campaign_id"] == campaign_id, f"rule {rule.content}")

    missing = await client.call_tool("launch_campaign", {"campaign_id": 999999})
    check(missing.is_error, "another campaign's id is a tool error")
    check(json.loads(missing.content[0].text)["error"]["code"] == "not_found", f"{missing.content}")
    return {"run": label, "protocol_version": client.protocol_version, "campaign_id": campaign_id}


async def over_http(mode):
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        transport = streamable_http_client(f"{BASE}/mcp", http_client=http)
        async with Client(transport, mode=mode) as client:
            return await exercise(client, f"http-{mode}")


async def over_stdio(mode):
    server = StdioServerParameters(
        command=COMMAND,
        env={"ADS_AGENTS_API_KEY": KEY, "ADS_AGENTS_API_URL": BASE, "PATH": os.environ.get("PATH", "")},
    )
    async with Client(server, mode=mode) as client:
        return await exercise(client, f"stdio-{mode}")


async def main():
    over = over_http if TRANSPORT == "http" else over_stdio
    for mode in ("legacy", "auto"):
        print(json.dumps(await over(mode)), flush=True)


asyncio.run(main())
