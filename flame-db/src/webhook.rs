//! Outgoing webhooks: the dispatcher that fans the outbox out to the webhooks subscribed to
//! each event, and the worker that posts each delivery signed and retries it (the `webhooks`
//! feature). What admins see of the deliveries is in `delivery.rs`.
//!
//! Nothing lives only in memory. An event is in the outbox from the transaction that caused
//! it; the dispatcher turns it into one `webhook_deliveries` row per subscribed webhook and
//! marks it published in one transaction; a worker claims a due delivery by pushing its
//! `next_attempt_at` forward by a lease before posting it, and records the outcome only if it
//! still holds that lease. A worker that dies mid-delivery leaves the delivery pending; once
//! the lease runs out any worker — in this process or another — sends it again, with the same
//! event id (`Flame-Event-Id`) for the receiver to drop the duplicate: delivery is at least
//! once.
//!
//! Events about one record (a deal, a contact) reach each webhook in the order they happened:
//! a delivery is only claimed once every earlier event about its record has been dispatched
//! and no earlier delivery of it to the same webhook is still pending. A dead delivery no
//! longer holds the others back.
//!
//! Before each post the URL is checked again against the SSRF rules, the host name is
//! resolved by Flame, and the request goes only to the addresses that passed
//! [`ssrf::is_forbidden_ip`] — the resolver is the HTTP client's, so a second, different
//! answer (DNS rebinding) cannot slip in. Redirects are not followed and proxies from the
//! environment are not used.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use uuid::Uuid;

use flame_core::integration::record::WEBHOOK_SIGNING_SECRET;
use flame_core::integration::ssrf;
use flame_core::integration::webhook::{
    self, Backoff, DeliveryState, EVENT_ID_HEADER, EVENT_TYPE_HEADER, EventSubscription,
    SIGNATURE_HEADER,
};
use flame_core::integration::{IntegrationId, IntegrationSettings};
use flame_core::{CompanyId, EventId, FlameError, Result, UserId, clock};

use crate::flame::Flame;
use crate::sql::{Arg, Backend, Executor, Row, args};

/// The key of the PostgreSQL advisory lock that makes dispatchers take turns.
const DISPATCH_LOCK: i64 = 0x666c_616d_655f_7768; // "flame_wh"

/// Rows per multi-row statement of the dispatcher.
const CHUNK: usize = 100;

/// The longest `last_error` kept.
const ERROR_MAX: usize = 200;

/// How a [`WebhookWorker`] works.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookOptions {
    /// When failed deliveries are tried again, and how many attempts each gets before it is
    /// dead ([`Backoff::DEFAULT`]: from 30 s, at most 6 h apart, 12 attempts).
    pub backoff: Backoff,
    /// How long one post may take in all: connecting, sending, and the answer's status line
    /// (10 s). A post that takes longer has failed.
    pub timeout: Duration,
    /// The most events one pass dispatches, and the most deliveries it claims and posts at
    /// once (32; 1 to 500).
    pub batch: u32,
    /// How long a claimed delivery is reserved for the worker that claimed it (60 s); must
    /// exceed `timeout`. If the worker dies, another one sends the delivery once it runs out.
    pub lease: Duration,
    /// How long a [spawned](WebhookWorker::spawn) worker sleeps when a pass found nothing
    /// more to do (1 s).
    pub poll_interval: Duration,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        Self {
            backoff: Backoff::DEFAULT,
            timeout: Duration::from_secs(10),
            batch: 32,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl WebhookOptions {
    /// The options checked: a positive `timeout` and `poll_interval`, `batch` from 1 to 500,
    /// and a `lease` longer than the `timeout`.
    pub fn validated(self) -> Result<Self> {
        if self.timeout.is_zero() {
            return Err(FlameError::validation("timeout", "must be positive"));
        }
        if self.poll_interval.is_zero() {
            return Err(FlameError::validation("poll_interval", "must be positive"));
        }
        if !(1..=500).contains(&self.batch) {
            return Err(FlameError::validation("batch", "must be from 1 to 500"));
        }
        if self.lease <= self.timeout {
            return Err(FlameError::validation("lease", "must be longer than the timeout"));
        }
        Ok(self)
    }
}

/// What one pass of a [`WebhookWorker`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkReport {
    /// Outbox events fanned out (marked published), whether or not a webhook wanted them.
    pub published: u64,
    /// Deliveries queued for those events: one per subscribed, enabled webhook.
    pub dispatched: u64,
    /// Deliveries the receiver accepted (a 2xx answer).
    pub delivered: u64,
    /// Attempts that failed and will be tried again.
    pub failed: u64,
    /// Deliveries that failed their last attempt and are now dead.
    pub dead: u64,
}

