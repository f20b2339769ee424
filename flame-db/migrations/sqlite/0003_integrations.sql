-- Flame 0003: integrations. The four kinds (messaging, accounting, advertising, webhook)
-- with their settings and sealed credentials; channel identities and processed inbound
-- messages (for idempotency); ad leads and spend; accounting documents; webhook deliveries.
-- Ids are UUIDv7 as 16-byte BLOBs; times are UTC RFC 3339 text of fixed width; JSON is text.
-- Defaults an integration points at (source, pipeline, assignee) are checked by the code when
-- the integration is saved and again when used, not by foreign keys: they may be deleted later,
-- and using them then is a clear error rather than a failed delete.

CREATE TABLE integrations (
    company_id           BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id                   BLOB    NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('messaging', 'accounting', 'advertising', 'webhook')),
    platform             TEXT    NOT NULL,
    name                 TEXT    NOT NULL,
    name_key             TEXT    NOT NULL,
    enabled              INTEGER NOT NULL,
    settings             TEXT    NOT NULL,
    credential_fields    TEXT    NOT NULL,
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    version              INTEGER  NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE UNIQUE INDEX integrations_name ON integrations (company_id, name_key);
CREATE INDEX integrations_kind ON integrations (company_id, kind, enabled);

-- Credentials: AES-256-GCM ciphertext with its key id, bound to (company, integration, field).
CREATE TABLE integration_secrets (
    company_id      BLOB    NOT NULL,
    integration_id  BLOB    NOT NULL,
    field           TEXT    NOT NULL,
    sealed          TEXT    NOT NULL,
    key_id          TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (company_id, integration_id, field),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE INDEX integration_secrets_key ON integration_secrets (key_id, company_id, integration_id, field);

-- Who a contact is on a messaging platform (a Telegram user id, a WhatsApp number).
CREATE TABLE channel_identities (
    company_id      BLOB    NOT NULL,
    platform        TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    contact_id      BLOB    NOT NULL,
    integration_id  BLOB    NOT NULL,
    created_at      TEXT    NOT NULL,
    PRIMARY KEY (company_id, platform, external_id),
    FOREIGN KEY (company_id, contact_id) REFERENCES contacts (company_id, id)
);
CREATE INDEX channel_identities_contact ON channel_identities (company_id, contact_id);

-- Every inbound message processed, so that a redelivered webhook changes nothing.
CREATE TABLE inbound_messages (
    company_id      BLOB    NOT NULL,
    integration_id  BLOB    NOT NULL,
    external_id     TEXT    NOT NULL,
    contact_id      BLOB,
    deal_id         BLOB,
    activity_id     BLOB,
    received_at     TEXT    NOT NULL,
    PRIMARY KEY (company_id, integration_id, external_id),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);

-- Leads from ad platforms, with their campaign and UTM parameters (the deal's attribution).
CREATE TABLE leads (
    company_id      BLOB    NOT NULL,
    id              BLOB    NOT NULL,
    integration_id  BLOB    NOT NULL,
    external_id     TEXT    NOT NULL,
    contact_id      BLOB,
    deal_id         BLOB,
    source_id       BLOB,
    campaign        TEXT,
    utm_source      TEXT,
    utm_medium      TEXT,
    utm_campaign    TEXT,
    utm_content     TEXT,
    utm_term        TEXT,
    received_at     TEXT    NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX leads_external ON leads (company_id, integration_id, external_id);
CREATE INDEX leads_deal ON leads (company_id, deal_id);
CREATE INDEX leads_source ON leads (company_id, source_id);

-- Ad spend per campaign and day, attributed to a lead source.
CREATE TABLE ad_spend (
    company_id      BLOB    NOT NULL,
    integration_id  BLOB    NOT NULL,
    campaign        TEXT    NOT NULL,
    day             TEXT    NOT NULL,
    source_id       BLOB,
    amount_minor    INTEGER  NOT NULL CHECK (amount_minor >= 0),
    currency        TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (company_id, integration_id, campaign, day),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE INDEX ad_spend_source ON ad_spend (company_id, source_id, day);

-- Invoice documents for accounting systems: exactly one per deal and integration.
CREATE TABLE accounting_documents (
    company_id      BLOB    NOT NULL,
    id              BLOB    NOT NULL,
    integration_id  BLOB    NOT NULL,
    deal_id         BLOB    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    document        TEXT    NOT NULL,
    failure_reason  TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    version         INTEGER  NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX accounting_documents_deal ON accounting_documents (company_id, integration_id, deal_id);
CREATE INDEX accounting_documents_status ON accounting_documents (company_id, status, id);

-- One row per (webhook, event): what the delivery worker sends, retries and dead-letters.
CREATE TABLE webhook_deliveries (
    company_id       BLOB    NOT NULL,
    id               BLOB    NOT NULL,
    integration_id   BLOB    NOT NULL,
    event_id         BLOB    NOT NULL,
    event_type       TEXT    NOT NULL,
    aggregate_type   TEXT    NOT NULL,
    aggregate_id     BLOB    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  TEXT    NOT NULL,
    last_error       TEXT,
    last_status      INTEGER,
    delivered_at     TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, integration_id) REFERENCES integrations (company_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (company_id, integration_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (company_id, integration_id, aggregate_type, aggregate_id, status, id);

-- The dispatcher scans events not yet fanned out to webhooks, across companies.
CREATE INDEX outbox_dispatch ON outbox (published_at, occurred_at);
