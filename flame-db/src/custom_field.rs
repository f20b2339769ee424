//! Custom fields: the definitions admins manage, and how records store, index and filter
//! their values.
//!
//! A record keeps its values in its own `custom` column (JSON keyed by field id), so reading a
//! record costs no join. Each value is also written to `custom_values`, one row per index key
//! ([`CustomValue::index_keys`]: one per option of a multi-select) keyed
//! `(company_id, field_id, value_key, record_id)`, in the same transaction. That one table
//! serves both engines the same way:
//! - an equality filter on a newest-first list walks that key backwards from the cursor and
//!   joins each row's record by primary key, so a page costs a page ([`Narrowing::drive`]);
//! - other conditions, and conditions on a search ordered by name, are `EXISTS` probes of the
//!   second index `(company_id, record_id, field_id, value_key)`;
//! - a range (numbers, money, dates, times) compares the order-preserving keys;
//! - a list sorted by a field walks that field's keys in order from the cursor and joins
//!   each record, then the records without a value ([`SortWalk`]).
//!
//! (PostgreSQL's JSONB with a GIN index answers equality but neither ranges nor the ordered
//! walk, and SQLite has no equivalent: one side table gives both engines the same plan.)
//!
//! Deleting a definition deletes its index rows; the values left in records' `custom`
//! columns are never read again (reads keep only the ids of current definitions) and are
//! dropped by the next write of each record.

use flame_core::auth::{Action, Resource};
use flame_core::custom_field::{
    self, CustomEntity, CustomField, CustomFieldKind, CustomFieldPatch, CustomSort, IndexCondition,
    NewCustomField, StoredValues, ValueMigration,
};
use flame_core::event::EventPayload;
use flame_core::page::{KeyCursor, Page, PageRequest};
use flame_core::{CustomFieldId, FlameError, Result};
use uuid::Uuid;

use crate::sql::{Executor, Json, Row, Statement, Tx, args, found};
use crate::{Session, outbox};

const COLUMNS: &str =
    "SELECT company_id, id, entity, key, label, kind, options, required, position,
        created_at, updated_at, version FROM custom_fields";

