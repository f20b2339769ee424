-- Flame 0009: custom fields. Admins define fields per entity (contact, organization, deal);
-- a record keeps its values in its own `custom` column, keyed by field id, and each value is
-- indexed in `custom_values` by an order-preserving text key (flame-core's
-- `CustomValue::index_keys`), one row per option of a multi-select. The primary key serves
-- equality and range filters, and walks a key's records newest first; the second index
-- serves the per-record probes and deletes. value_key takes the "C" collation so that its
-- order is the byte order flame-core's keys are built for (as on SQLite).

CREATE TABLE custom_fields (
    company_id  uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          uuid        NOT NULL,
    entity      text        NOT NULL,
    key         text        NOT NULL,
    label       text        NOT NULL,
    kind        text        NOT NULL,
    options     jsonb       NOT NULL,
    required    boolean     NOT NULL,
    position    integer     NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, entity, key)
);

CREATE TABLE custom_values (
    company_id  uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    field_id    uuid    NOT NULL,
    value_key   text    COLLATE "C" NOT NULL,
    record_id   uuid    NOT NULL,
    PRIMARY KEY (company_id, field_id, value_key, record_id),
    FOREIGN KEY (company_id, field_id) REFERENCES custom_fields (company_id, id) ON DELETE CASCADE
);
CREATE INDEX custom_values_by_record ON custom_values (company_id, record_id, field_id, value_key);

ALTER TABLE contacts ADD COLUMN custom jsonb NOT NULL DEFAULT '{}';
ALTER TABLE deals ADD COLUMN custom jsonb NOT NULL DEFAULT '{}';
