-- Development seed: a demo organization with well-known keys, for local
-- runs and the README quickstart. Never load this in production.
--
-- The secrets (stored here only as SHA-256 hashes):
--   advertiser API key (Authorization: Bearer)  ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b
--   publisher key, staging (thrad-api-key)       pk_demo_staging_5e2a8c4f6b0d4a1e9c3b7d5f1a2e4c6b
--   publisher key, production (thrad-api-key)    pk_demo_live_9b1d3f5a7c2e4b6d8f0a1c3e5b7d9f2a
--   S2S partner token (Authorization: Bearer)    pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b

INSERT OR IGNORE INTO organizations (id, name, url, timezone, currency_code, created_at, updated_at)
VALUES ('0d3e0000-0000-4000-8000-000000000001', 'Demo Advertiser', 'https://demo.adspin.example',
        'UTC', 'USD', unixepoch(), unixepoch());

INSERT OR IGNORE INTO api_keys (id, organization_id, kind, environment, key_hash, key_prefix, label, created_at)
VALUES
    ('0d3e0000-0000-4000-8000-0000000000a1', '0d3e0000-0000-4000-8000-000000000001', 'advertiser', NULL,
     'fddfe5f40e8d9e0037e8bf8f3cee878d77bc64d1644d4da6c7774235e69ddc91', 'ak_demo_7f3c', 'demo advertiser key', unixepoch()),
    ('0d3e0000-0000-4000-8000-0000000000b1', '0d3e0000-0000-4000-8000-000000000001', 'publisher', 'staging',
     '7917bcbbe96563a66839e76365585849626a0cf5120b608bf30508224293d97f', 'pk_demo_stag', 'demo publisher key (staging)', unixepoch()),
    ('0d3e0000-0000-4000-8000-0000000000b2', '0d3e0000-0000-4000-8000-000000000001', 'publisher', 'production',
     '531e231e4a937a3b3c852b2274fe8d76c5cb7374bae035b812171e05e2bbf7b7', 'pk_demo_live', 'demo publisher key (production)', unixepoch()),
    ('0d3e0000-0000-4000-8000-0000000000c1', '0d3e0000-0000-4000-8000-000000000001', 'partner', NULL,
     '792c00285eb2561e272f7ee4653b07af9af6f51d3be7ec7ad718584a7d8842dc', 'pt_demo_3a5c', 'demo partner token', unixepoch());
