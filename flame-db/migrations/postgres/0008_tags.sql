-- Flame 0008: tags. A company's tags are a vocabulary (`tags`, unique by `name_key`, the
-- lowercase name, in the "C" collation so that the list by name orders by code point as on
-- SQLite); contacts and deals carry them through one tagging table per kind, each keyed
-- (company_id, tag_id, record id): "the records of tag X, newest first" walks that key
-- backwards from a cursor and stops after a page, and "does record R carry tag Y" is one
-- probe of it. The second index reads a page's tags (and cascades a record's deletion).

CREATE TABLE tags (
    company_id  uuid    NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          uuid    NOT NULL,
    name        text    NOT NULL,
    name_key    text    COLLATE "C" NOT NULL,
    color       text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint  NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE UNIQUE INDEX tags_name_key ON tags (company_id, name_key);

CREATE TABLE contact_tags (
    company_id  uuid    NOT NULL,
    tag_id      uuid    NOT NULL,
    contact_id  uuid    NOT NULL,
    PRIMARY KEY (company_id, tag_id, contact_id),
    FOREIGN KEY (company_id, tag_id) REFERENCES tags (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, contact_id) REFERENCES contacts (company_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_tags_contact ON contact_tags (company_id, contact_id, tag_id);

CREATE TABLE deal_tags (
    company_id  uuid    NOT NULL,
    tag_id      uuid    NOT NULL,
    deal_id     uuid    NOT NULL,
    PRIMARY KEY (company_id, tag_id, deal_id),
    FOREIGN KEY (company_id, tag_id) REFERENCES tags (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, deal_id) REFERENCES deals (company_id, id) ON DELETE CASCADE
);
CREATE INDEX deal_tags_deal ON deal_tags (company_id, deal_id, tag_id);