impl std::ops::AddAssign for WorkReport {
    fn add_assign(&mut self, other: Self) {
        self.published += other.published;
        self.dispatched += other.dispatched;
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.dead += other.dead;
    }
}

/// Dispatches the outbox to webhooks and delivers what is due, for every company of a store.
/// A trusted host component (no session): run one per process, or several — they share the
/// work through the database. Cheap to clone.
///
/// Drive it pass by pass with [`run_once`](Self::run_once), or let it run in the background
/// with [`spawn`](Self::spawn).
#[derive(Clone)]
pub struct WebhookWorker {
    inner: Arc<WorkerInner>,
}

struct WorkerInner {
    flame: Flame,
    options: WebhookOptions,
    client: reqwest::Client,
}

impl fmt::Debug for WebhookWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookWorker")
            .field("flame", &self.inner.flame)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl WebhookWorker {
    /// [`Flame::webhook_worker`].
    pub(crate) fn new(flame: &Flame, options: WebhookOptions) -> Result<Self> {
        let options = options.validated()?;
        flame.keyring()?;
        let client = http_client(&options, flame.inner.options.webhook_allow_loopback)?;
        Ok(WebhookWorker { inner: Arc::new(WorkerInner { flame: flame.clone(), options, client }) })
    }

    /// The options it works with.
    pub fn options(&self) -> &WebhookOptions {
        &self.inner.options
    }

    /// One pass: dispatches up to `batch` outbox events, then claims up to `batch` due
    /// deliveries and posts them at once, recording each outcome. Errors are the store's
    /// (`Storage`); a receiver's failure is recorded on its delivery, not returned.
    ///
    /// The pass is shared fairly between companies: events and deliveries are taken in
    /// turns, one per company with work waiting, then a second per company, and so on; and
    /// every post is bounded by `timeout`. A company whose endpoint is slow (or whose
    /// backlog is long) therefore holds a pass for at most one `timeout` and never takes
    /// another company's turn.
    pub async fn run_once(&self) -> Result<WorkReport> {
        Ok(self.pass().await?.0)
    }

    /// A pass, and whether it was full (more work is likely waiting).
    async fn pass(&self) -> Result<(WorkReport, bool)> {
        let (published, dispatched) = self.dispatch().await?;
        let claimed = self.claim().await?;
        let full = published >= u64::from(self.inner.options.batch)
            || claimed.len() >= self.inner.options.batch as usize;
        let mut report = WorkReport { published, dispatched, ..WorkReport::default() };
        let mut sends = JoinSet::new();
        for claim in claimed {
            let inner = self.inner.clone();
            sends.spawn(async move { inner.deliver(claim).await });
        }
        while let Some(joined) = sends.join_next().await {
            match joined {
                Ok(Ok(Recorded::Delivered)) => report.delivered += 1,
                Ok(Ok(Recorded::Failed)) => report.failed += 1,
                Ok(Ok(Recorded::Dead)) => report.dead += 1,
                Ok(Ok(Recorded::LeaseLost)) => {}
                Ok(Err(e)) => {
                    // The lease runs out and the delivery is tried again.
                    tracing::warn!(error = %e, "could not record a webhook delivery's outcome");
                }
                Err(e) => tracing::warn!(error = %e, "a webhook delivery task failed"),
            }
        }
        Ok((report, full))
    }

    /// Fans up to `batch` unpublished outbox events out to the enabled webhooks of their
    /// company that subscribed to their type and existed when they happened, and marks them
    /// published — all in one transaction, so that an interrupted pass is simply done again.
    /// Returns (events published, deliveries queued).
    async fn dispatch(&self) -> Result<(u64, u64)> {
        let flame = &self.inner.flame;
        // A read first, so that an idle pass never takes SQLite's write lock.
        let waiting = flame
            .pool()
            .exec()
            .fetch_optional("SELECT id FROM outbox WHERE published_at IS NULL LIMIT 1", args![])
            .await?;
        if waiting.is_none() {
            return Ok((0, 0));
        }
        let mut tx = flame.pool().begin().await?;
        if tx.backend() == Backend::Postgres {
            // Dispatchers take turns, so that a later event is never queued before an
            // earlier one that another dispatcher holds.
            tx.execute("SELECT pg_advisory_xact_lock($1)", args![DISPATCH_LOCK]).await?;
        }
        // Companies take turns: each one's oldest event first, then each one's second… so
        // that one company's backlog does not hold another's events back. Within a company
        // the events keep their order.
        let rows = tx
            .fetch_all(
                "SELECT company_id, id, event_type, aggregate_type, aggregate_id, occurred_at
                 FROM (SELECT company_id, id, event_type, aggregate_type, aggregate_id, occurred_at,
                              ROW_NUMBER() OVER (PARTITION BY company_id
                                                 ORDER BY occurred_at, id) AS turn
                       FROM outbox WHERE published_at IS NULL) waiting
                 ORDER BY turn, occurred_at, id LIMIT $1",
                args![i64::from(self.inner.options.batch)],
            )
            .await?;
        if rows.is_empty() {
            return Ok((0, 0));
        }
        let events = rows.iter().map(Pending::from_row).collect::<Result<Vec<_>>>()?;
        let now = clock::now();
        let mut companies: Vec<CompanyId> = events.iter().map(|e| e.company_id).collect();
        companies.sort();
        companies.dedup();
        let mut queued = 0;
        for company in companies {
            let hooks = subscribed_webhooks(&mut tx, company).await?;
            let mine: Vec<&Pending> = events.iter().filter(|e| e.company_id == company).collect();
            let mut deliveries = Vec::new();
            for event in &mine {
                for hook in &hooks {
                    if hook.created_at <= event.occurred_at
                        && hook.events.matches(&event.event_type)
                    {
                        deliveries.push((hook.id, *event));
                    }
                }
            }
            for chunk in deliveries.chunks(CHUNK) {
                let mut sql = String::from(
                    "INSERT INTO webhook_deliveries (company_id, id, integration_id, event_id,
                        event_type, aggregate_type, aggregate_id, status, attempts,
                        next_attempt_at, created_at, updated_at) VALUES ",
                );
                let mut values = args![now, company.as_uuid()];
                for (i, (hook, event)) in chunk.iter().enumerate() {
                    let n = values.len();
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!(
                        "($2, ${}, ${}, ${}, ${}, ${}, ${}, 'pending', 0, $1, $1, $1)",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6
                    ));
                    values.extend(args![
                        Uuid::now_v7(),
                        hook.as_uuid(),
                        event.id,
                        event.event_type.clone(),
                        event.aggregate_type.clone(),
                        event.aggregate_id
                    ]);
                }
                sql.push_str(" ON CONFLICT DO NOTHING");
                queued += tx.execute(sql, values).await?;
            }
            for chunk in mine.chunks(CHUNK) {
                let mut sql = String::from(
                    "UPDATE outbox SET published_at = $1 WHERE company_id = $2 AND id IN (",
                );
                let mut values = args![now, company.as_uuid()];
                for (i, event) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${}", values.len() + 1));
                    values.push(Arg::from(event.id));
                }
                sql.push(')');
                tx.execute(sql, values).await?;
            }
        }
        tx.commit().await?;
        let published = events.len() as u64;
        if queued > 0 {
            tracing::debug!(published, queued, "outbox events dispatched to webhooks");
        }
        Ok((published, queued))
    }

    /// Claims up to `batch` due deliveries, the oldest pending one per record and webhook,
    /// by pushing their `next_attempt_at` to the end of a lease.
    async fn claim(&self) -> Result<Vec<Claim>> {
        let options = &self.inner.options;
        let now = clock::now();
        // Read without a transaction (an idle pass takes no lock); the claims below are
        // compare-and-set, so a row another worker claimed meanwhile is simply skipped.
        let rows = self
            .inner
            .flame
            .pool()
            .exec()
            .fetch_all(
                // Companies take turns (each one's first due delivery, then each one's
                // second…): a company whose endpoint is slow or whose deliveries pile up
                // gets its share of the pass, not the whole of it.
                "SELECT company_id, id, integration_id, event_id, event_type, attempts, settings,
                        payload, occurred_at, actor_id
                 FROM (
                 SELECT d.company_id, d.id, d.integration_id, d.event_id, d.event_type,
                        d.attempts, i.settings, o.payload, o.occurred_at, o.actor_id,
                        d.next_attempt_at,
                        ROW_NUMBER() OVER (PARTITION BY d.company_id
                                           ORDER BY d.next_attempt_at, d.event_id) AS turn
                 FROM webhook_deliveries d
                 JOIN integrations i ON i.company_id = d.company_id AND i.id = d.integration_id
                 LEFT JOIN outbox o ON o.company_id = d.company_id AND o.id = d.event_id
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND i.enabled = $2
                   AND NOT EXISTS (
                       SELECT 1 FROM webhook_deliveries p
                       WHERE p.company_id = d.company_id AND p.integration_id = d.integration_id
                         AND p.aggregate_type = d.aggregate_type
                         AND p.aggregate_id = d.aggregate_id
                         AND p.status = 'pending' AND p.event_id < d.event_id)
                   AND NOT EXISTS (
                       SELECT 1 FROM outbox e
                       WHERE e.company_id = d.company_id AND e.aggregate_type = d.aggregate_type
                         AND e.aggregate_id = d.aggregate_id AND e.published_at IS NULL
                         AND e.id < d.event_id)
                 ) due
                 ORDER BY turn, next_attempt_at, event_id
                 LIMIT $3",
                args![now, true, i64::from(options.batch)],
            )
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let lease_until = clock::normalize(now + options.lease);
        let mut tx = self.inner.flame.pool().begin().await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let claim = Claim::from_row(row, lease_until)?;
            // Another worker that claimed it first moved next_attempt_at past now.
            let won = tx
                .execute(
                    "UPDATE webhook_deliveries SET next_attempt_at = $1, updated_at = $2
                     WHERE company_id = $3 AND id = $4 AND status = 'pending'
                       AND next_attempt_at <= $2",
                    args![lease_until, now, claim.company_id.as_uuid(), claim.id],
                )
                .await?;
            if won == 1 {
                claimed.push(claim);
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Runs passes in a background task until [stopped](WorkerHandle::stop): again at once
    /// after a full pass, else after the poll interval. A failed pass (the store unreachable)
    /// is logged and tried again after the poll interval. Must be called inside a tokio
    /// runtime.
    pub fn spawn(self) -> WorkerHandle {
        let (stop, mut stopped) = watch::channel(false);
        let poll = self.inner.options.poll_interval;
        let task = tokio::spawn(async move {
            loop {
                if *stopped.borrow() {
                    break;
                }
                let full = match self.pass().await {
                    Ok((_, full)) => full,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook worker pass failed");
                        false
                    }
                };
                if !full {
                    tokio::select! {
                        () = tokio::time::sleep(poll) => {}
                        changed = stopped.changed() => {
                            if changed.is_err() {
                                break;
                            }
                        }
                    }
                }
            }
        });
        WorkerHandle { stop, task: Some(task) }
    }
}

