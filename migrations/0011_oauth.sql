-- adspin schema, migration 11: OAuth 2.0 for third-party integrations
-- (authorization code flow with PKCE, refresh tokens, revocation).
-- Access tokens are agent_keys rows of kind 'oauth'.

-- Applications an account registered. Confidential clients have a secret
-- (stored hashed); public ones rely on PKCE alone.
CREATE TABLE IF NOT EXISTS oauth_clients (
    id              TEXT    PRIMARY KEY,          -- client_id (oc_...)
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    name            TEXT    NOT NULL,
    redirect_uris   TEXT    NOT NULL,             -- JSON array, matched exactly
    secret_hash     TEXT,                         -- SHA-256 of the client secret
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
);
CREATE INDEX IF NOT EXISTS oauth_clients_by_organization ON oauth_clients (organization_id, created_at);

-- Authorization codes: 10 minutes, one use, bound to the client, the
-- redirect URI and the PKCE challenge.
CREATE TABLE IF NOT EXISTS oauth_codes (
    code_hash       TEXT    PRIMARY KEY,
    client_id       TEXT    NOT NULL REFERENCES oauth_clients(id),
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    user_id         INTEGER NOT NULL REFERENCES agent_users(id),
    scopes          TEXT    NOT NULL,             -- JSON array
    redirect_uri    TEXT    NOT NULL,
    code_challenge  TEXT    NOT NULL,             -- S256
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    created_at      INTEGER NOT NULL
);

-- Refresh tokens (stored hashed), rotated at every use. `family` ties a
-- code's tokens together so a replayed code or refresh token revokes them
-- all.
CREATE TABLE IF NOT EXISTS oauth_refresh_tokens (
    token_hash      TEXT    PRIMARY KEY,
    family          TEXT    NOT NULL,
    client_id       TEXT    NOT NULL REFERENCES oauth_clients(id),
    organization_id TEXT    NOT NULL REFERENCES organizations(id),
    user_id         INTEGER NOT NULL REFERENCES agent_users(id),
    scopes          TEXT    NOT NULL,
    access_key_seq  INTEGER NOT NULL,             -- the access token issued with it
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    revoked_at      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS oauth_refresh_tokens_by_family ON oauth_refresh_tokens (family);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (11, '0011_oauth', unixepoch());
