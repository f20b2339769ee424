//! Email verification: whether a user proved that they receive mail at their address, the
//! single-use, expiring tokens that prove it ([`EmailToken`], mailed by the host), and what
//! login requires of it ([`EmailVerification`]).
//!
//! Anybody can type any address into a sign-up form, and an invitation token goes through the
//! inviter: neither proves who owns the address. Until the owner of the mailbox presents a
//! token mailed there, the account is *unverified*, and with [`EmailVerification::Required`]
//! (the default) a password login is refused. The same mailed token lets the owner of the
//! address take an account back that someone else created for it
//! (`Flame::reset_password`): the password is replaced and every session and API token of the
//! account is revoked.

use std::fmt;

use secrecy::SecretString;
use time::{Duration, OffsetDateTime};

use crate::email::Email;
use crate::error::{FlameError, Result};
use crate::id::UserId;
use crate::token::{self, TokenHash, TokenKind};

/// How long a verification token stays usable.
pub const EMAIL_TOKEN_TTL: Duration = Duration::hours(24);

/// The answer to a login whose password was right but whose email is not verified yet (with
/// [`EmailVerification::Required`]). It is given only after the password matched, so it tells
/// nothing to someone who does not know the password; a wrong password gets
/// [`LOGIN_REFUSED`](crate::account::LOGIN_REFUSED) as always.
pub const EMAIL_UNVERIFIED: &str =
    "the email address is not verified yet: open the verification link sent to it";

/// The one answer to a verification token that cannot be used: unknown, malformed, used,
/// expired, or issued for an address the user no longer has.
pub const EMAIL_TOKEN_REFUSED: &str = "the email verification token is unknown, used or expired";

/// Whether a password login needs a verified email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum EmailVerification {
    /// Flame keeps the state: a user logs in with a password only once their email is
    /// verified (`Flame::verify_email` with a token the host mailed them). The default: an
    /// account created for an address nobody proved to own cannot be used to log in.
    #[default]
    Required,
    /// The host proves addresses itself (its own mail flow, single sign-on, a trusted
    /// directory): login does not look at the verification state.
    ByHost,
}

impl EmailVerification {
    /// Every mode.
    pub const ALL: [EmailVerification; 2] = [Self::Required, Self::ByHost];

    /// Its name in hosts that pass it as text (`"required"`, `"by_host"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            EmailVerification::Required => "required",
            EmailVerification::ByHost => "by_host",
        }
    }

    /// Fails with `Unauthenticated` ([`EMAIL_UNVERIFIED`]) when a user whose email was
    /// verified at `verified_at` may not log in. Call it only after the password matched.
    pub fn ensure_may_log_in(self, verified_at: Option<OffsetDateTime>) -> Result<()> {
        match (self, verified_at) {
            (EmailVerification::Required, None) => {
                Err(FlameError::unauthenticated(EMAIL_UNVERIFIED))
            }
            _ => Ok(()),
        }
    }
}

impl std::str::FromStr for EmailVerification {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        [EmailVerification::Required, EmailVerification::ByHost]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                FlameError::validation("email_verification", "must be required or by_host")
            })
    }
}

/// A stored verification token: which user and address it proves, until when. The token text
/// itself is never stored, only its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailToken {
    /// The user it proves the address of.
    pub user_id: UserId,
    /// The address it was mailed to.
    pub email: Email,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// When it was used (each token works once).
    pub used_at: Option<OffsetDateTime>,
    /// When it was issued.
    pub created_at: OffsetDateTime,
}

impl EmailToken {
    /// A new token for `user_id` at `email`, valid for [`EMAIL_TOKEN_TTL`] from `now`: the
    /// record to store and the token (with the digest to store it under).
    pub fn issue(
        user_id: UserId,
        email: Email,
        now: OffsetDateTime,
    ) -> (EmailToken, token::IssuedToken) {
        let record = EmailToken {
            user_id,
            email,
            expires_at: now + EMAIL_TOKEN_TTL,
            used_at: None,
            created_at: now,
        };
        (record, token::issue(TokenKind::EmailVerification))
    }