/// A [spawned](WebhookWorker::spawn) worker. Dropping the handle aborts the worker at once,
/// as a crash would: whatever it was posting is sent again by a worker after its lease.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Stops the worker after its current pass (which may take up to the timeout) and waits
    /// for it to finish.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Aborts the worker at once, mid-delivery if it is posting (what a crash does).
    pub fn abort(self) {
        drop(self);
    }

    /// Whether the worker's task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// An outbox event not yet dispatched.
struct Pending {
    company_id: CompanyId,
    id: Uuid,
    event_type: String,
    aggregate_type: String,
    aggregate_id: Uuid,
    occurred_at: OffsetDateTime,
}

impl Pending {
    fn from_row(row: &Row) -> Result<Self> {
        Ok(Self {
            company_id: row.id("company_id")?,
            id: row.get("id")?,
            event_type: row.get("event_type")?,
            aggregate_type: row.get("aggregate_type")?,
            aggregate_id: row.get("aggregate_id")?,
            occurred_at: row.time("occurred_at")?,
        })
    }
}

/// An enabled webhook and the events it subscribed to.
struct Subscriber {
    id: IntegrationId,
    events: EventSubscription,
    created_at: OffsetDateTime,
}

async fn subscribed_webhooks(
    exec: &mut impl Executor,
    company: CompanyId,
) -> Result<Vec<Subscriber>> {
    let rows = exec
        .fetch_all(
            "SELECT id, settings, created_at FROM integrations
             WHERE company_id = $1 AND kind = 'webhook' AND enabled = $2 ORDER BY id",
            args![company.as_uuid(), true],
        )
        .await?;
    let mut hooks = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: IntegrationId = row.id("id")?;
        let settings: crate::sql::Json<serde_json::Value> = row.get("settings")?;
        let events =
            serde_json::from_value::<IntegrationSettings>(settings.0).ok().and_then(|s| match s {
                IntegrationSettings::Webhook(w) => EventSubscription::stored(&w.events).ok(),
                _ => None,
            });
        match events {
            Some(events) => {
                hooks.push(Subscriber { id, events, created_at: row.time("created_at")? })
            }
            None => tracing::warn!(integration = %id, "a webhook's stored settings are unreadable"),
        }
    }
    Ok(hooks)
}

