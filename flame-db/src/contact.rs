//! Contacts.

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::contact::{Contact, ContactFilter, ContactPatch, NewContact};
use flame_core::event::EventPayload;
use flame_core::page::{Page, PageRequest};
use flame_core::{ContactId, Email, FlameError, Phone, Result, UserId, phone};

use crate::sql::{Executor, Row, Statement, Tx, args, found, prefix_op, prefix_pattern};
use crate::{Session, outbox, usage};

pub(crate) const COLUMNS: &str =
    "SELECT company_id, id, first_name, last_name, email, phone, organization, owner_id,
        created_at, updated_at, version FROM contacts";

pub(crate) fn contact_from_row(row: &Row) -> Result<Contact> {
    Ok(Contact {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        first_name: row.get("first_name")?,
        last_name: row.get("last_name")?,
        // Stored values were validated when written: only their shape is checked on the way
        // back (the full email and phone rules cost more than the query itself).
        email: row
            .get::<Option<String>>("email")?
            .map(|e| Email::from_stored(&e).map_err(|_| crate::sql::corrupt("email")))
            .transpose()?,
        phone: row
            .get::<Option<String>>("phone")?
            .map(|p| Phone::from_stored(&p).map_err(|_| crate::sql::corrupt("phone")))
            .transpose()?,
        organization: row.get("organization")?,
        owner_id: row.opt_id("owner_id")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

/// Checks that `user` is a member of the session's company; `field` names the input.
pub(crate) async fn ensure_member(
    exec: &mut impl Executor,
    session: &Session,
    user: UserId,
    field: &str,
) -> Result<()> {
    let found = exec
        .fetch_optional(
            "SELECT user_id FROM memberships WHERE company_id = $1 AND user_id = $2",
            args![session.tenant(), user.as_uuid()],
        )
        .await?;
    flame_core::deal::ensure_member(field, found.is_some())
}

/// Checks that `id` is a contact of the session's company; `field` names the input.
pub(crate) async fn ensure_exists(
    exec: &mut impl Executor,
    session: &Session,
    id: ContactId,
    field: &str,
) -> Result<()> {
    let found = exec
        .fetch_optional(
            "SELECT id FROM contacts WHERE company_id = $1 AND id = $2",
            args![session.tenant(), id.as_uuid()],
        )
        .await?;
    found.map(drop).ok_or_else(|| FlameError::validation(field, "is not a contact of this company"))
}

/// The company's contacts.
#[derive(Debug, Clone)]
pub struct Contacts {
    pub(crate) session: Session,
}

impl Contacts {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    fn tenant(&self) -> uuid::Uuid {
        self.session.tenant()
    }

    /// Creates a contact, owned by `input.owner_id` or by the session's user.
    pub async fn create(&self, input: NewContact) -> Result<Contact> {
        let owner = input.owner_id.unwrap_or(self.session.user_id());
        let resource = Resource::Contact { owner: Some(owner) };
        let now = self.session.authorize(Action::Create, resource).await?;
        let contact =
            Contact::create(self.session.company_id(), &input, self.session.user_id(), now)?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, resource)?;
        if let Some(owner) = input.owner_id {
            ensure_member(&mut tx, &self.session, owner, "owner_id").await?;
        }
        usage::reserve(&mut tx, self.session.company_id(), Limit::Contacts, 1).await?;
        insert(&mut tx, &contact).await?;
        self.emit(&mut tx, now, EventPayload::ContactCreated { contact_id: contact.id }).await?;
        tx.commit().await?;
        Ok(contact)
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

    async fn fetch(&self, exec: &mut impl Executor, id: ContactId) -> Result<Contact> {
        let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = exec.fetch_optional(sql, args![self.tenant(), id.as_uuid()]).await?;
        found(row, contact_from_row, "contact")
    }

    /// One contact.
    pub async fn get(&self, id: ContactId) -> Result<Contact> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        self.fetch(&mut self.session.flame().pool().exec(), id).await
    }

    /// Applies `patch` to the contact read at `version`; a stale version is `Conflict`.
    pub async fn update(
        &self,
        id: ContactId,
        version: i64,
        patch: ContactPatch,
    ) -> Result<Contact> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let mut tx = self.session.begin().await?;
        let current = self.fetch(&mut tx, id).await?;
        let now =
            self.session.permit(Action::Update, Resource::Contact { owner: current.owner_id })?;
        if let Some(owner) = patch.owner_id {
            self.session.permit(Action::Update, Resource::Contact { owner: Some(owner) })?;
            ensure_member(&mut tx, &self.session, owner, "owner_id").await?;
        }
        if current.version != version {
            return Err(FlameError::stale("contact"));
        }
        let next = current.patched(&patch, now)?;
        let changed = tx
            .execute(
                "UPDATE contacts SET first_name = $1, last_name = $2, email = $3, phone = $4, organization = $5,
                        owner_id = $6, search_name = $7, last_name_key = $8, updated_at = $9, version = $10
                 WHERE company_id = $11 AND id = $12 AND version = $13",
                args![
                    next.first_name.clone(),
                    next.last_name.clone(),
                    next.email.as_ref().map(|e| e.as_str().to_owned()),
                    next.phone.as_ref().map(|p| p.as_str().to_owned()),
                    next.organization.clone(),
                    next.owner_id.map(|o| o.as_uuid()),
                    next.search_name(),
                    next.last_name.as_ref().map(|l| l.to_lowercase()),
                    now,
                    next.version,
                    self.tenant(),
                    id.as_uuid(),
                    version,
                ],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("contact"));
        }
        self.emit(&mut tx, now, EventPayload::ContactUpdated { contact_id: id }).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes the contact read at `version`. Its deals stay, without a contact; its
    /// activities stay on their deal, and those about the contact alone are deleted.
    pub async fn delete(&self, id: ContactId, version: i64) -> Result<()> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let mut tx = self.session.begin().await?;
        let current = self.fetch(&mut tx, id).await?;
        let now =
            self.session.permit(Action::Delete, Resource::Contact { owner: current.owner_id })?;
        if current.version != version {
            return Err(FlameError::stale("contact"));
        }
        let (c, i) = (self.tenant(), id.as_uuid());
        tx.execute(
            "DELETE FROM channel_identities WHERE company_id = $1 AND contact_id = $2",
            args![c, i],
        )
        .await?;
        tx.execute(
            "DELETE FROM activities WHERE company_id = $1 AND contact_id = $2 AND deal_id IS NULL",
            args![c, i],
        )
        .await?;
        tx.execute(
            "UPDATE activities SET contact_id = NULL WHERE company_id = $1 AND contact_id = $2",
            args![c, i],
        )
        .await?;
        tx.execute(
            "UPDATE deals SET contact_id = NULL WHERE company_id = $1 AND contact_id = $2",
            args![c, i],
        )
        .await?;
        let changed = tx
            .execute(
                "DELETE FROM contacts WHERE company_id = $1 AND id = $2 AND version = $3",
                args![c, i, version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("contact"));
        }
        usage::release(&mut tx, self.session.company_id(), Limit::Contacts, 1).await?;
        self.emit(&mut tx, now, EventPayload::ContactDeleted { contact_id: id }).await?;
        tx.commit().await
    }

    /// Contacts matching `filter`, newest first, a page at a time.
    pub async fn list(&self, filter: ContactFilter, page: PageRequest) -> Result<Page<Contact>> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let limit = page.limit()?;
        let backend = self.session.flame().backend();
        let like = prefix_op(backend);
        let mut q = Statement::new(COLUMNS, vec![]);
        let company = q.bind(self.tenant());
        q.push(&format!(" WHERE company_id = {company}"));
        if let Some(name) = non_blank(filter.name_prefix.as_deref(), "name_prefix")? {
            let p = q.bind(prefix_pattern(backend, &name.to_lowercase()));
            q.push(&format!(" AND (search_name {like} {p} OR last_name_key {like} {p})"));
        }
        if let Some(email) = non_blank(filter.email_prefix.as_deref(), "email_prefix")? {
            q.and("email", like, Some(prefix_pattern(backend, &email.to_lowercase())));
        }
        if let Some(phone) = non_blank(filter.phone_prefix.as_deref(), "phone_prefix")? {
            let digits = phone::search_prefix(&phone)
                .ok_or_else(|| FlameError::validation("phone_prefix", "must contain digits"))?;
            q.and("phone", like, Some(prefix_pattern(backend, &digits)));
        }
        q.and("owner_id", "=", filter.owner_id.map(|o| o.as_uuid()));
        q.page(page.cursor_uuid()?, limit, true);
        let (sql, args) = q.build();
        let rows = self.session.flame().pool().exec().fetch_all(sql, args).await?;
        let contacts = rows.iter().map(contact_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(contacts, limit, |c: &Contact| c.id.as_uuid()))
    }
}

/// A search text, trimmed; blank is no filter, over 200 characters is refused.
pub(crate) fn non_blank(text: Option<&str>, field: &str) -> Result<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > flame_core::text::NAME_MAX => {
            Err(FlameError::validation(field, "must be at most 200 characters"))
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// Inserts a validated contact (its usage already reserved).
pub(crate) async fn insert(tx: &mut Tx, contact: &Contact) -> Result<()> {
    crate::import::insert_many(tx, std::iter::once(contact)).await
}
