//! The raw side of the operations on organizations, tags and custom fields: the statements
//! Flame sends for them, copied from flame-db, through rusqlite and through sqlx.
//!
//! | operation | what Flame sends (and the raw side sends) |
//! |---|---|
//! | `create_organization` | `BEGIN IMMEDIATE`; the session's standing (`session.rs`, `read_standing`); the organization field definitions (`custom_field::load`); the usage reservation (`usage::reserve`, `UPDATE … RETURNING`); the domain check (`ensure_domain_free`); the insert (`org_link::insert`); the `organization.created` event (`outbox::record`); `COMMIT` |
//! | `get_organization` | the definitions; the row by id; its tag names (`tag::names_of`) |
//! | `list_organizations` | the definitions; `… WHERE company_id = $1 AND name_key >= $2 AND name_key < $3 ORDER BY name_key, id LIMIT 51`; the page's tag names |
//! | `list_contacts_by_tag` | the contact definitions; the tag's id by its key (`tag::resolve`); the walk of its taggings newest first, each joined to its contact (`Search::newest_first`); the page's tag names |
//! | `list_contacts_by_select` | the definitions; the walk of the option's `custom_values` key newest first, each joined to its contact (`Search::by_custom_value`, `Narrowing::drive`); the page's tag names |
//! | `list_contacts_sorted_by_field` | the definitions; the walk of the field's `custom_values` keys in order, each joined to its contact (`SortWalk::page`), then — only when those run out before 51 — the contacts without a value; the page's tag names |
//!
//! Reads outside a transaction also pay, in Flame, a re-read of the session's standing once
//! every 5 seconds (`OpenOptions::session_recheck`); the raw side does not.

use std::collections::HashMap;

use super::*;

/// The columns of a custom field definition, as `custom_field.rs` reads them.
const FIELD_COLUMNS: &str =
    "SELECT company_id, id, entity, key, label, kind, options, required, position,
        created_at, updated_at, version FROM custom_fields";

/// The company's field definitions of one entity (`custom_field::load`).
pub(crate) fn load_fields_sql() -> String {
    format!("{FIELD_COLUMNS} WHERE company_id = $1 AND entity = $2 ORDER BY position, key")
}

/// The session's standing, read inside every write transaction (`session::read_standing`,
/// for a login session).
const STANDING: &str = "SELECT u.active, u.platform_admin, m.role, s.status, s.trial_ends_at,
        a.revoked_at, a.expires_at FROM auth_sessions a
         JOIN users u ON u.id = a.user_id
         LEFT JOIN memberships m ON m.company_id = a.company_id AND m.user_id = a.user_id
         LEFT JOIN subscriptions s ON s.company_id = a.company_id
         WHERE a.id = $1 AND a.company_id = $2 AND a.user_id = $3";

/// The columns an organization is read from (`org_link.rs`, `fields!`).
const ORGANIZATION_FIELDS: &str =
    "company_id, id, name, domain, phone, street, city, region, postal_code, country,
        website, industry, size, owner_id, custom, created_at, updated_at, version";

const RESERVE_ORGANIZATION: &str =
    "UPDATE company_usage SET organizations = organizations + $2 WHERE company_id = $1
                 RETURNING organizations, (SELECT p.limit_organizations FROM subscriptions s
                                   JOIN plans p ON p.id = s.plan_id
                                   WHERE s.company_id = company_usage.company_id) AS allowed";

const DOMAIN_TAKEN: &str =
    "SELECT id FROM organizations WHERE company_id = $1 AND domain = $2 AND id <> $3";

/// The ids of tags by their keys (`tag::resolve`, one key).
const RESOLVE_TAG: &str =
    "SELECT id, name_key FROM tags WHERE company_id = $1 AND name_key IN ($2)";

/// The columns a contact is read from since custom fields (`contact.rs`, `fields!`).
const CONTACT_FIELDS: &str =
    "company_id, id, first_name, last_name, email, phone, organization_id, owner_id, custom,
        created_at, updated_at, version";

fn organization_columns() -> String {
    format!("SELECT {ORGANIZATION_FIELDS} FROM organizations")
}

fn insert_organization_sql() -> String {
    format!(
        "INSERT INTO organizations ({ORGANIZATION_FIELDS}, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
             $15, $16, $17, $18, $19)"
    )
}