/// A delivery this worker holds until `lease_until`, with what it needs to post it.
struct Claim {
    company_id: CompanyId,
    id: Uuid,
    integration_id: IntegrationId,
    event_id: EventId,
    event_type: String,
    attempts: u32,
    lease_until: OffsetDateTime,
    settings: serde_json::Value,
    /// The outbox row: payload, when it happened, who did it; `None` if it is gone.
    event: Option<(serde_json::Value, OffsetDateTime, Option<UserId>)>,
}

impl Claim {
    fn from_row(row: &Row, lease_until: OffsetDateTime) -> Result<Self> {
        let settings: crate::sql::Json<serde_json::Value> = row.get("settings")?;
        let payload: Option<crate::sql::Json<serde_json::Value>> = row.get("payload")?;
        let event = match payload {
            Some(payload) => Some((payload.0, row.time("occurred_at")?, row.opt_id("actor_id")?)),
            None => None,
        };
        Ok(Self {
            company_id: row.id("company_id")?,
            id: row.get("id")?,
            integration_id: row.id("integration_id")?,
            event_id: row.id("event_id")?,
            event_type: row.get("event_type")?,
            attempts: u32::try_from(row.int32("attempts")?).unwrap_or(0),
            lease_until,
            settings: settings.0,
            event,
        })
    }
}

