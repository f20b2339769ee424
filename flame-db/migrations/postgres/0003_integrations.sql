-- Flame 0003: integrations. The four kinds (messaging, accounting, advertising, webhook)
-- with their settings and sealed credentials; channel identities and processed inbound
-- messages (for idempotency); ad leads and spend; accounting documents; webhook deliveries.
-- Ids are uuid; times are timestamptz in UTC; settings and documents are jsonb.
-- Defaults an integration points at (source, pipeline, assignee) are checked by the code when
-- the integration is saved and again when used, not by foreign keys: they may be deleted later,
-- and using them then is a clear error rather than a failed delete.

CREATE TABLE integrations (
    company_id           uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id                   uuid    NOT NULL,
    kind                 text    NOT NULL CHECK (kind IN ('messaging', 'accounting', 'advertising', 'webhook')),
    platform             text    NOT NULL,
    name                 text    NOT NULL,
    name_key             text    NOT NULL,
    enabled              boolean NOT NULL,
    settings             jsonb    NOT NULL,
    credential_fields    text    NOT NULL,
    created_at           timestamptz    NOT NULL,
    updated_at           timestamptz    NOT NULL,
    version              bigint  NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE UNIQUE INDEX integrations_name ON integrations (company_id, name_key);
CREATE INDEX integrations_kind ON integrations (company_id, kind, enabled);

-- Credentials: AES-256-GCM ciphertext with its key id, bound to (company, integration, field).
CREATE TABLE integration_secrets (
    company_id      uuid    NOT NULL,
    integration_id  uuid    NOT NULL,
    field           text    NOT NULL,
    sealed          text    NOT NULL,
    key_id          text    NOT NULL,
    updated_at      timestamptz    NOT NULL,
    PRIMARY KEY (company_id, integration_id, field),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE INDEX integration_secrets_key ON integration_secrets (key_id, company_id, integration_id, field);

-- Who a contact is on a messaging platform (a Telegram user id, a WhatsApp number).
CREATE TABLE channel_identities (
    company_id      uuid    NOT NULL,
    platform        text    NOT NULL,
    external_id     text    NOT NULL,
    contact_id      uuid    NOT NULL,
    integration_id  uuid    NOT NULL,
    created_at      timestamptz    NOT NULL,
    PRIMARY KEY (company_id, platform, external_id),
    FOREIGN KEY (company_id, contact_id) REFERENCES contacts (company_id, id)
);
CREATE INDEX channel_identities_contact ON channel_identities (company_id, contact_id);

-- Every inbound message processed, so that a redelivered webhook changes nothing.
CREATE TABLE inbound_messages (
    company_id      uuid    NOT NULL,
    integration_id  uuid    NOT NULL,
    external_id     text    NOT NULL,
    contact_id      uuid,
    deal_id         uuid,
    activity_id     uuid,
    received_at     timestamptz    NOT NULL,
    PRIMARY KEY (company_id, integration_id, external_id),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);

-- Leads from ad platforms, with their campaign and UTM parameters (the deal's attribution).
CREATE TABLE leads (
    company_id      uuid    NOT NULL,
    id              uuid    NOT NULL,
    integration_id  uuid    NOT NULL,
    external_id     text    NOT NULL,
    contact_id      uuid,
    deal_id         uuid,
    source_id       uuid,
    campaign        text,
    utm_source      text,
    utm_medium      text,
    utm_campaign    text,
    utm_content     text,
    utm_term        text,
    received_at     timestamptz    NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX leads_external ON leads (company_id, integration_id, external_id);
CREATE INDEX leads_deal ON leads (company_id, deal_id);
CREATE INDEX leads_source ON leads (company_id, source_id);

-- Ad spend per campaign and day, attributed to a lead source.
CREATE TABLE ad_spend (
    company_id      uuid    NOT NULL,
    integration_id  uuid    NOT NULL,
    campaign        text    NOT NULL,
    day             date    NOT NULL,
    source_id       uuid,
    amount_minor    bigint  NOT NULL CHECK (amount_minor >= 0),
    currency        text    NOT NULL,
    updated_at      timestamptz    NOT NULL,
    PRIMARY KEY (company_id, integration_id, campaign, day),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE INDEX ad_spend_source ON ad_spend (company_id, source_id, day);

-- Invoice documents for accounting systems: exactly one per deal and integration.
CREATE TABLE accounting_documents (
    company_id      uuid    NOT NULL,
    id              uuid    NOT NULL,
    integration_id  uuid    NOT NULL,
    deal_id         uuid    NOT NULL,
    status          text    NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    document        jsonb    NOT NULL,
    failure_reason  text,
    created_at      timestamptz    NOT NULL,
    updated_at      timestamptz    NOT NULL,
    version         bigint  NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX accounting_documents_deal ON accounting_documents (company_id, integration_id, deal_id);
CREATE INDEX accounting_documents_status ON accounting_documents (company_id, status, id);

-- One row per (webhook, event): what the delivery worker sends, retries and dead-letters.
CREATE TABLE webhook_deliveries (
    company_id       uuid    NOT NULL,
    id               uuid    NOT NULL,
    integration_id   uuid    NOT NULL,
    event_id         uuid    NOT NULL,
    event_type       text    NOT NULL,
    aggregate_type   text    NOT NULL,
    aggregate_id     uuid    NOT NULL,
    status           text    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL,
    next_attempt_at  timestamptz    NOT NULL,
    last_error       text,
    last_status      integer,
    delivered_at     timestamptz,
    created_at       timestamptz    NOT NULL,
    updated_at       timestamptz    NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (company_id, integration_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (company_id, integration_id, aggregate_type, aggregate_id, status, id);

-- The dispatcher scans events not yet fanned out to webhooks, across companies.
CREATE INDEX outbox_dispatch ON outbox (published_at, occurred_at);
