//! The columns of a deals CSV: what an import reads into a deal (its value, its pipeline and
//! stage by name, the records it points to by what identifies them in any company), how it
//! lands in the stage its row names, and what an export writes of a [`Deal`].

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Layout, export_header, export_keys, export_record};
use crate::custom_field::{CustomEntity, CustomField};
use crate::deal::{Deal, DealStatus, NewDeal};
use crate::email::Email;
use crate::error::{FlameError, Result};
use crate::id::{CompanyId, SourceId, UserId};
use crate::money::{Currency, Money};
use crate::pipeline::{Pipeline, Stage, StageKind, first_of_kind};
use crate::source::Source;

/// The columns a deals CSV may have (header names, case-insensitive), in the order an
/// export writes them, and a [`CUSTOM_PREFIX`](super::CUSTOM_PREFIX)`<key>` column per custom
/// field of deals:
///
/// - `title` (required);
/// - `amount`: the value as a decimal in the currency, with at most its number of decimal
///   places (`"1234.50"` USD, `"1234"` JPY; what [`Money::to_decimal_string`] writes); blank
///   is 0;
/// - `currency` (required): the ISO 4217 code;
/// - `pipeline`: the pipeline's name (case-insensitively); blank: the default pipeline;
/// - `stage`: the stage's name in that pipeline (case-insensitively; the first in pipeline
///   order when several share it); blank: the pipeline's first stage of the row's `status`
///   (its first open stage without one). A deal lands in that stage even when it is won or
///   lost ([`Deal::create_in`]);
/// - `status`: `open`, `won` or `lost`; when a `stage` is named too it must be that stage's
///   kind;
/// - `lost_reason`: why a lost deal was lost (required for a lost deal, refused for another);
/// - `contact`: the contact's email, else its full name (`"Ada Lovelace"`,
///   case-insensitively); the oldest contact of the company that has it ([`ContactKey`]);
///   never created;
/// - `organization`: by [`organization_reference`](super::organization_reference) (domain,
///   else name), created when none has it;
/// - `source`: the lead source's name (case-insensitively); never created;
/// - `assignee`: the email of the member responsible for it (blank: the importing user);
/// - `expected_close`: `YYYY-MM-DD`;
/// - `tags`: names separated by `;`, created on first use.
pub const DEAL_COLUMNS: [&str; 13] = [
    "title",
    "amount",
    "currency",
    "pipeline",
    "stage",
    "status",
    "lost_reason",
    "contact",
    "organization",
    "source",
    "assignee",
    "expected_close",
    "tags",
];

/// Where each column of a deals CSV is in its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealColumns {
    layout: Layout<13>,
}

impl DealColumns {
    /// Reads the header row. A missing `title` or `currency` column, an unknown column (it
    /// would be dropped silently) or a repeated one is a `Validation` error on `header`.
    pub fn from_header<S: AsRef<str>>(header: &[S]) -> Result<Self> {
        Ok(Self { layout: Layout::read(header, &DEAL_COLUMNS, &[0, 2])? })
    }

    /// The custom field keys the header names, in column order.
    pub fn custom_keys(&self) -> impl Iterator<Item = &str> {
        self.layout.custom_keys()
    }

    /// The deal in one record: a `Validation` error on `row` when the record does not have
    /// as many fields as the header, and on the column of a value that does not parse
    /// (`amount`, `currency`, `status`, `expected_close`, `tags`).
    pub fn deal<S: AsRef<str>>(&self, record: &[S]) -> Result<DealRow> {
        let l = &self.layout;
        l.check(record)?;
        let currency = l.text(record, 2).unwrap_or_default();
        let value = match l.text(record, 1) {
            Some(amount) => Money::parse(&amount, &currency)?,
            None => Money::zero(Currency::parse(&currency)?),
        };
        let expected_close = l
            .text(record, 11)
            .map(|d| crate::clock::parse_date("expected_close", &d))
            .transpose()?;
        let mut deal = NewDeal::new(
            l.text(record, 0).unwrap_or_default(),
            value.amount_minor(),
            value.currency().code(),
        );
        deal.expected_close = expected_close;
        deal.custom = l.custom(record);
        Ok(DealRow {
            deal,
            pipeline: l.text(record, 3),
            stage: l.text(record, 4),
            status: l.text(record, 5).map(|s| DealStatus::from_str(&s)).transpose()?,
            lost_reason: l.text(record, 6),
            contact: l.text(record, 7),
            organization: l.text(record, 8),
            source: l.text(record, 9),
            assignee: l.text(record, 10),
            tags: l.tags(record, 12)?,
        })
    }
}