    /// The digest to look a presented token up by; a malformed token is `Unauthenticated`
    /// ([`EMAIL_TOKEN_REFUSED`]).
    pub fn hash_presented(presented: &str) -> Result<TokenHash> {
        token::hash_presented(TokenKind::EmailVerification, presented).map_err(|_| refused())
    }

    /// Fails with `Unauthenticated` ([`EMAIL_TOKEN_REFUSED`]) unless the token may be used at
    /// `now` by a user whose address is now `current_email`: not used, not expired, and
    /// mailed to the address the user still has.
    pub fn ensure_usable(&self, now: OffsetDateTime, current_email: &Email) -> Result<()> {
        if self.used_at.is_some() || now >= self.expires_at || &self.email != current_email {
            return Err(refused());
        }
        Ok(())
    }
}

fn refused() -> FlameError {
    FlameError::unauthenticated(EMAIL_TOKEN_REFUSED)
}

/// A verification token just issued, for the host to mail to the address (shown this once).
/// Never show it to whoever asked for it: whoever holds it proves the address.
#[derive(Clone)]
pub struct EmailVerificationToken {
    /// The user it verifies.
    pub user_id: UserId,
    /// The address to mail it to.
    pub email: Email,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// The token text, for a link in the mail.
    pub token: SecretString,
}

/// Equal when every field, the token text included, is.
impl PartialEq for EmailVerificationToken {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        (self.user_id, &self.email, self.expires_at)
            == (other.user_id, &other.email, other.expires_at)
            && self.token.expose_secret() == other.token.expose_secret()
    }
}

impl fmt::Debug for EmailVerificationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailVerificationToken")
            .field("user_id", &self.user_id)
            .field("email", &self.email)
            .field("expires_at", &self.expires_at)
            .field("token", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn email(s: &str) -> Email {
        Email::parse(s).expect("email")
    }

    #[test]
    fn required_refuses_unverified_logins_and_by_host_does_not() {
        let now = crate::clock::now();
        assert_eq!(
            EmailVerification::default().ensure_may_log_in(None),
            Err(FlameError::unauthenticated(EMAIL_UNVERIFIED))
        );
        assert!(EmailVerification::Required.ensure_may_log_in(Some(now)).is_ok());
        assert!(EmailVerification::ByHost.ensure_may_log_in(None).is_ok());
        assert_eq!("by_host".parse(), Ok(EmailVerification::ByHost));
        assert_eq!("Required".parse(), Ok(EmailVerification::Required));
        assert!("maybe".parse::<EmailVerification>().is_err());
    }

    #[test]
    fn a_token_works_once_before_it_expires_and_for_its_address_only() {
        let now = crate::clock::now();
        let (record, issued) = EmailToken::issue(UserId::new(), email("a@example.com"), now);
        let text = issued.secret.expose_secret();
        assert!(text.starts_with("flame_ver_"), "{text}");
        assert_eq!(EmailToken::hash_presented(text).expect("well formed"), issued.hash);
        let refused = Err(FlameError::unauthenticated(EMAIL_TOKEN_REFUSED));
        assert_eq!(EmailToken::hash_presented("flame_ses_abc").map(|_| ()), refused);
        assert!(record.ensure_usable(now, &email("A@example.com")).is_ok());
        assert_eq!(record.ensure_usable(now + EMAIL_TOKEN_TTL, &email("a@example.com")), refused);
        assert_eq!(record.ensure_usable(now, &email("b@example.com")), refused);
        let used = EmailToken { used_at: Some(now), ..record };
        assert_eq!(used.ensure_usable(now, &email("a@example.com")), refused);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let now = crate::clock::now();
        let (record, issued) = EmailToken::issue(UserId::new(), email("a@example.com"), now);
        let shown = EmailVerificationToken {
            user_id: record.user_id,
            email: record.email,
            expires_at: record.expires_at,
            token: issued.secret,
        };
        let text = format!("{shown:?}");
        assert!(!text.contains(&shown.token.expose_secret()[10..]), "{text}");
    }
}
