//! Tags: the company's vocabulary ([`Tags`]: list, rename, recolor, merge, delete) and the
//! taggings of records, which the aggregates that carry tags (`contact.rs`, `deal.rs`, `organization.rs`) call:
//! [`add`] and [`remove`] inside their transaction, [`names_of`] to read a page's tags in one
//! query, [`resolve`] and [`carries`] for their list filters.
//!
//! Each kind of record keeps its taggings in a table of its own, keyed
//! `(company_id, tag_id, record id)` (migrations 0008 and 0010); the code is the same for every kind,
//! given by [`Tagged`].

use std::collections::HashMap;

use flame_core::auth::{Action, Resource};
use flame_core::event::EventPayload;
use flame_core::tag::{self, Tag, Tagged};
use flame_core::{FlameError, Result, TagId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::outbox;
use crate::session::Session;
use crate::sql::{Executor, Row, Statement, Tx, args, found};

const COLUMNS: &str =
    "SELECT company_id, id, name, color, created_at, updated_at, version FROM tags";

/// The tagging table of `kind` and its record column.
pub(crate) const fn table(kind: Tagged) -> (&'static str, &'static str) {
    match kind {
        Tagged::Contact => ("contact_tags", "contact_id"),
        Tagged::Deal => ("deal_tags", "deal_id"),
        Tagged::Organization => ("organization_tags", "organization_id"),
    }
}

fn tag_from_row(row: &Row) -> Result<Tag> {
    Ok(Tag {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        name: row.get("name")?,
        color: row.get("color")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

async fn find(exec: &mut impl Executor, session: &Session, id: TagId) -> Result<Tag> {
    let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
    let row = exec.fetch_optional(sql, args![session.tenant(), id.as_uuid()]).await?;
    found(row, tag_from_row, "tag")
}

async fn find_key(exec: &mut impl Executor, session: &Session, key: &str) -> Result<Option<Tag>> {
    let sql = format!("{COLUMNS} WHERE company_id = $1 AND name_key = $2");
    let row = exec.fetch_optional(sql, args![session.tenant(), key]).await?;
    row.as_ref().map(tag_from_row).transpose()
}

/// Puts the tag named `name` (validated) on the record `record` of `kind`, creating the tag
/// on first use. Returns the tag's id when the record did not carry it yet, `None` when it
/// did (nothing changed).
///
/// Two transactions creating the same new tag at once make one tag: the insert of the tag
/// skips a name already taken (on PostgreSQL it waits for the other transaction and then
/// skips), and the tag is then read back by its key, committed.
pub(crate) async fn add(
    tx: &mut Tx,
    session: &Session,
    kind: Tagged,
    record: Uuid,
    name: &str,
    now: OffsetDateTime,
) -> Result<Option<TagId>> {
    let tag = ensure(tx, session, name, now).await?;
    let (table, column) = table(kind);
    let added = tx
        .execute(
            format!(
                "INSERT INTO {table} (company_id, tag_id, {column}) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING"
            ),
            args![session.tenant(), tag, record],
        )
        .await?;
    Ok((added > 0).then_some(TagId::from_uuid(tag)))
}

/// Taggings written per statement by [`add_all`] (3 values each).
const TAGGINGS_PER_STATEMENT: usize = 300;

/// Puts tags on many records of `kind` at once, as an import's batch does: `taggings` pairs
/// each record with the (validated) names of its tags. Each distinct name is found or
/// created once (as [`add`] does), then the taggings are written in multi-row statements;
/// a tagging that exists already is skipped. No event is written: the import's batch event
/// covers its records' tags.
pub(crate) async fn add_all(
    tx: &mut Tx,
    session: &Session,
    kind: Tagged,
    taggings: &[(Uuid, &[String])],
    now: OffsetDateTime,
) -> Result<()> {
    let mut ids: HashMap<String, Uuid> = HashMap::new();
    let mut pairs: Vec<(Uuid, Uuid)> = Vec::new();
    for (record, names) in taggings {
        for name in names.iter() {
            let key = tag::key(name);
            let id = match ids.get(&key) {
                Some(id) => *id,
                None => {
                    let id = ensure(tx, session, name, now).await?;
                    ids.insert(key, id);
                    id
                }
            };
            pairs.push((id, *record));
        }
    }
    let (table, column) = table(kind);
    for chunk in pairs.chunks(TAGGINGS_PER_STATEMENT) {
        let mut q = Statement::new("", vec![]);
        let company = q.bind(session.tenant());
        let rows = chunk
            .iter()
            .map(|(tag, record)| format!("({company}, {}, {})", q.bind(*tag), q.bind(*record)))
            .collect::<Vec<_>>()
            .join(", ");
        q.push(&format!(
            "INSERT INTO {table} (company_id, tag_id, {column}) VALUES {rows} ON CONFLICT DO NOTHING"
        ));
        let (sql, args) = q.build();
        tx.execute(sql, args).await?;
    }
    Ok(())
}

/// The id of the company's tag named `name` (validated), created on first use as [`add`]
/// creates it.
async fn ensure(tx: &mut Tx, session: &Session, name: &str, now: OffsetDateTime) -> Result<Uuid> {
    let new = Tag::create(session.company_id(), name, now)?;
    tx.execute(
        "INSERT INTO tags (company_id, id, name, name_key, color, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (company_id, name_key) DO NOTHING",
        args![
            session.tenant(),
            new.id.as_uuid(),
            new.name.clone(),
            new.key(),
            new.color.clone(),
            new.created_at,
            new.updated_at,
            new.version,
        ],
    )
    .await?;
    let tag = find_key(tx, session, &new.key())
        .await?
        .ok_or_else(|| FlameError::storage("a tag just written could not be read back"))?;
    Ok(tag.id.as_uuid())
}

/// Takes the tag named `name` (validated) off the record; returns its id when the record
/// carried it, `None` when it did not (or no such tag exists).
pub(crate) async fn remove(
    tx: &mut Tx,
    session: &Session,
    kind: Tagged,
    record: Uuid,
    name: &str,
) -> Result<Option<TagId>> {
    let Some(tag) = find_key(tx, session, &tag::key(name)).await? else {
        return Ok(None);
    };
    let (table, column) = table(kind);
    let removed = tx
        .execute(
            format!("DELETE FROM {table} WHERE company_id = $1 AND tag_id = $2 AND {column} = $3"),
            args![session.tenant(), tag.id.as_uuid(), record],
        )
        .await?;
    Ok((removed > 0).then_some(tag.id))
}

/// The tag names of each of `records` (of `kind`), sorted: one query for a whole page.
/// Records without tags are absent from the map.
pub(crate) async fn names_of(
    exec: &mut impl Executor,
    session: &Session,
    kind: Tagged,
    records: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>> {
    let mut names: HashMap<Uuid, Vec<String>> = HashMap::new();
    if records.is_empty() {
        return Ok(names);
    }
    let (table, column) = table(kind);
    let mut q = Statement::new("", vec![]);
    let company = q.bind(session.tenant());
    let ids = records.iter().map(|r| q.bind(*r)).collect::<Vec<_>>().join(", ");
    q.push(&format!(
        "SELECT x.{column} AS record_id, t.name AS name FROM {table} x
         JOIN tags t ON t.company_id = x.company_id AND t.id = x.tag_id
         WHERE x.company_id = {company} AND x.{column} IN ({ids})"
    ));
    let (sql, args) = q.build();
    for row in exec.fetch_all(sql, args).await? {
        names.entry(row.id::<Uuid>("record_id")?).or_default().push(row.get("name")?);
    }
    for list in names.values_mut() {
        tag::sort_names(list);
    }
    Ok(names)
}

/// The ids of the tags with these keys, in the same order; `None` when one of them is no tag
/// of the company (then no record carries them all).
pub(crate) async fn resolve(
    exec: &mut impl Executor,
    session: &Session,
    keys: &[String],
) -> Result<Option<Vec<Uuid>>> {
    if keys.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut q = Statement::new("", vec![]);
    let company = q.bind(session.tenant());
    let list = keys.iter().map(|k| q.bind(k.as_str())).collect::<Vec<_>>().join(", ");
    q.push(&format!(
        "SELECT id, name_key FROM tags WHERE company_id = {company} AND name_key IN ({list})"
    ));
    let (sql, args) = q.build();
    let rows = exec.fetch_all(sql, args).await?;
    let mut by_key = HashMap::new();
    for row in &rows {
        by_key.insert(row.get::<String>("name_key")?, row.id::<Uuid>("id")?);
    }
    Ok(keys.iter().map(|k| by_key.get(k).copied()).collect())
}

/// ` AND EXISTS (…)` for each tag of `tags`: the record `record` (a column expression, such
/// as `c.id`) of `kind` carries them all. Each is one probe of the tagging table's key.
pub(crate) fn carries(
    q: &mut Statement,
    kind: Tagged,
    company: &str,
    record: &str,
    tags: &[Uuid],
) -> String {
    let (table, column) = table(kind);
    let mut sql = String::new();
    for (i, t) in tags.iter().enumerate() {
        let p = q.bind(*t);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM {table} tg{i} WHERE tg{i}.company_id = {company} AND tg{i}.tag_id = {p} AND tg{i}.{column} = {record})"
        ));
    }
    sql
}

/// `fields` (a comma-separated column list) read from the table aliased `alias`, each under
/// its own name: the select list of a join.
pub(crate) fn qualified(fields: &str, alias: &str) -> String {
    fields
        .split(',')
        .map(str::trim)
        .map(|f| format!("{alias}.{f} AS {f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The company's tags.
#[derive(Debug, Clone)]
pub struct Tags {
    session: Session,
}

impl Tags {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    async fn emit(&self, tx: &mut Tx, now: OffsetDateTime, event: EventPayload) -> Result<()> {
        outbox::record(
            tx,
            self.session.company_id(),
            Some(self.session.user_id()),
            now,
            vec![event],
        )
        .await
    }

    /// Every tag of the company, by name (case-insensitively).
    pub async fn list(&self) -> Result<Vec<Tag>> {
        self.session.authorize(Action::Read, Resource::Tag).await?;
        let sql = format!("{COLUMNS} WHERE company_id = $1 ORDER BY name_key, id");
        let rows =
            self.session.flame().pool().exec().fetch_all(sql, args![self.session.tenant()]).await?;
        rows.iter().map(tag_from_row).collect()
    }

    /// One tag.
    pub async fn get(&self, id: TagId) -> Result<Tag> {
        self.session.authorize(Action::Read, Resource::Tag).await?;
        find(&mut self.session.flame().pool().exec(), &self.session, id).await
    }

    /// Reads the tag for a change by an admin, at `version`.
    async fn for_update(
        &self,
        tx: &mut Tx,
        id: TagId,
        version: i64,
    ) -> Result<(Tag, OffsetDateTime)> {
        let now = self.session.permit(Action::Update, Resource::Tag)?;
        let current = find(tx, &self.session, id).await?;
        if current.version != version {
            return Err(FlameError::stale("tag"));
        }
        Ok((current, now))
    }

    async fn save(&self, tx: &mut Tx, next: &Tag, version: i64) -> Result<()> {
        let changed = tx
            .execute(
                "UPDATE tags SET name = $1, name_key = $2, color = $3, updated_at = $4, version = $5
                 WHERE company_id = $6 AND id = $7 AND version = $8",
                args![
                    next.name.clone(),
                    next.key(),
                    next.color.clone(),
                    next.updated_at,
                    next.version,
                    self.session.tenant(),
                    next.id.as_uuid(),
                    version,
                ],
            )
            .await?;
        if changed == 0 { Err(FlameError::stale("tag")) } else { Ok(()) }
    }

    /// Renames the tag read at `version` (admins and owners). Another tag of the company
    /// with the same name in any case is a `Conflict` on `tag`; the same name in another
    /// case changes how it is written.
    pub async fn rename(&self, id: TagId, version: i64, new_name: &str) -> Result<Tag> {
        self.session.authorize(Action::Update, Resource::Tag).await?;
        let name = tag::name(new_name)?;
        let mut tx = self.session.begin().await?;
        let (current, now) = self.for_update(&mut tx, id, version).await?;
        if let Some(other) = find_key(&mut tx, &self.session, &tag::key(&name)).await?
            && other.id != id
        {
            return Err(FlameError::conflict(
                "tag",
                "another tag of the company has this name; merge them instead",
            ));
        }
        let next = Tag { name, updated_at: now, version: version + 1, ..current };
        self.save(&mut tx, &next, version).await?;
        self.emit(&mut tx, now, EventPayload::TagUpdated { tag_id: id }).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Sets (or, with `None` or blank, clears) the color of the tag read at `version`
    /// (admins and owners): `"#rrggbb"`, else a `Validation` error on `color`.
    pub async fn set_color(&self, id: TagId, version: i64, color: Option<&str>) -> Result<Tag> {
        self.session.authorize(Action::Update, Resource::Tag).await?;
        let color = tag::color(color)?;
        let mut tx = self.session.begin().await?;
        let (current, now) = self.for_update(&mut tx, id, version).await?;
        let next = Tag { color, updated_at: now, version: version + 1, ..current };
        self.save(&mut tx, &next, version).await?;
        self.emit(&mut tx, now, EventPayload::TagUpdated { tag_id: id }).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Merges the tag `from` into the tag `into` (admins and owners), in one transaction:
    /// every record that carried `from` carries `into` (once, if it carried both), and `from`
    /// is deleted. Returns `into`, unchanged. Merging a tag into itself is a `Validation`
    /// error on `into_id`.
    pub async fn merge(&self, from: TagId, into: TagId) -> Result<Tag> {
        self.session.authorize(Action::Update, Resource::Tag).await?;
        if from == into {
            return Err(FlameError::validation("into_id", "must be another tag than from_id"));
        }
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Update, Resource::Tag)?;
        find(&mut tx, &self.session, from).await?;
        let target = find(&mut tx, &self.session, into).await?;
        let (c, f, i) = (self.session.tenant(), from.as_uuid(), into.as_uuid());
        for kind in Tagged::ALL {
            let (table, column) = table(kind);
            tx.execute(
                format!(
                    "INSERT INTO {table} (company_id, tag_id, {column})
                     SELECT company_id, $1, {column} FROM {table} WHERE company_id = $2 AND tag_id = $3
                     ON CONFLICT DO NOTHING"
                ),
                args![i, c, f],
            )
            .await?;
        }
        // The source's taggings go with it (ON DELETE CASCADE).
        tx.execute("DELETE FROM tags WHERE company_id = $1 AND id = $2", args![c, f]).await?;
        self.emit(&mut tx, now, EventPayload::TagMerged { from_tag_id: from, into_tag_id: into })
            .await?;
        tx.commit().await?;
        Ok(target)
    }

    /// Deletes the tag read at `version` (admins and owners) and takes it off every record.
    pub async fn delete(&self, id: TagId, version: i64) -> Result<()> {
        self.session.authorize(Action::Delete, Resource::Tag).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Delete, Resource::Tag)?;
        let (_, now) = self.for_update(&mut tx, id, version).await?;
        let changed = tx
            .execute(
                "DELETE FROM tags WHERE company_id = $1 AND id = $2 AND version = $3",
                args![self.session.tenant(), id.as_uuid(), version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("tag"));
        }
        self.emit(&mut tx, now, EventPayload::TagDeleted { tag_id: id }).await?;
        tx.commit().await
    }
}
