//! Typed ids: one newtype per entity over a UUIDv7, so that a `DealId` can never be passed
//! where a `ContactId` is expected. UUIDv7 ids sort by creation time, which keyset
//! pagination relies on.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::error::FlameError;

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident => $entity:literal),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// The entity this id names, as used in error messages.
            pub const ENTITY: &'static str = $entity;

            /// A fresh, time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (read from storage or from a host).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the hyphenated text form; `field` names the input in the error.
            pub fn parse(field: &str, text: &str) -> Result<Self, FlameError> {
                Uuid::parse_str(text.trim())
                    .map(Self)
                    .map_err(|_| FlameError::validation(field, "is not a valid id"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = FlameError;
            fn from_str(s: &str) -> Result<Self, FlameError> {
                Self::parse($entity, s)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        // Hosts see the hyphenated text (Kotlin and Swift: a typealias of String). Only output
        // records carry typed ids: a host's id input crosses as a String and is parsed with
        // `parse`, which names the field in its error.
        #[cfg(feature = "uniffi")]
        uniffi::custom_type!($name, String, {
            lower: |id| id.to_string(),
            try_lift: |text| Ok($name::parse($entity, &text)?),
        });
    )*};
}

typed_id! {
    /// Identifies a [`Company`](crate::company::Company), the tenant.
    CompanyId => "company",
    /// Identifies a [`User`](crate::company::User).
    UserId => "user",
    /// Identifies a [`Plan`](crate::billing::Plan).
    PlanId => "plan",
    /// Identifies a [`Subscription`](crate::billing::Subscription).
    SubscriptionId => "subscription",
    /// Identifies a [`Contact`](crate::contact::Contact).
    ContactId => "contact",
    /// Identifies an [`Organization`](crate::organization::Organization).
    OrganizationId => "organization",
    /// Identifies a [`Pipeline`](crate::pipeline::Pipeline).
    PipelineId => "pipeline",
    /// Identifies a [`Stage`](crate::pipeline::Stage).
    StageId => "stage",
    /// Identifies a [`Source`](crate::source::Source).
    SourceId => "source",
    /// Identifies a [`Deal`](crate::deal::Deal).
    DealId => "deal",
    /// Identifies an [`Activity`](crate::activity::Activity).
    ActivityId => "activity",
    /// Identifies a domain [`Event`](crate::event::Event) in the outbox.
    EventId => "event",
    /// Identifies a stored login session ([`Credential::Session`](crate::auth::Credential)).
    SessionId => "session",
    /// Identifies an [`ApiToken`](crate::account::ApiToken).
    ApiTokenId => "api token",
    /// Identifies an [`Invitation`](crate::account::Invitation).
    InvitationId => "invitation",
    /// Identifies a [`Payment`](crate::billing::Payment) recorded for a subscription.
    PaymentId => "payment",
    /// Identifies an integration: a messaging channel, ad account, accounting link or webhook.
    IntegrationId => "integration",
    /// Identifies a [`Tag`](crate::tag::Tag) of a company's vocabulary.
    TagId => "tag",
    /// Identifies a [`CustomField`](crate::custom_field::CustomField) definition.
    CustomFieldId => "custom field",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_round_trip() {
        let a = DealId::new();
        let b = DealId::new();
        assert!(a < b, "UUIDv7 ids sort by creation");
        assert_eq!(a.as_uuid().get_version_num(), 7);
        let parsed: DealId = a.to_string().parse().expect("parses");
        assert_eq!(parsed, a);
        assert_eq!(serde_json::to_string(&a).expect("json"), format!("\"{a}\""));
    }

    #[test]
    fn malformed_id_names_the_field() {
        let err = ContactId::parse("contact_id", "nope").expect_err("rejected");
        assert_eq!(err, FlameError::validation("contact_id", "is not a valid id"));
    }
}
