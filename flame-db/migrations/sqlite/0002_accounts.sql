-- Flame 0002: accounts. Passwords and the platform-admin flag on users, login throttling,
-- stored sessions, API tokens, invitations, payments, and the per-company usage counters that
-- plan limits are enforced against.
-- Ids are UUIDv7 as 16-byte BLOBs; times are UTC RFC 3339 text of fixed width.
-- Secrets are never stored: passwords as Argon2id PHC strings, tokens as SHA-256 digests.

ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN platform_admin INTEGER NOT NULL DEFAULT 0;

-- Consecutive login failures per email (as a SHA-256 digest, so that attempts on unknown
-- emails lock the same way without storing those emails).
CREATE TABLE login_throttle (
    email_hash    TEXT    NOT NULL PRIMARY KEY,
    failures      INTEGER NOT NULL,
    locked_until  TEXT,
    updated_at    TEXT    NOT NULL
);

-- Login sessions: global like users (looked up by token before the company is known).
CREATE TABLE auth_sessions (
    id          BLOB    NOT NULL PRIMARY KEY,
    user_id     BLOB    NOT NULL REFERENCES users (id),
    company_id  BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id, revoked_at);
CREATE INDEX auth_sessions_company ON auth_sessions (company_id, user_id);

CREATE TABLE api_tokens (
    company_id    BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id            BLOB    NOT NULL,
    user_id       BLOB    NOT NULL REFERENCES users (id),
    name          TEXT    NOT NULL,
    scope         TEXT    NOT NULL CHECK (scope IN ('read_only', 'read_write')),
    token_hash    TEXT    NOT NULL UNIQUE,
    expires_at    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT,
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE INDEX api_tokens_user ON api_tokens (company_id, user_id, id);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE invitations (
    company_id   BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           BLOB    NOT NULL,
    email        TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'member', 'viewer')),
    invited_by   BLOB    NOT NULL REFERENCES users (id),
    token_hash   TEXT    NOT NULL UNIQUE,
    expires_at   TEXT    NOT NULL,
    accepted_at  TEXT,
    revoked_at   TEXT,
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE INDEX invitations_email ON invitations (company_id, email);

CREATE TABLE payments (
    company_id       BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id               BLOB    NOT NULL,
    subscription_id  BLOB    NOT NULL,
    provider_ref     TEXT    NOT NULL,
    outcome          TEXT    NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    amount_minor     INTEGER  NOT NULL CHECK (amount_minor >= 0),
    currency         TEXT    NOT NULL,
    period_end       TEXT,
    failure_reason   TEXT,
    recorded_at      TEXT    NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, subscription_id) REFERENCES subscriptions (company_id, id)
);
CREATE UNIQUE INDEX payments_provider_ref ON payments (company_id, provider_ref);

-- What each company uses of what its plan limits. Writes that add usage update this row
-- first: the row lock serializes them per company, so concurrent writers cannot overshoot.
CREATE TABLE company_usage (
    company_id    BLOB    NOT NULL PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    seats         INTEGER  NOT NULL CHECK (seats >= 0),
    contacts      INTEGER  NOT NULL CHECK (contacts >= 0),
    deals         INTEGER  NOT NULL CHECK (deals >= 0),
    pipelines     INTEGER  NOT NULL CHECK (pipelines >= 0),
    integrations  INTEGER  NOT NULL CHECK (integrations >= 0)
);
INSERT INTO company_usage (company_id, seats, contacts, deals, pipelines, integrations)
SELECT c.id,
       (SELECT COUNT(*) FROM memberships m WHERE m.company_id = c.id),
       (SELECT COUNT(*) FROM contacts x WHERE x.company_id = c.id),
       (SELECT COUNT(*) FROM deals d WHERE d.company_id = c.id),
       (SELECT COUNT(*) FROM pipelines p WHERE p.company_id = c.id),
       0
FROM companies c;
