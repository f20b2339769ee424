-- Flame 0006: email verification. Users carry when they proved their address; the tokens
-- that prove it are mailed by the host and stored here only as SHA-256 digests.
-- Users that existed before this migration keep working: they count as verified since their
-- creation (they were trusted before, and an upgrade must lock nobody out).
-- Ids are uuid; times are timestamptz in UTC.

ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
UPDATE users SET email_verified_at = created_at;

-- Global like users: a token is looked up by its digest before anything else is known.
CREATE TABLE email_verifications (
    token_hash  text           NOT NULL PRIMARY KEY,
    user_id     uuid           NOT NULL REFERENCES users (id),
    email       text           NOT NULL,
    expires_at  timestamptz    NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz    NOT NULL
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, used_at);
