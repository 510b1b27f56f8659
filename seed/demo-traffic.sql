-- Development seed: demo traffic for the demo organization, so the S2S
-- quickstart of the specification works as written. Never load this in
-- production. Loaded by `./dev up` after seed/dev.sql.
--
-- A paused, approved campaign "S2S quickstart demo" with one ad, served
-- once on 2026-02-19 at 17:25 UTC and clicked at 17:30 UTC:
--   demo click_id  11111111-1111-4111-8111-111111111111
-- so a conversion at 2026-02-19T18:00:00Z is inside its 30-day window.

INSERT OR IGNORE INTO campaigns (id, organization_id, name, status, review_status, start_time,
                                 lifetime_spend_limit_micros, recurring_frequency, pricing_model, created_at, updated_at)
VALUES ('0d3e0000-0000-4000-8000-0000000000d1', '0d3e0000-0000-4000-8000-000000000001', 'S2S quickstart demo',
        'paused', 'approved', 1769904000, 50000000, 'monthly', 'cpm', 1769904000, 1769904000);

INSERT OR IGNORE INTO ad_groups (id, organization_id, campaign_id, name, context_hints, status, max_bid_micros,
                                 creative_type, created_at, updated_at)
VALUES ('0d3e0000-0000-4000-8000-0000000000d2', '0d3e0000-0000-4000-8000-000000000001',
        '0d3e0000-0000-4000-8000-0000000000d1', 'Checkout demo', '["checkout demo"]', 'active', 2000000, 'chat_card',
        1769904000, 1769904000);

INSERT OR IGNORE INTO ads (id, organization_id, campaign_id, ad_group_id, name, status, creative, created_at, updated_at)
VALUES ('0d3e0000-0000-4000-8000-0000000000d3', '0d3e0000-0000-4000-8000-000000000001',
        '0d3e0000-0000-4000-8000-0000000000d1', '0d3e0000-0000-4000-8000-0000000000d2', 'Checkout demo ad', 'active',
        '{"type":"chat_card","title":"Demo checkout","body":"The ad behind the demo click.","target_url":"https://example.com/checkout"}',
        1769904000, 1769904000);

-- The impression (billable, $2.00 CPM: 2,000 micros) and its click; the
-- triggers charge the campaign and count both in the rollups, once.
INSERT OR IGNORE INTO impressions (id, request_id, publisher_id, environment, billable, dsp_id, bid_id,
                                   organization_id, campaign_id, ad_group_id, ad_id, price_cpm_micros, cost_micros,
                                   landing_url, chat_id, chat_request, country, created_at)
VALUES ('0d3e0000-0000-4000-8000-0000000000d4', 'api_req_demo', '0d3e0000-0000-4000-8000-000000000001',
        'production', 1, 'thrad_dsp', 'bid_demo', '0d3e0000-0000-4000-8000-000000000001',
        '0d3e0000-0000-4000-8000-0000000000d1', '0d3e0000-0000-4000-8000-0000000000d2',
        '0d3e0000-0000-4000-8000-0000000000d3', 2000000, 2000, 'https://example.com/checkout', 'chat_demo', 1, 'US',
        1771521900);

INSERT OR IGNORE INTO clicks (id, impression_id, created_at)
VALUES ('11111111-1111-4111-8111-111111111111', '0d3e0000-0000-4000-8000-0000000000d4', 1771522200);