/// How an attempt went.
struct Attempt {
    ok: bool,
    status: Option<u16>,
    error: Option<String>,
}

impl Attempt {
    fn failed(error: impl Into<String>) -> Self {
        let mut error: String = error.into();
        if error.len() > ERROR_MAX {
            let mut end = ERROR_MAX;
            while !error.is_char_boundary(end) {
                end -= 1;
            }
            error.truncate(end);
        }
        Self { ok: false, status: None, error: Some(error) }
    }
}

/// What was recorded for a claimed delivery.
enum Recorded {
    Delivered,
    Failed,
    Dead,
    /// The lease ran out and another worker took the delivery over: nothing recorded.
    LeaseLost,
}

/// The JSON body of a delivery.
#[derive(Serialize)]
struct Body<'a> {
    id: EventId,
    #[serde(rename = "type")]
    event_type: &'a str,
    company_id: CompanyId,
    actor_id: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    occurred_at: OffsetDateTime,
    data: serde_json::Value,
}

/// The bytes posted for an event: `{"id", "type", "company_id", "actor_id", "occurred_at",
/// "data"}`, where `data` is the event's payload without its `type` tag.
fn body(
    claim: &Claim,
    mut payload: serde_json::Value,
    at: OffsetDateTime,
    actor: Option<UserId>,
) -> Result<Vec<u8>> {
    if let serde_json::Value::Object(map) = &mut payload {
        map.remove("type");
    }
    serde_json::to_vec(&Body {
        id: claim.event_id,
        event_type: &claim.event_type,
        company_id: claim.company_id,
        actor_id: actor,
        occurred_at: at,
        data: payload,
    })
    .map_err(|_| FlameError::storage("could not serialize a webhook body"))
}

impl WorkerInner {
    async fn deliver(&self, claim: Claim) -> Result<Recorded> {
        let attempt = match self.prepare(&claim).await {
            Ok(Some((url, secret, body))) => self.post(&claim, &url, &secret, body).await,
            Ok(None) => return self.bury(&claim, "the event is no longer in the outbox").await,
            Err(attempt) => attempt,
        };
        self.record(&claim, attempt).await
    }