fn field_from_row(row: &Row) -> Result<CustomField> {
    let Json(options): Json<Vec<String>> = row.get("options")?;
    Ok(CustomField {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        entity: CustomEntity::parse("entity", &row.get::<String>("entity")?)
            .map_err(|_| crate::sql::corrupt("entity"))?,
        key: row.get("key")?,
        label: row.get("label")?,
        kind: CustomFieldKind::parse("kind", &row.get::<String>("kind")?)
            .map_err(|_| crate::sql::corrupt("kind"))?,
        options,
        required: row.get("required")?,
        position: row.int32("position")?,
        version: row.int("version")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// The table that holds the records of `entity`.
pub(crate) const fn table(entity: CustomEntity) -> &'static str {
    match entity {
        CustomEntity::Contact => "contacts",
        CustomEntity::Organization => "organizations",
        CustomEntity::Deal => "deals",
    }
}

/// Every field the company defined for `entity`, by position then key.
pub(crate) async fn load(
    exec: &mut impl Executor,
    company: Uuid,
    entity: CustomEntity,
) -> Result<Vec<CustomField>> {
    let sql = format!("{COLUMNS} WHERE company_id = $1 AND entity = $2 ORDER BY position, key");
    let rows = exec.fetch_all(sql, args![company, entity.as_str()]).await?;
    rows.iter().map(field_from_row).collect()
}

/// The values a record's `custom` column holds (under any definition, current or not).
pub(crate) fn stored(row: &Row) -> Result<StoredValues> {
    let Json(values): Json<StoredValues> = row.get("custom")?;
    Ok(values)
}

/// The JSON a record's `custom` column is written with: the values of current definitions.
pub(crate) fn encode(fields: &[CustomField], values: &StoredValues) -> serde_json::Value {
    let current: StoredValues = values
        .iter()
        .filter(|(id, _)| fields.iter().any(|f| f.id == **id))
        .map(|(id, v)| (*id, v.clone()))
        .collect();
    serde_json::to_value(current).unwrap_or_else(|_| serde_json::json!({}))
}

/// Replaces the index rows of record `record` with those of `values`.
pub(crate) async fn write_index(
    tx: &mut Tx,
    company: Uuid,
    record: Uuid,
    fields: &[CustomField],
    values: &StoredValues,
    fresh: bool,
) -> Result<()> {
    if !fresh {
        tx.execute(
            "DELETE FROM custom_values WHERE company_id = $1 AND record_id = $2",
            args![company, record],
        )
        .await?;
    }
    for (field, value) in values {
        if !fields.iter().any(|f| f.id == *field) {
            continue;
        }
        for key in value.index_keys() {
            tx.execute(
                "INSERT INTO custom_values (company_id, field_id, value_key, record_id)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                args![company, field.as_uuid(), key, record],
            )
            .await?;
        }
    }
    Ok(())
}

/// Removes the index rows of a deleted record.
pub(crate) async fn forget(tx: &mut Tx, company: Uuid, record: Uuid) -> Result<()> {
    tx.execute(
        "DELETE FROM custom_values WHERE company_id = $1 AND record_id = $2",
        args![company, record],
    )
    .await?;
    Ok(())
}

/// The custom conditions of a list, as SQL on a statement over the entity's table.
pub(crate) struct Narrowing<'a> {
    conditions: &'a [IndexCondition],
}

impl<'a> Narrowing<'a> {
    pub(crate) fn new(conditions: &'a [IndexCondition]) -> Self {
        Self { conditions }
    }

    /// The equality condition a newest-first list can walk, if any.
    pub(crate) fn driver(&self) -> Option<&'a IndexCondition> {
        self.conditions.iter().find(|c| c.min.is_some() && c.min == c.max)
    }

    /// ` AND EXISTS (…)` for every condition but `skip`, on rows of `table` (a table name or
    /// its alias in the query).
    pub(crate) fn exists(
        &self,
        q: &mut Statement,
        table: &str,
        skip: Option<&IndexCondition>,
    ) -> String {
        let mut sql = String::new();
        for c in self.conditions {
            if skip.is_some_and(|s| std::ptr::eq(s, c)) {
                continue;
            }
            let field = q.bind(c.field_id.as_uuid());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM custom_values cv WHERE cv.company_id = {table}.company_id
                   AND cv.record_id = {table}.id AND cv.field_id = {field}"
            ));
            match (&c.min, &c.max) {
                (Some(min), Some(max)) if min == max => {
                    let v = q.bind(min.clone());
                    sql.push_str(&format!(" AND cv.value_key = {v}"));
                }
                (min, max) => {
                    if let Some(min) = min {
                        let v = q.bind(min.clone());
                        sql.push_str(&format!(" AND cv.value_key >= {v}"));
                    }
                    if let Some(max) = max {
                        let v = q.bind(max.clone());
                        sql.push_str(&format!(" AND cv.value_key <= {v}"));
                    }
                }
            }
            sql.push(')');
        }
        sql
    }

    /// The `FROM … WHERE` of a newest-first list of `table` (named `alias` in the query)
    /// walked by `driver`'s index key: `custom_values` rows of that key, newest record first,
    /// each joined to its record. The caller adds the other filters (qualified by `alias`),
    /// the cursor on `custom_values.record_id` and the order.
    pub(crate) fn drive(
        q: &mut Statement,
        table: &str,
        alias: &str,
        company: &str,
        driver: &IndexCondition,
    ) -> String {
        let field = q.bind(driver.field_id.as_uuid());
        let key = q.bind(driver.min.clone().unwrap_or_default());
        format!(
            " FROM custom_values JOIN {table} {alias} ON {alias}.company_id = custom_values.company_id
               AND {alias}.id = custom_values.record_id
             WHERE custom_values.company_id = {company} AND custom_values.field_id = {field}
               AND custom_values.value_key = {key}"
        )
    }
}

/// What starts the cursor key of a record that has a value (the value's index key follows).
const VALUED: &str = "v";
/// The cursor key of a record without a value.
const UNVALUED: &str = "-";

