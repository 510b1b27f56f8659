//! The dev seed's well-known data (seed/dev.sql) and the test secrets.

/// The demo organization.
pub const ORGANIZATION_ID: &str = "0d3e0000-0000-4000-8000-000000000001";
/// Its Advertiser API key.
pub const ADVERTISER_KEY: &str = "ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b";
/// Its publisher keys.
pub const PUBLISHER_STAGING_KEY: &str = "pk_demo_staging_5e2a8c4f6b0d4a1e9c3b7d5f1a2e4c6b";
pub const PUBLISHER_PRODUCTION_KEY: &str = "pk_demo_live_9b1d3f5a7c2e4b6d8f0a1c3e5b7d9f2a";
/// Its S2S partner token.
pub const PARTNER_TOKEN: &str = "pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b";
/// The operator token the tests start the app with.
pub const ADMIN_TOKEN: &str = "adm_test_token_0123456789";
/// The dashboard token secret the tests start the app with.
pub const DASHBOARD_JWT_SECRET: &str = "test-dashboard-secret";
/// The tracking secret the tests start the app with.
pub const TRACKING_SECRET: &str = "test-tracking-secret";
