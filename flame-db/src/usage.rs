//! Plan limits, enforced exactly: each company's usage lives in one `company_usage` row, and
//! every write that adds usage updates that row first, inside its transaction.
//!
//! Updating the row locks it (PostgreSQL) or the whole database (SQLite, `BEGIN IMMEDIATE`), so
//! concurrent writers of one company queue there; the limit is then read by a later statement,
//! which sees any plan change committed before the lock was granted. Two writers can therefore
//! never both take the last unit, on either engine.

use flame_core::billing::{Limit, Usage};
use flame_core::{CompanyId, FlameError, Result};

use crate::sql::{Executor, Row, Tx, args};

/// A plan limit as stored in column `col` (`None`: unlimited).
pub(crate) fn plan_limit(row: &Row, col: &str) -> Result<Option<u32>> {
    // SQLite keeps any 64-bit integer: read it whole, so that a limit stored above i32::MAX
    // before limits were bounded (`PlanLimits::MAX`) reads back instead of breaking the
    // catalog. PostgreSQL's `integer` column holds no more.
    let n = row.opt_int_widened(col)?;
    n.map(|n| u32::try_from(n).map_err(|_| crate::sql::corrupt(col))).transpose()
}

fn column(limit: Limit) -> &'static str {
    limit.as_str()
}

/// Adds `n` to the company's use of `limit`, or fails with `PlanLimitExceeded` (the
/// transaction must then be dropped, which undoes the addition).
pub(crate) async fn reserve(tx: &mut Tx, company: CompanyId, limit: Limit, n: u64) -> Result<()> {
    let col = column(limit);
    let adding = i64::try_from(n).map_err(|_| FlameError::validation("count", "is too large"))?;
    // One statement counts the new usage and reads what the plan allows (a company without
    // a subscription is not limited; none is created that way).
    let row = tx
        .fetch_optional(
            format!(
                "UPDATE company_usage SET {col} = {col} + $2 WHERE company_id = $1
                 RETURNING {col}, (SELECT p.limit_{col} FROM subscriptions s
                                   JOIN plans p ON p.id = s.plan_id
                                   WHERE s.company_id = company_usage.company_id) AS allowed"
            ),
            args![company.as_uuid(), adding],
        )
        .await?
        .ok_or_else(|| FlameError::not_found("company"))?;
    let after = u64::try_from(row.int(col)?).unwrap_or(0);
    let allowed = plan_limit(&row, "allowed")?;
    limit.check(allowed, after.saturating_sub(n), n)
}

pub(crate) async fn release(tx: &mut Tx, company: CompanyId, limit: Limit, n: u64) -> Result<()> {
    let col = column(limit);
    let n = i64::try_from(n).map_err(|_| FlameError::validation("count", "is too large"))?;
    tx.execute(
        format!(
            "UPDATE company_usage SET {col} = CASE WHEN {col} > $2 THEN {col} - $2 ELSE 0 END
             WHERE company_id = $1"
        ),
        args![company.as_uuid(), n],
    )
    .await?;
    Ok(())
}

/// The usage row of a new company.
pub(crate) async fn create(tx: &mut Tx, company: CompanyId, usage: Usage) -> Result<()> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO company_usage (company_id, seats, contacts, deals, pipelines, integrations,
                                    organizations)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![
            company.as_uuid(),
            n(usage.seats),
            n(usage.contacts),
            n(usage.deals),
            n(usage.pipelines),
            n(usage.integrations),
            n(usage.organizations)
        ],
    )
    .await?;
    Ok(())
}

/// The company's usage; with `lock`, also locks the row until the transaction ends (for a
/// plan change, which must not race with writers adding usage).
pub(crate) async fn read(
    exec: &mut impl Executor,
    company: CompanyId,
    lock: bool,
) -> Result<Usage> {
    let sql = if lock {
        // A no-op update takes the row lock on both engines.
        "UPDATE company_usage SET seats = seats WHERE company_id = $1
         RETURNING seats, contacts, deals, pipelines, integrations, organizations"
    } else {
        "SELECT seats, contacts, deals, pipelines, integrations, organizations FROM company_usage
         WHERE company_id = $1"
    };
    let row = exec
        .fetch_optional(sql, args![company.as_uuid()])
        .await?
        .ok_or_else(|| FlameError::not_found("company"))?;
    usage_from_row(&row)
}

fn usage_from_row(row: &Row) -> Result<Usage> {
    let n = |col: &str| -> Result<u64> { Ok(u64::try_from(row.int(col)?).unwrap_or(0)) };
    Ok(Usage {
        seats: n("seats")?,
        contacts: n("contacts")?,
        deals: n("deals")?,
        pipelines: n("pipelines")?,
        integrations: n("integrations")?,
        organizations: n("organizations")?,
    })
}