/// A page of a list sorted by a custom field ([`CustomSort`]): the records that have a
/// value, walked along `custom_values`' primary key `(company_id, field_id, value_key,
/// record_id)` from the cursor and each joined to its record, then — once those run out — the
/// records without a value, by id (an `EXISTS` probe each). Both engines order `value_key` by
/// code point, so the walk and the order agree; a page reads about a page of index rows plus
/// whatever the list's other filters step over.
pub(crate) struct SortWalk<'a> {
    field: &'a CustomField,
    descending: bool,
    order: String,
    after: Option<KeyCursor>,
}

impl<'a> SortWalk<'a> {
    /// The walk `sort` asks for over `fields` (the entity's definitions), resumed after the
    /// cursor of `page`. An unknown or multi-select field is a `Validation` error on `sort`; a
    /// cursor of another ordering one on `cursor`.
    pub(crate) fn new(
        fields: &'a [CustomField],
        entity: CustomEntity,
        sort: &CustomSort,
        page: &PageRequest,
    ) -> Result<Self> {
        let field = custom_field::sort_field(fields, entity, sort)?;
        let direction = if sort.descending { "desc" } else { "asc" };
        let order = format!("custom:{}:{direction}", field.id);
        let after = page.cursor_key(&order)?;
        if after.as_ref().is_some_and(|c| c.key != UNVALUED && !c.key.starts_with(VALUED)) {
            return Err(FlameError::validation("cursor", "is not a cursor of this list"));
        }
        Ok(Self { field, descending: sort.descending, order, after })
    }

    /// Reads up to `limit` records of `table` (aliased `r`; `columns` is the select list,
    /// qualified by `r`) in the walk's order. `narrow` appends the list's other filters
    /// (` AND …` on `r`), given the placeholder of the company; `read` reads a record and `id`
    /// gives its id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn page<T>(
        &self,
        exec: &mut impl Executor,
        company: Uuid,
        table: &str,
        columns: &str,
        limit: u32,
        narrow: impl Fn(&mut Statement, &str),
        read: impl Fn(&Row) -> Result<T>,
        id: impl Fn(&T) -> Uuid,
    ) -> Result<Page<T>> {
        let want = limit as usize + 1;
        let (direction, past) = if self.descending { ("DESC", "<") } else { ("ASC", ">") };
        let mut found: Vec<(T, String)> = Vec::with_capacity(want);
        if self.after.as_ref().is_none_or(|c| c.key != UNVALUED) {
            let mut q = Statement::new("", vec![]);
            let c = q.bind(company);
            let f = q.bind(self.field.id.as_uuid());
            q.push(&format!(
                "SELECT {columns}, cv.value_key AS sort_key FROM custom_values cv
                 JOIN {table} r ON r.company_id = cv.company_id AND r.id = cv.record_id
                 WHERE cv.company_id = {c} AND cv.field_id = {f}"
            ));
            if let Some(after) = &self.after {
                let key = q.bind(after.key[VALUED.len()..].to_owned());
                let id = q.bind(after.id);
                q.push(&format!(" AND (cv.value_key, cv.record_id) {past} ({key}, {id})"));
            }
            narrow(&mut q, &c);
            let n = q.bind(want as i64);
            q.push(&format!(
                " ORDER BY cv.value_key {direction}, cv.record_id {direction} LIMIT {n}"
            ));
            let (sql, args) = q.build();
            for row in exec.fetch_all(sql, args).await? {
                let key: String = row.get("sort_key")?;
                found.push((read(&row)?, format!("{VALUED}{key}")));
            }
        }
        if found.len() < want {
            let mut q = Statement::new("", vec![]);
            let c = q.bind(company);
            let f = q.bind(self.field.id.as_uuid());
            q.push(&format!(
                "SELECT {columns} FROM {table} r WHERE r.company_id = {c}
                   AND NOT EXISTS (SELECT 1 FROM custom_values cv WHERE cv.company_id = r.company_id
                   AND cv.record_id = r.id AND cv.field_id = {f})"
            ));
            if let Some(after) = self.after.as_ref().filter(|c| c.key == UNVALUED) {
                let id = q.bind(after.id);
                q.push(&format!(" AND r.id {past} {id}"));
            }
            narrow(&mut q, &c);
            let n = q.bind((want - found.len()) as i64);
            q.push(&format!(" ORDER BY r.id {direction} LIMIT {n}"));
            let (sql, args) = q.build();
            for row in exec.fetch_all(sql, args).await? {
                found.push((read(&row)?, UNVALUED.to_owned()));
            }
        }
        let page = Page::from_overfetch_keyed(found, limit, &self.order, |(record, key)| {
            KeyCursor { key: key.clone(), id: id(record) }
        });
        Ok(page.map(|(record, _)| record))
    }
}

