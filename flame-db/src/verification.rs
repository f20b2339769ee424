//! Email verification: the tokens the host mails ([`Flame::email_verification`]), verifying
//! an address with one ([`Flame::verify_email`]) and taking an account back with one
//! ([`Flame::reset_password`]). The rules (expiry, single use, what login requires) are in
//! [`flame_core::verification`].

use time::OffsetDateTime;

use flame_core::company::User;
use flame_core::password::Password;
use flame_core::token::TokenHash;
use flame_core::verification::{EMAIL_TOKEN_REFUSED, EmailToken, EmailVerificationToken};
use flame_core::{FlameError, Result, UserId, clock};

use crate::account::{Identity, email_key, revoke_api_tokens_of, revoke_sessions};
use crate::flame::Flame;
use crate::sql::{Executor as _, Tx, args};

/// Email verification and account recovery by mailed token ([`Flame::email_verification`]).
pub(crate) struct Verifier<'a> {
    flame: &'a Flame,
}

impl<'a> Verifier<'a> {
    pub(crate) fn new(flame: &'a Flame) -> Self {
        Self { flame }
    }

    pub(crate) async fn email_verification(
        &self,
        user_id: UserId,
    ) -> Result<EmailVerificationToken> {
        let user = Identity::new(self.flame).user(user_id).await?;
        let now = clock::now();
        let (record, issued) = EmailToken::issue(user.id, user.email, now);
        self.flame.pool()
            .exec()
            .execute(
                "INSERT INTO email_verifications (token_hash, user_id, email, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                args![
                    issued.hash.as_str(),
                    record.user_id.as_uuid(),
                    record.email.as_str(),
                    record.expires_at,
                    now
                ],
            )
            .await?;
        Ok(EmailVerificationToken {
            user_id: record.user_id,
            email: record.email,
            expires_at: record.expires_at,
            token: issued.secret,
        })
    }

    pub(crate) async fn verify_email(&self, token: &str) -> Result<User> {
        let hash = EmailToken::hash_presented(token)?;
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        let user_id = claim(&mut tx, &hash, now).await?;
        mark_verified(&mut tx, user_id, now).await?;
        tx.commit().await?;
        Identity::new(self.flame).user(user_id).await
    }

    pub(crate) async fn reset_password(&self, token: &str, new_password: &str) -> Result<User> {
        let hash = EmailToken::hash_presented(token)?;
        let now = clock::now();
        // Read first: the policy needs the address (a password may not be it), and hashing
        // happens before the transaction. The claim below re-checks everything.
        let record = self.email_token(&hash).await?;
        let user = Identity::new(self.flame).user(record.user_id).await.map_err(|_| refused())?;
        record.ensure_usable(now, &user.email)?;
        let password = Password::new("new_password", new_password, Some(&user.email))?;
        let password_hash = Identity::new(self.flame).hash_password(password).await?;
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        let user_id = claim(&mut tx, &hash, now).await?;
        tx.execute(
            "UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1
             WHERE id = $3",
            args![password_hash, now, user_id.as_uuid()],
        )
        .await?;
        mark_verified(&mut tx, user_id, now).await?;
        revoke_sessions(&mut tx, user_id, None, now).await?;
        revoke_api_tokens_of(&mut tx, user_id, now).await?;
        tx.execute(
            "DELETE FROM login_throttle WHERE email_hash = $1",
            args![email_key(&user.email)],
        )
        .await?;
        tx.commit().await?;
        self.flame.standing_changed();
        Identity::new(self.flame).user(user_id).await
    }

    /// The stored token whose digest is `hash`, or `Unauthenticated`.
    async fn email_token(&self, hash: &TokenHash) -> Result<EmailToken> {
        let row = self
            .flame
            .pool()
            .exec()
            .fetch_optional(
                "SELECT user_id, email, expires_at, used_at, created_at FROM email_verifications
                 WHERE token_hash = $1",
                args![hash.as_str()],
            )
            .await?
            .ok_or_else(refused)?;
        Ok(EmailToken {
            user_id: row.id("user_id")?,
            email: row.parse("email")?,
            expires_at: row.time("expires_at")?,
            used_at: row.opt_time("used_at")?,
            created_at: row.time("created_at")?,
        })
    }
}

fn refused() -> FlameError {
    FlameError::unauthenticated(EMAIL_TOKEN_REFUSED)
}

/// Inside `tx`: checks the token whose digest is `hash` ([`EmailToken::ensure_usable`]) and
/// uses it up, once even under concurrent calls, with every other open token of its user;
/// returns the user.
async fn claim(tx: &mut Tx, hash: &TokenHash, now: OffsetDateTime) -> Result<UserId> {
    let row = tx
        .fetch_optional(
            "SELECT v.user_id, v.email, v.expires_at, v.used_at, v.created_at,
                    u.email AS current_email
             FROM email_verifications v JOIN users u ON u.id = v.user_id
             WHERE v.token_hash = $1",
            args![hash.as_str()],
        )
        .await?
        .ok_or_else(refused)?;
    let record = EmailToken {
        user_id: row.id("user_id")?,
        email: row.parse("email")?,
        expires_at: row.time("expires_at")?,
        used_at: row.opt_time("used_at")?,
        created_at: row.time("created_at")?,
    };
    record.ensure_usable(now, &row.parse("current_email")?)?;
    let used = tx
        .execute(
            "UPDATE email_verifications SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
            args![now, hash.as_str()],
        )
        .await?;
    if used == 0 {
        return Err(refused());
    }
    tx.execute(
        "UPDATE email_verifications SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
        args![now, record.user_id.as_uuid()],
    )
    .await?;
    Ok(record.user_id)
}

/// Inside `tx`: records that `user`'s email is verified as of `now`, unless it already was.
async fn mark_verified(tx: &mut Tx, user: UserId, now: OffsetDateTime) -> Result<()> {
    tx.execute(
        "UPDATE users SET email_verified_at = $1, updated_at = $1, version = version + 1
         WHERE id = $2 AND email_verified_at IS NULL",
        args![now, user.as_uuid()],
    )
    .await?;
    Ok(())
}
