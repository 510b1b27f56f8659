"""Writes SQL for the insights benchmark: EVENTS raw events of the demo
organization over the last 30 days, through the real tables and triggers
(so the rollups are what the app itself would have counted).

20 campaigns x 5 ad groups x 2 ads = 200 ads. Of the events, 90% are
billable impressions ($2.00 CPM), 9% clicks on them and 1% conversions of
those clicks, spread evenly over the 30 days.

`python3 traffic.py EVENTS > traffic.sql`"""

import sys
import time

EVENTS = int(sys.argv[1])
ORG = "0d3e0000-0000-4000-8000-000000000001"
IMPRESSIONS = EVENTS * 90 // 100
CLICKS = EVENTS * 9 // 100
CONVERSIONS = EVENTS - IMPRESSIONS - CLICKS
END = int(time.time()) // 3600 * 3600
START = END - 30 * 86400
SPAN = END - START


def uuid(kind, n):
    return f"'b0000000-0000-4000-8{kind}00-{n:012d}'"


print("BEGIN;")
for c in range(20):
    print(f"INSERT OR IGNORE INTO campaigns (id, organization_id, name, status, review_status, start_time,"
          f" lifetime_spend_limit_micros, recurring_frequency, pricing_model, created_at, updated_at) VALUES"
          f" ({uuid(1, c)}, '{ORG}', 'Insights bench {c}', 'active', 'approved', {START}, 9000000000000000,"
          f" 'monthly', 'cpm', {START}, {START});")
    for g in range(5):
        group = c * 5 + g
        print(f"INSERT OR IGNORE INTO ad_groups (id, organization_id, campaign_id, name, status, max_bid_micros,"
              f" creative_type, created_at, updated_at) VALUES ({uuid(2, group)}, '{ORG}', {uuid(1, c)},"
              f" 'Group {group}', 'active', 2000000, 'chat_card', {START}, {START});")
        for a in range(2):
            ad = group * 2 + a
            print(f"INSERT OR IGNORE INTO ads (id, organization_id, campaign_id, ad_group_id, name, status, creative,"
                  f" created_at, updated_at) VALUES ({uuid(3, ad)}, '{ORG}', {uuid(1, c)}, {uuid(2, group)},"
                  f" 'Ad {ad}', 'active', '{{}}', {START}, {START});")
print("COMMIT;")

# Ad n % 200 of ad group (n % 200) / 2 of campaign (n % 200) / 10.
AD = "(n % 200)"
print("BEGIN;")
print(f"""WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < {IMPRESSIONS})
INSERT OR IGNORE INTO impressions (id, request_id, publisher_id, environment, billable, dsp_id, bid_id,
    organization_id, campaign_id, ad_group_id, ad_id, price_cpm_micros, cost_micros, landing_url, chat_id,
    chat_request, created_at)
SELECT printf('i%d', n), 'bench', '{ORG}', 'production', 1, 'thrad_dsp', 'bench', '{ORG}',
    printf('b0000000-0000-4000-8100-%012d', {AD} / 10), printf('b0000000-0000-4000-8200-%012d', {AD} / 2),
    printf('b0000000-0000-4000-8300-%012d', {AD}), 2000000, 2000, 'https://example.com/', 'bench', 1,
    {START} + n * {SPAN} / {IMPRESSIONS}
FROM seq;""")
print("COMMIT;")
print("BEGIN;")
# Click k is on impression k * 10 (same ad), a minute after it.
print(f"""WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < {CLICKS})
INSERT OR IGNORE INTO clicks (id, impression_id, created_at)
SELECT printf('c%d', n), printf('i%d', n * 10), {START} + n * 10 * {SPAN} / {IMPRESSIONS} + 60 FROM seq;""")
print("COMMIT;")
print("BEGIN;")
# Conversion k converts click k * 9, an hour after it.
print(f"""WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < {CONVERSIONS})
INSERT OR IGNORE INTO conversions (id, organization_id, api_key_id, click_id, campaign_id, ad_group_id, ad_id,
    event_type, dedupe_key, conversion_time, value_micros, currency, counted_value_micros, attributed, data, created_at)
SELECT printf('v%d', n), '{ORG}', 'bench', printf('c%d', n * 9),
    printf('b0000000-0000-4000-8100-%012d', (n * 90 % 200) / 10), printf('b0000000-0000-4000-8200-%012d', (n * 90 % 200) / 2),
    printf('b0000000-0000-4000-8300-%012d', n * 90 % 200), 'purchase_completed', printf('order-%d', n),
    MIN({START} + n * 90 * {SPAN} / {IMPRESSIONS} + 3660, {END} - 1), 25000000, 'USD', 25000000, 1, '{{}}',
    {END}
FROM seq;""")
print("COMMIT;")