/// The company's custom field definitions. Everyone reads them; admins and owners define,
/// change and delete them.
#[derive(Debug, Clone)]
pub struct CustomFields {
    session: Session,
}

impl CustomFields {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    fn tenant(&self) -> Uuid {
        self.session.tenant()
    }

    /// Defines a field. Keys are unique per entity (a second one is a `Conflict` naming the
    /// key); a company has at most [`FIELDS_MAX`](custom_field::FIELDS_MAX) per entity.
    pub async fn define(&self, input: NewCustomField) -> Result<CustomField> {
        let now = self.session.authorize(Action::Create, Resource::CustomField).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, Resource::CustomField)?;
        let existing = load(&mut tx, self.tenant(), input.entity).await?;
        if existing.len() >= custom_field::FIELDS_MAX {
            return Err(FlameError::validation(
                "entity",
                format!(
                    "has the most custom fields a company may define ({})",
                    custom_field::FIELDS_MAX
                ),
            ));
        }
        let next_position = existing.iter().map(|f| f.position).max().map_or(0, |p| p + 1);
        let field = CustomField::define(self.session.company_id(), &input, next_position, now)?;
        if existing.iter().any(|f| f.key == field.key) {
            return Err(FlameError::conflict(
                field.field_name(),
                "a field with this key already exists",
            ));
        }
        let inserted = tx
            .execute(
                "INSERT INTO custom_fields (company_id, id, entity, key, label, kind, options,
                        required, position, created_at, updated_at, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT DO NOTHING",
                args![
                    self.tenant(),
                    field.id.as_uuid(),
                    field.entity.as_str(),
                    field.key.clone(),
                    field.label.clone(),
                    field.kind.as_str(),
                    serde_json::json!(field.options),
                    field.required,
                    field.position,
                    now,
                    now,
                    field.version,
                ],
            )
            .await?;
        if inserted == 0 {
            // A concurrent definition of the same key won.
            return Err(FlameError::conflict(
                field.field_name(),
                "a field with this key already exists",
            ));
        }
        self.emit(&mut tx, now, EventPayload::CustomFieldDefined { field_id: field.id }).await?;
        tx.commit().await?;
        Ok(field)
    }

    async fn emit(
        &self,
        tx: &mut Tx,
        now: time::OffsetDateTime,
        event: EventPayload,
    ) -> Result<()> {
        outbox::record(
            tx,
            self.session.company_id(),
            Some(self.session.user_id()),
            now,
            vec![event],
        )
        .await
    }

    async fn fetch(&self, exec: &mut impl Executor, id: CustomFieldId) -> Result<CustomField> {
        let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = exec.fetch_optional(sql, args![self.tenant(), id.as_uuid()]).await?;
        found(row, field_from_row, "custom field")
    }

    /// One definition.
    pub async fn get(&self, id: CustomFieldId) -> Result<CustomField> {
        self.session.authorize(Action::Read, Resource::CustomField).await?;
        self.fetch(&mut self.session.flame().pool().exec(), id).await
    }

    /// The fields of `entity`, by position then key.
    pub async fn list(&self, entity: CustomEntity) -> Result<Vec<CustomField>> {
        self.session.authorize(Action::Read, Resource::CustomField).await?;
        load(&mut self.session.flame().pool().exec(), self.tenant(), entity).await
    }

    /// Changes the definition read at `version`. Removing options that values use, or
    /// changing the kind of a field that has values, is a `Conflict` naming the field unless
    /// `patch` migrates them ([`CustomFieldPatch`]); a migration rewrites every value in this
    /// call's transaction, so it is all or nothing.
    pub async fn update(
        &self,
        id: CustomFieldId,
        version: i64,
        patch: CustomFieldPatch,
    ) -> Result<CustomField> {
        self.session.authorize(Action::Read, Resource::CustomField).await?;
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Update, Resource::CustomField)?;
        let current = self.fetch(&mut tx, id).await?;
        if current.version != version {
            return Err(FlameError::stale("custom field"));
        }
        let (c, f) = (self.tenant(), id.as_uuid());
        let in_use = tx
            .fetch_optional(
                "SELECT record_id FROM custom_values WHERE company_id = $1 AND field_id = $2 LIMIT 1",
                args![c, f],
            )
            .await?
            .is_some();
        let used_options: Vec<String> = if current.kind.has_options() {
            tx.fetch_all(
                "SELECT DISTINCT value_key FROM custom_values WHERE company_id = $1 AND field_id = $2",
                args![c, f],
            )
            .await?
            .iter()
            .map(|r| r.get::<String>("value_key"))
            .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        let (next, migration) =
            current.patched(&patch, in_use, &|o| used_options.iter().any(|u| u == o), now)?;
        let changed = tx
            .execute(
                "UPDATE custom_fields SET label = $1, kind = $2, options = $3, required = $4,
                        position = $5, updated_at = $6, version = $7
                 WHERE company_id = $8 AND id = $9 AND version = $10",
                args![
                    next.label.clone(),
                    next.kind.as_str(),
                    serde_json::json!(next.options),
                    next.required,
                    next.position,
                    now,
                    next.version,
                    c,
                    f,
                    version,
                ],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("custom field"));
        }
        if migration == ValueMigration::Rewrite && in_use {
            self.migrate(&mut tx, &current, &next, &patch).await?;
        }
        self.emit(&mut tx, now, EventPayload::CustomFieldUpdated { field_id: id }).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Rewrites every stored value of `current` for the definition `next`.
    async fn migrate(
        &self,
        tx: &mut Tx,
        current: &CustomField,
        next: &CustomField,
        patch: &CustomFieldPatch,
    ) -> Result<()> {
        let c = self.tenant();
        let table = table(current.entity);
        let mut fields = load(tx, c, current.entity).await?;
        for f in &mut fields {
            if f.id == next.id {
                *f = next.clone();
            }
        }
        let records = tx
            .fetch_all(
                "SELECT DISTINCT record_id FROM custom_values WHERE company_id = $1 AND field_id = $2",
                args![c, current.id.as_uuid()],
            )
            .await?;
        for record in records {
            let record: Uuid = record.get("record_id")?;
            let row = tx
                .fetch_one(
                    format!("SELECT custom FROM {table} WHERE company_id = $1 AND id = $2"),
                    args![c, record],
                )
                .await?;
            let mut values = stored(&row)?;
            if let Some(value) = values.remove(&current.id)
                && let Some(value) = current.migrate(next, patch, &value)?
            {
                values.insert(current.id, value);
            }
            tx.execute(
                format!("UPDATE {table} SET custom = $1 WHERE company_id = $2 AND id = $3"),
                args![encode(&fields, &values), c, record],
            )
            .await?;
            write_index(tx, c, record, &fields, &values, false).await?;
        }
        Ok(())
    }

    /// Deletes the definition read at `version`. Its values vanish from every read, filter
    /// and export at once; a new field may then take its key.
    pub async fn delete(&self, id: CustomFieldId, version: i64) -> Result<()> {
        self.session.authorize(Action::Read, Resource::CustomField).await?;
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Delete, Resource::CustomField)?;
        let current = self.fetch(&mut tx, id).await?;
        if current.version != version {
            return Err(FlameError::stale("custom field"));
        }
        let (c, f) = (self.tenant(), id.as_uuid());
        tx.execute(
            "DELETE FROM custom_values WHERE company_id = $1 AND field_id = $2",
            args![c, f],
        )
        .await?;
        let changed = tx
            .execute(
                "DELETE FROM custom_fields WHERE company_id = $1 AND id = $2 AND version = $3",
                args![c, f, version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("custom field"));
        }
        self.emit(&mut tx, now, EventPayload::CustomFieldDeleted { field_id: id }).await?;
        tx.commit().await
    }
}
