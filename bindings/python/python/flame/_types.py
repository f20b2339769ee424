"""Type aliases of the Flame Python API: the names enumerations take, and what an amount of
money may be given as."""

from decimal import Decimal
from typing import Literal, Union

#: A member's role in a company, from the most to the least powerful.
Role = Literal["owner", "admin", "manager", "member", "viewer"]
#: Where a deal stands; follows the kind of its stage.
DealStatus = Literal["open", "won", "lost"]
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
#: How a session was authenticated: a login session or an API token.
CredentialKind = Literal["session", "api_token"]
#: Whether a payment the provider reports went through.
PaymentOutcome = Literal["succeeded", "failed"]
#: The backend a store runs on.
Backend = Literal["sqlite", "postgres"]
#: An amount of money as input: exact decimal text, an int or a Decimal — never a float.
Amount = Union[Decimal, int, str]

__all__ = [
    "ActivityKind",
    "Amount",
    "Backend",
    "BillingInterval",
    "CredentialKind",
    "DealStatus",
    "PaymentOutcome",
    "Role",
    "Scope",
    "StageKind",
    "SubscriptionStatus",
]
