-- Flame 0001: companies, users, memberships, billing, contacts, pipelines, sources, deals,
-- activities and the outbox. Every tenant table leads its primary key and its indexes with
-- company_id, and references other tenant rows through (company_id, id), so that a row can
-- never point into another company.
-- Ids are UUIDv7 (uuid); times are timestamptz in UTC; money is bigint minor units.

CREATE TABLE companies (
    id          uuid    NOT NULL PRIMARY KEY,
    name        text    NOT NULL,
    created_at  timestamptz    NOT NULL,
    updated_at  timestamptz    NOT NULL,
    version     bigint  NOT NULL
);

CREATE TABLE users (
    id          uuid    NOT NULL PRIMARY KEY,
    email       text    NOT NULL UNIQUE,
    name        text    NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz    NOT NULL,
    updated_at  timestamptz    NOT NULL,
    version     bigint  NOT NULL
);

CREATE TABLE memberships (
    company_id  uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id     uuid    NOT NULL REFERENCES users (id),
    role        text    NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'member', 'viewer')),
    created_at  timestamptz    NOT NULL,
    version     bigint  NOT NULL,
    PRIMARY KEY (company_id, user_id)
);

CREATE TABLE plans (
    id                  uuid    NOT NULL PRIMARY KEY,
    code                text    NOT NULL UNIQUE,
    name                text    NOT NULL,
    price_minor         bigint  NOT NULL CHECK (price_minor >= 0),
    currency            text    NOT NULL,
    billing_interval    text    NOT NULL CHECK (billing_interval IN ('month', 'year')),
    trial_days          integer NOT NULL CHECK (trial_days >= 0),
    limit_seats         integer,
    limit_contacts      integer,
    limit_deals         integer,
    limit_pipelines     integer,
    limit_integrations  integer,
    public              boolean NOT NULL,
    is_default          boolean NOT NULL DEFAULT false,
    created_at          timestamptz    NOT NULL,
    updated_at          timestamptz    NOT NULL,
    version             bigint  NOT NULL
);
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default;

-- The plan every new company starts its trial on; hosts adjust the catalog through the API.
INSERT INTO plans (id, code, name, price_minor, currency, billing_interval, trial_days,
                   limit_seats, limit_contacts, limit_deals, limit_pipelines, limit_integrations,
                   public, is_default, created_at, updated_at, version)
VALUES ('019abc00-0000-7000-8000-0000000000a1', 'starter', 'Starter', 0, 'USD', 'month', 14,
        3, 1000, 1000, 2, 2, true, true, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1);

CREATE TABLE subscriptions (
    company_id            uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id                    uuid    NOT NULL,
    plan_id               uuid    NOT NULL REFERENCES plans (id),
    status                text    NOT NULL
                          CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
    trial_ends_at         timestamptz,
    current_period_start  timestamptz    NOT NULL,
    current_period_end    timestamptz    NOT NULL,
    created_at            timestamptz    NOT NULL,
    updated_at            timestamptz    NOT NULL,
    version               bigint  NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE UNIQUE INDEX subscriptions_one_per_company ON subscriptions (company_id);

CREATE TABLE contacts (
    company_id    uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id            uuid    NOT NULL,
    first_name    text    NOT NULL,
    last_name     text,
    email         text,
    phone         text,
    organization  text,
    owner_id      uuid,
    search_name   text    NOT NULL,
    last_name_key text,
    created_at    timestamptz    NOT NULL,
    updated_at    timestamptz    NOT NULL,
    version       bigint  NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, owner_id) REFERENCES memberships (company_id, user_id)
);
CREATE INDEX contacts_search_name ON contacts (company_id, search_name text_pattern_ops);
CREATE INDEX contacts_last_name ON contacts (company_id, last_name_key text_pattern_ops);
CREATE INDEX contacts_email ON contacts (company_id, email text_pattern_ops);
CREATE INDEX contacts_phone ON contacts (company_id, phone text_pattern_ops);
CREATE INDEX contacts_owner ON contacts (company_id, owner_id);

CREATE TABLE pipelines (
    company_id  uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          uuid    NOT NULL,
    name        text    NOT NULL,
    name_key    text    NOT NULL,
    position    integer NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz    NOT NULL,
    updated_at  timestamptz    NOT NULL,
    version     bigint  NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, name_key)
);

CREATE TABLE stages (
    company_id   uuid    NOT NULL,
    id           uuid    NOT NULL,
    pipeline_id  uuid    NOT NULL,
    name         text    NOT NULL,
    position     integer NOT NULL,
    kind         text    NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    probability  integer NOT NULL CHECK (probability BETWEEN 0 AND 100),
    version      bigint  NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, pipeline_id, id),
    FOREIGN KEY (company_id, pipeline_id) REFERENCES pipelines (company_id, id) ON DELETE CASCADE
);
CREATE INDEX stages_pipeline ON stages (company_id, pipeline_id, position);

CREATE TABLE sources (
    company_id  uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          uuid    NOT NULL,
    name        text    NOT NULL,
    name_key    text    NOT NULL,
    created_at  timestamptz    NOT NULL,
    updated_at  timestamptz    NOT NULL,
    version     bigint  NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, name_key)
);

CREATE TABLE deals (
    company_id      uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id              uuid    NOT NULL,
    title           text    NOT NULL,
    amount_minor    bigint  NOT NULL CHECK (amount_minor >= 0),
    currency        text    NOT NULL,
    contact_id      uuid,
    pipeline_id     uuid    NOT NULL,
    stage_id        uuid    NOT NULL,
    source_id       uuid,
    assignee_id     uuid,
    status          text    NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    expected_close  date,
    lost_reason     text,
    closed_at       timestamptz,
    created_at      timestamptz    NOT NULL,
    updated_at      timestamptz    NOT NULL,
    version         bigint  NOT NULL,
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
    company_id   uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           uuid    NOT NULL,
    kind         text    NOT NULL
                 CHECK (kind IN ('note', 'task', 'call', 'message_in', 'message_out')),
    subject      text,
    body         text    NOT NULL,
    contact_id   uuid,
    deal_id      uuid,
    owner_id     uuid,
    due_at       timestamptz,
    done_at      timestamptz,
    occurred_at  timestamptz    NOT NULL,
    created_at   timestamptz    NOT NULL,
    updated_at   timestamptz    NOT NULL,
    version      bigint  NOT NULL,
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
    company_id      uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id              uuid    NOT NULL,
    event_type      text    NOT NULL,
    aggregate_type  text    NOT NULL,
    aggregate_id    uuid    NOT NULL,
    actor_id        uuid,
    payload         jsonb    NOT NULL,
    occurred_at     timestamptz    NOT NULL,
    published_at    timestamptz,
    PRIMARY KEY (company_id, id)
);
CREATE INDEX outbox_aggregate ON outbox (company_id, aggregate_type, aggregate_id, id);
CREATE INDEX outbox_unpublished ON outbox (company_id, published_at, id);
