//! Proof that an inbound webhook came from its platform, checked before any of its body is
//! read.
//!
//! - **Telegram** sends the `secret_token` given to `setWebhook` in the
//!   [`TELEGRAM_SECRET_HEADER`] of every update; [`verify_telegram`] compares it with the
//!   integration's [`SECRET_TOKEN`] credential.
//! - **Meta** (WhatsApp Cloud API, Lead Ads) signs the raw body with the app secret:
//!   [`META_SIGNATURE_HEADER`] is `sha256=<hex HMAC-SHA256 of the body>`; [`verify_meta`] checks
//!   it under the integration's [`APP_SECRET`] credential. Its subscription handshake
//!   (`hub.mode`, `hub.verify_token`, `hub.challenge`) is answered by [`verify_subscription`]
//!   only when the token is the integration's [`VERIFY_TOKEN`] credential.
//!
//! Every comparison is constant-time. An integration **without** the credential refuses every
//! request (fail closed): a body nobody can authenticate never reaches the store. Every refusal
//! is a [`FlameError::Unauthenticated`] whose reason names the header or credential, never a
//! value.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::error::{FlameError, Result};

/// The header Telegram carries the webhook's secret token in.
pub const TELEGRAM_SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";
/// The header Meta carries the body's signature in: `sha256=<hex HMAC-SHA256>`.
pub const META_SIGNATURE_HEADER: &str = "X-Hub-Signature-256";
/// The credential holding a Telegram integration's webhook secret token.
pub const SECRET_TOKEN: &str = "secret_token";
/// The credential holding a Meta app's secret (the key of `X-Hub-Signature-256`).
pub const APP_SECRET: &str = "app_secret";
/// The credential holding the token a Meta subscription handshake must present.
pub const VERIFY_TOKEN: &str = "verify_token";

type HmacSha256 = Hmac<Sha256>;

