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

use crate::Flame;
use crate::account::{email_key, revoke_api_tokens_of, revoke_sessions};
use crate::sql::{Executor as _, Tx, args};

impl Flame {
    /// Issues a single-use token that proves `user_id`'s email address, valid for
    /// [`EMAIL_TOKEN_TTL`](flame_core::verification::EMAIL_TOKEN_TTL). A trusted host call:
    /// mail the token (typically as a link) to the address in the result, and never show it
    /// to whoever asked for it: whoever presents it proves the address, can verify it
    /// ([`verify_email`](Self::verify_email)) and can set the account's password
    /// ([`reset_password`](Self::reset_password)). Only its digest is stored. Issuing another
    /// leaves the earlier ones valid until one of them is used. An unknown user is `NotFound`.
    pub async fn email_verification(&self, user_id: UserId) -> Result<EmailVerificationToken> {
        let user = self.user(user_id).await?;
        let now = clock::now();
        let (record, issued) = EmailToken::issue(user.id, user.email, now);
        self.pool()
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

    /// Marks the email of the user a token was issued for as verified (from then on they may
    /// log in with [`EmailVerification::Required`](flame_core::verification::EmailVerification))
    /// and uses the token up, with every other open token of that user. Their password and
    /// sessions stay as they were: a user who did not choose the password (someone else
    /// created the account for their address) takes the account back with
    /// [`reset_password`](Self::reset_password) instead.
    ///
    /// An unknown, malformed, used or expired token, or one mailed to an address the user no
    /// longer has, is `Unauthenticated`
    /// ([`EMAIL_TOKEN_REFUSED`](flame_core::verification::EMAIL_TOKEN_REFUSED)).
    pub async fn verify_email(&self, token: &str) -> Result<User> {
        let hash = EmailToken::hash_presented(token)?;
        let now = clock::now();
        let mut tx = self.pool().begin().await?;
        let user_id = claim(&mut tx, &hash, now).await?;
        mark_verified(&mut tx, user_id, now).await?;
        tx.commit().await?;
        self.user(user_id).await
    }

    /// Takes an account back with a mailed token: sets the password of the user the token was
    /// issued for (checked against the policy; errors name `new_password`), marks their email
    /// verified, revokes every session and API token of theirs in every company, forgets
    /// their login failures, and uses the token up with every other open token of theirs.
    ///
    /// This is how the owner of an address recovers an account that someone else created
    /// for it (by accepting an invitation with a password of their choosing, or signing up):
    /// the other person's password and sessions stop working. It is also a password-reset
    /// flow for users who forgot theirs. The token is refused as in
    /// [`verify_email`](Self::verify_email), and a refused call changes nothing.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<User> {
        let hash = EmailToken::hash_presented(token)?;
        let now = clock::now();
        // Read first: the policy needs the address (a password may not be it), and hashing
        // happens before the transaction. The claim below re-checks everything.
        let record = self.email_token(&hash).await?;
        let user = self.user(record.user_id).await.map_err(|_| refused())?;
        record.ensure_usable(now, &user.email)?;
        let password = Password::new("new_password", new_password, Some(&user.email))?;
        let password_hash = self.hash_password(password).await?;
        let now = clock::now();
        let mut tx = self.pool().begin().await?;
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
        self.standing_changed();
        self.user(user_id).await
    }

    /// The stored token whose digest is `hash`, or `Unauthenticated`.
    async fn email_token(&self, hash: &TokenHash) -> Result<EmailToken> {
        let row = self
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
