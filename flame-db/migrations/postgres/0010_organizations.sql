-- Flame 0010: organizations, the companies a company sells to. Contacts belong to at most one
-- (organization_id) and deals may name one. The free-text contacts.organization is migrated
-- into organizations once, here, and then dropped:
--   1. this first half creates the table and the new columns;
--   2. at the marker below, Flame's migration step (flame-db/src/schema.rs,
--      `backfill_organizations`) creates one organization per distinct (company, trimmed
--      text), compared case-insensitively with Rust's Unicode lowercase (the same on both
--      engines, whatever the database's collation), owned by the first contact's owner (or
--      the company's first owner), and points every contact that had the text at it; blank
--      texts carried no value;
--   3. the second half counts the organizations in company_usage and drops the text column.
-- All three run in the migration's one transaction: a failure leaves the database at 0009.
-- Name keys and domains take the "C" collation (code point order, as on SQLite), so that
-- prefix ranges and ORDER BY use the indexes.

ALTER TABLE plans ADD COLUMN limit_organizations integer;
ALTER TABLE company_usage ADD COLUMN organizations bigint NOT NULL DEFAULT 0
    CHECK (organizations >= 0);

CREATE TABLE organizations (
    company_id   uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           uuid    NOT NULL,
    name         text    NOT NULL,
    name_key     text    COLLATE "C" NOT NULL,
    domain       text    COLLATE "C",
    phone        text,
    street       text,
    city         text,
    region       text,
    postal_code  text,
    country      text,
    website      text,
    industry     text,
    size         text    CHECK (size IN ('1-10', '11-50', '51-200', '201-1000', '1000+')),
    owner_id     uuid,
    custom       jsonb   NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint  NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, owner_id) REFERENCES memberships (company_id, user_id)
);
CREATE INDEX organizations_name ON organizations (company_id, name_key, id);
CREATE UNIQUE INDEX organizations_domain ON organizations (company_id, domain);
CREATE INDEX organizations_owner ON organizations (company_id, owner_id, name_key, id);

ALTER TABLE contacts ADD COLUMN organization_id uuid;
ALTER TABLE contacts ADD FOREIGN KEY (company_id, organization_id)
    REFERENCES organizations (company_id, id);
ALTER TABLE deals ADD COLUMN organization_id uuid;
ALTER TABLE deals ADD FOREIGN KEY (company_id, organization_id)
    REFERENCES organizations (company_id, id);
CREATE INDEX contacts_organization ON contacts (company_id, organization_id, id);
CREATE INDEX deals_organization ON deals (company_id, organization_id, id);

-- flame:backfill-organizations

UPDATE company_usage SET organizations =
    (SELECT COUNT(*) FROM organizations o WHERE o.company_id = company_usage.company_id);
ALTER TABLE contacts DROP COLUMN organization;

-- Organizations carry tags and custom values like contacts and deals (0008, 0009).
CREATE TABLE organization_tags (
    company_id       uuid    NOT NULL,
    tag_id           uuid    NOT NULL,
    organization_id  uuid    NOT NULL,
    PRIMARY KEY (company_id, tag_id, organization_id),
    FOREIGN KEY (company_id, tag_id) REFERENCES tags (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, organization_id) REFERENCES organizations (company_id, id)
        ON DELETE CASCADE
);
CREATE INDEX organization_tags_organization
    ON organization_tags (company_id, organization_id, tag_id);
