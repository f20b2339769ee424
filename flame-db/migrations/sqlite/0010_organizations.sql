-- Flame 0010: organizations, the companies a company sells to. Contacts belong to at most one
-- (organization_id) and deals may name one. The free-text contacts.organization is migrated
-- into organizations once, here, and then dropped:
--   1. this first half creates the table and the new columns;
--   2. at the marker below, Flame's migration step (flame-db/src/schema.rs,
--      `backfill_organizations`) creates one organization per distinct (company, trimmed
--      text), compared case-insensitively with Rust's Unicode lowercase (SQLite's lower()
--      folds ASCII only), owned by the first contact's owner (or the company's first owner),
--      and points every contact that had the text at it; blank texts carried no value;
--   3. the second half counts the organizations in company_usage and drops the text column.
-- All three run in the migration's one transaction: a failure leaves the database at 0009.
-- SQLite cannot add a foreign key over (company_id, organization_id) to an existing table
-- without rebuilding it (and every table that references contacts): the new columns carry
-- no foreign key here. Flame checks an organization id against the session's company before
-- writing it, and deleting an organization clears the ids pointing at it in the same
-- transaction. PostgreSQL carries the foreign keys.
-- Ids are UUIDv7 as 16-byte BLOBs; times are UTC RFC 3339 text of fixed width. Name keys
-- and domains compare with BINARY (code point order, as PostgreSQL's "C" collation).

ALTER TABLE plans ADD COLUMN limit_organizations INTEGER;
ALTER TABLE company_usage ADD COLUMN organizations INTEGER NOT NULL DEFAULT 0
    CHECK (organizations >= 0);

CREATE TABLE organizations (
    company_id   BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           BLOB    NOT NULL,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    domain       TEXT,
    phone        TEXT,
    street       TEXT,
    city         TEXT,
    region       TEXT,
    postal_code  TEXT,
    country      TEXT,
    website      TEXT,
    industry     TEXT,
    size         TEXT    CHECK (size IN ('1-10', '11-50', '51-200', '201-1000', '1000+')),
    owner_id     BLOB,
    custom       TEXT    NOT NULL DEFAULT '{}',
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, owner_id) REFERENCES memberships (company_id, user_id)
);
CREATE INDEX organizations_name ON organizations (company_id, name_key, id);
CREATE UNIQUE INDEX organizations_domain ON organizations (company_id, domain);
CREATE INDEX organizations_owner ON organizations (company_id, owner_id, name_key, id);

ALTER TABLE contacts ADD COLUMN organization_id BLOB;
ALTER TABLE deals ADD COLUMN organization_id BLOB;
CREATE INDEX contacts_organization ON contacts (company_id, organization_id, id);
CREATE INDEX deals_organization ON deals (company_id, organization_id, id);

-- flame:backfill-organizations

UPDATE company_usage SET organizations =
    (SELECT COUNT(*) FROM organizations o WHERE o.company_id = company_usage.company_id);
ALTER TABLE contacts DROP COLUMN organization;

-- Organizations carry tags and custom values like contacts and deals (0008, 0009).
CREATE TABLE organization_tags (
    company_id       BLOB    NOT NULL,
    tag_id           BLOB    NOT NULL,
    organization_id  BLOB    NOT NULL,
    PRIMARY KEY (company_id, tag_id, organization_id),
    FOREIGN KEY (company_id, tag_id) REFERENCES tags (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, organization_id) REFERENCES organizations (company_id, id)
        ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX organization_tags_organization
    ON organization_tags (company_id, organization_id, tag_id);