/// One deal of an import, as a CSV row gives it: the deal's own fields, and the records it
/// points to by the names and emails the row writes (see [`DEAL_COLUMNS`]). The store
/// resolves those among the company's records only — another company's never match — and
/// fills in the ids of [`deal`](Self::deal) (`contact_id`, `source_id`, `assignee_id`,
/// `organization_id`) before [`build`](Self::build) makes the deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealRow {
    /// The deal: title, value, expected close date and custom values (as text) from the
    /// row; the ids are the store's to fill in (`pipeline_id` and `stage_id` are not read).
    pub deal: NewDeal,
    /// The pipeline's name (`None`: the default pipeline).
    pub pipeline: Option<String>,
    /// The stage's name in the pipeline (`None`: the first stage of `status`).
    pub stage: Option<String>,
    /// Its status (`None`: the stage's; open without a stage).
    pub status: Option<DealStatus>,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// Its contact's email, else full name ([`ContactKey`]).
    pub contact: Option<String>,
    /// Its organization, by [`organization_reference`](super::organization_reference).
    pub organization: Option<String>,
    /// Its lead source's name.
    pub source: Option<String>,
    /// The email of the member responsible for it.
    pub assignee: Option<String>,
    /// The names of its tags.
    pub tags: Vec<String>,
}

/// How an import finds the contact a deal row names: by email when the text is one (the
/// oldest contact of the company with that email), else by full name, `"first last"`,
/// compared case-insensitively (the oldest contact of that name). An export writes a
/// deal's contact the same way ([`contact_reference`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactKey {
    /// A normalized email.
    Email(String),
    /// A full name in lowercase (what contacts' name search keys are).
    Name(String),
}

/// How an export writes the contact a deal points to: its email, else its full name.
pub fn contact_reference(email: Option<&str>, full_name: &str) -> String {
    email.map_or_else(|| full_name.to_owned(), str::to_owned)
}

/// An error of the deal's own fields, named by the row's column rather than the field of
/// [`NewDeal`] it went to.
fn rename(e: FlameError) -> FlameError {
    match &e {
        FlameError::Validation { field, .. } => match field.as_str() {
            "stage_id" => e.at("stage"),
            "pipeline_id" => e.at("pipeline"),
            "amount_minor" => e.at("amount"),
            "contact_id" => e.at("contact"),
            "source_id" => e.at("source"),
            "assignee_id" => e.at("assignee"),
            _ => e,
        },
        _ => e,
    }
}

impl DealRow {
    /// The contact the row names, as a key to look up; `None` when it names none.
    pub fn contact_key(&self) -> Option<ContactKey> {
        let text = self.contact.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
        Some(match Email::parse(text) {
            Ok(email) => ContactKey::Email(email.into_string()),
            Err(_) => ContactKey::Name(text.to_lowercase()),
        })
    }

    /// The organization's name, validated (trimmed, bounded like every name); `None` when
    /// the row names none.
    pub fn organization_name(&self) -> Result<Option<String>> {
        crate::text::optional("organization", self.organization.as_deref(), crate::text::NAME_MAX)
    }