/// `fields` read from the table aliased `alias`, each under its own name (`tag::qualified`).
fn qualified(fields: &str, alias: &str) -> String {
    fields
        .split(',')
        .map(str::trim)
        .map(|f| format!("{alias}.{f} AS {f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first page of organizations whose name key starts with a prefix (`$2`..`$3`).
pub(crate) fn list_organizations_sql() -> String {
    format!(
        "{} WHERE company_id = $1 AND name_key >= $2 AND name_key < $3 ORDER BY name_key, id LIMIT $4",
        organization_columns()
    )
}

/// The tag names of `n` records of the tagging table `table` (`tag::names_of`).
fn tag_names_sql(table: &str, column: &str, n: usize) -> String {
    let ids = (2..n + 2).map(|k| format!("${k}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT x.{column} AS record_id, t.name AS name FROM {table} x
         JOIN tags t ON t.company_id = x.company_id AND t.id = x.tag_id
         WHERE x.company_id = $1 AND x.{column} IN ({ids})"
    )
}

/// The first page of the contacts carrying tag `$2`, newest first (`Search::newest_first`).
pub(crate) fn contacts_by_tag_sql() -> String {
    format!(
        "SELECT {} FROM contact_tags t CROSS JOIN contacts
             WHERE t.company_id = $1 AND t.tag_id = $2
               AND contacts.company_id = $1 AND contacts.id = t.contact_id ORDER BY t.contact_id DESC LIMIT $3",
        qualified(CONTACT_FIELDS, "contacts")
    )
}

/// The first page of the contacts whose field `$2` has the index key `$3`, newest first
/// (`Search::by_custom_value` with `Narrowing::drive`).
pub(crate) fn contacts_by_value_sql() -> String {
    "SELECT contacts.* FROM custom_values JOIN contacts contacts ON contacts.company_id = custom_values.company_id
               AND contacts.id = custom_values.record_id
             WHERE custom_values.company_id = $1 AND custom_values.field_id = $2
               AND custom_values.value_key = $3 ORDER BY custom_values.record_id DESC LIMIT $4"
        .to_owned()
}

/// The first page of the contacts that have a value of field `$2`, in the order of its index
/// keys (`SortWalk::page`, first walk).
pub(crate) fn contacts_sorted_sql(descending: bool) -> String {
    let d = if descending { "DESC" } else { "ASC" };
    format!(
        "SELECT {}, cv.value_key AS sort_key FROM custom_values cv
                 JOIN contacts r ON r.company_id = cv.company_id AND r.id = cv.record_id
                 WHERE cv.company_id = $1 AND cv.field_id = $2 ORDER BY cv.value_key {d}, cv.record_id {d} LIMIT $3",
        qualified(CONTACT_FIELDS, "r")
    )
}

/// The contacts without a value of field `$2`, by id (`SortWalk::page`, second walk).
fn contacts_unvalued_sql(descending: bool) -> String {
    let d = if descending { "DESC" } else { "ASC" };
    format!(
        "SELECT {} FROM contacts r WHERE r.company_id = $1
                   AND NOT EXISTS (SELECT 1 FROM custom_values cv WHERE cv.company_id = r.company_id
                   AND cv.record_id = r.id AND cv.field_id = $2) ORDER BY r.id {d} LIMIT $3",
        qualified(CONTACT_FIELDS, "r")
    )
}

fn organization_created_event(id: Uuid) -> String {
    format!(r#"{{"organization_id":"{id}","type":"organization.created"}}"#)
}

/// What a listed record comes back as on the raw side: its id and its tag names.
pub(crate) type Listed = Vec<(Uuid, Vec<String>)>;

/// A field definition as the raw runners decode it.
#[derive(Debug, Clone)]
pub(crate) struct RawField {
    id: Uuid,
    key: String,
}

/// An organization row as the raw runners decode it.
#[derive(Debug, Clone)]
pub struct RawOrganization {
    /// `id`.
    pub id: Uuid,
    /// `name`.
    pub name: String,
    /// `domain`.
    pub domain: Option<String>,
    /// `owner_id`.
    pub owner_id: Option<Uuid>,
    /// `version`.
    pub version: i64,
}

/// An organization to create, as the raw runners bind it: what Flame derives from the input
/// (the name key; the normalized domain, phone and website, which the generator already
/// writes in their stored forms), worked out before the clock starts.
#[derive(Debug, Clone)]
pub(crate) struct RawNewOrganization {
    company: Company,
    name_key: String,
}

impl RawNewOrganization {
    pub(crate) fn new(company: Company) -> Self {
        Self { name_key: company.name_key(), company }
    }
}

/// Sorts each record's tag names as `tag::names_of` does (by key, then as written).
fn sort_names(names: &mut HashMap<Uuid, Vec<String>>) {
    for list in names.values_mut() {
        list.sort_by_cached_key(|n| (n.trim().to_lowercase(), n.clone()));
    }
}

/// Pairs each id with its tag names.
fn listed(ids: Vec<Uuid>, mut names: HashMap<Uuid, Vec<String>>) -> Listed {
    ids.into_iter().map(|id| (id, names.remove(&id).unwrap_or_default())).collect()
}

// --- rusqlite -----------------------------------------------------------------------------

/// The statements of this module with their placeholders numbered for SQLite
/// ([`sqlite_numbered`]), worked out once when the runner opens (Flame's SQLite layer does it
/// per statement; the raw side is the limit, so it does not).
#[derive(Debug)]
pub(crate) struct SqliteTexts {
    standing: String,
    fields: String,
    reserve: String,
    domain_taken: String,
    insert: String,
    organization: String,
    organizations: String,
    resolve: String,
    by_tag: String,
    by_value: String,
    sorted: [String; 2],
    unvalued: [String; 2],
}

impl SqliteTexts {
    pub(crate) fn new() -> Self {
        let n = |sql: &str| sqlite_numbered(sql);
        Self {
            standing: n(STANDING),
            fields: n(&load_fields_sql()),
            reserve: n(RESERVE_ORGANIZATION),
            domain_taken: n(DOMAIN_TAKEN),
            insert: n(&insert_organization_sql()),
            organization: n(&by_id(&organization_columns())),
            organizations: n(&list_organizations_sql()),
            resolve: n(RESOLVE_TAG),
            by_tag: n(&contacts_by_tag_sql()),
            by_value: n(&contacts_by_value_sql()),
            sorted: [n(&contacts_sorted_sql(false)), n(&contacts_sorted_sql(true))],
            unvalued: [n(&contacts_unvalued_sql(false)), n(&contacts_unvalued_sql(true))],
        }
    }
}

fn sqlite_field(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawField> {
    let _company = blob_uuid(row, 0)?;
    let _entity: String = row.get(2)?;
    let _label: String = row.get(4)?;
    let _kind: String = row.get(5)?;
    let _options: String = row.get(6)?;
    let _required: i64 = row.get(7)?;
    let _position: i64 = row.get(8)?;
    let _created: String = row.get(9)?;
    let _updated: String = row.get(10)?;
    let _version: i64 = row.get(11)?;
    Ok(RawField { id: blob_uuid(row, 1)?, key: row.get(3)? })
}

fn sqlite_organization(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawOrganization> {
    let _company = blob_uuid(row, 0)?;
    for col in [4, 5, 6, 7, 8, 9, 10, 11, 12] {
        let _text: Option<String> = row.get(col)?;
    }
    let _custom: String = row.get(14)?;
    let _created: String = row.get(15)?;
    let _updated: String = row.get(16)?;
    Ok(RawOrganization {
        id: blob_uuid(row, 1)?,
        name: row.get(2)?,
        domain: row.get(3)?,
        owner_id: opt_blob_uuid(row, 13)?,
        version: row.get(17)?,
    })
}

/// A contact read by [`CONTACT_FIELDS`].
fn sqlite_contact_fields(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawContact> {
    let _company = blob_uuid(row, 0)?;
    let _custom: String = row.get(8)?;
    let _created: String = row.get(9)?;
    let _updated: String = row.get(10)?;
    Ok(RawContact {
        id: blob_uuid(row, 1)?,
        first_name: row.get(2)?,
        last_name: row.get(3)?,
        email: row.get(4)?,
        phone: row.get(5)?,
        organization_id: opt_blob_uuid(row, 6)?,
        owner_id: opt_blob_uuid(row, 7)?,
        version: row.get(11)?,
    })
}

/// A contact read by `contacts.*`: by column name, as Flame reads it.
fn sqlite_contact_named(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawContact> {
    let uuid = |name: &str| -> rusqlite::Result<Option<Uuid>> {
        let b: Option<Vec<u8>> = row.get(name)?;
        b.map(|b| Uuid::from_slice(&b).map_err(|_| rusqlite::Error::InvalidColumnName(name.into())))
            .transpose()
    };
    let _company = uuid("company_id")?;
    let _custom: String = row.get("custom")?;
    let _created: String = row.get("created_at")?;
    let _updated: String = row.get("updated_at")?;
    Ok(RawContact {
        id: uuid("id")?.ok_or_else(|| rusqlite::Error::InvalidColumnName("id".into()))?,
        first_name: row.get("first_name")?,
        last_name: row.get("last_name")?,
        email: row.get("email")?,
        phone: row.get("phone")?,
        organization_id: uuid("organization_id")?,
        owner_id: uuid("owner_id")?,
        version: row.get("version")?,
    })
}

fn sqlite_fields(
    conn: &rusqlite::Connection,
    texts: &SqliteTexts,
    company: &[u8],
    entity: &str,
) -> Result<Vec<RawField>> {
    let mut st = conn.prepare_cached(&texts.fields)?;
    let rows = st.query_map(rusqlite::params![company, entity], sqlite_field)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn sqlite_tag_names(
    conn: &rusqlite::Connection,
    company: &[u8],
    (table, column): (&str, &str),
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>> {
    let mut names: HashMap<Uuid, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(names);
    }
    let mut st = conn.prepare_cached(&sqlite_numbered(&tag_names_sql(table, column, ids.len())))?;
    let params = std::iter::once(company).chain(ids.iter().map(|id| &id.as_bytes()[..]));
    let mut rows = st.query(rusqlite::params_from_iter(params))?;
    while let Some(row) = rows.next()? {
        names.entry(blob_uuid(row, 0)?).or_default().push(row.get(1)?);
    }
    sort_names(&mut names);
    Ok(names)
}

fn field_id(fields: &[RawField], key: &str) -> Result<Uuid> {
    fields
        .iter()
        .find(|f| f.key == key)
        .map(|f| f.id)
        .ok_or_else(|| BenchError(format!("no custom field {key}")))
}

impl RawSqlite {
    /// The statements of `Organizations::create` for `input`; the new organization's id.
    pub(crate) fn create_organization(&mut self, input: &RawNewOrganization) -> Result<Uuid> {
        use rusqlite::OptionalExtension as _;
        use rusqlite::params;
        let data = &self.w.data;
        let (company, owner) = (data.company_id.as_bytes(), data.owner_id);
        let c = &input.company;
        let now = sqlite_time(OffsetDateTime::now_utc());
        let texts = &self.texts;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let standing = tx
            .prepare_cached(&texts.standing)?
            .query_row(params![data.session_id.as_bytes(), company, owner.as_bytes()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .optional()?;
        let Some((active, _, role, ..)) = standing else {
            return Err("the session no longer exists".into());
        };
        if active == 0 || role.is_none() {
            return Err("the session may not write".into());
        }
        let _fields = sqlite_fields(&tx, texts, company, "organization")?;
        Self::reserve(&tx, &texts.reserve, company)?;
        let id = Uuid::now_v7();
        let taken = tx
            .prepare_cached(&texts.domain_taken)?
            .query_row(params![company, c.domain, id.as_bytes()], |r| blob_uuid(r, 0))
            .optional()?;
        if taken.is_some() {
            return Err("the domain is taken".into());
        }
        tx.prepare_cached(&texts.insert)?.execute(params![
            company,
            id.as_bytes(),
            c.name,
            c.domain,
            c.phone,
            None::<String>,
            c.city,
            None::<String>,
            None::<String>,
            c.country,
            c.website,
            c.industry,
            c.size,
            owner.as_bytes(),
            "{}",
            now,
            now,
            1_i64,
            input.name_key,
        ])?;
        let event = ("organization.created", "organization", id, organization_created_event(id));
        Self::outbox(&tx, company, Some(owner), event, &now)?;
        tx.commit()?;
        Ok(id)
    }

    /// The statements of `Organizations::get`.
    pub(crate) fn get_organization(&self, id: Uuid) -> Result<(RawOrganization, Vec<String>)> {
        let company = self.w.data.company_id.as_bytes();
        let _fields = sqlite_fields(&self.conn, &self.texts, company, "organization")?;
        let org = self
            .conn
            .prepare_cached(&self.texts.organization)?
            .query_row(rusqlite::params![company, id.as_bytes()], sqlite_organization)?;
        let mut names =
            sqlite_tag_names(&self.conn, company, ("organization_tags", "organization_id"), &[id])?;
        let tags = names.remove(&id).unwrap_or_default();
        Ok((org, tags))
    }

    /// The statements of `Organizations::list` by a name prefix, first page.
    pub(crate) fn list_organizations(&self, prefix: &str) -> Result<Listed> {
        let company = self.w.data.company_id.as_bytes();
        let (start, end) = name_range(prefix);
        let _fields = sqlite_fields(&self.conn, &self.texts, company, "organization")?;
        let mut st = self.conn.prepare_cached(&self.texts.organizations)?;
        let orgs = st
            .query_map(
                rusqlite::params![company, start, end, i64::from(PAGE) + 1],
                sqlite_organization,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let ids: Vec<Uuid> = orgs.iter().map(|o| o.id).collect();
        let names =
            sqlite_tag_names(&self.conn, company, ("organization_tags", "organization_id"), &ids)?;
        Ok(listed(ids, names))
    }

    /// The statements of `Contacts::list` for the `i`-th run of a filtered list `op`.
    pub(crate) fn list_contacts(&self, op: Op, i: u64) -> Result<Listed> {
        use rusqlite::params;
        let (conn, texts) = (&self.conn, &self.texts);
        let company = self.w.data.company_id.as_bytes();
        let want = i64::from(PAGE) + 1;
        let fields = sqlite_fields(conn, texts, company, "contact")?;
        let contacts = match op {
            Op::ListContactsByTag => {
                let key = self.w.list_tag()?.name.trim().to_lowercase();
                let mut st = conn.prepare_cached(&texts.resolve)?;
                let found = st
                    .query_map(params![company, key], |r| {
                        Ok((blob_uuid(r, 0)?, r.get::<_, String>(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let Some((tag, _)) = found.into_iter().find(|(_, k)| *k == key) else {
                    return Ok(Vec::new());
                };
                let mut st = conn.prepare_cached(&texts.by_tag)?;
                st.query_map(params![company, tag.as_bytes(), want], sqlite_contact_fields)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            }
            Op::ListContactsBySelect => {
                let field = field_id(&fields, "tier")?;
                let key = Workload::tier_option(i);
                let mut st = conn.prepare_cached(&texts.by_value)?;
                st.query_map(params![company, field.as_bytes(), key, want], sqlite_contact_named)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            }
            Op::ListContactsSorted => {
                let field = field_id(&fields, "score")?;
                let descending = Workload::sort_descending(i);
                let mut st = conn.prepare_cached(&texts.sorted[usize::from(descending)])?;
                let mut found = st
                    .query_map(params![company, field.as_bytes(), want], |r| {
                        let _key: String = r.get(12)?;
                        sqlite_contact_fields(r)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                if (found.len() as i64) < want {
                    let rest = want - found.len() as i64;
                    let mut st = conn.prepare_cached(&texts.unvalued[usize::from(descending)])?;
                    let more = st
                        .query_map(params![company, field.as_bytes(), rest], sqlite_contact_fields)?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    found.extend(more);
                }
                found
            }
            _ => return Err(BenchError(format!("{} lists no contacts by filter", op.name()))),
        };
        let ids: Vec<Uuid> = contacts.iter().map(|c| c.id).collect();
        let names = sqlite_tag_names(conn, company, ("contact_tags", "contact_id"), &ids)?;
        Ok(listed(ids, names))
    }

    /// Times the `i`-th run of one of the operations of this module.
    pub(crate) fn run_record_op(&mut self, op: Op, i: u64) -> Result<Duration> {
        Ok(match op {
            Op::CreateOrganization => {
                let input = RawNewOrganization::new(self.w.company());
                timed(|| self.create_organization(&input))?.0
            }
            Op::GetOrganization => {
                let id = self.w.organization()?;
                timed(|| self.get_organization(id))?.0
            }
            Op::ListOrganizations => {
                let prefix = Workload::organization_prefix(i);
                timed(|| self.list_organizations(prefix))?.0
            }
            _ => timed(|| self.list_contacts(op, i))?.0,
        })
    }
}

// --- PostgreSQL through sqlx, without Flame ------------------------------------------------

fn pg_field(row: &sqlx::postgres::PgRow) -> std::result::Result<RawField, sqlx::Error> {
    let _company: Uuid = row.try_get(0)?;
    let _entity: String = row.try_get(2)?;
    let _label: String = row.try_get(4)?;
    let _kind: String = row.try_get(5)?;
    let _options: sqlx::types::Json<Box<sqlx::types::JsonRawValue>> = row.try_get(6)?;
    let _required: bool = row.try_get(7)?;
    let _position: i32 = row.try_get(8)?;
    let _created: OffsetDateTime = row.try_get(9)?;
    let _updated: OffsetDateTime = row.try_get(10)?;
    let _version: i64 = row.try_get(11)?;
    Ok(RawField { id: row.try_get(1)?, key: row.try_get(3)? })
}

fn pg_organization(
    row: &sqlx::postgres::PgRow,
) -> std::result::Result<RawOrganization, sqlx::Error> {
    let _company: Uuid = row.try_get(0)?;
    for col in [4, 5, 6, 7, 8, 9, 10, 11, 12] {
        let _text: Option<String> = row.try_get(col)?;
    }
    let _custom: sqlx::types::Json<Box<sqlx::types::JsonRawValue>> = row.try_get(14)?;
    let _created: OffsetDateTime = row.try_get(15)?;
    let _updated: OffsetDateTime = row.try_get(16)?;
    Ok(RawOrganization {
        id: row.try_get(1)?,
        name: row.try_get(2)?,
        domain: row.try_get(3)?,
        owner_id: row.try_get(13)?,
        version: row.try_get(17)?,
    })
}

/// A contact read by [`CONTACT_FIELDS`].
fn pg_contact_fields(row: &sqlx::postgres::PgRow) -> std::result::Result<RawContact, sqlx::Error> {
    let _company: Uuid = row.try_get(0)?;
    let _custom: sqlx::types::Json<Box<sqlx::types::JsonRawValue>> = row.try_get(8)?;
    let _created: OffsetDateTime = row.try_get(9)?;
    let _updated: OffsetDateTime = row.try_get(10)?;
    Ok(RawContact {
        id: row.try_get(1)?,
        first_name: row.try_get(2)?,
        last_name: row.try_get(3)?,
        email: row.try_get(4)?,
        phone: row.try_get(5)?,
        organization_id: row.try_get(6)?,
        owner_id: row.try_get(7)?,
        version: row.try_get(11)?,
    })
}

/// A contact read by `contacts.*`: by column name, as Flame reads it.
fn pg_contact_named(row: &sqlx::postgres::PgRow) -> std::result::Result<RawContact, sqlx::Error> {
    let _company: Uuid = row.try_get("company_id")?;
    let _custom: sqlx::types::Json<Box<sqlx::types::JsonRawValue>> = row.try_get("custom")?;
    let _created: OffsetDateTime = row.try_get("created_at")?;
    let _updated: OffsetDateTime = row.try_get("updated_at")?;
    Ok(RawContact {
        id: row.try_get("id")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        organization_id: row.try_get("organization_id")?,
        owner_id: row.try_get("owner_id")?,
        version: row.try_get("version")?,
    })
}

async fn pg_fields(
    conn: &mut sqlx::PgConnection,
    company: Uuid,
    entity: &str,
) -> Result<Vec<RawField>> {
    let rows =
        sqlx::query(sql(load_fields_sql())).bind(company).bind(entity).fetch_all(conn).await?;
    Ok(rows.iter().map(pg_field).collect::<std::result::Result<Vec<_>, _>>()?)
}

async fn pg_tag_names(
    conn: &mut sqlx::PgConnection,
    company: Uuid,
    (table, column): (&str, &str),
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>> {
    let mut names: HashMap<Uuid, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(names);
    }
    let mut q = sqlx::query(sql(tag_names_sql(table, column, ids.len()))).bind(company);
    for id in ids {
        q = q.bind(*id);
    }
    for row in q.fetch_all(conn).await? {
        names.entry(row.try_get::<Uuid, _>(0)?).or_default().push(row.try_get(1)?);
    }
    sort_names(&mut names);
    Ok(names)
}

/// The statements of `Organizations::create` for `input`; the new organization's id.
pub(crate) async fn pg_create_organization(
    conn: &mut sqlx::PgConnection,
    data: &Dataset,
    input: &RawNewOrganization,
) -> Result<Uuid> {
    let (company, owner) = (data.company_id, data.owner_id);
    let c = &input.company;
    let now = OffsetDateTime::now_utc();
    let mut tx = conn.begin().await?;
    let standing = sqlx::query(STANDING)
        .bind(data.session_id)
        .bind(company)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or("the session no longer exists")?;
    let (active, _admin, role): (bool, bool, Option<String>) =
        (standing.try_get(0)?, standing.try_get(1)?, standing.try_get(2)?);
    let _subscription: (Option<String>, Option<OffsetDateTime>) =
        (standing.try_get(3)?, standing.try_get(4)?);
    let _credential: (Option<OffsetDateTime>, Option<OffsetDateTime>) =
        (standing.try_get(5)?, standing.try_get(6)?);
    if !active || role.is_none() {
        return Err("the session may not write".into());
    }
    let _fields = pg_fields(&mut tx, company, "organization").await?;
    pg_reserve(&mut tx, RESERVE_ORGANIZATION, company).await?;
    let id = Uuid::now_v7();
    let taken = sqlx::query(DOMAIN_TAKEN)
        .bind(company)
        .bind(&c.domain)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err("the domain is taken".into());
    }
    let empty = sqlx::types::JsonRawValue::from_string("{}".to_owned())
        .map_err(|e| BenchError(e.to_string()))?;
    sqlx::query(sql(insert_organization_sql()))
        .bind(company)
        .bind(id)
        .bind(&c.name)
        .bind(&c.domain)
        .bind(&c.phone)
        .bind(None::<String>)
        .bind(&c.city)
        .bind(None::<String>)
        .bind(None::<String>)
        .bind(&c.country)
        .bind(&c.website)
        .bind(&c.industry)
        .bind(&c.size)
        .bind(Some(owner))
        .bind(sqlx::types::Json(empty))
        .bind(now)
        .bind(now)
        .bind(1_i64)
        .bind(&input.name_key)
        .execute(&mut *tx)
        .await?;
    let event = ("organization.created", "organization", id, organization_created_event(id));
    pg_outbox(&mut tx, company, Some(owner), event, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// The statements of `Organizations::get`.
pub(crate) async fn pg_get_organization(
    conn: &mut sqlx::PgConnection,
    company: Uuid,
    id: Uuid,
) -> Result<(RawOrganization, Vec<String>)> {
    let _fields = pg_fields(conn, company, "organization").await?;
    let row = sqlx::query(sql(by_id(&organization_columns())))
        .bind(company)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let org = pg_organization(&row)?;
    let mut names =
        pg_tag_names(conn, company, ("organization_tags", "organization_id"), &[id]).await?;
    let tags = names.remove(&id).unwrap_or_default();
    Ok((org, tags))
}

/// The statements of `Organizations::list` by a name prefix, first page.
pub(crate) async fn pg_list_organizations(
    conn: &mut sqlx::PgConnection,
    company: Uuid,
    prefix: &str,
) -> Result<Listed> {
    let (start, end) = name_range(prefix);
    let _fields = pg_fields(conn, company, "organization").await?;
    let rows = sqlx::query(sql(list_organizations_sql()))
        .bind(company)
        .bind(start)
        .bind(end)
        .bind(i64::from(PAGE) + 1)
        .fetch_all(&mut *conn)
        .await?;
    let orgs = rows.iter().map(pg_organization).collect::<std::result::Result<Vec<_>, _>>()?;
    let ids: Vec<Uuid> = orgs.iter().map(|o| o.id).collect();
    let names = pg_tag_names(conn, company, ("organization_tags", "organization_id"), &ids).await?;
    Ok(listed(ids, names))
}

/// The statements of `Contacts::list` for the `i`-th run of a filtered list `op`.
pub(crate) async fn pg_list_contacts(
    conn: &mut sqlx::PgConnection,
    w: &Workload,
    op: Op,
    i: u64,
) -> Result<Listed> {
    let company = w.data.company_id;
    let want = i64::from(PAGE) + 1;
    let fields = pg_fields(conn, company, "contact").await?;
    let contacts = match op {
        Op::ListContactsByTag => {
            let key = w.list_tag()?.name.trim().to_lowercase();
            let rows =
                sqlx::query(RESOLVE_TAG).bind(company).bind(&key).fetch_all(&mut *conn).await?;
            let mut tag = None;
            for row in &rows {
                if row.try_get::<String, _>(1)? == key {
                    tag = Some(row.try_get::<Uuid, _>(0)?);
                }
            }
            let Some(tag) = tag else { return Ok(Vec::new()) };
            let rows = sqlx::query(sql(contacts_by_tag_sql()))
                .bind(company)
                .bind(tag)
                .bind(want)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(pg_contact_fields).collect::<std::result::Result<Vec<_>, _>>()?
        }
        Op::ListContactsBySelect => {
            let field = field_id(&fields, "tier")?;
            let rows = sqlx::query(sql(contacts_by_value_sql()))
                .bind(company)
                .bind(field)
                .bind(Workload::tier_option(i))
                .bind(want)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(pg_contact_named).collect::<std::result::Result<Vec<_>, _>>()?
        }
        Op::ListContactsSorted => {
            let field = field_id(&fields, "score")?;
            let descending = Workload::sort_descending(i);
            let rows = sqlx::query(sql(contacts_sorted_sql(descending)))
                .bind(company)
                .bind(field)
                .bind(want)
                .fetch_all(&mut *conn)
                .await?;
            let mut found = Vec::with_capacity(rows.len());
            for row in &rows {
                let _key: String = row.try_get(12)?;
                found.push(pg_contact_fields(row)?);
            }
            if (found.len() as i64) < want {
                let rows = sqlx::query(sql(contacts_unvalued_sql(descending)))
                    .bind(company)
                    .bind(field)
                    .bind(want - found.len() as i64)
                    .fetch_all(&mut *conn)
                    .await?;
                for row in &rows {
                    found.push(pg_contact_fields(row)?);
                }
            }
            found
        }
        _ => return Err(BenchError(format!("{} lists no contacts by filter", op.name()))),
    };
    let ids: Vec<Uuid> = contacts.iter().map(|c| c.id).collect();
    let names = pg_tag_names(conn, company, ("contact_tags", "contact_id"), &ids).await?;
    Ok(listed(ids, names))
}

impl RawPostgres {
    /// Times the `i`-th run of one of the operations of this module.
    pub(crate) fn run_record_op(&mut self, op: Op, i: u64) -> Result<Duration> {
        let rt = Arc::clone(&self.rt);
        let company = self.w.data.company_id;
        Ok(match op {
            Op::CreateOrganization => {
                let input = RawNewOrganization::new(self.w.company());
                let (conn, data) = (&mut self.conn, &self.w.data);
                timed(|| rt.block_on(pg_create_organization(conn, data, &input)))?.0
            }
            Op::GetOrganization => {
                let id = self.w.organization()?;
                let conn = &mut self.conn;
                timed(|| rt.block_on(pg_get_organization(conn, company, id)))?.0
            }
            Op::ListOrganizations => {
                let prefix = Workload::organization_prefix(i);
                let conn = &mut self.conn;
                timed(|| rt.block_on(pg_list_organizations(conn, company, prefix)))?.0
            }
            _ => {
                let (conn, w) = (&mut self.conn, &self.w);
                timed(|| rt.block_on(pg_list_contacts(conn, w, op, i)))?.0
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use flame_core::custom_field::CustomValues;

    use super::super::tests::{masked, pg_rows_of, sqlite_rows_of};
    use super::*;
    use crate::seed::{DEFAULT_SEED, Engine, SeedMode, Store, custom_json, index_rows};

    /// A raw runner of `engine` on `store`, lane 1.
    enum Raw {
        Sqlite(Box<RawSqlite>),
        Postgres(Box<RawPostgres>),
    }

    impl Raw {
        fn open(rt: &Arc<Runtime>, store: &Store, data: &Arc<Dataset>) -> Self {
            let w = Workload::new(Arc::clone(data), 1, 2, 1);
            match &store.engine {
                Engine::Sqlite => Raw::Sqlite(Box::new(
                    RawSqlite::open(store.sqlite_path.as_deref().expect("a file"), w)
                        .expect("rusqlite"),
                )),
                Engine::Postgres(_) => Raw::Postgres(Box::new(
                    RawPostgres::connect(Arc::clone(rt), &store.url, w).expect("sqlx"),
                )),
            }
        }

        fn list(&mut self, rt: &Runtime, op: Op, i: u64) -> Listed {
            match self {
                Raw::Sqlite(r) => match op {
                    Op::ListOrganizations => r.list_organizations(Workload::organization_prefix(i)),
                    _ => r.list_contacts(op, i),
                },
                Raw::Postgres(r) => {
                    let company = r.w.data.company_id;
                    match op {
                        Op::ListOrganizations => rt.block_on(pg_list_organizations(
                            &mut r.conn,
                            company,
                            Workload::organization_prefix(i),
                        )),
                        _ => rt.block_on(pg_list_contacts(&mut r.conn, &r.w, op, i)),
                    }
                }
            }
            .unwrap_or_else(|e| panic!("raw {}: {e}", op.name()))
        }

        fn get_organization(&mut self, rt: &Runtime, id: Uuid) -> (RawOrganization, Vec<String>) {
            match self {
                Raw::Sqlite(r) => r.get_organization(id),
                Raw::Postgres(r) => {
                    let company = r.w.data.company_id;
                    rt.block_on(pg_get_organization(&mut r.conn, company, id))
                }
            }
            .expect("raw get_organization")
        }

        fn create_organization(&mut self, rt: &Runtime, input: &RawNewOrganization) -> Uuid {
            match self {
                Raw::Sqlite(r) => r.create_organization(input),
                Raw::Postgres(r) => {
                    let data = Arc::clone(&r.w.data);
                    rt.block_on(pg_create_organization(&mut r.conn, &data, input))
                }
            }
            .expect("raw create_organization")
        }
    }

    /// Every filtered list and organization read returns, raw, the records (in order) and the
    /// tags Flame returns; the seeded values and tags are the ones the filters ask for.
    fn raw_reads_return_what_flame_returns(engine: Engine) {
        let rt = Arc::new(crate::runtime().expect("runtime"));
        let store = rt
            .block_on(Store::create(engine, 1_200, SeedMode::RawSql, DEFAULT_SEED))
            .expect("a store");
        let data = Arc::new(store.data.clone());
        assert_eq!(data.organizations.len(), 60);
        assert_eq!(data.contact_tags.len(), 2);
        let s = &store.session;
        let w = Workload::new(Arc::clone(&data), 0, 2, 1);
        let mut raw = Raw::open(&rt, &store, &data);
        for op in [Op::ListContactsByTag, Op::ListContactsBySelect, Op::ListContactsSorted] {
            for i in 0..4 {
                let filter = contact_filter(&w, op, i).expect("a filter");
                let page = rt
                    .block_on(s.contacts().list(filter, PageRequest::first(PAGE)))
                    .expect("Flame lists");
                assert_eq!(page.items.len(), PAGE as usize, "{} {i}", op.name());
                let flame: Listed =
                    page.items.iter().map(|c| (c.id.as_uuid(), c.tags.clone())).collect();
                let mut rows = raw.list(&rt, op, i);
                assert_eq!(rows.len(), PAGE as usize + 1, "raw over-fetches one");
                rows.truncate(PAGE as usize);
                assert_eq!(flame, rows, "{} {i}", op.name());
                for c in &page.items {
                    match op {
                        Op::ListContactsByTag => assert!(c.tags.iter().any(|t| t == "VIP")),
                        Op::ListContactsBySelect => assert_eq!(
                            c.custom.get("tier"),
                            Some(&CustomValue::text(Workload::tier_option(i)))
                        ),
                        _ => assert!(c.custom.contains_key("score")),
                    }
                }
            }
        }
        let mut listed_orgs = 0;
        for i in 0..data::ORGANIZATION_PREFIXES.len() as u64 {
            let filter = OrganizationFilter {
                name_prefix: Some(Workload::organization_prefix(i).into()),
                ..OrganizationFilter::default()
            };
            let page = rt
                .block_on(s.organizations().list(filter, PageRequest::first(PAGE)))
                .expect("Flame lists organizations");
            let flame: Listed =
                page.items.iter().map(|o| (o.id.as_uuid(), o.tags.clone())).collect();
            let rows = raw.list(&rt, Op::ListOrganizations, i);
            assert_eq!(flame, rows, "organizations {i}");
            listed_orgs += rows.len();
        }
        assert!(listed_orgs > 0, "the prefixes find organizations");
        let mut tagged = 0;
        for id in &data.organizations {
            let org = rt.block_on(s.organizations().get(OrganizationId::from(*id))).expect("get");
            let (row, tags) = raw.get_organization(&rt, *id);
            assert_eq!(
                (row.id, &row.name, row.domain.as_ref(), row.version),
                (*id, &org.name, org.domain.as_ref(), 1)
            );
            assert_eq!(row.owner_id, org.owner_id.map(|o| o.as_uuid()));
            assert_eq!(tags, org.tags);
            tagged += usize::from(!tags.is_empty());
        }
        assert_eq!(tagged, data.organization_tags.first().map_or(0, |t| t.carried_by));
        drop(raw);
        rt.block_on(store.close()).expect("close");
    }

    #[test]
    fn raw_reads_on_sqlite_return_what_flame_returns() {
        raw_reads_return_what_flame_returns(Engine::Sqlite);
    }

    /// Runs when `FLAME_BENCH_POSTGRES_URL` is set (as `scripts/bench-smoke` sets it).
    #[test]
    fn raw_reads_on_postgres_return_what_flame_returns() {
        if let Some(url) = crate::postgres_url_from_env() {
            raw_reads_return_what_flame_returns(Engine::Postgres(url));
        }
    }

    /// The organization row and event an organization written by Flame and one written raw,
    /// each row's columns as text.
    const WRITTEN: [(&str, &str); 2] =
        [("organizations", "id IN ($1, $2, $3)"), ("outbox", "aggregate_id IN ($1, $2, $3)")];

    /// Creates the same organization (but for its domain) through Flame and raw, and checks
    /// that both wrote the same rows (up to ids, times and the domain) and reserved one unit of
    /// usage each; a contact Flame creates with custom values stores the `custom` column and
    /// index rows the raw seed writes for the same values.
    fn raw_writes_what_flame_writes(engine: Engine) {
        let rt = Arc::new(crate::runtime().expect("runtime"));
        let store = rt
            .block_on(Store::create(engine.clone(), 40, SeedMode::RawSql, DEFAULT_SEED))
            .expect("a store");
        let data = Arc::new(store.data.clone());
        let s = &store.session;
        let before = rt.block_on(s.billing().usage()).expect("usage");
        let mut raw = Raw::open(&rt, &store, &data);
        let company = data::company(&mut Rng::new(3), 77_000_000);
        let (by_flame, by_raw) = {
            let mut other = company.clone();
            other.domain = format!("other-{}", company.domain);
            other.website = format!("https://{}/", other.domain);
            (company, other)
        };
        let flame_id = rt
            .block_on(s.organizations().create(new_organization(&by_flame)))
            .expect("Flame creates it")
            .id
            .as_uuid();
        let raw_id = raw.create_organization(&rt, &RawNewOrganization::new(by_raw.clone()));
        let rows = |id: Uuid| match &engine {
            Engine::Sqlite => {
                sqlite_rows_of(store.sqlite_path.as_deref().expect("a file"), &WRITTEN, [id; 3])
            }
            Engine::Postgres(_) => rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&store.url).await.expect("connect");
                pg_rows_of(&mut conn, &WRITTEN, [id; 3]).await
            }),
        };
        let shape = |rows: Vec<String>, domain: &str| -> Vec<String> {
            rows.iter().map(|r| masked(&r.replace(domain, "<domain>"))).collect()
        };
        let (flame_rows, raw_rows) =
            (shape(rows(flame_id), &by_flame.domain), shape(rows(raw_id), &by_raw.domain));
        assert_eq!(flame_rows.len(), 2, "{flame_rows:#?}");
        assert_eq!(flame_rows, raw_rows);
        let read = rt.block_on(s.organizations().get(OrganizationId::from(raw_id))).expect("get");
        assert_eq!(read.domain.as_deref(), Some(by_raw.domain.as_str()));
        let after = rt.block_on(s.billing().usage()).expect("usage");
        assert_eq!(after.organizations - before.organizations, 2);

        // Custom values: Flame's create against the seed's encoding.
        let mut custom = CustomValues::new();
        custom.insert("tier".into(), CustomValue::text("gold"));
        custom.insert("score".into(), CustomValue::text("12.30"));
        let input = NewContact { custom, ..new_contact(&data::person(&mut Rng::new(9), 1)) };
        let created = rt.block_on(s.contacts().create(input)).expect("a contact").id.as_uuid();
        let values = data.custom.values(2, Some(1_230)).expect("values");
        let (json, mut index) = (custom_json(&values), index_rows(&values));
        index.sort();
        let (stored, mut stored_index) = match &engine {
            Engine::Sqlite => {
                let conn =
                    rusqlite::Connection::open(store.sqlite_path.as_deref().expect("a file"))
                        .expect("open");
                let stored: String = conn
                    .query_row(
                        "SELECT custom FROM contacts WHERE id = ?1",
                        [created.as_bytes()],
                        |r| r.get(0),
                    )
                    .expect("custom");
                let mut st = conn
                    .prepare("SELECT field_id, value_key FROM custom_values WHERE record_id = ?1")
                    .expect("prepare");
                let index = st
                    .query_map([created.as_bytes()], |r| Ok((blob_uuid(r, 0)?, r.get(1)?)))
                    .expect("query")
                    .collect::<rusqlite::Result<Vec<(Uuid, String)>>>()
                    .expect("rows");
                (stored, index)
            }
            Engine::Postgres(_) => rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&store.url).await.expect("connect");
                // jsonb keeps no text: compare the values.
                let same: bool =
                    sqlx::query_scalar("SELECT custom = $2::jsonb FROM contacts WHERE id = $1")
                        .bind(created)
                        .bind(&json)
                        .fetch_one(&mut conn)
                        .await
                        .expect("custom");
                assert!(same, "the seed's custom column equals Flame's");
                let rows = sqlx::query(
                    "SELECT field_id, value_key FROM custom_values WHERE record_id = $1",
                )
                .bind(created)
                .fetch_all(&mut conn)
                .await
                .expect("rows");
                let index = rows
                    .iter()
                    .map(|r| (r.try_get(0).expect("field"), r.try_get(1).expect("key")))
                    .collect::<Vec<(Uuid, String)>>();
                (json.clone(), index)
            }),
        };
        stored_index.sort();
        assert_eq!(stored, json);
        assert_eq!(stored_index, index);
        let seeded = rt.block_on(s.contacts().get(ContactId::from(data.contacts[0]))).expect("get");
        assert!(seeded.custom.contains_key("tier"), "{:?}", seeded.custom);
        drop(raw);
        rt.block_on(store.close()).expect("close");
    }

    #[test]
    fn raw_writes_on_sqlite_what_flame_writes() {
        raw_writes_what_flame_writes(Engine::Sqlite);
    }

    /// Runs when `FLAME_BENCH_POSTGRES_URL` is set (as `scripts/bench-smoke` sets it).
    #[test]
    fn raw_writes_on_postgres_what_flame_writes() {
        if let Some(url) = crate::postgres_url_from_env() {
            raw_writes_what_flame_writes(Engine::Postgres(url));
        }
    }
}