    /// The checked URL, the signing secret and the body; `None` when the event is gone; an
    /// `Attempt` that failed when the webhook cannot be sent to now.
    async fn prepare(
        &self,
        claim: &Claim,
    ) -> std::result::Result<Option<(ssrf::WebhookUrl, SecretString, Vec<u8>)>, Attempt> {
        let Some((payload, at, actor)) = claim.event.clone() else {
            return Ok(None);
        };
        let url = match serde_json::from_value::<IntegrationSettings>(claim.settings.clone()) {
            Ok(IntegrationSettings::Webhook(w)) => w.url,
            _ => return Err(Attempt::failed("the webhook's settings are unreadable")),
        };
        let allow_loopback = self.flame.inner.options.webhook_allow_loopback;
        let url = ssrf::check_url_with(&url, allow_loopback).map_err(|e| match e {
            FlameError::Validation { reason, .. } => {
                Attempt::failed(format!("refused: the URL {reason}"))
            }
            _ => Attempt::failed("refused: the URL is not allowed"),
        })?;
        let secret = crate::integration::open_credential(
            &self.flame,
            &mut self.flame.pool().exec(),
            claim.company_id,
            claim.integration_id,
            WEBHOOK_SIGNING_SECRET,
        )
        .await
        .map_err(|e| {
            tracing::warn!(integration = %claim.integration_id, error = %e,
                "could not read a webhook's signing secret");
            Attempt::failed(format!("the signing secret could not be read ({})", e.kind()))
        })?;
        let body = body(claim, payload, at, actor)
            .map_err(|_| Attempt::failed("the event could not be serialized"))?;
        Ok(Some((url, secret, body)))
    }

    async fn post(
        &self,
        claim: &Claim,
        url: &ssrf::WebhookUrl,
        secret: &SecretString,
        body: Vec<u8>,
    ) -> Attempt {
        let signature = webhook::signature_header(secret, clock::now().unix_timestamp(), &body);
        let sent = self
            .client
            .post(url.as_str())
            .header("Content-Type", "application/json")
            .header(EVENT_ID_HEADER, claim.event_id.to_string())
            .header(EVENT_TYPE_HEADER, claim.event_type.as_str())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status();
                // The answer's body is neither read nor kept.
                drop(response);
                if status.is_success() {
                    Attempt { ok: true, status: Some(status.as_u16()), error: None }
                } else {
                    let mut attempt = Attempt::failed(format!(
                        "HTTP {} {}",
                        status.as_u16(),
                        status.canonical_reason().unwrap_or("")
                    ));
                    attempt.error = attempt.error.map(|e| e.trim_end().to_owned());
                    attempt.status = Some(status.as_u16());
                    attempt
                }
            }
            Err(e) => Attempt::failed(describe(&e, self.options.timeout)),
        }
    }

    /// Records `attempt` if this worker still holds the delivery's lease.
    async fn record(&self, claim: &Claim, attempt: Attempt) -> Result<Recorded> {
        let now = clock::now();
        let backoff = &self.options.backoff;
        let attempts = claim.attempts.saturating_add(1);
        let state = DeliveryState::Pending
            .transition(DeliveryState::after_attempt(attempt.ok, attempts, backoff))?;
        let next_attempt_at = match state {
            DeliveryState::Pending => {
                let delay = backoff.next_delay(attempts, random_unit()).unwrap_or(backoff.cap());
                clock::normalize(now + delay)
            }
            DeliveryState::Delivered | DeliveryState::Dead => now,
        };
        let delivered_at = (state == DeliveryState::Delivered).then_some(now);
        let changed = self
            .flame
            .pool()
            .exec()
            .execute(
                "UPDATE webhook_deliveries
                 SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4,
                     last_status = $5, delivered_at = $6, updated_at = $7
                 WHERE company_id = $8 AND id = $9 AND status = 'pending' AND attempts = $10
                   AND next_attempt_at = $11",
                args![
                    state.as_str(),
                    i64::from(attempts),
                    next_attempt_at,
                    attempt.error.clone(),
                    attempt.status.map(i64::from),
                    delivered_at,
                    now,
                    claim.company_id.as_uuid(),
                    claim.id,
                    i64::from(claim.attempts),
                    claim.lease_until
                ],
            )
            .await?;
        if changed == 0 {
            tracing::info!(delivery = %claim.id, "webhook delivery lease ran out before its outcome was recorded");
            return Ok(Recorded::LeaseLost);
        }
        log_outcome(claim, state, attempts, &attempt);
        Ok(match state {
            DeliveryState::Delivered => Recorded::Delivered,
            DeliveryState::Pending => Recorded::Failed,
            DeliveryState::Dead => Recorded::Dead,
        })
    }

    /// Marks a delivery dead at once: there is nothing left to send.
    async fn bury(&self, claim: &Claim, reason: &str) -> Result<Recorded> {
        let now = clock::now();
        DeliveryState::Pending.transition(DeliveryState::Dead)?;
        let changed = self
            .flame
            .pool()
            .exec()
            .execute(
                "UPDATE webhook_deliveries
                 SET status = 'dead', next_attempt_at = $1, last_error = $2, updated_at = $1
                 WHERE company_id = $3 AND id = $4 AND status = 'pending' AND attempts = $5
                   AND next_attempt_at = $6",
                args![
                    now,
                    reason,
                    claim.company_id.as_uuid(),
                    claim.id,
                    i64::from(claim.attempts),
                    claim.lease_until
                ],
            )
            .await?;
        if changed == 0 {
            return Ok(Recorded::LeaseLost);
        }
        tracing::warn!(delivery = %claim.id, event = %claim.event_id, reason, "webhook delivery is dead");
        Ok(Recorded::Dead)
    }
}

