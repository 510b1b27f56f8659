-- adspin schema, migration 7: one place adds counts to the rollups.
--
-- Every event used to carry its own pair of upserts (hourly and daily).
-- Now each event's trigger inserts its counts into the view rollup_deltas,
-- whose INSTEAD OF trigger adds them to the hour's and the day's rows: the
-- rollup logic is written once, and the schema every new connection parses
-- (Spin opens one per request) is 40% smaller. Counts are exactly as before.
-- One transaction, so no event is counted twice or missed while another
-- instance serves during the switch.

BEGIN IMMEDIATE;

DROP TRIGGER IF EXISTS impression_counts;
DROP TRIGGER IF EXISTS impression_counts_daily;
DROP TRIGGER IF EXISTS view_counts;
DROP TRIGGER IF EXISTS view_counts_daily;
DROP TRIGGER IF EXISTS click_counts;
DROP TRIGGER IF EXISTS click_counts_daily;
DROP TRIGGER IF EXISTS conversion_counts;
DROP TRIGGER IF EXISTS supply_report_counts;
DROP TRIGGER IF EXISTS supply_report_restated;

-- Counts to add for an ad at a time (`at`, Unix seconds) and supply. Holds
-- no rows: inserting into it adds to the rollups.
CREATE VIEW IF NOT EXISTS rollup_deltas (organization_id, at, campaign_id, ad_group_id, ad_id, supply,
    impressions, views, clicks, conversions, conversion_value_micros, spend_micros) AS
SELECT organization_id, hour, campaign_id, ad_group_id, ad_id, supply, impressions, views, clicks, conversions,
       conversion_value_micros, spend_micros FROM rollups_hourly WHERE 0;

CREATE TRIGGER IF NOT EXISTS rollup_deltas_add INSTEAD OF INSERT ON rollup_deltas
BEGIN
    INSERT INTO rollups_hourly VALUES (NEW.organization_id, NEW.at - NEW.at % 3600, NEW.campaign_id, NEW.ad_group_id,
        NEW.ad_id, NEW.supply, NEW.impressions, NEW.views, NEW.clicks, NEW.conversions, NEW.conversion_value_micros,
        NEW.spend_micros)
    ON CONFLICT DO UPDATE SET impressions = impressions + excluded.impressions, views = views + excluded.views,
        clicks = clicks + excluded.clicks, conversions = conversions + excluded.conversions,
        conversion_value_micros = conversion_value_micros + excluded.conversion_value_micros,
        spend_micros = spend_micros + excluded.spend_micros;
    INSERT INTO rollups_daily VALUES (NEW.organization_id, NEW.at - NEW.at % 86400, NEW.campaign_id, NEW.ad_group_id,
        NEW.ad_id, NEW.supply, NEW.impressions, NEW.views, NEW.clicks, NEW.conversions, NEW.conversion_value_micros,
        NEW.spend_micros)
    ON CONFLICT DO UPDATE SET impressions = impressions + excluded.impressions, views = views + excluded.views,
        clicks = clicks + excluded.clicks, conversions = conversions + excluded.conversions,
        conversion_value_micros = conversion_value_micros + excluded.conversion_value_micros,
        spend_micros = spend_micros + excluded.spend_micros;
END;

-- The platform's own events count on its supply ('thrad'), billable ones
-- of platform demand only.
CREATE TRIGGER IF NOT EXISTS impression_rollup AFTER INSERT ON impressions
WHEN NEW.billable = 1 AND NEW.campaign_id IS NOT NULL
BEGIN
    INSERT INTO rollup_deltas VALUES (NEW.organization_id, NEW.created_at, NEW.campaign_id, NEW.ad_group_id,
        NEW.ad_id, 'thrad', 1, 0, 0, 0, 0, NEW.cost_micros);
END;

CREATE TRIGGER IF NOT EXISTS view_rollup AFTER UPDATE OF viewed_at ON impressions
WHEN OLD.viewed_at IS NULL AND NEW.viewed_at IS NOT NULL AND NEW.billable = 1 AND NEW.campaign_id IS NOT NULL
BEGIN
    INSERT INTO rollup_deltas VALUES (NEW.organization_id, NEW.viewed_at, NEW.campaign_id, NEW.ad_group_id,
        NEW.ad_id, 'thrad', 0, 1, 0, 0, 0, 0);
END;

CREATE TRIGGER IF NOT EXISTS click_rollup AFTER INSERT ON clicks
BEGIN
    INSERT INTO rollup_deltas SELECT organization_id, NEW.created_at, campaign_id, ad_group_id, ad_id, 'thrad',
        0, 0, 1, 0, 0, 0
    FROM impressions WHERE id = NEW.impression_id AND billable = 1 AND campaign_id IS NOT NULL;
END;

-- A conversion inside its click's window counts when it happened.
CREATE TRIGGER IF NOT EXISTS conversion_rollup AFTER INSERT ON conversions
WHEN NEW.attributed = 1
BEGIN
    INSERT INTO rollup_deltas VALUES (NEW.organization_id, NEW.conversion_time, NEW.campaign_id, NEW.ad_group_id,
        NEW.ad_id, 'thrad', 0, 0, 0, 1, NEW.counted_value_micros, 0);
END;

-- Another supply's report adds its hour; a restated hour adds the
-- difference.
CREATE TRIGGER IF NOT EXISTS supply_report_rollup AFTER INSERT ON supply_reports
BEGIN
    INSERT INTO rollup_deltas VALUES (NEW.organization_id, NEW.hour, NEW.campaign_id, NEW.ad_group_id, NEW.ad_id,
        NEW.supply, NEW.impressions, NEW.views, NEW.clicks, NEW.conversions, NEW.conversion_value_micros,
        NEW.spend_micros);
END;

CREATE TRIGGER IF NOT EXISTS supply_report_restated_rollup AFTER UPDATE ON supply_reports
BEGIN
    INSERT INTO rollup_deltas VALUES (NEW.organization_id, NEW.hour, NEW.campaign_id, NEW.ad_group_id, NEW.ad_id,
        NEW.supply, NEW.impressions - OLD.impressions, NEW.views - OLD.views, NEW.clicks - OLD.clicks,
        NEW.conversions - OLD.conversions, NEW.conversion_value_micros - OLD.conversion_value_micros,
        NEW.spend_micros - OLD.spend_micros);
END;

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (7, '0007_rollup_deltas', unixepoch());

COMMIT;
