"""Type aliases of the Flame Python API: the names enumerations take, and what an amount of
money may be given as."""

from decimal import Decimal
from typing import Literal, Union

from ._flame import AccountingSettings, AdvertisingSettings, MessagingSettings, WebhookSettings

#: A member's role in a company, from the most to the least powerful.
Role = Literal["owner", "admin", "manager", "member", "viewer"]
#: Where a deal stands; follows the kind of its stage.
DealStatus = Literal["open", "won", "lost"]
#: How many people an organization has.
OrganizationSize = Literal["1-10", "11-50", "51-200", "201-1000", "1000+"]
#: What reaching a stage means for a deal.
StageKind = Literal["open", "won", "lost"]
#: What kind of activity.
ActivityKind = Literal["note", "task", "call", "message_in", "message_out"]
#: Where a subscription is in its lifecycle.
SubscriptionStatus = Literal["trialing", "active", "past_due", "canceled", "expired"]
#: How often a plan is billed.
BillingInterval = Literal["month", "year"]
#: What an API token allows: reads only, or whatever the user's role allows.
Scope = Literal["read_only", "read_write"]
#: Whether a password login needs a verified email: Flame keeps the state ("required", the
#: default), or the host proves addresses itself ("by_host").
EmailVerification = Literal["required", "by_host"]
#: How a session was authenticated: a login session or an API token.
CredentialKind = Literal["session", "api_token"]
#: Whether a payment the provider reports went through.
PaymentOutcome = Literal["succeeded", "failed"]
#: The backend a store runs on.
Backend = Literal["sqlite", "postgres"]
#: What an integration is: a messaging channel, an accounting system, an advertising account
#: or an outgoing webhook.
IntegrationKind = Literal["messaging", "accounting", "advertising", "webhook"]
#: A messaging platform, by its stored name.
MessagingPlatform = Literal["telegram", "whatsapp", "vk", "viber", "instagram", "email", "sms"]
#: An accounting system, by its stored name.
AccountingPlatform = Literal["one_c", "moysklad", "quickbooks", "xero", "other"]
#: An advertising platform, by its stored name.
AdvertisingPlatform = Literal["yandex_direct", "vk_ads", "google_ads", "meta", "tiktok", "other"]
#: Where an accounting document's hand-over stands.
DocumentStatus = Literal["queued", "sent", "failed"]
#: Where an outgoing webhook delivery stands.
DeliveryStatus = Literal["pending", "delivered", "dead"]
#: The kinds of record that carry custom fields.
CustomEntity = Literal["contact", "organization", "deal"]
#: What a custom field holds.
CustomFieldKind = Literal[
    "text",
    "number",
    "money",
    "date",
    "datetime",
    "bool",
    "select",
    "multi_select",
    "url",
    "email",
    "phone",
]
#: An amount of money as input: exact decimal text, an int or a Decimal — never a float.
Amount = Union[Decimal, int, str]
#: The settings of an integration, one class per kind.
IntegrationSettings = Union[
    MessagingSettings, AccountingSettings, AdvertisingSettings, WebhookSettings
]

__all__ = [
    "AccountingPlatform",
    "ActivityKind",
    "AdvertisingPlatform",
    "Amount",
    "Backend",
    "BillingInterval",
    "CredentialKind",
    "CustomEntity",
    "CustomFieldKind",
    "DealStatus",
    "DeliveryStatus",
    "DocumentStatus",
    "EmailVerification",
    "IntegrationKind",
    "IntegrationSettings",
    "MessagingPlatform",
    "OrganizationSize",
    "PaymentOutcome",
    "Role",
    "Scope",
    "StageKind",
    "SubscriptionStatus",
]
