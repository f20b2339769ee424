-- Flame 0009: custom fields. Admins define fields per entity (contact, organization, deal);
-- a record keeps its values in its own `custom` column (JSON text), keyed by field id, and
-- each value is indexed in `custom_values` by an order-preserving text key (flame-core's
-- `CustomValue::index_keys`), one row per option of a multi-select. The primary key serves
-- equality and range filters, and walks a key's records newest first; the second index
-- serves the per-record probes and deletes. SQLite compares TEXT with BINARY (byte order).

CREATE TABLE custom_fields (
    company_id  BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          BLOB    NOT NULL,
    entity      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    options     TEXT    NOT NULL,
    required    INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, entity, key)
);

CREATE TABLE custom_values (
    company_id  BLOB    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    field_id    BLOB    NOT NULL,
    value_key   TEXT    NOT NULL,
    record_id   BLOB    NOT NULL,
    PRIMARY KEY (company_id, field_id, value_key, record_id),
    FOREIGN KEY (company_id, field_id) REFERENCES custom_fields (company_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX custom_values_by_record ON custom_values (company_id, record_id, field_id, value_key);

ALTER TABLE contacts ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
ALTER TABLE deals ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
