//! Lead sources.

use flame_core::auth::{Action, Resource};
use flame_core::event::EventPayload;
use flame_core::source::Source;
use flame_core::{FlameError, Result, SourceId};

use crate::sql::{Executor, Row, Tx, args, found};
use crate::{Session, outbox};

fn source_from_row(row: &Row) -> Result<Source> {
    Ok(Source {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        name: row.get("name")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

const COLUMNS: &str = "SELECT company_id, id, name, created_at, updated_at, version FROM sources";

pub(crate) async fn insert(tx: &mut Tx, s: &Source) -> Result<()> {
    let taken = tx
        .fetch_optional(
            "SELECT id FROM sources WHERE company_id = $1 AND name_key = $2",
            args![s.company_id.as_uuid(), s.name.to_lowercase()],
        )
        .await?;
    if taken.is_some() {
        return Err(FlameError::conflict("source", "a source with this name already exists"));
    }
    tx.execute(
        "INSERT INTO sources (company_id, id, name, name_key, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![
            s.company_id.as_uuid(),
            s.id.as_uuid(),
            s.name.clone(),
            s.name.to_lowercase(),
            s.created_at,
            s.updated_at,
            s.version,
        ],
    )
    .await?;
    Ok(())
}

/// Every source of the session's company, by name.
pub(crate) async fn all(exec: &mut impl Executor, session: &Session) -> Result<Vec<Source>> {
    let sql = format!("{COLUMNS} WHERE company_id = $1 ORDER BY name_key");
    let rows = exec.fetch_all(sql, args![session.tenant()]).await?;
    rows.iter().map(source_from_row).collect()
}

/// Checks that `id` is a source of the session's company; `field` names the input.
pub(crate) async fn ensure_exists(
    exec: &mut impl Executor,
    session: &Session,
    id: SourceId,
    field: &str,
) -> Result<()> {
    let found = exec
        .fetch_optional(
            "SELECT id FROM sources WHERE company_id = $1 AND id = $2",
            args![session.tenant(), id.as_uuid()],
        )
        .await?;
    found.map(drop).ok_or_else(|| FlameError::validation(field, "is not a source of this company"))
}

/// The company's lead sources. Everyone reads them; admins and owners change them.
#[derive(Debug, Clone)]
pub struct Sources {
    session: Session,
}

impl Sources {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Adds a source; names are unique per company, ignoring case.
    pub async fn create(&self, name: &str) -> Result<Source> {
        let now = self.session.authorize(Action::Create, Resource::Source).await?;
        let source = Source::create(self.session.company_id(), name, now)?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, Resource::Source)?;
        insert(&mut tx, &source).await?;
        outbox::record(
            &mut tx,
            source.company_id,
            Some(self.session.user_id()),
            now,
            vec![EventPayload::SourceCreated { source_id: source.id }],
        )
        .await?;
        tx.commit().await?;
        Ok(source)
    }

    /// One source.
    pub async fn get(&self, id: SourceId) -> Result<Source> {
        self.session.authorize(Action::Read, Resource::Source).await?;
        self.fetch(&mut self.session.flame().pool().exec(), id).await
    }

    async fn fetch(&self, exec: &mut impl Executor, id: SourceId) -> Result<Source> {
        let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = exec.fetch_optional(sql, args![self.session.tenant(), id.as_uuid()]).await?;
        found(row, source_from_row, "source")
    }

    /// Every source of the company, by name.
    pub async fn list(&self) -> Result<Vec<Source>> {
        self.session.authorize(Action::Read, Resource::Source).await?;
        let sql = format!("{COLUMNS} WHERE company_id = $1 ORDER BY name_key");
        let rows =
            self.session.flame().pool().exec().fetch_all(sql, args![self.session.tenant()]).await?;
        rows.iter().map(source_from_row).collect()
    }

    /// Renames a source.
    pub async fn rename(&self, id: SourceId, name: &str, version: i64) -> Result<Source> {
        let now = self.session.authorize(Action::Update, Resource::Source).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Update, Resource::Source)?;
        let current = self.fetch(&mut tx, id).await?;
        if current.version != version {
            return Err(FlameError::stale("source"));
        }
        let next = current.renamed(name, now)?;
        let clash = tx
            .fetch_optional(
                "SELECT id FROM sources WHERE company_id = $1 AND name_key = $2 AND id <> $3",
                args![self.session.tenant(), next.name.to_lowercase(), id.as_uuid()],
            )
            .await?;
        if clash.is_some() {
            return Err(FlameError::conflict("source", "a source with this name already exists"));
        }
        let changed = tx
            .execute(
                "UPDATE sources SET name = $1, name_key = $2, updated_at = $3, version = $4
                 WHERE company_id = $5 AND id = $6 AND version = $7",
                args![
                    next.name.clone(),
                    next.name.to_lowercase(),
                    now,
                    next.version,
                    self.session.tenant(),
                    id.as_uuid(),
                    version
                ],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("source"));
        }
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes a source; deals that came from it keep their data and lose the source.
    pub async fn delete(&self, id: SourceId, version: i64) -> Result<()> {
        self.session.authorize(Action::Delete, Resource::Source).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Delete, Resource::Source)?;
        let current = self.fetch(&mut tx, id).await?;
        if current.version != version {
            return Err(FlameError::stale("source"));
        }
        let c = self.session.tenant();
        tx.execute(
            "UPDATE deals SET source_id = NULL WHERE company_id = $1 AND source_id = $2",
            args![c, id.as_uuid()],
        )
        .await?;
        tx.execute("DELETE FROM sources WHERE company_id = $1 AND id = $2", args![c, id.as_uuid()])
            .await?;
        tx.commit().await
    }
}
