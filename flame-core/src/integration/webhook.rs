//! Outgoing webhooks: how Flame signs what it sends, how a receiver verifies it, when a failed
//! delivery is retried, and which events an endpoint subscribed to.
//!
//! # Signature
//!
//! Every delivery carries the header [`SIGNATURE_HEADER`]:
//!
//! ```text
//! Flame-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//! ```
//!
//! `t` is the Unix time of signing in seconds; `v1` the lowercase hex HMAC-SHA256, keyed with
//! the endpoint's signing secret, of the bytes `"<t>.<body>"`. A receiver recomputes it over
//! the raw body and compares in constant time ([`verify`]); the timestamp bounds replays. While
//! a secret rotates, a header may carry several `v1` entries, one per secret: any match is
//! enough.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::error::{FlameError, Result};

/// The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "Flame-Signature";
/// The header carrying the id of the event delivered (a UUID), the same on every retry so a
/// receiver can drop duplicates.
pub const EVENT_ID_HEADER: &str = "Flame-Event-Id";
/// The header carrying the event type (`"deal.won"`).
pub const EVENT_TYPE_HEADER: &str = "Flame-Event-Type";
/// How far a signature's timestamp may be from the receiver's clock, by default, before
/// [`verify`] takes the request for a replay: five minutes.
pub const SIGNATURE_TOLERANCE: Duration = Duration::from_secs(300);

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &SecretString, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature of `body` sent at `timestamp` (Unix seconds): the lowercase hex
/// HMAC-SHA256 of `"<timestamp>.<body>"` keyed with `secret`.
pub fn sign(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The value of the [`SIGNATURE_HEADER`] for `body` sent at `timestamp`:
/// `t=<timestamp>,v1=<signature>`.
pub fn signature_header(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

/// Verifies the [`SIGNATURE_HEADER`] value `header` of a received `body` at time `now`.
///
/// - a header that is not `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` (other keys are ignored):
///   [`FlameError::Validation`] on the field `"Flame-Signature"`;
/// - a timestamp further than `tolerance` from `now`, in either direction (a replay, or a
///   clock far off): [`FlameError::Unauthenticated`];
/// - no `v1` signature that matches: [`FlameError::Unauthenticated`].
///
/// Signatures are compared in constant time.
pub fn verify(
    secret: &SecretString,
    header: &str,
    body: &[u8],
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<()> {
    let malformed =
        || FlameError::validation(SIGNATURE_HEADER, "must be t=<unix seconds>,v1=<hex signature>");
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.split_once('=').ok_or_else(malformed)?;
        match key.trim() {
            "t" if timestamp.is_none() => {
                timestamp = Some(value.trim().parse::<i64>().map_err(|_| malformed())?);
            }
            "t" => return Err(malformed()),
            "v1" => signatures.push(value.trim()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(malformed)?;
    if signatures.is_empty() {
        return Err(malformed());
    }
    let age = i128::from(now.unix_timestamp()) - i128::from(timestamp);
    if age.unsigned_abs() > u128::from(tolerance.as_secs()) {
        return Err(FlameError::unauthenticated(
            "the webhook signature's timestamp is outside the tolerance",
        ));
    }
    let expected = mac(secret, timestamp, body);
    let matches = signatures.iter().any(|signature| {
        hex::decode(signature).is_ok_and(|bytes| expected.clone().verify_slice(&bytes).is_ok())
    });
    if matches {
        Ok(())
    } else {
        Err(FlameError::unauthenticated("the webhook signature does not match"))
    }
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// When a failed delivery is tried again: exponential backoff (doubling from `base`, at most
/// `cap`) with full jitter, and no more than `max_attempts` attempts in all.
///
/// The jitter is computed from a random number the caller draws, so that the policy itself is
/// deterministic and testable: the delay after the `n`th failed attempt is
/// `rand_unit × min(cap, base × 2ⁿ⁻¹)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    max_attempts: u32,
}

impl Backoff {
    /// The policy Flame uses unless told otherwise: from 30 seconds, at most 6 hours apart,
    /// 12 attempts (about a day of retries).
    pub const DEFAULT: Backoff = Backoff {
        base: Duration::from_secs(30),
        cap: Duration::from_secs(6 * 3600),
        max_attempts: 12,
    };

    /// A policy; `base` must be positive, `cap` at least `base`, `max_attempts` from 1 to 100.
    pub fn new(base: Duration, cap: Duration, max_attempts: u32) -> Result<Self> {
        if base.is_zero() {
            return Err(FlameError::validation("backoff.base", "must be positive"));
        }
        if cap < base {
            return Err(FlameError::validation("backoff.cap", "must not be less than the base"));
        }
        if !(1..=100).contains(&max_attempts) {
            return Err(FlameError::validation("backoff.max_attempts", "must be from 1 to 100"));
        }
        Ok(Self { base, cap, max_attempts })
    }

    /// The first ceiling.
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The largest ceiling.
    pub fn cap(&self) -> Duration {
        self.cap
    }

    /// How many attempts a delivery gets in all, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The longest the delay after the `failed_attempts`th failure may be:
    /// `min(cap, base × 2^(failed_attempts − 1))`.
    pub fn ceiling(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1);
        2_u32
            .checked_pow(doublings)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.cap, |delay| delay.min(self.cap))
    }

    /// How long to wait before the next attempt, once `failed_attempts` attempts have failed
    /// (1 after the first failure); `None` when none is left — the delivery is then
    /// [`Dead`](DeliveryState::Dead).
    ///
    /// `rand_unit` is a uniform random number in `[0, 1]` (out-of-range values are clamped,
    /// NaN counts as 1): the delay is that fraction of the [`ceiling`](Self::ceiling).
    pub fn next_delay(&self, failed_attempts: u32, rand_unit: f64) -> Option<Duration> {
        if failed_attempts >= self.max_attempts {
            return None;
        }
        if failed_attempts == 0 {
            return Some(Duration::ZERO);
        }
        let fraction = if rand_unit.is_nan() { 1.0 } else { rand_unit.clamp(0.0, 1.0) };
        Some(self.ceiling(failed_attempts).mul_f64(fraction))
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where the delivery of one event to one endpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi(name = "DeliveryStatus"))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet: the next attempt is scheduled.
    Pending,
    /// The endpoint answered with a 2xx status.
    Delivered,
    /// Every attempt the [`Backoff`] allows failed; only a member's redelivery revives it.
    Dead,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [DeliveryState; 3] = [Self::Pending, Self::Delivered, Self::Dead];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// Whether a delivery may go from `self` to `next`: a pending one may be delivered, fail
    /// again (stay pending) or die; a dead one may be redelivered (pending again); a delivered
    /// one is final.
    pub const fn can_become(self, next: DeliveryState) -> bool {
        matches!(
            (self, next),
            (Self::Pending, Self::Pending | Self::Delivered | Self::Dead)
                | (Self::Dead, Self::Pending)
        )
    }

    /// `next`, when allowed (see [`can_become`](Self::can_become)); otherwise
    /// [`FlameError::InvalidTransition`].
    pub fn transition(self, next: DeliveryState) -> Result<DeliveryState> {
        if self.can_become(next) {
            return Ok(next);
        }
        Err(FlameError::InvalidTransition {
            entity: "webhook delivery".to_owned(),
            from_state: self.as_str().to_owned(),
            to_state: next.as_str().to_owned(),
            reason: match self {
                Self::Delivered => "a delivered event is final".to_owned(),
                _ => "a dead delivery can only be redelivered".to_owned(),
            },
        })
    }

    /// The state after an attempt: delivered when it `succeeded`, else pending while the
    /// `backoff` allows another attempt after `failed_attempts` failures, else dead.
    pub fn after_attempt(succeeded: bool, failed_attempts: u32, backoff: &Backoff) -> Self {
        if succeeded {
            Self::Delivered
        } else if failed_attempts >= backoff.max_attempts() {
            Self::Dead
        } else {
            Self::Pending
        }
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeliveryState {
    type Err = FlameError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "dead" => Ok(Self::Dead),
            _ => Err(FlameError::validation("status", "must be pending, delivered or dead")),
        }
    }
}

/// The most characters an event pattern may have.
const PATTERN_MAX: usize = 100;

/// Which event types an endpoint receives: `"*"` (all), `"deal.*"` (every type under
/// `deal.`, at any depth), or an exact type (`"deal.won"`).
///
/// A pattern is lowercase ASCII segments of letters, digits and `'_'` joined by `'.'`; `'*'`
/// may only be the whole pattern or its last segment. Exact types are not checked against
/// the event types Flame knows today, so that a subscription may name one added later.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventPattern(String);

impl EventPattern {
    /// Parses `pattern`, trimmed.
    pub fn parse(pattern: &str) -> Result<Self> {
        let pattern = pattern.trim();
        let invalid = || {
            FlameError::validation(
                "event_type",
                "must be \"*\", a prefix like \"deal.*\" or an event type like \"deal.won\"",
            )
        };
        if pattern.is_empty() || pattern.len() > PATTERN_MAX {
            return Err(invalid());
        }
        if pattern == "*" {
            return Ok(Self(pattern.to_owned()));
        }
        let exact = pattern.strip_suffix(".*").unwrap_or(pattern);
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !exact.split('.').all(segment_ok) {
            return Err(invalid());
        }
        Ok(Self(pattern.to_owned()))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether an event of type `event_type` matches.
    pub fn matches(&self, event_type: &str) -> bool {
        match self.0.strip_suffix('*') {
            // "*" or "deal.*": the prefix ("" or "deal.") followed by at least one character.
            Some(prefix) => event_type.len() > prefix.len() && event_type.starts_with(prefix),
            None => self.0 == event_type,
        }
    }
}

impl fmt::Display for EventPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EventPattern {
    type Err = FlameError;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<String> for EventPattern {
    type Error = FlameError;

    fn try_from(value: String) -> Result<Self> {
        Self::parse(&value)
    }
}

impl From<EventPattern> for String {
    fn from(pattern: EventPattern) -> Self {
        pattern.0
    }
}

/// The most patterns one endpoint may subscribe to.
pub const PATTERNS_MAX: usize = 64;

/// The event types an endpoint subscribed to: from one to [`PATTERNS_MAX`]
/// [`EventPattern`]s. Matching an event costs one lookup per segment of its type, however
/// many patterns there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct EventSubscription {
    patterns: Vec<EventPattern>,
    /// The exact types subscribed to.
    exact: HashSet<String>,
    /// The prefixes of the wildcard patterns, with their dot (`"deal."`; `""` for `"*"`).
    prefixes: HashSet<String>,
}

impl EventSubscription {
    /// Parses the `patterns` (duplicates are dropped, order kept). Errors name the pattern by
    /// its position: `"event_types[1]"`; an empty list, or one of more than
    /// [`PATTERNS_MAX`] patterns, is refused on `"event_types"`.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self> {
        if patterns.len() > PATTERNS_MAX {
            return Err(FlameError::validation(
                "event_types",
                format!("must name at most {PATTERNS_MAX} event types (use a \"*\" pattern)"),
            ));
        }
        Self::parse_all(patterns)
    }

    /// Like [`new`](Self::new), without the bound on the number of patterns: for
    /// subscriptions stored before it existed, which still deliver.
    pub fn stored<S: AsRef<str>>(patterns: &[S]) -> Result<Self> {
        Self::parse_all(patterns)
    }

    fn parse_all<S: AsRef<str>>(patterns: &[S]) -> Result<Self> {
        if patterns.is_empty() {
            return Err(FlameError::validation("event_types", "must name at least one event type"));
        }
        let mut parsed: Vec<EventPattern> = Vec::with_capacity(patterns.len());
        let mut exact = HashSet::new();
        let mut prefixes = HashSet::new();
        for (i, pattern) in patterns.iter().enumerate() {
            let pattern = EventPattern::parse(pattern.as_ref())
                .map_err(|e| e.at(&format!("event_types[{i}]")))?;
            let new = match pattern.0.strip_suffix('*') {
                Some(prefix) => prefixes.insert(prefix.to_owned()),
                None => exact.insert(pattern.0.clone()),
            };
            if new {
                parsed.push(pattern);
            }
        }
        Ok(Self { patterns: parsed, exact, prefixes })
    }

    /// The patterns.
    pub fn patterns(&self) -> &[EventPattern] {
        &self.patterns
    }

    /// Whether an event of type `event_type` is delivered to the endpoint.
    pub fn matches(&self, event_type: &str) -> bool {
        if self.exact.contains(event_type) {
            return true;
        }
        // Every prefix of the type that ends at a dot and leaves at least one character
        // (what "deal.*" needs), and "" for "*".
        let prefix_ok =
            |end: usize| end < event_type.len() && self.prefixes.contains(&event_type[..end]);
        prefix_ok(0) || event_type.char_indices().any(|(i, c)| c == '.' && prefix_ok(i + 1))
    }
}

impl TryFrom<Vec<String>> for EventSubscription {
    type Error = FlameError;

    fn try_from(value: Vec<String>) -> Result<Self> {
        Self::new(&value)
    }
}

impl From<EventSubscription> for Vec<String> {
    fn from(subscription: EventSubscription) -> Self {
        subscription.patterns.into_iter().map(String::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    const BODY: &[u8] = br#"{"type":"deal.won","id":"0190c0de-0000-7000-8000-000000000000"}"#;
    const T: i64 = 1_700_000_000;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: Python's hmac.new(b"whsec_test", b"1700000000." + BODY,
        // hashlib.sha256).hexdigest().
        let expected = "28f914957e5c13d8b19dc0480a1d97539a7425c4393b95774da7ab3c26432261";
        assert_eq!(sign(&secret("whsec_test"), T, BODY), expected);
        assert_eq!(
            signature_header(&secret("whsec_test"), T, BODY),
            format!("t={T},v1={expected}")
        );
        assert_ne!(sign(&secret("whsec_test"), T + 1, BODY), expected);
        assert_ne!(sign(&secret("whsec_other"), T, BODY), expected);
    }

    #[test]
    fn verify_accepts_a_fresh_matching_signature() {
        let key = secret("whsec_test");
        let header = signature_header(&key, T, BODY);
        let now = OffsetDateTime::from_unix_timestamp(T + 60).expect("time");
        assert_eq!(verify(&key, &header, BODY, now, Duration::from_secs(300)), Ok(()));
        // Spaces and unknown keys are tolerated, and any of several v1 entries may match.
        let rotated =
            format!(" t={T} , v0=zzz, v1={}, v1={} ", "ab".repeat(32), sign(&key, T, BODY));
        assert_eq!(verify(&key, &rotated, BODY, now, Duration::from_secs(300)), Ok(()));
    }

    #[test]
    fn verify_refuses_wrong_secret_body_or_timestamp() {
        let key = secret("whsec_test");
        let header = signature_header(&key, T, BODY);
        let now = OffsetDateTime::from_unix_timestamp(T).expect("time");
        let tolerance = Duration::from_secs(300);
        let mismatch = Err(FlameError::unauthenticated("the webhook signature does not match"));
        assert_eq!(verify(&secret("other"), &header, BODY, now, tolerance), mismatch);
        assert_eq!(verify(&key, &header, b"{}", now, tolerance), mismatch);
        // The same signature under another timestamp does not match either.
        let moved = header.replace(&format!("t={T}"), &format!("t={}", T + 1));
        assert_eq!(verify(&key, &moved, BODY, now, tolerance), mismatch);
        // Replays and clocks too far off.
        let stale = datetime!(2023-11-14 22:18:21 UTC); // T + 301 s
        let expired = Err(FlameError::unauthenticated(
            "the webhook signature's timestamp is outside the tolerance",
        ));
        assert_eq!(verify(&key, &header, BODY, stale, tolerance), expired);
        let early = OffsetDateTime::from_unix_timestamp(T - 301).expect("time");
        assert_eq!(verify(&key, &header, BODY, early, tolerance), expired);
        let edge = OffsetDateTime::from_unix_timestamp(T + 300).expect("time");
        assert_eq!(verify(&key, &header, BODY, edge, tolerance), Ok(()));
    }

    #[test]
    fn malformed_headers_are_validation_errors() {
        let key = secret("whsec_test");
        let now = OffsetDateTime::from_unix_timestamp(T).expect("time");
        let sig = sign(&key, T, BODY);
        for header in [
            String::new(),
            sig.clone(),
            format!("t={T}"),
            format!("v1={sig}"),
            format!("t=soon,v1={sig}"),
            format!("t={T},t={T},v1={sig}"),
        ] {
            let err =
                verify(&key, &header, BODY, now, Duration::from_secs(300)).expect_err(&header);
            assert!(
                matches!(&err, FlameError::Validation { field, .. } if field == SIGNATURE_HEADER),
                "{header}: {err:?}"
            );
        }
        let not_hex = format!("t={T},v1=not-hex");
        assert!(matches!(
            verify(&key, &not_hex, BODY, now, Duration::from_secs(300)),
            Err(FlameError::Unauthenticated { .. })
        ));
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_then_gives_up() {
        let backoff =
            Backoff::new(Duration::from_secs(10), Duration::from_secs(60), 5).expect("valid");
        let ceilings: Vec<u64> = (1..=5).map(|n| backoff.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [10, 20, 40, 60, 60]);
        // Full jitter: the random fraction of the ceiling.
        assert_eq!(backoff.next_delay(1, 1.0), Some(Duration::from_secs(10)));
        assert_eq!(backoff.next_delay(2, 0.5), Some(Duration::from_secs(10)));
        assert_eq!(backoff.next_delay(3, 0.25), Some(Duration::from_secs(10)));
        assert_eq!(backoff.next_delay(4, 0.0), Some(Duration::ZERO));
        assert_eq!(backoff.next_delay(0, 0.7), Some(Duration::ZERO), "nothing failed yet");
        // After 5 failed attempts of 5: dead.
        assert_eq!(backoff.next_delay(5, 0.5), None);
        assert_eq!(backoff.next_delay(u32::MAX, 0.5), None);
        // Out-of-range randomness is clamped, never a longer delay than the ceiling.
        assert_eq!(backoff.next_delay(2, 7.0), Some(Duration::from_secs(20)));
        assert_eq!(backoff.next_delay(2, -1.0), Some(Duration::ZERO));
        assert_eq!(backoff.next_delay(2, f64::NAN), Some(Duration::from_secs(20)));
    }

    #[test]
    fn backoff_ceiling_never_overflows() {
        let backoff = Backoff::new(Duration::from_secs(3600), Duration::from_secs(86_400), 100)
            .expect("valid");
        assert_eq!(backoff.ceiling(99), Duration::from_secs(86_400));
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(86_400));
        assert_eq!(Backoff::DEFAULT.ceiling(1), Duration::from_secs(30));
        assert_eq!(Backoff::default().max_attempts(), 12);
    }

    #[test]
    fn backoff_is_validated() {
        let s = Duration::from_secs;
        assert_eq!(
            Backoff::new(Duration::ZERO, s(1), 3),
            Err(FlameError::validation("backoff.base", "must be positive"))
        );
        assert_eq!(
            Backoff::new(s(10), s(5), 3),
            Err(FlameError::validation("backoff.cap", "must not be less than the base"))
        );
        for attempts in [0, 101] {
            assert_eq!(
                Backoff::new(s(1), s(5), attempts),
                Err(FlameError::validation("backoff.max_attempts", "must be from 1 to 100"))
            );
        }
    }

    #[test]
    fn delivery_states() {
        use DeliveryState::*;
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8), 3).expect("ok");
        assert_eq!(DeliveryState::after_attempt(true, 0, &backoff), Delivered);
        assert_eq!(DeliveryState::after_attempt(false, 2, &backoff), Pending);
        assert_eq!(DeliveryState::after_attempt(false, 3, &backoff), Dead);
        // `after_attempt` and `next_delay` agree on when a delivery dies.
        for failed in 1..=4 {
            assert_eq!(
                DeliveryState::after_attempt(false, failed, &backoff) == Dead,
                backoff.next_delay(failed, 0.5).is_none()
            );
        }
        assert_eq!(Pending.transition(Delivered), Ok(Delivered));
        assert_eq!(Pending.transition(Dead), Ok(Dead));
        assert_eq!(Pending.transition(Pending), Ok(Pending));
        assert_eq!(Dead.transition(Pending), Ok(Pending));
        for (from, to) in [(Delivered, Pending), (Delivered, Dead), (Dead, Delivered)] {
            let err = from.transition(to).expect_err("refused");
            assert!(matches!(err, FlameError::InvalidTransition { .. }), "{from} -> {to}");
        }
        for state in [Pending, Delivered, Dead] {
            assert_eq!(state.as_str().parse::<DeliveryState>(), Ok(state));
            assert_eq!(serde_json::to_string(&state).expect("json"), format!("\"{state}\""));
        }
    }

    #[test]
    fn event_patterns_match() {
        let cases: [(&str, &str, bool); 12] = [
            ("*", "deal.won", true),
            ("*", "company.created", true),
            ("deal.*", "deal.won", true),
            ("deal.*", "deal.stage_changed", true),
            ("deal.*", "deal.x.y", true),
            ("deal.*", "deal", false),
            ("deal.*", "deal.", false),
            ("deal.*", "dealer.created", false),
            ("deal.*", "contact.created", false),
            ("deal.won", "deal.won", true),
            ("deal.won", "deal.lost", false),
            ("deal.won", "deal.won.extra", false),
        ];
        for (pattern, event_type, expected) in cases {
            let parsed = EventPattern::parse(pattern).expect(pattern);
            assert_eq!(parsed.matches(event_type), expected, "{pattern} ~ {event_type}");
        }
    }

    #[test]
    fn event_patterns_are_validated() {
        for bad in [
            "",
            " ",
            "deal*",
            "*.won",
            "deal.*.won",
            "Deal.won",
            "deal..won",
            ".deal",
            "deal.",
            "deal won",
            "**",
            "deal.**",
        ] {
            let err = EventPattern::parse(bad).expect_err(bad);
            assert!(matches!(&err, FlameError::Validation { field, .. } if field == "event_type"));
        }
        assert_eq!(EventPattern::parse(" deal.* ").expect("trimmed").as_str(), "deal.*");
        assert!(EventPattern::parse(&"a".repeat(PATTERN_MAX + 1)).is_err());
    }

    #[test]
    fn subscriptions() {
        let subscription =
            EventSubscription::new(&["deal.won", "contact.*", "deal.won"]).expect("valid");
        assert_eq!(subscription.patterns().len(), 2, "duplicates dropped");
        assert!(subscription.matches("deal.won"));
        assert!(subscription.matches("contact.deleted"));
        assert!(!subscription.matches("deal.lost"));
        let json = serde_json::to_string(&subscription).expect("json");
        assert_eq!(json, r#"["deal.won","contact.*"]"#);
        assert_eq!(serde_json::from_str::<EventSubscription>(&json).expect("back"), subscription);

        let none: [&str; 0] = [];
        assert_eq!(
            EventSubscription::new(&none),
            Err(FlameError::validation("event_types", "must name at least one event type"))
        );
        let err = EventSubscription::new(&["deal.*", "deal.*.won"]).expect_err("invalid");
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "event_types[1]"));
        assert!(serde_json::from_str::<EventSubscription>(r#"["DEAL"]"#).is_err());
        let star = EventSubscription::new(&["*"]).expect("all");
        assert!(star.matches("deal.won") && !star.matches(""));
        let deep = EventSubscription::new(&["deal.stage.*", "x"]).expect("deep");
        assert!(deep.matches("deal.stage.moved") && !deep.matches("deal.stage."));
        assert!(!deep.matches("deal.won") && deep.matches("x") && !deep.matches("x.y"));
    }

    #[test]
    fn subscriptions_are_bounded_and_match_without_scanning_every_pattern() {
        let many: Vec<String> = (0..=PATTERNS_MAX).map(|i| format!("custom.e{i}")).collect();
        let err = EventSubscription::new(&many).expect_err("too many");
        assert!(matches!(&err, FlameError::Validation { field, .. } if field == "event_types"));
        assert!(EventSubscription::new(&many[..PATTERNS_MAX]).is_ok());
        // Stored before the bound: still read, and matched by lookup.
        let huge: Vec<String> = (0..100_000).map(|i| format!("custom.e{i}")).collect();
        let stored = EventSubscription::stored(&huge).expect("stored");
        assert!(stored.matches("custom.e99999") && !stored.matches("deal.won"));
    }

    #[test]
    fn the_secret_never_shows() {
        let key = secret("whsec_SUPERSECRET");
        let now = OffsetDateTime::from_unix_timestamp(T).expect("time");
        let err = verify(&key, "t=1,v1=00", BODY, now, Duration::from_secs(1)).expect_err("old");
        assert!(!format!("{err} {err:?} {key:?}").contains("SUPERSECRET"));
    }
}
