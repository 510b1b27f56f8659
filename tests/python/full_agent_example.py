"""The "Full Agent Example: Python" of the agents API specification
(specs/agents-api.md), as written there, with BASE and API_KEY taken from
the command line: `python3 full_agent_example.py <base>/api/v1 <key>`.

The example ends in an endless optimization loop that sleeps four hours a
round. To run it in a test, the harness below (not part of the example)
lets the first four-hour sleep return at once and ends the run at the
second, so exactly one optimization round runs; every other sleep (the
5-second polls of a processing generation) is real.
"""

import sys
import time

_real_sleep = time.sleep
_long_sleeps = 0


def _sleep(seconds):
    global _long_sleeps
    if seconds >= 3600:
        _long_sleeps += 1
        if _long_sleeps > 1:
            print("One optimization round done.")
            sys.exit(0)
        return
    _real_sleep(seconds)


time.sleep = _sleep

# ---- The specification's example, unchanged but for BASE and API_KEY ----

import requests, time
BASE = sys.argv[1]
API_KEY = sys.argv[2]
H = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

# 1. Generate ad content
gen = requests.post(f"{BASE}/ai/generate/variations", headers=H, json={
    "product_description": "AI-powered project management for remote teams",
    "target_audience": "Tech startups with 10-50 employees",
    "count": 5,
    "platform": "facebook",
    "include_images": True,
    "tone": "professional"
}).json()

# Wait for generation if async
if gen.get("status") == "processing":
    while True:
        result = requests.get(f"{BASE}/ai/generations/{gen['id']}", headers=H).json()
        if result["status"] == "completed":
            break
        time.sleep(5)
    gen = result

# 2. Create campaign
campaign = requests.post(f"{BASE}/campaigns", headers=H, json={
    "name": "Q3 Growth - Remote Teams",
    "objective": "conversions",
    "platforms": ["facebook", "instagram"],
    "budget": {"type": "daily", "amount": 75, "currency": "USD"},
    "schedule": {"start_date": "2025-07-01", "end_date": "2025-09-30"},
    "optimization": {"enabled": True, "strategy": "maximize_conversions", "frequency": "hourly"}
}).json()

# 3. Create ad set
ad_set = requests.post(f"{BASE}/campaigns/{campaign['id']}/ad-sets", headers=H, json={
    "name": "US Tech Workers 25-45",
    "targeting": {
        "age_min": 25, "age_max": 45,
        "locations": [{"type": "country", "value": "US"}],
        "interests": ["remote work", "project management", "SaaS", "startups"]
    }
}).json()

# 4. Add ads from generated content
for i, v in enumerate(gen["result"]["variations"]):
    requests.post(
        f"{BASE}/campaigns/{campaign['id']}/ad-sets/{ad_set['id']}/ads",
        headers=H,
        json={
            "name": f"Variation {i+1}",
            "creative": {
                "headline": v["headline"],
                "primary_text": v["primary_text"],
                "description": v["description"],
                "image_url": v.get("image_url"),
                "call_to_action": "sign_up",
                "link_url": "https://yourapp.com/signup"
            }
        }
    )

# 5. Launch!
requests.post(f"{BASE}/campaigns/{campaign['id']}/launch", headers=H)
print(f"Campaign {campaign['id']} is live!")

# 6. Optimization loop
while True:
    time.sleep(14400)  # Every 4 hours
    analytics = requests.get(f"{BASE}/analytics/campaigns/{campaign['id']}", headers=H).json()
    if analytics["metrics"]["ctr"] < 1.5:
        suggestions = requests.post(f"{BASE}/ai/optimize/suggest", headers=H, json={
            "campaign_id": campaign["id"],
            "strategies": ["new_message", "new_image"]
        }).json()
        for s in suggestions["suggestions"]:
            if s["impact"] == "high":
                print(f"Applying: {s['description']}")
                # Apply suggestion...
