-- Flame 0004: contact search in O(page). A prefix search is ordered by the key it matches,
-- then by id, and resumes after a (key, id) cursor: each search index ends in id, so that one
-- index walk gives the range, the order and the seek position, and stops after a page.
-- SQLite compares these TEXT columns with BINARY (byte order of UTF-8, i.e. code point order).

DROP INDEX contacts_search_name;
DROP INDEX contacts_last_name;
DROP INDEX contacts_email;
DROP INDEX contacts_phone;

CREATE INDEX contacts_search_name ON contacts (company_id, search_name, id);
CREATE INDEX contacts_last_name ON contacts (company_id, last_name_key, id);
CREATE INDEX contacts_email ON contacts (company_id, email, id);
CREATE INDEX contacts_phone ON contacts (company_id, phone, id);