    /// The pipeline the row names among the company's `pipelines` (by name,
    /// case-insensitively), or the default one when it names none: a `Validation` error on
    /// `pipeline` when there is no such pipeline.
    pub fn pipeline_in<'a>(&self, pipelines: &'a [Pipeline]) -> Result<&'a Pipeline> {
        match self.pipeline.as_deref().map(|p| p.trim().to_lowercase()) {
            Some(name) => {
                pipelines.iter().find(|p| p.name.to_lowercase() == name).ok_or_else(|| {
                    FlameError::validation("pipeline", "is not a pipeline of this company")
                })
            }
            None => pipelines.iter().find(|p| p.is_default).ok_or_else(|| {
                FlameError::validation("pipeline", "the company has no default pipeline")
            }),
        }
    }

    /// The stage the row's deal lands in among `stages` (its pipeline's): the one it names
    /// (case-insensitively, the first in pipeline order), else the first of its status's
    /// kind (open without a status). A `Validation` error on `stage` when the pipeline has
    /// no such stage, on `status` when the status is not the named stage's kind.
    pub fn stage_in<'a>(&self, stages: &'a [Stage]) -> Result<&'a Stage> {
        let mut ordered: Vec<&Stage> = stages.iter().collect();
        ordered.sort_by_key(|s| s.position);
        let kind = |status: DealStatus| match status {
            DealStatus::Open => StageKind::Open,
            DealStatus::Won => StageKind::Won,
            DealStatus::Lost => StageKind::Lost,
        };
        match self.stage.as_deref().map(|s| s.trim().to_lowercase()) {
            Some(name) => {
                let stage =
                    ordered.into_iter().find(|s| s.name.to_lowercase() == name).ok_or_else(
                        || FlameError::validation("stage", "is not a stage of the pipeline"),
                    )?;
                match self.status {
                    Some(status) if kind(status) != stage.kind => Err(FlameError::validation(
                        "status",
                        format!("is not the kind of the stage, {}", stage.kind),
                    )),
                    _ => Ok(stage),
                }
            }
            None => {
                let wanted = kind(self.status.unwrap_or(DealStatus::Open));
                first_of_kind(stages, wanted).ok_or_else(|| {
                    FlameError::validation("stage", format!("the pipeline has no {wanted} stage"))
                })
            }
        }
    }

    /// The lead source the row names among the company's `sources` (by name,
    /// case-insensitively): a `Validation` error on `source` when there is no such source;
    /// `None` when it names none.
    pub fn source_in(&self, sources: &[Source]) -> Result<Option<SourceId>> {
        let Some(name) = self.source.as_deref().map(|s| s.trim().to_lowercase()) else {
            return Ok(None);
        };
        sources
            .iter()
            .find(|s| s.name.to_lowercase() == name)
            .map(|s| Some(s.id))
            .ok_or_else(|| FlameError::validation("source", "is not a source of this company"))
    }

    /// The deal of this row in `pipeline` (whose stages are `stages`), standing in the stage
    /// [`stage_in`](Self::stage_in) picks, by [`Deal::create_in`]: won or lost there when
    /// that stage is won or lost, with the row's `lost_reason`. Errors name the row's
    /// columns (`title`, `amount`, `currency`, `stage`, `status`, `lost_reason`,
    /// `expected_close`). Its custom values are the store's to check.
    pub fn build(
        &self,
        company_id: CompanyId,
        pipeline: &Pipeline,
        stages: &[Stage],
        default_assignee: UserId,
        now: OffsetDateTime,
    ) -> Result<Deal> {
        let target = self.stage_in(stages)?;
        Deal::create_in(
            company_id,
            &self.deal,
            pipeline.id,
            stages,
            target,
            self.lost_reason.as_deref(),
            default_assignee,
            now,
        )
        .map_err(rename)
    }
}

/// What a deal's record names by reference, as the store found it: the columns an export
/// cannot read off the [`Deal`] itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DealLinks {
    /// Its pipeline's name.
    pub pipeline: String,
    /// Its stage's name.
    pub stage: String,
    /// Its contact, by [`contact_reference`].
    pub contact: Option<String>,
    /// Its organization, by [`organization_reference`](super::organization_reference).
    pub organization: Option<String>,
    /// Its lead source's name.
    pub source: Option<String>,
    /// Its assignee's email (`None` when the assignee is no longer a member).
    pub assignee: Option<String>,
}

/// The columns of a deals export and each deal's record, in the terms [`DealColumns`] reads
/// back: [`DEAL_COLUMNS`], then a `custom.<key>` column per custom field of deals (in display
/// order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealExport {
    keys: Vec<String>,
}

