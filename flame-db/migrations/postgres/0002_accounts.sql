-- Flame 0002: accounts. Passwords and the platform-admin flag on users, login throttling,
-- stored sessions, API tokens, invitations, payments, and the per-company usage counters that
-- plan limits are enforced against.
-- Ids are uuid; times are timestamptz in UTC.
-- Secrets are never stored: passwords as Argon2id PHC strings, tokens as SHA-256 digests.

ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN platform_admin boolean NOT NULL DEFAULT false;

-- Consecutive login failures per email (as a SHA-256 digest, so that attempts on unknown
-- emails lock the same way without storing those emails).
CREATE TABLE login_throttle (
    email_hash    text    NOT NULL PRIMARY KEY,
    failures      integer NOT NULL,
    locked_until  timestamptz,
    updated_at    timestamptz    NOT NULL
);

-- Login sessions: global like users (looked up by token before the company is known).
CREATE TABLE auth_sessions (
    id          uuid    NOT NULL PRIMARY KEY,
    user_id     uuid    NOT NULL REFERENCES users (id),
    company_id  uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    token_hash  text    NOT NULL UNIQUE,
    created_at  timestamptz    NOT NULL,
    expires_at  timestamptz    NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id, revoked_at);
CREATE INDEX auth_sessions_company ON auth_sessions (company_id, user_id);

CREATE TABLE api_tokens (
    company_id    uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id            uuid    NOT NULL,
    user_id       uuid    NOT NULL REFERENCES users (id),
    name          text    NOT NULL,
    scope         text    NOT NULL CHECK (scope IN ('read_only', 'read_write')),
    token_hash    text    NOT NULL UNIQUE,
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz    NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE INDEX api_tokens_user ON api_tokens (company_id, user_id, id);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE invitations (
    company_id   uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           uuid    NOT NULL,
    email        text    NOT NULL,
    role         text    NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'member', 'viewer')),
    invited_by   uuid    NOT NULL REFERENCES users (id),
    token_hash   text    NOT NULL UNIQUE,
    expires_at   timestamptz    NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz    NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE INDEX invitations_email ON invitations (company_id, email);

CREATE TABLE payments (
    company_id       uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id               uuid    NOT NULL,
    subscription_id  uuid    NOT NULL,
    provider_ref     text    NOT NULL,
    outcome          text    NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    amount_minor     bigint  NOT NULL CHECK (amount_minor >= 0),
    currency         text    NOT NULL,
    period_end       timestamptz,
    failure_reason   text,
    recorded_at      timestamptz    NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, subscription_id) REFERENCES subscriptions (company_id, id)
);
CREATE UNIQUE INDEX payments_provider_ref ON payments (company_id, provider_ref);

-- What each company uses of what its plan limits. Writes that add usage update this row
-- first: the row lock serializes them per company, so concurrent writers cannot overshoot.
CREATE TABLE company_usage (
    company_id    uuid    NOT NULL PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    seats         bigint  NOT NULL CHECK (seats >= 0),
    contacts      bigint  NOT NULL CHECK (contacts >= 0),
    deals         bigint  NOT NULL CHECK (deals >= 0),
    pipelines     bigint  NOT NULL CHECK (pipelines >= 0),
    integrations  bigint  NOT NULL CHECK (integrations >= 0)
);
INSERT INTO company_usage (company_id, seats, contacts, deals, pipelines, integrations)
SELECT c.id,
       (SELECT COUNT(*) FROM memberships m WHERE m.company_id = c.id),
       (SELECT COUNT(*) FROM contacts x WHERE x.company_id = c.id),
       (SELECT COUNT(*) FROM deals d WHERE d.company_id = c.id),
       (SELECT COUNT(*) FROM pipelines p WHERE p.company_id = c.id),
       0
FROM companies c;
