//! The health report a host shows on its status page.

use std::time::{Duration, Instant};

use serde::Serialize;

use flame_core::billing::{SubscriptionStatus, TrialLapse};
use flame_core::{Result, clock};

use crate::flame::Flame;
use crate::integration::Keys;
use crate::schema;
use crate::sql::{Executor, args};

/// Subscriptions by status, as of now (a trial past its end counts as expired).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SubscriptionCounts {
    /// On trial.
    pub trialing: u64,
    /// Paid and current.
    pub active: u64,
    /// A payment failed.
    pub past_due: u64,
    /// Canceled by the company.
    pub canceled: u64,
    /// Ended without payment.
    pub expired: u64,
}

/// Row counts of the main tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Counts {
    /// Users.
    pub users: u64,
    /// Companies.
    pub companies: u64,
    /// Subscriptions.
    pub subscriptions: u64,
    /// Subscriptions by status.
    pub subscriptions_by_status: SubscriptionCounts,
    /// Contacts.
    pub contacts: u64,
    /// Deals.
    pub deals: u64,
}

/// How many stored credentials one key seals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct KeyUse {
    /// The key's id.
    pub key_id: String,
    /// How many credentials it seals.
    pub secrets: u64,
}

/// The state of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Health {
    /// `"sqlite"` or `"postgres"`.
    pub backend: String,
    /// Whether the database answered.
    pub reachable: bool,
    /// How long a trivial query took, there and back.
    pub round_trip: Duration,
    /// The newest migration applied (`None` when unreachable).
    pub schema_version: Option<i64>,
    /// The version this build expects.
    pub expected_schema_version: i64,
    /// Whether the two match.
    pub schema_matches: bool,
    /// Whether an encryption key for integration credentials is configured.
    pub encryption_configured: bool,
    /// The ids of the configured keys, the primary first (never the keys).
    pub configured_keys: Vec<String>,
    /// How many stored credentials each key id seals (`None` when unreachable). Any id other
    /// than the primary means a rotation is still to run ([`Flame::rotate_keys`]).
    pub keys_in_use: Option<Vec<KeyUse>>,
    /// Row counts (`None` when unreachable).
    pub counts: Option<Counts>,
}

/// The health report of a store ([`Flame::health`]).
pub(crate) struct Checkup<'a> {
    flame: &'a Flame,
}

impl<'a> Checkup<'a> {
    pub(crate) fn new(flame: &'a Flame) -> Self {
        Self { flame }
    }

    pub(crate) async fn health(&self) -> Health {
        let started = Instant::now();
        let ping = self.flame.pool().exec().fetch_one("SELECT 1 AS one", args![]).await;
        let round_trip = started.elapsed();
        let reachable = ping.is_ok();
        let schema_version =
            if reachable { schema::current_version(self.flame.pool()).await.ok() } else { None };
        let counts = if reachable { self.counts().await.ok() } else { None };
        let keys_in_use = if reachable {
            Keys::new(self.flame).keys_in_use().await.ok().map(|keys| {
                keys.into_iter().map(|(key_id, secrets)| KeyUse { key_id, secrets }).collect()
            })
        } else {
            None
        };
        let configured_keys = self
            .flame
            .inner
            .keyring
            .as_ref()
            .map(|k| k.key_ids().into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        let expected = schema::expected_version();
        Health {
            backend: self.flame.backend().as_str().to_owned(),
            reachable,
            round_trip,
            schema_version,
            expected_schema_version: expected,
            schema_matches: schema_version == Some(expected),
            encryption_configured: self.flame.inner.keyring.is_some(),
            configured_keys,
            keys_in_use,
            counts,
        }
    }

    async fn counts(&self) -> Result<Counts> {
        let row = self
            .flame
            .pool()
            .exec()
            .fetch_one(
                "SELECT (SELECT COUNT(*) FROM users) AS users,
                        (SELECT COUNT(*) FROM companies) AS companies,
                        (SELECT COUNT(*) FROM subscriptions) AS subscriptions,
                        (SELECT COUNT(*) FROM contacts) AS contacts,
                        (SELECT COUNT(*) FROM deals) AS deals",
                args![],
            )
            .await?;
        let n = |col: &str| -> Result<u64> { Ok(u64::try_from(row.int(col)?).unwrap_or(0)) };
        Ok(Counts {
            users: n("users")?,
            companies: n("companies")?,
            subscriptions: n("subscriptions")?,
            subscriptions_by_status: self.subscriptions_by_status().await?,
            contacts: n("contacts")?,
            deals: n("deals")?,
        })
    }

    async fn subscriptions_by_status(&self) -> Result<SubscriptionCounts> {
        let now = clock::now();
        let lapse = TrialLapse::as_of(now);
        // Grouped by stored status and by whether the trial ended by the core rule's cutoff;
        // the core rule then says which status each group has as of now.
        let rows = self
            .flame
            .pool()
            .exec()
            .fetch_all(
                "SELECT status, trial_ends_at <= $1 AS lapsed, COUNT(*) AS n FROM subscriptions
                 GROUP BY status, trial_ends_at <= $1",
                args![lapse.ended_by],
            )
            .await?;
        let mut counts = SubscriptionCounts::default();
        for row in rows {
            let stored: SubscriptionStatus = row.parse("status")?;
            let lapsed = row.get::<Option<bool>>("lapsed")?.unwrap_or(false);
            let status = stored.at(lapsed.then_some(lapse.ended_by), now);
            let n = u64::try_from(row.int("n")?).unwrap_or(0);
            let slot = match status {
                SubscriptionStatus::Trialing => &mut counts.trialing,
                SubscriptionStatus::Active => &mut counts.active,
                SubscriptionStatus::PastDue => &mut counts.past_due,
                SubscriptionStatus::Canceled => &mut counts.canceled,
                SubscriptionStatus::Expired => &mut counts.expired,
            };
            *slot += n;
        }
        Ok(counts)
    }
}