impl DealExport {
    /// The export of deals under `fields`, the company's custom field definitions (those of
    /// other entities are skipped).
    pub fn new(fields: &[CustomField]) -> Self {
        Self { keys: export_keys(fields, CustomEntity::Deal) }
    }

    /// The header row.
    pub fn header(&self) -> Vec<String> {
        export_header(&DEAL_COLUMNS, &self.keys)
    }

    /// The record of `deal`, whose references are `links`.
    pub fn record(&self, deal: &Deal, links: &DealLinks) -> Vec<String> {
        let d = deal;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let fixed: [String; DEAL_COLUMNS.len()] = [
            d.title.clone(),
            d.value.to_decimal_string(),
            d.value.currency().code().to_owned(),
            links.pipeline.clone(),
            links.stage.clone(),
            d.status.as_str().to_owned(),
            text(&d.lost_reason),
            text(&links.contact),
            text(&links.organization),
            text(&links.source),
            text(&links.assignee),
            d.expected_close.map(crate::clock::format_date).unwrap_or_default(),
            crate::tag::list_text(&d.tags),
        ];
        export_record(fixed, &self.keys, &d.custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tests::{as_text, fields, values};
    use crate::pipeline::default_pipeline;

    fn pipeline() -> (Pipeline, Vec<Stage>) {
        default_pipeline()
            .build(CompanyId::new(), 0, true, OffsetDateTime::UNIX_EPOCH)
            .expect("valid")
    }

    fn row(columns: &[&str], record: &[&str]) -> Result<DealRow> {
        DealColumns::from_header(columns)?.deal(record)
    }

    fn field_of<T: std::fmt::Debug>(result: Result<T>) -> String {
        match result {
            Err(FlameError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn an_exported_deal_reads_back_in_every_column() {
        let fields = fields(CustomEntity::Deal);
        let export = DealExport::new(&fields);
        let header = export.header();
        assert_eq!(header[..DEAL_COLUMNS.len()], DEAL_COLUMNS);
        let (p, stages) = pipeline();
        let lost = stages.iter().find(|s| s.kind == StageKind::Lost).expect("lost");
        let mut input = NewDeal::new("Looms, 12", 123_450, "usd");
        input.expected_close = Some(crate::clock::parse_date("d", "2027-03-01").expect("date"));
        let mut deal = Deal::create_in(
            p.company_id,
            &input,
            p.id,
            &stages,
            lost,
            Some("Too \"expensive\""),
            UserId::new(),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("valid");
        deal.tags = vec!["Q1".into(), "Renewal".into()];
        deal.custom = values();
        let links = DealLinks {
            pipeline: p.name.clone(),
            stage: lost.name.clone(),
            contact: Some("ada@example.com".into()),
            organization: Some("engines.example".into()),
            source: Some("Website".into()),
            assignee: Some("olga@acme.test".into()),
        };
        let record = export.record(&deal, &links);
        assert_eq!(record.len(), header.len());
        for (column, cell) in DEAL_COLUMNS.iter().zip(&record) {
            assert!(!cell.is_empty(), "{column}");
        }
        assert_eq!(record[1..3], ["1234.50", "USD"]);
        let back = DealColumns::from_header(&header).expect("header").deal(&record).expect("row");
        let mut new_deal = NewDeal::new("Looms, 12", 123_450, "USD");
        new_deal.expected_close = input.expected_close;
        new_deal.custom = as_text(&values());
        let expected = DealRow {
            deal: new_deal,
            pipeline: Some("Sales".into()),
            stage: Some("Lost".into()),
            status: Some(DealStatus::Lost),
            lost_reason: deal.lost_reason.clone(),
            contact: links.contact.clone(),
            organization: links.organization.clone(),
            source: links.source.clone(),
            assignee: links.assignee.clone(),
            tags: deal.tags.clone(),
        };
        assert_eq!(back, expected);
        assert_eq!(back.contact_key(), Some(ContactKey::Email("ada@example.com".into())));
        // The deal the row makes stands where the exported one stood.
        let rebuilt = back
            .build(p.company_id, &p, &stages, deal.assignee_id.expect("assignee"), deal.created_at)
            .expect("valid");
        assert_eq!(
            Deal { id: deal.id, custom: deal.custom.clone(), tags: deal.tags.clone(), ..rebuilt },
            deal
        );
    }

    #[test]
    fn a_row_lands_in_the_stage_it_names_or_the_first_of_its_status() {
        let (p, stages) = pipeline();
        let cols = ["title", "currency", "stage", "status", "lost_reason"];
        let stage_of = |record: &[&str]| -> Result<String> {
            let r = row(&cols, record)?;
            r.build(p.company_id, &p, &stages, UserId::new(), OffsetDateTime::UNIX_EPOCH)
                .map(|d| stages.iter().find(|s| s.id == d.stage_id).expect("stage").name.clone())
        };
        assert_eq!(stage_of(&["A", "EUR", "", "", ""]).expect("open"), "New");
        assert_eq!(stage_of(&["A", "EUR", "proposal", "", ""]).expect("named"), "Proposal");
        assert_eq!(stage_of(&["A", "EUR", "", "won", ""]).expect("won"), "Won");
        assert_eq!(stage_of(&["A", "EUR", "", "Lost", "price"]).expect("lost"), "Lost");
        assert_eq!(field_of(stage_of(&["A", "EUR", "", "lost", ""])), "lost_reason");
        assert_eq!(field_of(stage_of(&["A", "EUR", "Won", "", "price"])), "lost_reason");
        assert_eq!(field_of(stage_of(&["A", "EUR", "Nowhere", "", ""])), "stage");
        assert_eq!(field_of(stage_of(&["A", "EUR", "Won", "open", ""])), "status");
        assert_eq!(field_of(stage_of(&["A", "EUR", "", "maybe", ""])), "status");
        assert_eq!(field_of(stage_of(&[" ", "EUR", "", "", ""])), "title");
        let pipelines = [p.clone()];
        let named = |name: &str| row(&["title", "currency", "pipeline"], &["A", "EUR", name]);
        assert_eq!(named("SALES").expect("row").pipeline_in(&pipelines).expect("found").id, p.id);
        assert_eq!(named("").expect("row").pipeline_in(&pipelines).expect("default").id, p.id);
        assert_eq!(field_of(named("Other").expect("row").pipeline_in(&pipelines)), "pipeline");
    }

    #[test]
    fn values_and_references_name_their_columns() {
        let cols = ["title", "amount", "currency", "expected_close", "contact", "source"];
        assert_eq!(field_of(row(&cols, &["A", "1.234", "USD", "", "", ""])), "amount");
        assert_eq!(field_of(row(&cols, &["A", "-1", "USD", "", "", ""])), "amount");
        assert_eq!(field_of(row(&cols, &["A", "1", "XYZ", "", "", ""])), "currency");
        assert_eq!(field_of(row(&cols, &["A", "", "", "", "", ""])), "currency");
        assert_eq!(
            field_of(row(&cols, &["A", "1", "JPY", "03/01/2027", "", ""])),
            "expected_close"
        );
        let zero = row(&cols, &["A", "", "jpy", "", "Ada Lovelace", "web"]).expect("valid");
        assert_eq!((zero.deal.amount_minor, zero.deal.currency.as_str()), (0, "JPY"));
        assert_eq!(zero.contact_key(), Some(ContactKey::Name("ada lovelace".into())));
        let company = CompanyId::new();
        let web = Source::create(company, "Web", OffsetDateTime::UNIX_EPOCH).expect("source");
        assert_eq!(zero.source_in(std::slice::from_ref(&web)).expect("found"), Some(web.id));
        assert_eq!(field_of(zero.source_in(&[])), "source");
        assert_eq!(contact_reference(None, "Ada Lovelace"), "Ada Lovelace");
        assert_eq!(contact_reference(Some("ada@example.com"), "Ada Lovelace"), "ada@example.com");
        for bad in [vec!["currency"], vec!["title"], vec!["title", "currency", "value"]] {
            assert_eq!(field_of(DealColumns::from_header(&bad)), "header");
        }
    }
}
