-- Flame 0004: contact search in O(page). A prefix search is ordered by the key it matches,
-- then by id, and resumes after a (key, id) cursor: each search index ends in id, so that one
-- index walk gives the range, the order and the seek position, and stops after a page.
-- The keys take the "C" collation (byte order of UTF-8, i.e. code point order, as on SQLite):
-- the queries' plain comparisons and ORDER BY then use these indexes whatever the database's
-- default collation (text_pattern_ops indexes served LIKE but not ORDER BY). Equality, which
-- the other lookups by email and phone use, is the same in every deterministic collation.

DROP INDEX contacts_search_name;
DROP INDEX contacts_last_name;
DROP INDEX contacts_email;
DROP INDEX contacts_phone;

ALTER TABLE contacts
    ALTER COLUMN search_name TYPE text COLLATE "C",
    ALTER COLUMN last_name_key TYPE text COLLATE "C",
    ALTER COLUMN email TYPE text COLLATE "C",
    ALTER COLUMN phone TYPE text COLLATE "C";

CREATE INDEX contacts_search_name ON contacts (company_id, search_name, id);
CREATE INDEX contacts_last_name ON contacts (company_id, last_name_key, id);
CREATE INDEX contacts_email ON contacts (company_id, email, id);
CREATE INDEX contacts_phone ON contacts (company_id, phone, id);