fn log_outcome(claim: &Claim, state: DeliveryState, attempts: u32, attempt: &Attempt) {
    let error = attempt.error.as_deref().unwrap_or("");
    match state {
        DeliveryState::Delivered => tracing::debug!(
            delivery = %claim.id, event = %claim.event_id, integration = %claim.integration_id,
            attempts, "webhook delivered"
        ),
        DeliveryState::Pending => tracing::info!(
            delivery = %claim.id, event = %claim.event_id, integration = %claim.integration_id,
            attempts, error, "webhook delivery failed; it will be retried"
        ),
        DeliveryState::Dead => tracing::warn!(
            delivery = %claim.id, event = %claim.event_id, integration = %claim.integration_id,
            attempts, error, "webhook delivery failed its last attempt and is dead"
        ),
    }
}

/// A uniform number in `[0, 1)` for the backoff's jitter; 1 (the longest delay) if the
/// system's random source fails.
fn random_unit() -> f64 {
    match getrandom::u64() {
        Ok(n) => (n >> 11) as f64 / (1_u64 << 53) as f64,
        Err(_) => 1.0,
    }
}

/// Flame's wording for a failed post: never the URL (it may carry a token) nor the driver's
/// message.
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return refused.to_string();
        }
        source = e.source();
    }
    if error.is_timeout() {
        format!("timed out after {timeout:?}")
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    }
}

/// Why the resolver refused a host name.
#[derive(Debug)]
enum Refused {
    /// One of its addresses is loopback, private, link-local, metadata or reserved.
    Forbidden,
    /// It has no address.
    NoAddress,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Forbidden => {
                "refused: the host name resolves to a private, local or reserved address"
            }
            Self::NoAddress => "the host name has no address",
        })
    }
}

impl std::error::Error for Refused {}

/// The addresses a host name resolved to, if none is forbidden.
fn checked_addresses(
    addrs: Vec<SocketAddr>,
    allow_loopback: bool,
) -> std::result::Result<Vec<SocketAddr>, Refused> {
    if addrs.is_empty() {
        return Err(Refused::NoAddress);
    }
    if addrs.iter().any(|a| ssrf::is_forbidden_ip(a.ip(), allow_loopback)) {
        return Err(Refused::Forbidden);
    }
    Ok(addrs)
}

/// The HTTP client's resolver: resolves with the system, then lets the client connect only to
/// addresses that passed the SSRF rules.
struct GuardedResolver {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| {
                    Box::new(Refused::NoAddress) as Box<dyn std::error::Error + Send + Sync>
                })?
                .collect();
            let addrs = checked_addresses(addrs, allow_loopback)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client every delivery goes through: rustls with the ring provider and the
