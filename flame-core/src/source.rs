//! Lead sources: where a deal came from (website, referral, an ad campaign…).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Result;
use crate::id::{CompanyId, SourceId};
use crate::text;

/// A lead source of a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Source {
    /// Its id.
    pub id: SourceId,
    /// The company that owns it.
    pub company_id: CompanyId,
    /// Its name, unique in the company (case-insensitively).
    pub name: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// The sources every company starts with.
pub const DEFAULT_SOURCES: [&str; 6] =
    ["Website", "Referral", "Phone call", "Email", "Messaging", "Advertising"];

impl Source {
    /// A new source named `name`.
    pub fn create(company_id: CompanyId, name: &str, now: OffsetDateTime) -> Result<Self> {
        Ok(Self {
            id: SourceId::new(),
            company_id,
            name: text::required("name", name, text::NAME_MAX)?,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// The source renamed.
    pub fn renamed(&self, name: &str, now: OffsetDateTime) -> Result<Self> {
        Ok(Self {
            name: text::required("name", name, text::NAME_MAX)?,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        })
    }
}
