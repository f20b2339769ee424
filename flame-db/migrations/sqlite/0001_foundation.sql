-- Flame 0001: companies, users, memberships, billing, contacts, pipelines, sources, deals,
-- activities and the outbox. Every tenant table leads its primary key and its indexes with
-- company_id, and references other tenant rows through (company_id, id), so that a row can
-- never point into another company.
-- Ids are UUIDv7 as 16-byte BLOBs; times are UTC RFC 3339 text of fixed width.

CREATE TABLE companies (
    id          BLOB    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL
);

CREATE TABLE users (
    id          BLOB    NOT NULL PRIMARY KEY,
    email       TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL
);

CREATE TABLE memberships (
    company_id  BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id     BLOB    NOT NULL REFERENCES users (id),
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'member', 'viewer')),
    created_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (company_id, user_id)
);

CREATE TABLE plans (
    id                  BLOB    NOT NULL PRIMARY KEY,
    code                TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    price_minor         INTEGER NOT NULL CHECK (price_minor >= 0),
    currency            TEXT    NOT NULL,
    billing_interval    TEXT    NOT NULL CHECK (billing_interval IN ('month', 'year')),
    trial_days          INTEGER NOT NULL CHECK (trial_days >= 0),
    limit_seats         INTEGER,
    limit_contacts      INTEGER,
    limit_deals         INTEGER,
    limit_pipelines     INTEGER,
    limit_integrations  INTEGER,
    public              INTEGER NOT NULL,
    is_default          INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    version             INTEGER NOT NULL
);
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default = 1;

-- The plan every new company starts its trial on; hosts adjust the catalog through the API.
INSERT INTO plans (id, code, name, price_minor, currency, billing_interval, trial_days,
                   limit_seats, limit_contacts, limit_deals, limit_pipelines, limit_integrations,
                   public, is_default, created_at, updated_at, version)
VALUES (X'019ABC000000700080000000000000A1', 'starter', 'Starter', 0, 'USD', 'month', 14,
        3, 1000, 1000, 2, 2, 1, 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', 1);

CREATE TABLE subscriptions (
    company_id            BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id                    BLOB    NOT NULL,
    plan_id               BLOB    NOT NULL REFERENCES plans (id),
    status                TEXT    NOT NULL
                          CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
    trial_ends_at         TEXT,
    current_period_start  TEXT    NOT NULL,
    current_period_end    TEXT    NOT NULL,
    created_at            TEXT    NOT NULL,
    updated_at            TEXT    NOT NULL,
    version               INTEGER NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE UNIQUE INDEX subscriptions_one_per_company ON subscriptions (company_id);

CREATE TABLE contacts (
    company_id    BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id            BLOB    NOT NULL,
    first_name    TEXT    NOT NULL,
    last_name     TEXT,
    email         TEXT,
    phone         TEXT,
    organization  TEXT,
    owner_id      BLOB,
    search_name   TEXT    NOT NULL,
    last_name_key TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, owner_id) REFERENCES memberships (company_id, user_id)
);
CREATE INDEX contacts_search_name ON contacts (company_id, search_name);
CREATE INDEX contacts_last_name ON contacts (company_id, last_name_key);
CREATE INDEX contacts_email ON contacts (company_id, email);
CREATE INDEX contacts_phone ON contacts (company_id, phone);
CREATE INDEX contacts_owner ON contacts (company_id, owner_id);

CREATE TABLE pipelines (
    company_id  BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          BLOB    NOT NULL,
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, name_key)
);

CREATE TABLE stages (
    company_id   BLOB    NOT NULL,
    id           BLOB    NOT NULL,
    pipeline_id  BLOB    NOT NULL,
    name         TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    probability  INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    version      INTEGER NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, pipeline_id, id),
    FOREIGN KEY (company_id, pipeline_id) REFERENCES pipelines (company_id, id) ON DELETE CASCADE
);
CREATE INDEX stages_pipeline ON stages (company_id, pipeline_id, position);

CREATE TABLE sources (
    company_id  BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          BLOB    NOT NULL,
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, name_key)
);

CREATE TABLE deals (
    company_id      BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id              BLOB    NOT NULL,
    title           TEXT    NOT NULL,
    amount_minor    INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency        TEXT    NOT NULL,
    contact_id      BLOB,
    pipeline_id     BLOB    NOT NULL,
    stage_id        BLOB    NOT NULL,
    source_id       BLOB,
    assignee_id     BLOB,
    status          TEXT    NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    expected_close  TEXT,
    lost_reason     TEXT,
    closed_at       TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    PRIMARY KEY (company_id, id),
    CHECK ((status = 'lost') = (lost_reason IS NOT NULL)),
    FOREIGN KEY (company_id, contact_id) REFERENCES contacts (company_id, id),
    FOREIGN KEY (company_id, pipeline_id, stage_id) REFERENCES stages (company_id, pipeline_id, id),
    FOREIGN KEY (company_id, source_id) REFERENCES sources (company_id, id),
    FOREIGN KEY (company_id, assignee_id) REFERENCES memberships (company_id, user_id)
);
CREATE INDEX deals_stage ON deals (company_id, stage_id, id);
CREATE INDEX deals_pipeline ON deals (company_id, pipeline_id, id);
CREATE INDEX deals_status ON deals (company_id, status, id);
CREATE INDEX deals_assignee ON deals (company_id, assignee_id, id);
CREATE INDEX deals_source ON deals (company_id, source_id, id);
CREATE INDEX deals_contact ON deals (company_id, contact_id, id);

CREATE TABLE activities (
    company_id   BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           BLOB    NOT NULL,
    kind         TEXT    NOT NULL
                 CHECK (kind IN ('note', 'task', 'call', 'message_in', 'message_out')),
    subject      TEXT,
    body         TEXT    NOT NULL,
    contact_id   BLOB,
    deal_id      BLOB,
    owner_id     BLOB,
    due_at       TEXT,
    done_at      TEXT,
    occurred_at  TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    PRIMARY KEY (company_id, id),
    CHECK (contact_id IS NOT NULL OR deal_id IS NOT NULL),
    FOREIGN KEY (company_id, contact_id) REFERENCES contacts (company_id, id),
    FOREIGN KEY (company_id, deal_id) REFERENCES deals (company_id, id),
    FOREIGN KEY (company_id, owner_id) REFERENCES memberships (company_id, user_id)
);
CREATE INDEX activities_contact ON activities (company_id, contact_id, id);
CREATE INDEX activities_deal ON activities (company_id, deal_id, id);
CREATE INDEX activities_tasks_due ON activities (company_id, kind, done_at, due_at);

CREATE TABLE outbox (
    company_id      BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id              BLOB    NOT NULL,
    event_type      TEXT    NOT NULL,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    BLOB    NOT NULL,
    actor_id        BLOB,
    payload         TEXT    NOT NULL,
    occurred_at     TEXT    NOT NULL,
    published_at    TEXT,
    PRIMARY KEY (company_id, id)
);
CREATE INDEX outbox_aggregate ON outbox (company_id, aggregate_type, aggregate_id, id);
CREATE INDEX outbox_unpublished ON outbox (company_id, published_at, id);
