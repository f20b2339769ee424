//! The tenant ([`Company`]), the people who log in ([`User`]) and what ties them
//! ([`Membership`], with a [`Role`]).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::Role;
use crate::email::Email;
use crate::error::Result;
use crate::id::{CompanyId, UserId};
use crate::password::Password;
use crate::text;

/// A company: the tenant that owns contacts, deals, pipelines and everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Company {
    /// Its id.
    pub id: CompanyId,
    /// Its display name.
    pub name: String,
    /// When it signed up.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version: pass it back to update.
    pub version: i64,
}

/// A person who can act in one or more companies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct User {
    /// Their id.
    pub id: UserId,
    /// Their normalized email, unique across Flame.
    pub email: Email,
    /// Their display name.
    pub name: String,
    /// Inactive users cannot act.
    pub active: bool,
    /// When they proved that they receive mail at `email` ([`crate::verification`]); `None`
    /// until then. Users that existed before verification was introduced count as verified
    /// since their creation.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub email_verified_at: Option<OffsetDateTime>,
    /// When they were created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When they last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A user's place in a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Membership {
    /// The company.
    pub company_id: CompanyId,
    /// The user.
    pub user_id: UserId,
    /// What the user may do there.
    pub role: Role,
    /// When the user joined.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A member as a screen lists them: the user and their role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Member {
    /// The user.
    pub user: User,
    /// Their membership in the company.
    pub membership: Membership,
}

/// A company signing up with its first owner.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUp {
    /// The company's name.
    pub company_name: String,
    /// The owner's email; an existing user with this email becomes the owner.
    pub owner_email: String,
    /// The owner's display name.
    pub owner_name: String,
    /// A password for the owner, checked against the policy; `None` for hosts that
    /// authenticate users themselves. An existing user keeps the password they have.
    #[serde(skip_serializing, default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for SignUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUp")
            .field("company_name", &self.company_name)
            .field("owner_email", &self.owner_email)
            .field("owner_name", &self.owner_name)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A new user, added to a company with a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewMember {
    /// Their email, which must be new: an existing user is invited instead
    /// (`invitations().create`) and joins from their own session.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// Their role in the company.
    pub role: Role,
}

/// Validated sign-up input.
#[derive(Debug, Clone)]
pub struct ValidSignUp {
    /// The company's name.
    pub company_name: String,
    /// The owner's email.
    pub owner_email: Email,
    /// The owner's name.
    pub owner_name: String,
    /// The owner's password, if one was given.
    pub password: Option<Password>,
}

impl SignUp {
    /// Checks every field.
    pub fn validate(&self) -> Result<ValidSignUp> {
        let owner_email = Email::parse(&self.owner_email).map_err(|e| e.at("owner_email"))?;
        let password = self
            .password
            .as_deref()
            .map(|p| Password::new("password", p, Some(&owner_email)))
            .transpose()?;
        Ok(ValidSignUp {
            company_name: text::required("company_name", &self.company_name, text::NAME_MAX)?,
            owner_email,
            owner_name: text::required("owner_name", &self.owner_name, text::NAME_MAX)?,
            password,
        })
    }
}

impl NewMember {
    /// Checks every field, returning the normalized email and name.
    pub fn validate(&self) -> Result<(Email, String)> {
        Ok((Email::parse(&self.email)?, text::required("name", &self.name, text::NAME_MAX)?))
    }
}

/// Validates a company name.
pub fn company_name(name: &str) -> Result<String> {
    text::required("name", name, text::NAME_MAX)
}