/// platform's certificate verifier, no proxy, no redirects, the guarded resolver.
fn http_client(options: &WebhookOptions, allow_loopback: bool) -> Result<reqwest::Client> {
    let tls_error = |_| FlameError::storage("could not set up TLS for webhooks");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let tls = match rustls_platform_verifier::Verifier::new(provider) {
        Ok(verifier) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth(),
        // A host without a certificate store (a bare container) can still post to http://
        // URLs; https:// deliveries then fail their attempts as untrusted, visibly.
        Err(e) => {
            tracing::warn!(error = %e, "no platform certificate store: https webhooks will fail");
            builder.with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth()
        }
    };
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
        .user_agent(concat!("Flame-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            tracing::warn!(error = %e, "could not build the webhook HTTP client");
            FlameError::storage("could not set up the webhook HTTP client")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        SocketAddr::new(text.parse().expect("ip"), 443)
    }

    #[test]
    fn resolved_addresses_are_all_checked() {
        let public = vec![addr("8.8.8.8"), addr("2606:4700:4700::1111")];
        assert_eq!(checked_addresses(public.clone(), false).ok(), Some(public));
        // One bad address among good ones refuses the host (round-robin rebinding).
        for bad in ["10.0.0.1", "169.254.169.254", "127.0.0.1", "::1", "::ffff:192.168.1.1"] {
            let mixed = vec![addr("8.8.8.8"), addr(bad)];
            assert!(matches!(checked_addresses(mixed, false), Err(Refused::Forbidden)), "{bad}");
        }
        assert!(checked_addresses(vec![addr("127.0.0.1")], true).is_ok());
        assert!(matches!(
            checked_addresses(vec![addr("169.254.169.254")], true),
            Err(Refused::Forbidden)
        ));
        assert!(matches!(checked_addresses(Vec::new(), true), Err(Refused::NoAddress)));
    }

    #[tokio::test]
    async fn the_client_never_connects_to_a_name_that_resolves_to_loopback() {
        // "localhost" resolves from the hosts file, without a network; the client's resolver
        // refuses it before any connection is tried.
        let options = WebhookOptions::default();
        let client = http_client(&options, false).expect("client");
        let err = client.post("http://localhost:9/hook").send().await.expect_err("refused");
        assert_eq!(
            describe(&err, options.timeout),
            "refused: the host name resolves to a private, local or reserved address"
        );
    }

    #[tokio::test]
    async fn https_urls_are_posted_over_tls_with_the_ring_provider() {
        // A local listener that only looks at the first bytes: a TLS handshake record (0x16)
        // shows the client set up rustls (no provider panic, no plain-text fallback).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut first = [0_u8; 1];
            tokio::io::AsyncReadExt::read_exact(&mut stream, &mut first).await.expect("read");
            first[0]
        });
        let options = WebhookOptions::default();
        let client = http_client(&options, true).expect("client");
        let err = client
            .post(format!("https://127.0.0.1:{port}/hook"))
            .send()
            .await
            .expect_err("no TLS server there");
        assert_eq!(server.await.expect("server"), 0x16);
        assert_eq!(describe(&err, options.timeout), "could not connect");
    }

    #[test]
    fn options_are_checked() {
        assert!(WebhookOptions::default().validated().is_ok());
        let bad = |o: WebhookOptions, field: &str| {
            assert!(
                matches!(o.validated(), Err(FlameError::Validation { field: f, .. }) if f == field),
                "{field}"
            );
        };
        bad(WebhookOptions { timeout: Duration::ZERO, ..Default::default() }, "timeout");
        bad(WebhookOptions { batch: 0, ..Default::default() }, "batch");
        bad(WebhookOptions { batch: 501, ..Default::default() }, "batch");
        bad(WebhookOptions { lease: Duration::from_secs(10), ..Default::default() }, "lease");
        bad(
            WebhookOptions { poll_interval: Duration::ZERO, ..Default::default() },
            "poll_interval",
        );
    }

    #[test]
    fn errors_are_cut_short_on_a_character_boundary() {
        let attempt = Attempt::failed("é".repeat(150));
        let error = attempt.error.expect("error");
        assert!(error.len() <= ERROR_MAX);
        assert!(error.chars().all(|c| c == 'é'));
    }
}
