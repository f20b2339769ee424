-- Flame 0006: email verification. Users carry when they proved their address; the tokens
-- that prove it are mailed by the host and stored here only as SHA-256 digests.
-- Users that existed before this migration keep working: they count as verified since their
-- creation (they were trusted before, and an upgrade must lock nobody out).
-- Ids are UUIDv7 as 16-byte BLOBs; times are UTC RFC 3339 text of fixed width.

ALTER TABLE users ADD COLUMN email_verified_at TEXT;
UPDATE users SET email_verified_at = created_at;

-- Global like users: a token is looked up by its digest before anything else is known.
CREATE TABLE email_verifications (
    token_hash  TEXT    NOT NULL PRIMARY KEY,
    user_id     BLOB    NOT NULL REFERENCES users (id),
    email       TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    created_at  TEXT    NOT NULL
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, used_at);