/// An inbound webhook request as the host received it: its headers (names in any case) and
/// its raw body, byte for byte (a signature covers the exact bytes).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct WebhookRequest {
    /// The request's headers, `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for WebhookRequest {
    /// Header names and the body's length only: a header may carry a secret token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("WebhookRequest")
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl WebhookRequest {
    /// A request of `headers` and `body`.
    pub fn new(headers: Vec<(String, String)>, body: impl Into<Vec<u8>>) -> Self {
        Self { headers, body: body.into() }
    }

    /// Adds the header `name: value`.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The value of the header `name`, compared without regard to case; the first one when
    /// it is repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// Whether `given` equals `expected`, in time independent of where they differ (both are
/// MACed under `expected` and the tags compared with `verify_slice`).
fn same_secret(expected: &SecretString, given: &str) -> bool {
    let key = expected.expose_secret().as_bytes();
    let mut want = keyed(key);
    want.update(key);
    let tag = want.finalize().into_bytes();
    let mut got = keyed(key);
    got.update(given.as_bytes());
    got.verify_slice(&tag).is_ok()
}

fn missing_credential(field: &str) -> FlameError {
    FlameError::unauthenticated(format!(
        "the integration has no {field} credential, so no request can be verified"
    ))
}

/// Verifies a Telegram update: its [`TELEGRAM_SECRET_HEADER`] must equal `secret_token`.
/// No credential, no header or another token is [`FlameError::Unauthenticated`].
pub fn verify_telegram(
    secret_token: Option<&SecretString>,
    request: &WebhookRequest,
) -> Result<()> {
    let secret = secret_token.ok_or_else(|| missing_credential(SECRET_TOKEN))?;
    let given = request.header(TELEGRAM_SECRET_HEADER).ok_or_else(|| {
        FlameError::unauthenticated(format!("the {TELEGRAM_SECRET_HEADER} header is missing"))
    })?;
    if !same_secret(secret, given) {
        return Err(FlameError::unauthenticated(format!(
            "the {TELEGRAM_SECRET_HEADER} header does not match"
        )));
    }
    Ok(())
}

/// The value of [`META_SIGNATURE_HEADER`] Meta sends with `body`: `sha256=` and the lowercase
/// hex HMAC-SHA256 of the body keyed with the app secret.
pub fn meta_signature(app_secret: &SecretString, body: &[u8]) -> String {
    let mut mac = keyed(app_secret.expose_secret().as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Verifies a Meta webhook (WhatsApp Cloud API, Lead Ads): its [`META_SIGNATURE_HEADER`]
/// must be `sha256=<hex>` (hex in either case) of the raw body under `app_secret`, compared in
/// constant time. No credential, no header, a malformed one or another signature is
/// [`FlameError::Unauthenticated`].
pub fn verify_meta(app_secret: Option<&SecretString>, request: &WebhookRequest) -> Result<()> {
    let secret = app_secret.ok_or_else(|| missing_credential(APP_SECRET))?;
    let header = request.header(META_SIGNATURE_HEADER).ok_or_else(|| {
        FlameError::unauthenticated(format!("the {META_SIGNATURE_HEADER} header is missing"))
    })?;
    let refused = || {
        FlameError::unauthenticated(format!("the {META_SIGNATURE_HEADER} header does not match"))
    };
    let hex_sig = header.trim().strip_prefix("sha256=").ok_or_else(refused)?;
    let signature = hex::decode(hex_sig).map_err(|_| refused())?;
    let mut mac = keyed(secret.expose_secret().as_bytes());
    mac.update(&request.body);
    mac.verify_slice(&signature).map_err(|_| refused())
}

/// Answers Meta's subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&
/// hub.challenge=…`): the challenge to send back, when `mode` is `subscribe` and `token` is
/// the integration's `verify_token`. Another mode is a `Validation` error on `"hub.mode"`; no
/// credential or another token is [`FlameError::Unauthenticated`].
pub fn verify_subscription(
    verify_token: Option<&SecretString>,
    mode: &str,
    token: &str,
    challenge: &str,
) -> Result<String> {
    if mode != "subscribe" {
        return Err(FlameError::validation("hub.mode", "must be subscribe"));
    }
    let expected = verify_token.ok_or_else(|| missing_credential(VERIFY_TOKEN))?;
    if !same_secret(expected, token) {
        return Err(FlameError::unauthenticated("hub.verify_token does not match"));
    }
    Ok(challenge.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    // Python: hmac.new(b"meta_app_secret", BODY, hashlib.sha256).hexdigest()
    const BODY_SIG: &str = "e6ad1226d7dbb376b93779e72f6ea6cc56d514dbcb4b3fa023b679f8f0220325";

    fn unauthenticated(result: Result<()>) -> String {
        match result {
            Err(FlameError::Unauthenticated { reason }) => reason,
            other => panic!("expected Unauthenticated, got {other:?}"),
        }
    }

    #[test]
    fn meta_signature_matches_known_vectors() {
        assert_eq!(meta_signature(&secret("meta_app_secret"), BODY), format!("sha256={BODY_SIG}"));
        // RFC 4231-style well-known vector.
        assert_eq!(
            meta_signature(&secret("key"), b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn meta_verification_accepts_only_the_exact_signature() {
        let key = secret("meta_app_secret");
        let ok = WebhookRequest::new(vec![], BODY)
            .with_header("x-hub-signature-256", format!("sha256={BODY_SIG}"));
        verify_meta(Some(&key), &ok).expect("the right signature passes");
        let upper = WebhookRequest::new(vec![], BODY)
            .with_header(META_SIGNATURE_HEADER, format!("sha256={}", BODY_SIG.to_uppercase()));
        verify_meta(Some(&key), &upper).expect("hex in upper case passes");

        let mut tampered = ok.clone();
        tampered.body.push(b' ');
        assert!(
            unauthenticated(verify_meta(Some(&key), &tampered)).contains(META_SIGNATURE_HEADER)
        );
        let no_prefix =
            WebhookRequest::new(vec![], BODY).with_header(META_SIGNATURE_HEADER, BODY_SIG);
        assert!(unauthenticated(verify_meta(Some(&key), &no_prefix)).contains("does not match"));
        let not_hex =
            WebhookRequest::new(vec![], BODY).with_header(META_SIGNATURE_HEADER, "sha256=zz");
        unauthenticated(verify_meta(Some(&key), &not_hex));
        let missing = WebhookRequest::new(vec![], BODY);
        assert!(unauthenticated(verify_meta(Some(&key), &missing)).contains("missing"));
        assert!(
            unauthenticated(verify_meta(Some(&secret("other")), &ok)).contains("does not match")
        );
        assert!(unauthenticated(verify_meta(None, &ok)).contains(APP_SECRET));
    }

    #[test]
    fn telegram_verification_compares_the_secret_token() {
        let key = secret("tg-secret_1");
        let ok = WebhookRequest::new(vec![], b"{}".to_vec())
            .with_header("x-telegram-bot-api-secret-token", "tg-secret_1");
        verify_telegram(Some(&key), &ok).expect("the right token passes");
        for wrong in ["tg-secret_2", "tg-secret_", "tg-secret_11", ""] {
            let req = WebhookRequest::new(vec![], b"{}".to_vec())
                .with_header(TELEGRAM_SECRET_HEADER, wrong);
            let reason = unauthenticated(verify_telegram(Some(&key), &req));
            assert!(reason.contains(TELEGRAM_SECRET_HEADER), "{reason}");
            assert!(!reason.contains("tg-secret"), "{reason}");
        }
        let missing = WebhookRequest::new(vec![], b"{}".to_vec());
        assert!(unauthenticated(verify_telegram(Some(&key), &missing)).contains("missing"));
        assert!(unauthenticated(verify_telegram(None, &ok)).contains(SECRET_TOKEN));
    }

    #[test]
    fn subscription_handshake_answers_only_the_right_token() {
        let key = secret("verify-me");
        assert_eq!(
            verify_subscription(Some(&key), "subscribe", "verify-me", "1158201444").unwrap(),
            "1158201444"
        );
        assert!(matches!(
            verify_subscription(Some(&key), "subscribe", "verify-you", "1"),
            Err(FlameError::Unauthenticated { .. })
        ));
        assert!(matches!(
            verify_subscription(None, "subscribe", "verify-me", "1"),
            Err(FlameError::Unauthenticated { .. })
        ));
        assert!(matches!(
            verify_subscription(Some(&key), "unsubscribe", "verify-me", "1"),
            Err(FlameError::Validation { field, .. }) if field == "hub.mode"
        ));
    }

    #[test]
    fn debug_never_shows_header_values() {
        let req = WebhookRequest::new(vec![], b"{}".to_vec())
            .with_header(TELEGRAM_SECRET_HEADER, "s3cr3t");
        let shown = format!("{req:?}");
        assert!(shown.contains(TELEGRAM_SECRET_HEADER));
        assert!(!shown.contains("s3cr3t"));
    }
}
