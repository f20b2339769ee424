"""Type stubs of ``flame._flame``, the Rust extension module behind the ``flame`` package."""

import builtins
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from os import PathLike
from types import TracebackType
from typing import IO, Any, Generic, Iterator, Literal, Optional, TypeVar, Union, final
from uuid import UUID

from ._types import (
    AccountingPlatform,
    ActivityKind,
    AdvertisingPlatform,
    Amount,
    Backend,
    BillingInterval,
    CredentialKind,
    CustomEntity,
    CustomFieldKind,
    DealStatus,
    OrganizationSize,
    DeliveryStatus,
    DocumentStatus,
    EmailVerification,
    IntegrationKind,
    MessagingPlatform,
    PaymentOutcome,
    Role,
    Scope,
    StageKind,
    SubscriptionStatus,
)

_T = TypeVar("_T")

__version__: str

def _enum_names() -> dict[str, list[str]]:
    """The stored names of each enumeration, by its ``flame._types`` alias (for the tests)."""
def _error_stubs() -> str:
    """The exception classes of this stub, generated from the error variants (for the tests)."""

@final
class Secret:
    """A secret Flame issued (a session, API, invitation or verification token, an
    integration credential), as Kotlin's and Swift's ``Secret``: ``repr()`` and ``str()``
    show ``Secret('[redacted]')``; ``expose()`` returns the text, to hand it over. Every
    argument that takes a secret accepts a ``Secret`` or a ``str``."""

    def __new__(cls, text: str) -> Secret:
        """Wraps a secret the host holds, so that it prints redacted too."""
    def expose(self) -> str:
        """The secret text (never log it)."""
    def __eq__(self, other: object, /) -> bool: ...

# --- Errors (generated from the extension by tests/test_stub.py; do not edit) ---

class FlameError(Exception):
    """Base class of every error Flame raises."""

    kind: str
    """The stable variant name ("Validation", "NotFound", ...)."""

class ValidationError(FlameError):
    """An input was malformed or out of bounds. ``field`` names it (``"email"``, ``"value.currency"``),
    ``reason`` says what was wrong without repeating the value."""

    field: str
    """The input field that was rejected."""
    reason: str
    """Why it was rejected."""

class NotFoundError(FlameError):
    """The record does not exist — or belongs to another company, which is answered the same
    way so that ids leak nothing."""

    entity: str
    """The kind of record that was looked up (``"contact"``, ``"deal"``, …)."""

class UnauthenticatedError(FlameError):
    """No valid session: none given, expired, revoked, or its user is unknown or inactive."""

    reason: str
    """Why the caller is not authenticated."""

class ForbiddenError(FlameError):
    """The session is valid but its role does not allow the action."""

    action: str
    """The action that was refused (``"update contact"``)."""

class ConflictError(FlameError):
    """The write lost a race or contradicts stored state: a stale ``version``, a duplicate key."""

    entity: str
    """The kind of record the conflict is about."""
    reason: str
    """What conflicted."""

class InvalidTransitionError(FlameError):
    """A state machine refused the transition (a won deal moved without being reopened)."""

    entity: str
    """The kind of record."""
    from_state: str
    """Its current state."""
    to_state: str
    """The state that was asked for."""
    reason: str
    """Why the transition is refused."""

class PlanLimitExceededError(FlameError):
    """The company's plan does not allow more of something."""

    limit: str
    """Which limit (``"contacts"``, ``"seats"``, …)."""
    allowed: int
    """What the plan allows."""
    used: int
    """What is already in use."""

class ReadOnlyError(FlameError):
    """The company is read-only: its subscription is canceled or expired. Reads still work;
    writes resume once the subscription is reactivated."""

    reason: str
    """Why the company cannot be changed now."""

class SchemaError(FlameError):
    """The database schema is not what this build of Flame expects: a table or column is
    missing, a migration is unknown to this build or was changed after it was applied."""

    reason: str
    """What is wrong with the schema, naming the table, column or migration."""

class StorageError(FlameError):
    """The database could not do what was asked (unreachable, busy, a constraint the domain
    did not foresee). The reason is Flame's own wording, not the driver's message."""

    reason: str
    """What failed."""

class CryptoError(FlameError):
    """Encryption or decryption of a stored secret failed (no key, wrong key, tampered data)."""

    reason: str
    """What failed, naming the record but never the secret."""

# --- End of the generated errors ---

# --- Values -----------------------------------------------------------------------------

@final
class Money:
    """An amount of money: an exact ``Decimal`` amount and an ISO 4217 currency code."""

    def __new__(cls, amount: Amount, currency: str) -> Money:
        """``amount`` as Decimal, int or str (never float), not negative, with at most the
        currency's number of decimal places."""
    @property
    def amount(self) -> Decimal:
        """The amount, with the currency's number of decimal places."""
    @property
    def currency(self) -> str:
        """The ISO 4217 code ("USD")."""
    @property
    def amount_minor(self) -> int:
        """The amount in minor units (cents)."""
    def to_dict(self) -> dict[str, Any]:
        """``{"amount": Decimal, "currency": str}``."""
    def __hash__(self) -> int: ...

@final
class PasswordHasher:
    """The Argon2id costs passwords are hashed with, for ``open(password_hasher=...)``."""

    def __new__(cls, *, memory_kib: int, iterations: int, lanes: int) -> PasswordHasher:
        """Costs Argon2 refuses raise ``ValidationError`` (field "password_hashing")."""
    @property
    def memory_kib(self) -> int:
        """Memory per hash, in KiB."""
    @property
    def iterations(self) -> int:
        """Passes over the memory."""
    @property
    def lanes(self) -> int:
        """Degree of parallelism."""
    def to_dict(self) -> dict[str, Any]:
        """The costs as a dict."""

@final
class Page(Generic[_T]):
    """One page of a list."""

    @property
    def items(self) -> builtins.list[_T]:
        """The items, in the list's order."""
    @property
    def next_cursor(self) -> Optional[str]:
        """Pass as ``cursor=`` for the next page; ``None`` on the last page."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[_T]: ...
    def to_dict(self) -> dict[str, Any]:
        """``{"items": [dict, ...], "next_cursor": str | None}``."""

# --- Integrations -----------------------------------------------------------------------

@final
class EncryptionKey:
    """A 256-bit key that encrypts integration credentials, with the id stored ciphertexts
    name it by. ``repr()`` shows the id only; the key cannot be read back."""

    @staticmethod
    def from_bytes(id: str, bytes: builtins.bytes) -> EncryptionKey:
        """A key from its 32 raw bytes; ``id`` (ASCII letters, digits, '.', '_', '-') names
        it. A bad id raises ``ValidationError`` on "key_id", a wrong length on "key"."""
    @staticmethod
    def from_base64(id: str, text: str) -> EncryptionKey:
        """A key from the base64 text of its 32 bytes (``openssl rand -base64 32``)."""
    @staticmethod
    def from_env(id: str, variable: str) -> EncryptionKey:
        """A key from the base64 text in the environment variable ``variable``; errors name
        the variable, never its value."""
    @property
    def id(self) -> str:
        """The key's id."""

_Settings = Union[MessagingSettings, AccountingSettings, AdvertisingSettings, WebhookSettings]

# --- Webhook signatures -----------------------------------------------------------------

#: The header carrying a webhook request's signature (``t=<unix seconds>,v1=<hex>``).
SIGNATURE_HEADER: str
#: The header carrying the id of the event delivered, the same on every retry.
EVENT_ID_HEADER: str
#: The header carrying the event type.
EVENT_TYPE_HEADER: str

def verify_webhook_signature(
    secret: Union[Secret, str], header: str, body: bytes, tolerance_seconds: int = 300
) -> None:
    """Checks the ``Flame-Signature`` header of a webhook request Flame sent: ``secret`` is
    the webhook's signing secret, ``body`` the raw request body. A malformed header raises
    ``ValidationError`` on "Flame-Signature"; a timestamp further than ``tolerance_seconds``
    from now or a signature that does not match raises ``UnauthenticatedError``."""

# --- Records (generated from the extension by tests/test_stub.py; do not edit) ---

@final
class Contact:
    """A person the company is in touch with."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that owns it."""
    @property
    def first_name(self) -> str:
        """First (or only) name."""
    @property
    def last_name(self) -> Optional[str]:
        """Last name."""
    @property
    def email(self) -> Optional[str]:
        """Normalized email."""
    @property
    def phone(self) -> Optional[str]:
        """Phone in E.164."""
    @property
    def organization_id(self) -> Optional[UUID]:
        """The organization the person works for (one of the company's)."""
    @property
    def owner_id(self) -> Optional[UUID]:
        """The member responsible for the contact."""
    @property
    def custom(self) -> builtins.dict[str, Union[str, Decimal, Money, date, datetime, bool, builtins.list[str]]]:
        """Its custom field values, by field key (fields the company defined for contacts)."""
    @property
    def tags(self) -> builtins.list[str]:
        """The names of its tags, sorted (case-insensitively). Tagging does not change
        ``version``."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version: pass it back to update or delete."""
    @property
    def full_name(self) -> str:
        """"First Last", or the first name alone."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Deal:
    """A deal: a potential sale moving through a pipeline."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that owns it."""
    @property
    def title(self) -> str:
        """Its title."""
    @property
    def value(self) -> Money:
        """Its value."""
    @property
    def contact_id(self) -> Optional[UUID]:
        """The contact it is with."""
    @property
    def organization_id(self) -> Optional[UUID]:
        """The organization it is with."""
    @property
    def pipeline_id(self) -> UUID:
        """The pipeline it moves through."""
    @property
    def stage_id(self) -> UUID:
        """The stage it is in."""
    @property
    def source_id(self) -> Optional[UUID]:
        """Where the lead came from."""
    @property
    def assignee_id(self) -> Optional[UUID]:
        """The member responsible for it."""
    @property
    def status(self) -> DealStatus:
        """Open, won or lost: follows the stage's kind."""
    @property
    def expected_close(self) -> Optional[date]:
        """When it is expected to close."""
    @property
    def lost_reason(self) -> Optional[str]:
        """Why it was lost (set exactly when the deal is lost)."""
    @property
    def closed_at(self) -> Optional[datetime]:
        """When it was won or lost."""
    @property
    def custom(self) -> builtins.dict[str, Union[str, Decimal, Money, date, datetime, bool, builtins.list[str]]]:
        """Its custom field values, by field key (fields the company defined for deals)."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version: pass it back to change the deal."""
    @property
    def tags(self) -> builtins.list[str]:
        """The names of its tags, sorted (case-insensitively). Tagging does not change
        ``version``."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Organization:
    """An organization the company is in touch with."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that owns it."""
    @property
    def name(self) -> str:
        """Its name."""
    @property
    def domain(self) -> Optional[str]:
        """Its internet domain, normalized (``"example.com"``: lowercase, no scheme, path or
        leading ``www.``); unique in the company."""
    @property
    def phone(self) -> Optional[str]:
        """Phone in E.164."""
    @property
    def street(self) -> Optional[str]:
        """Street address."""
    @property
    def city(self) -> Optional[str]:
        """City."""
    @property
    def region(self) -> Optional[str]:
        """Region, state or province."""
    @property
    def postal_code(self) -> Optional[str]:
        """Postal code."""
    @property
    def country(self) -> Optional[str]:
        """Country, ISO 3166-1 alpha-2 in upper case (``"DE"``)."""
    @property
    def website(self) -> Optional[str]:
        """Website, an http or https URL."""
    @property
    def industry(self) -> Optional[str]:
        """Industry."""
    @property
    def size(self) -> Optional[OrganizationSize]:
        """How many people it employs."""
    @property
    def owner_id(self) -> Optional[UUID]:
        """The member responsible for it."""
    @property
    def custom(self) -> builtins.dict[str, Union[str, Decimal, Money, date, datetime, bool, builtins.list[str]]]:
        """Its custom field values, by field key (fields the company defined for organizations)."""
    @property
    def tags(self) -> builtins.list[str]:
        """The names of its tags, sorted (case-insensitively). Tagging does not change
        ``version``."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version: pass it back to update or delete."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Pipeline:
    """A sales pipeline of a company."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that owns it."""
    @property
    def name(self) -> str:
        """Its name, unique in the company."""
    @property
    def position(self) -> int:
        """Where it is listed among the company's pipelines."""
    @property
    def is_default(self) -> bool:
        """The pipeline new deals go to when none is named."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Stage:
    """A stage of a pipeline."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that owns it."""
    @property
    def pipeline_id(self) -> UUID:
        """The pipeline it belongs to."""
    @property
    def name(self) -> str:
        """Its name."""
    @property
    def position(self) -> int:
        """Its place in the pipeline, from 0."""
    @property
    def kind(self) -> StageKind:
        """Open, won or lost."""
    @property
    def probability(self) -> int:
        """The chance, in percent, that a deal in this stage is won."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class NewStage:
    """A stage to create: ``NewStage(name, kind, probability=None)``."""

    def __new__(cls, name: str, kind: StageKind, probability: Optional[int] = None) -> NewStage:
        """A stage named ``name`` of ``kind``; ``probability`` defaults by kind."""
    @property
    def name(self) -> str:
        """Its name."""
    @property
    def kind(self) -> StageKind:
        """Open, won or lost."""
    @property
    def probability(self) -> Optional[int]:
        """Win probability in percent; defaults to 10 for open, 100 for won, 0 for lost stages."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class StageSummary:
    """The count and value of the deals in one stage, for a pipeline summary."""

    @property
    def stage(self) -> Stage:
        """The stage."""
    @property
    def deal_count(self) -> int:
        """How many deals are in it."""
    @property
    def totals(self) -> builtins.list[Money]:
        """Their total value, one ``Money`` per currency."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Source:
    """A lead source of a company."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that owns it."""
    @property
    def name(self) -> str:
        """Its name, unique in the company (case-insensitively)."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Activity:
    """Something that happened with a contact or deal, or a task to do."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that owns it."""
    @property
    def kind(self) -> ActivityKind:
        """Note, task, call or message."""
    @property
    def subject(self) -> Optional[str]:
        """A short subject line."""
    @property
    def body(self) -> str:
        """The text."""
    @property
    def contact_id(self) -> Optional[UUID]:
        """The contact it is about."""
    @property
    def deal_id(self) -> Optional[UUID]:
        """The deal it is about."""
    @property
    def owner_id(self) -> Optional[UUID]:
        """The member who owns it."""
    @property
    def due_at(self) -> Optional[datetime]:
        """For tasks: when it is due."""
    @property
    def done_at(self) -> Optional[datetime]:
        """For tasks: when it was done."""
    @property
    def occurred_at(self) -> datetime:
        """When it happened (for tasks: when it was created)."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    @property
    def is_done(self) -> bool:
        """Whether this is a task that is done."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Company:
    """A company: the tenant that owns contacts, deals, pipelines and everything else."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def name(self) -> str:
        """Its display name."""
    @property
    def created_at(self) -> datetime:
        """When it signed up."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version: pass it back to update."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class User:
    """A person who can act in one or more companies."""

    @property
    def id(self) -> UUID:
        """Their id."""
    @property
    def email(self) -> str:
        """Their normalized email, unique across Flame."""
    @property
    def name(self) -> str:
        """Their display name."""
    @property
    def active(self) -> bool:
        """Inactive users cannot act."""
    @property
    def email_verified_at(self) -> Optional[datetime]:
        """When they proved their email address (UTC); ``None`` until then."""
    @property
    def created_at(self) -> datetime:
        """When they were created."""
    @property
    def updated_at(self) -> datetime:
        """When they last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Membership:
    """A user's place in a company."""

    @property
    def company_id(self) -> UUID:
        """The company."""
    @property
    def user_id(self) -> UUID:
        """The user."""
    @property
    def role(self) -> Role:
        """What the user may do there."""
    @property
    def created_at(self) -> datetime:
        """When the user joined."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Member:
    """A member as a screen lists them: the user and their role."""

    @property
    def user(self) -> User:
        """The user."""
    @property
    def membership(self) -> Membership:
        """Their membership in the company."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class PlanLimits:
    """What a plan allows; ``None`` means unlimited."""

    def __new__(
        cls,
        *,
        seats: Optional[int] = None,
        contacts: Optional[int] = None,
        deals: Optional[int] = None,
        pipelines: Optional[int] = None,
        integrations: Optional[int] = None,
        organizations: Optional[int] = None,
    ) -> PlanLimits:
        """Limits; every one left out is unlimited."""
    @property
    def seats(self) -> Optional[int]:
        """Members of the company."""
    @property
    def contacts(self) -> Optional[int]:
        """Contacts."""
    @property
    def deals(self) -> Optional[int]:
        """Deals."""
    @property
    def pipelines(self) -> Optional[int]:
        """Pipelines."""
    @property
    def integrations(self) -> Optional[int]:
        """Integrations of all kinds."""
    @property
    def organizations(self) -> Optional[int]:
        """Organizations."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Plan:
    """A plan of the catalog."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def code(self) -> str:
        """Its stable code (``"starter"``), unique."""
    @property
    def name(self) -> str:
        """Its display name."""
    @property
    def price(self) -> Money:
        """The price per interval."""
    @property
    def interval(self) -> BillingInterval:
        """The billing interval."""
    @property
    def trial_days(self) -> int:
        """How long a new subscription is on trial."""
    @property
    def limits(self) -> PlanLimits:
        """What it allows."""
    @property
    def public(self) -> bool:
        """Shown on the public plans page."""
    @property
    def is_default(self) -> bool:
        """The plan new companies start their trial on."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Subscription:
    """A company's subscription to a plan."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company."""
    @property
    def plan_id(self) -> UUID:
        """The plan."""
    @property
    def status(self) -> SubscriptionStatus:
        """Where it is in its lifecycle."""
    @property
    def trial_ends_at(self) -> Optional[datetime]:
        """When the trial ends, for trialing subscriptions."""
    @property
    def current_period_start(self) -> datetime:
        """Start of the current billing period."""
    @property
    def current_period_end(self) -> datetime:
        """End of the current billing period."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Event:
    """Something that happened in a company."""

    @property
    def id(self) -> UUID:
        """Unique id, for consumers to deduplicate."""
    @property
    def company_id(self) -> UUID:
        """The company it happened in."""
    @property
    def actor_id(self) -> Optional[UUID]:
        """The user who caused it, if any."""
    @property
    def occurred_at(self) -> datetime:
        """When it happened."""
    @property
    def event_type(self) -> str:
        """The event type (``"deal.won"``)."""
    @property
    def payload(self) -> dict[str, Any]:
        """The facts of the change, as the JSON form consumers receive (with its ``"type"``)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Counts:
    """Row counts of the main tables."""

    @property
    def users(self) -> int:
        """Users."""
    @property
    def companies(self) -> int:
        """Companies."""
    @property
    def subscriptions(self) -> int:
        """Subscriptions."""
    @property
    def subscriptions_by_status(self) -> SubscriptionCounts:
        """Subscriptions by status."""
    @property
    def contacts(self) -> int:
        """Contacts."""
    @property
    def deals(self) -> int:
        """Deals."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Health:
    """The state of a store."""

    @property
    def backend(self) -> Backend:
        """``"sqlite"`` or ``"postgres"``."""
    @property
    def reachable(self) -> bool:
        """Whether the database answered."""
    @property
    def round_trip(self) -> timedelta:
        """How long a trivial query took, there and back."""
    @property
    def schema_version(self) -> Optional[int]:
        """The newest migration applied (``None`` when unreachable)."""
    @property
    def expected_schema_version(self) -> int:
        """The version this build expects."""
    @property
    def schema_matches(self) -> bool:
        """Whether the two match."""
    @property
    def encryption_configured(self) -> bool:
        """Whether an encryption key for integration credentials is configured."""
    @property
    def configured_keys(self) -> builtins.list[str]:
        """The ids of the configured keys, the primary first (never the keys)."""
    @property
    def keys_in_use(self) -> Optional[builtins.list[KeyUse]]:
        """How many stored credentials each key id seals (``None`` when unreachable). Any id
        other than the primary means a rotation is still to run (``Flame.rotate_keys``)."""
    @property
    def counts(self) -> Optional[Counts]:
        """Row counts (``None`` when unreachable)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class KeyUse:
    """How many stored credentials one key seals."""

    @property
    def key_id(self) -> str:
        """The key's id."""
    @property
    def secrets(self) -> int:
        """How many credentials it seals."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Credential:
    """The stored credential a session stands on: a login session or an API token. Its ``id``
    names the stored row, never the token text."""

    @property
    def kind(self) -> CredentialKind:
        """"session" (a login session) or "api_token"."""
    @property
    def id(self) -> UUID:
        """The id of the stored session or API token (an API token's id is ``ApiToken.id``)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Principal:
    """Who acts, in which company, with which role and scope, until when, through which
    credential, as the session last checked it."""

    @property
    def user_id(self) -> UUID:
        """The user acting."""
    @property
    def company_id(self) -> UUID:
        """The company acted in."""
    @property
    def role(self) -> Role:
        """The user's role there."""
    @property
    def scope(self) -> Scope:
        """"read_only" for read-only API tokens, "read_write" otherwise."""
    @property
    def platform_admin(self) -> bool:
        """Whether the user is a platform administrator."""
    @property
    def credential(self) -> Credential:
        """The stored session or API token the principal stands on."""
    @property
    def expires_at(self) -> datetime:
        """When the session stops being valid (UTC)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class SubscriptionCounts:
    """Subscriptions by status, as of now (a trial past its end counts as expired)."""

    @property
    def trialing(self) -> int:
        """On trial."""
    @property
    def active(self) -> int:
        """Paid and current."""
    @property
    def past_due(self) -> int:
        """A payment failed."""
    @property
    def canceled(self) -> int:
        """Canceled by the company."""
    @property
    def expired(self) -> int:
        """Ended without payment."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Usage:
    """What a company uses of each limited thing."""

    @property
    def seats(self) -> int:
        """Members."""
    @property
    def contacts(self) -> int:
        """Contacts."""
    @property
    def deals(self) -> int:
        """Deals."""
    @property
    def pipelines(self) -> int:
        """Pipelines."""
    @property
    def integrations(self) -> int:
        """Integrations."""
    @property
    def organizations(self) -> int:
        """Organizations."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Payment:
    """A payment recorded for a subscription."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company."""
    @property
    def subscription_id(self) -> UUID:
        """The subscription it was for."""
    @property
    def provider_ref(self) -> str:
        """The provider's id for the charge."""
    @property
    def outcome(self) -> PaymentOutcome:
        """Succeeded or failed."""
    @property
    def amount(self) -> Money:
        """The amount."""
    @property
    def period_end(self) -> Optional[datetime]:
        """The period end it paid up to, for successful payments."""
    @property
    def failure_reason(self) -> Optional[str]:
        """The provider's reason, for failures."""
    @property
    def recorded_at(self) -> datetime:
        """When it was recorded."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class ApiToken:
    """An API token for scripts and servers: it acts as its user in one company, within its scope.
    The token text itself is shown once, at creation (``CreatedApiToken``), and never stored."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company it acts in."""
    @property
    def user_id(self) -> UUID:
        """The user it acts as."""
    @property
    def name(self) -> str:
        """What it is for."""
    @property
    def scope(self) -> Scope:
        """Read-only or read-write."""
    @property
    def expires_at(self) -> Optional[datetime]:
        """When it stops working, if ever."""
    @property
    def last_used_at(self) -> Optional[datetime]:
        """When it last authenticated."""
    @property
    def revoked_at(self) -> Optional[datetime]:
        """When it was revoked."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class CreatedApiToken:
    """An API token just created, with its ``secret``: the text to give the script or server,
    shown this once. The secret is never part of ``repr()``, ``str()`` or ``to_dict()``."""

    @property
    def token(self) -> ApiToken:
        """The token record."""
    @property
    def secret(self) -> Secret:
        """The token text for ``Flame.authenticate`` (shown this once; it cannot be read again)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Invitation:
    """An invitation to join a company with a role."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company to join."""
    @property
    def email(self) -> str:
        """Who is invited."""
    @property
    def role(self) -> Role:
        """The role they will have."""
    @property
    def invited_by(self) -> UUID:
        """Who invited them."""
    @property
    def expires_at(self) -> datetime:
        """When the invitation stops working."""
    @property
    def accepted_at(self) -> Optional[datetime]:
        """When it was accepted."""
    @property
    def revoked_at(self) -> Optional[datetime]:
        """When it was revoked."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class CreatedInvitation:
    """An invitation just created, with the ``token`` to send the invitee (shown this once).
    The token is never part of ``repr()``, ``str()`` or ``to_dict()``."""

    @property
    def invitation(self) -> Invitation:
        """The invitation."""
    @property
    def token(self) -> Secret:
        """The token the invitee gives ``Flame.accept_invitation`` (shown this once)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class EmailVerificationToken:
    """A verification token just issued (``Flame.email_verification``), for the host to mail to
    ``email`` (shown this once). The token is never part of ``repr()``, ``str()`` or
    ``to_dict()``. Never show it to whoever asked for it."""

    @property
    def user_id(self) -> UUID:
        """The user it verifies."""
    @property
    def email(self) -> str:
        """The address to mail it to."""
    @property
    def expires_at(self) -> datetime:
        """When it stops working."""
    @property
    def token(self) -> Secret:
        """The token, for ``Flame.verify_email`` or ``Flame.reset_password`` (shown this once)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class CompanyMembership:
    """One of a user's companies, for a company switcher."""

    @property
    def company_id(self) -> UUID:
        """The company."""
    @property
    def company_name(self) -> str:
        """Its name."""
    @property
    def role(self) -> Role:
        """The user's role there."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class UserOverview:
    """A user as platform administrators list them: with every membership."""

    @property
    def user(self) -> User:
        """The user."""
    @property
    def platform_admin(self) -> bool:
        """Whether they are a platform administrator."""
    @property
    def memberships(self) -> builtins.list[CompanyMembership]:
        """Their companies and roles."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class CompanyOverview:
    """A company as platform administrators list them: with its subscription and plan."""

    @property
    def company(self) -> Company:
        """The company."""
    @property
    def subscription(self) -> Subscription:
        """Its subscription (status as of now)."""
    @property
    def plan(self) -> Plan:
        """The plan subscribed to."""
    @property
    def members(self) -> int:
        """How many members it has."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class LockoutPolicy:
    """How repeated login failures lock an email out, for ``flame.open(lockout=...)``: after
    ``max_failures`` failures in a row the email is locked for ``base_lockout``, doubling with
    each further failure up to ``max_lockout``."""

    def __new__(
        cls,
        *,
        max_failures: Optional[int] = None,
        base_lockout: Optional[timedelta] = None,
        max_lockout: Optional[timedelta] = None,
    ) -> LockoutPolicy:
        """Every argument left out takes Flame's default (5 failures, then 1 minute,
        doubling up to an hour)."""
    @property
    def max_failures(self) -> int:
        """Failures allowed before the first lockout."""
    @property
    def base_lockout(self) -> timedelta:
        """The first lockout's length."""
    @property
    def max_lockout(self) -> timedelta:
        """The longest lockout."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class MessagingSettings:
    """What a messaging channel (a Telegram bot, a WhatsApp number…) does with the people who
    write to it."""

    def __new__(
        cls,
        platform: MessagingPlatform,
        *,
        auto_create_contact: bool = True,
        auto_create_deal: bool = False,
        default_source_id: Optional[UUID] = None,
        default_pipeline_id: Optional[UUID] = None,
        default_assignee_id: Optional[UUID] = None,
        deal_currency: Optional[str] = None,
        phone_number_id: Optional[str] = None,
    ) -> MessagingSettings:
        """Settings for ``platform`` (an unknown one raises ``ValidationError`` on
        "platform"); the rest is checked when the integration is saved."""
    @property
    def platform(self) -> MessagingPlatform:
        """The platform connected."""
    @property
    def auto_create_contact(self) -> bool:
        """Whether a first message from an unknown person creates a contact."""
    @property
    def auto_create_deal(self) -> bool:
        """Whether a first message from an unknown person opens a deal."""
    @property
    def default_source_id(self) -> Optional[UUID]:
        """The lead source of what the connection creates."""
    @property
    def default_pipeline_id(self) -> Optional[UUID]:
        """The pipeline its deals open in; required when ``auto_create_deal`` is on."""
    @property
    def default_assignee_id(self) -> Optional[UUID]:
        """The member its contacts and deals are assigned to (unassigned when ``None``)."""
    @property
    def deal_currency(self) -> Optional[str]:
        """The currency of the deals it opens."""
    @property
    def phone_number_id(self) -> Optional[str]:
        """WhatsApp only: the Cloud API id of the business number this integration owns
        (``metadata.phone_number_id`` of its webhooks). Webhook messages are routed by it, and a
        WhatsApp integration without one accepts no webhook (fail closed)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class AccountingSettings:
    """What an accounting connection does: won deals become invoice documents."""

    def __new__(
        cls,
        platform: AccountingPlatform,
        *,
        vat_rate_bp: int,
        vat_included: bool,
        invoice_on_won: bool,
    ) -> AccountingSettings:
        """Settings for ``platform``; the VAT rate is checked when the integration is saved."""
    @property
    def platform(self) -> AccountingPlatform:
        """The accounting system."""
    @property
    def vat_rate_bp(self) -> int:
        """The VAT rate of its invoices, in basis points (2000 = 20 %)."""
    @property
    def vat_included(self) -> bool:
        """Whether deal amounts include the VAT."""
    @property
    def invoice_on_won(self) -> bool:
        """Whether winning a deal queues its invoice document (otherwise only on demand)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class AdvertisingSettings:
    """What an advertising account does: lead forms become contacts and deals."""

    def __new__(
        cls,
        platform: AdvertisingPlatform,
        *,
        auto_create_deal: bool,
        default_pipeline_id: Optional[UUID] = None,
        default_assignee_id: Optional[UUID] = None,
        deal_currency: Optional[str] = None,
    ) -> AdvertisingSettings:
        """Settings for ``platform``, checked when the integration is saved."""
    @property
    def platform(self) -> AdvertisingPlatform:
        """The ad platform."""
    @property
    def auto_create_deal(self) -> bool:
        """Whether a lead opens a deal (a contact is always found or created)."""
    @property
    def default_pipeline_id(self) -> Optional[UUID]:
        """The pipeline its deals open in; required when ``auto_create_deal`` is on."""
    @property
    def default_assignee_id(self) -> Optional[UUID]:
        """The member its contacts and deals are assigned to."""
    @property
    def deal_currency(self) -> Optional[str]:
        """The currency of the deals it opens (ISO 4217; ``USD`` when ``None``)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class WebhookSettings:
    """An outgoing webhook: the company's domain events are posted to ``url``. Its signing
    secret is a credential (``credentials={"signing_secret": ...}``), never a setting."""

    def __new__(cls, url: str, events: Sequence[str]) -> WebhookSettings:
        """Posts ``events`` ("deal.won", "deal.*", "*") to ``url``; both are checked when the
        integration is saved (the URL against the SSRF rules)."""
    @property
    def url(self) -> str:
        """Where events are posted (checked against the SSRF rules when saved and when sent)."""
    @property
    def events(self) -> builtins.list[str]:
        """The event types it receives: exact names (``"deal.won"``), families (``"deal.*"``) or ``"*"``."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Integration:
    """An integration of the company: a messaging channel, an accounting system, an
    advertising account or an outgoing webhook. Its credentials are never part of it: only
    their field names (``credential_fields``); ``Integrations.credential`` decrypts one."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company."""
    @property
    def name(self) -> str:
        """Its name, as members see it (``"Support bot"``), unique in the company."""
    @property
    def enabled(self) -> bool:
        """Disabled integrations receive and send nothing."""
    @property
    def kind(self) -> IntegrationKind:
        """Its kind."""
    @property
    def settings(self) -> _Settings:
        """What it does."""
    @property
    def credential_fields(self) -> builtins.list[str]:
        """The names of the credentials it holds (``["token"]``), never their values."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class InboundMessage:
    """A message a person sent to a messaging integration, parsed by the host (for platforms
    whose webhooks Flame does not parse), for ``Inbound.handle_message``."""

    def __new__(
        cls,
        platform: MessagingPlatform,
        external_message_id: str,
        chat_id: str,
        sender_id: str,
        sent_at: datetime,
        *,
        sender_name: Optional[str] = None,
        sender_username: Optional[str] = None,
        phone_raw: Optional[str] = None,
        phone: Optional[str] = None,
        text: Optional[str] = None,
    ) -> InboundMessage:
        """``sent_at`` is timezone-aware. The platform and ``phone`` (international form) are
        checked here (``ValidationError`` on "platform", "phone")."""
    @property
    def platform(self) -> MessagingPlatform:
        """The platform it came through."""
    @property
    def external_message_id(self) -> str:
        """The message's id on the platform, unique per connection: it makes a redelivered
        webhook recognizable. (Telegram numbers messages per chat, so its id is
        ``"<chat id>:<message id>"``.)"""
    @property
    def chat_id(self) -> str:
        """The conversation to answer in (a Telegram chat id, a WhatsApp id)."""
    @property
    def sender_id(self) -> str:
        """The sender's id on the platform: what a contact is matched by."""
    @property
    def sent_at(self) -> datetime:
        """When it was sent, UTC."""
    @property
    def sender_name(self) -> Optional[str]:
        """The sender's name as the platform shows it."""
    @property
    def sender_username(self) -> Optional[str]:
        """The sender's handle (a Telegram ``@username``, without the ``'@'``)."""
    @property
    def phone_raw(self) -> Optional[str]:
        """The sender's phone number as the platform sent it."""
    @property
    def phone(self) -> Optional[str]:
        """The phone number normalized, when ``phone_raw`` is a valid international number."""
    @property
    def text(self) -> Optional[str]:
        """The text of the message (a caption for media); ``None`` for a shared contact."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class InboundOutcome:
    """What handling one inbound message did."""

    @property
    def external_message_id(self) -> str:
        """The message's id on the platform."""
    @property
    def duplicate(self) -> bool:
        """Whether the message had been handled before (a redelivered webhook): nothing changed."""
    @property
    def contact_id(self) -> Optional[UUID]:
        """The contact it was filed under (``None`` when the sender is unknown and the integration
        does not create contacts)."""
    @property
    def created_contact(self) -> bool:
        """Whether that contact was created for this message."""
    @property
    def deal_id(self) -> Optional[UUID]:
        """The deal it was filed under, if any."""
    @property
    def created_deal(self) -> bool:
        """Whether that deal was opened for this message."""
    @property
    def activity_id(self) -> Optional[UUID]:
        """The activity recording the message."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Rotation:
    """What ``Flame.rotate_keys`` did."""

    @property
    def resealed(self) -> int:
        """Secrets re-encrypted under the primary key by this call."""
    @property
    def remaining(self) -> int:
        """Secrets still under another key (0 when the rotation is complete); counts the
        skipped ones."""
    @property
    def skipped(self) -> builtins.list[UUID]:
        """The integrations (each once, in id order) holding a secret that no configured key
        decrypts, or that is malformed: left exactly as stored while the others rotated.
        Open the store with the key that sealed them in ``previous_keys`` and rotate again, or
        save their credentials anew."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class NewContact:
    """A contact to import: ``NewContact(first_name, *, last_name=None, email=None, ...)``, the
    same fields as ``Contacts.create``. It is checked when imported, not when made."""

    def __new__(
        cls,
        first_name: str,
        *,
        last_name: Optional[str] = None,
        email: Optional[str] = None,
        phone: Optional[str] = None,
        phone_region: Optional[str] = None,
        organization_id: Optional[UUID] = None,
        owner_id: Optional[UUID] = None,
        custom: Optional[Mapping[str, Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]] = None,
    ) -> NewContact:
        """A contact row; blank optional text counts as absent."""
    @property
    def first_name(self) -> str:
        """First (or only) name; required."""
    @property
    def last_name(self) -> Optional[str]:
        """Last name."""
    @property
    def email(self) -> Optional[str]:
        """Email; normalized to lowercase."""
    @property
    def phone(self) -> Optional[str]:
        """Phone in any common notation; stored as E.164."""
    @property
    def phone_region(self) -> Optional[str]:
        """ISO 3166 region for phones written without a country code (``"RU"``, ``"US"``)."""
    @property
    def organization_id(self) -> Optional[UUID]:
        """The organization the person works for: one of the company's (else ``NotFound``
        naming ``organization``)."""
    @property
    def owner_id(self) -> Optional[UUID]:
        """The responsible member; defaults to the session's user."""
    @property
    def custom(self) -> builtins.dict[str, Union[str, Decimal, Money, date, datetime, bool, builtins.list[str]]]:
        """Custom field values by key; each is checked against its definition."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class RowError:
    """One rejected row."""

    @property
    def line(self) -> int:
        """Its line: the CSV line (the header is line 1), or the 1-based position in an iterator."""
    @property
    def field(self) -> str:
        """The field that was wrong (``"email"``, ``"row"`` for a malformed record)."""
    @property
    def reason(self) -> str:
        """Why, without the rejected value."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class ImportReport:
    """What an import did: how many rows were imported and rejected, the rejected rows in
    order (the first 1,000; ``rejected`` counts them all), and where and why it stopped
    when it did not read its whole input (``failed``, else ``None``)."""

    @property
    def imported(self) -> int:
        """Rows imported (committed)."""
    @property
    def rejected(self) -> int:
        """Rows rejected."""
    @property
    def errors(self) -> builtins.list[RowError]:
        """The rejected rows, in order, up to 1,000."""
    @property
    def failed(self) -> Optional[ImportFailure]:
        """Where and why the import stopped early; ``None`` when it read everything."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class ImportFailure:
    """Where and why an import stopped before the end of its input."""

    @property
    def line(self) -> int:
        """The first line (or 1-based position) **not** imported: the first row of the batch
        that could not be written, or the record that could not be read. Every row before it
        was imported or is listed as rejected; no row from it on was imported, so the import
        can be resumed from this line."""
    @property
    def error(self) -> FlameError:
        """Why, as the exception it would raise (``ForbiddenError`` for a member demoted
        during the import, ``PlanLimitExceededError``, ``ValidationError`` on "row" for a
        record past the size bound, ``StorageError``…)."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class CustomField:
    """A field a company added to one of its entities."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that defined it."""
    @property
    def entity(self) -> CustomEntity:
        """The entity whose records carry it."""
    @property
    def key(self) -> str:
        """The stable identifier values are keyed by: lowercase letters, digits and ``_``,
        starting with a letter; unique per company and entity."""
    @property
    def label(self) -> str:
        """What a form shows."""
    @property
    def kind(self) -> CustomFieldKind:
        """What it holds."""
    @property
    def options(self) -> builtins.list[str]:
        """The options of a select or multi-select, in display order; empty for other kinds."""
    @property
    def required(self) -> bool:
        """Whether a record must have a value: checked when a record is created and when a change
        would clear it (records that predate the rule keep working)."""
    @property
    def position(self) -> int:
        """Display order among the entity's fields, ascending."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version: pass it back to update or delete."""
    @property
    def created_at(self) -> datetime:
        """When it was defined."""
    @property
    def updated_at(self) -> datetime:
        """When its definition last changed."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Tag:
    """A label of the company's vocabulary."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company that owns it."""
    @property
    def name(self) -> str:
        """Its name, as first written (unique in the company whatever its case)."""
    @property
    def color(self) -> Optional[str]:
        """Its color, ``"#rrggbb"`` in lowercase, if it has one."""
    @property
    def created_at(self) -> datetime:
        """When it was created."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed (renamed or recolored)."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version: pass it back to rename, recolor or delete."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class LeadOutcome:
    """What ingesting one lead did."""

    @property
    def lead_id(self) -> UUID:
        """The stored lead (see ``Leads``)."""
    @property
    def contact_id(self) -> UUID:
        """The contact it was filed under: found by email, then by phone, else created."""
    @property
    def deal_id(self) -> Optional[UUID]:
        """The deal it opened (``None`` when the integration does not open deals)."""
    @property
    def source_id(self) -> UUID:
        """The lead source it was filed under."""
    @property
    def duplicate(self) -> bool:
        """Whether the lead had been ingested before (a redelivered webhook): nothing changed, and
        the ids are those of the first delivery."""
    @property
    def created_contact(self) -> bool:
        """Whether the contact was created for this lead."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Utm:
    """The UTM tags of a lead's landing page: ``Utm(source=..., medium=..., ...)``, or
    ``Utm.from_url(url)``."""

    def __new__(
        cls,
        *,
        source: Optional[str] = None,
        medium: Optional[str] = None,
        campaign: Optional[str] = None,
        content: Optional[str] = None,
        term: Optional[str] = None,
    ) -> Utm:
        """Tags given one by one; they are checked when the lead is ingested."""
    @staticmethod
    def from_url(url: str) -> Utm:
        """The tags of the landing page ``url`` (a bare query such as "?utm_source=vk" works
        too). A tag longer than a name may be raises ``ValidationError`` naming it
        ("utm_campaign")."""
    @property
    def source(self) -> Optional[str]:
        """``utm_source``: who sent the visitor (``"yandex"``, ``"newsletter"``)."""
    @property
    def medium(self) -> Optional[str]:
        """``utm_medium``: how (``"cpc"``, ``"email"``)."""
    @property
    def campaign(self) -> Optional[str]:
        """``utm_campaign``: which campaign."""
    @property
    def content(self) -> Optional[str]:
        """``utm_content``: which ad or link."""
    @property
    def term(self) -> Optional[str]:
        """``utm_term``: which keyword."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class Lead:
    """A lead the host parsed or built itself, for ``Advertising.ingest_lead``: a person who
    filled in an ad's form on a platform Flame does not parse, or a parsed one with the UTM
    tags of its landing page."""

    def __new__(
        cls,
        platform: AdvertisingPlatform,
        external_lead_id: str,
        created_at: datetime,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        phone: Optional[str] = None,
        campaign: Optional[str] = None,
        ad: Optional[str] = None,
        form: Optional[str] = None,
        utm: Optional[Utm] = None,
        answers: Optional[Sequence[tuple[str, str]]] = None,
    ) -> Lead:
        """``created_at`` is timezone-aware; ``answers`` are the form's ``(key, value)``
        pairs in order. The platform, ``email`` and ``phone`` (international form) are
        checked here (``ValidationError`` on "platform", "email", "phone"), the rest when it
        is ingested."""
    @property
    def platform(self) -> AdvertisingPlatform:
        """The platform it came from."""
    @property
    def external_lead_id(self) -> str:
        """Its id on the platform: a redelivered lead is recognizable by it."""
    @property
    def created_at(self) -> datetime:
        """When the lead was created, UTC."""
    @property
    def name(self) -> Optional[str]:
        """The person's name."""
    @property
    def email(self) -> Optional[str]:
        """The person's email, when the form's answer is a valid address."""
    @property
    def phone(self) -> Optional[str]:
        """The person's phone, when the form's answer is a valid international number."""
    @property
    def campaign(self) -> Optional[str]:
        """The campaign (its name, else its id)."""
    @property
    def ad(self) -> Optional[str]:
        """The ad (its name, else its id)."""
    @property
    def form(self) -> Optional[str]:
        """The form (its name, else its id)."""
    @property
    def utm(self) -> Utm:
        """The UTM tags of its landing page."""
    @property
    def answers(self) -> builtins.list[tuple[str, str]]:
        """Every answer of the form, in order, as ``(key, value)`` pairs."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class LeadRecord:
    """A lead as stored: where it came from, the campaign and UTM tags it carried (the attribution
    of its deal), and what it was filed under."""

    @property
    def id(self) -> UUID:
        """Its id."""
    @property
    def company_id(self) -> UUID:
        """The company."""
    @property
    def integration_id(self) -> UUID:
        """The advertising integration it came through."""
    @property
    def external_id(self) -> str:
        """Its id on the platform."""
    @property
    def contact_id(self) -> Optional[UUID]:
        """The contact it was filed under (found or created)."""
    @property
    def deal_id(self) -> Optional[UUID]:
        """The deal it opened, if the integration opens deals."""
    @property
    def source_id(self) -> Optional[UUID]:
        """The lead source it was filed under."""
    @property
    def campaign(self) -> Optional[str]:
        """The campaign, as the platform named it."""
    @property
    def utm(self) -> Utm:
        """The UTM tags of its landing page."""
    @property
    def received_at(self) -> datetime:
        """When the lead was made on the platform (for VK, when the host received it), UTC."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class AdSpend:
    """One day's spend on one campaign: ``AdSpend(campaign, day, amount, currency, *,
    source=None)``. ``amount`` is a ``Decimal``, ``int`` or ``str`` (never a float) with at most as
    many decimal places as ``currency`` has."""

    def __new__(
        cls,
        campaign: str,
        day: date,
        amount: Amount,
        currency: str,
        *,
        source: Optional[str] = None,
    ) -> AdSpend:
        """``amount`` is a ``Decimal``, ``int`` or ``str`` (never a float) with at most as
        many decimal places as ``currency`` has; both are checked here (``ValidationError``),
        the rest when imported. ``source`` names the lead source (the platform's by
        default)."""
    @property
    def campaign(self) -> str:
        """The campaign, named as the platform names it."""
    @property
    def day(self) -> date:
        """The day (the platform's reporting day)."""
    @property
    def amount(self) -> Decimal:
        """What was spent, exact."""
    @property
    def currency(self) -> str:
        """ISO 4217 code. An ad account spends in one currency: every row of an integration has
        the same."""
    @property
    def source(self) -> Optional[str]:
        """The lead source the spend is filed under; by default the platform's display name
        (``"Meta"``), the source of its leads that carry no ``utm_source``."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class SourceCost:
    """What a lead source cost in one currency over a period. Amounts are ``Money``; a row
    without a currency (leads and won deals no spend can be attributed to) has ``None``
    for every amount."""

    @property
    def source_id(self) -> UUID:
        """The source."""
    @property
    def source_name(self) -> Optional[str]:
        """Its name (``None`` if it was deleted since)."""
    @property
    def currency(self) -> Optional[str]:
        """The currency of this row's spend and costs; ``None`` for leads and won deals that no
        spend can be attributed to (their costs are ``None``)."""
    @property
    def leads(self) -> int:
        """Leads received in the period."""
    @property
    def won_deals(self) -> int:
        """Deals won in the period."""
    @property
    def spend(self) -> Optional[Money]:
        """Spend in the period (``None`` without a currency)."""
    @property
    def cost_per_lead(self) -> Optional[Money]:
        """Spend per lead, rounded half away from zero; ``None`` without leads or currency."""
    @property
    def cost_per_won_deal(self) -> Optional[Money]:
        """Spend per won deal, rounded the same way; ``None`` without won deals or currency."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class AccountingDocument:
    """An invoice document for one deal and one accounting integration — at most one per pair —
    and where its hand-over stands. The host (or an adapter) sends the queued ones and reports
    back ``sent`` or ``failed``."""

    @property
    def id(self) -> UUID:
        """Its id, also the invoice's ``document_id`` the accounting system deduplicates by."""
    @property
    def company_id(self) -> UUID:
        """The company."""
    @property
    def integration_id(self) -> UUID:
        """The accounting integration it is for."""
    @property
    def deal_id(self) -> UUID:
        """The deal invoiced."""
    @property
    def status(self) -> DocumentStatus:
        """"queued", "sent" or "failed"."""
    @property
    def failure_reason(self) -> Optional[str]:
        """Why it failed (set exactly when it failed)."""
    @property
    def document(self) -> Optional[dict[str, Any]]:
        """The invoice in its documented JSON form (``"schema": "flame.invoice.v1"``) as a
        dict; ``None`` when the deal could not be invoiced."""
    @property
    def created_at(self) -> datetime:
        """When it was first queued."""
    @property
    def updated_at(self) -> datetime:
        """When its state last changed."""
    @property
    def version(self) -> int:
        """Optimistic-concurrency version."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class WorkReport:
    """What one pass of a ``WebhookWorker`` did."""

    @property
    def published(self) -> int:
        """Outbox events fanned out (marked published), whether or not a webhook wanted them."""
    @property
    def dispatched(self) -> int:
        """Deliveries queued for those events: one per subscribed, enabled webhook."""
    @property
    def delivered(self) -> int:
        """Deliveries the receiver accepted (a 2xx answer)."""
    @property
    def failed(self) -> int:
        """Attempts that failed and will be tried again."""
    @property
    def dead(self) -> int:
        """Deliveries that failed their last attempt and are now dead."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

@final
class WebhookDelivery:
    """The delivery of one event to one webhook, as admins see it."""

    @property
    def id(self) -> UUID:
        """Its id (UUIDv7)."""
    @property
    def integration_id(self) -> UUID:
        """The webhook."""
    @property
    def event_id(self) -> UUID:
        """The event delivered; the receiver sees it as ``Flame-Event-Id`` and in the body's ``id``."""
    @property
    def event_type(self) -> str:
        """The event type (``"deal.won"``)."""
    @property
    def aggregate_type(self) -> str:
        """The kind of record the event is about (``"deal"``)."""
    @property
    def aggregate_id(self) -> UUID:
        """The record the event is about."""
    @property
    def status(self) -> DeliveryStatus:
        """Pending, delivered or dead."""
    @property
    def attempts(self) -> int:
        """How many attempts were made (a crashed worker's attempt is not counted)."""
    @property
    def next_attempt_at(self) -> datetime:
        """When a pending delivery is tried next, at the earliest (while a worker holds it, the
        end of its lease)."""
    @property
    def last_error(self) -> Optional[str]:
        """Why the last failed attempt failed (``"HTTP 500 Internal Server Error"``, ``"timed out
        after 10s"``); never a secret, nor the URL, nor the receiver's answer body."""
    @property
    def last_status(self) -> Optional[int]:
        """The HTTP status of the last answer, if there was one."""
    @property
    def delivered_at(self) -> Optional[datetime]:
        """When the receiver accepted it."""
    @property
    def created_at(self) -> datetime:
        """When it was queued."""
    @property
    def updated_at(self) -> datetime:
        """When it last changed."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict of its fields (nested records become dicts too)."""

# --- End of the generated records ---

# --- Handles ----------------------------------------------------------------------------

def open(
    url: str,
    *,
    verify_only: bool = False,
    max_connections: Optional[int] = None,
    busy_timeout: Optional[timedelta] = None,
    session_ttl: Optional[timedelta] = None,
    session_recheck: Optional[timedelta] = None,
    lockout: Optional[LockoutPolicy] = None,
    password_hasher: Optional[PasswordHasher] = None,
    encryption_key: Optional[EncryptionKey] = None,
    previous_keys: Optional[Sequence[EncryptionKey]] = None,
    webhook_allow_loopback: bool = False,
    email_verification: EmailVerification = "required",
    password_hashing_max_concurrent: Optional[int] = None,
    password_hashing_queue_timeout: Optional[timedelta] = None,
) -> Flame:
    """Opens ``sqlite://PATH``, ``sqlite::memory:`` or ``postgres://...``, migrates (unless
    ``verify_only``) and verifies the schema. Options left out take Flame's defaults.
    ``email_verification="required"`` refuses password logins of unverified emails
    (``"by_host"``: the host proves addresses itself). At most
    ``password_hashing_max_concurrent`` password hashes run at once (one per CPU); one that
    waits longer than ``password_hashing_queue_timeout`` raises ``UnauthenticatedError``.
    ``encryption_key`` seals integration credentials; ``previous_keys`` still open what
    older keys sealed (see ``Flame.rotate_keys``); ``webhook_allow_loopback`` lets webhook
    URLs point at loopback addresses (tests, local development)."""

@final
class Flame:
    """An opened store; thread-safe. A context manager that closes it."""

    def sign_up(
        self,
        company_name: str,
        owner_email: str,
        owner_name: str,
        *,
        password: Optional[str] = None,
    ) -> SignedUp:
        """Signs a company up with its first owner (with a password to ``login`` later)."""
    def session(self, user_id: UUID, company_id: UUID) -> Session:
        """A session for an active member of a company (a trusted host call)."""
    def login(self, email: str, password: str, *, company_id: Optional[UUID] = None) -> Session:
        """Logs in; every failure raises the same ``UnauthenticatedError``."""
    def authenticate(self, token: Union[Secret, str]) -> Session:
        """The session a session token or API token stands for."""
    def accept_invitation(
        self, token: Union[Secret, str], *, name: Optional[str] = None, password: Optional[str] = None
    ) -> Session:
        """Accepts an invitation for a new user and returns their session in the company;
        an existing user accepts with ``session.account.accept_invitation``."""
    def set_password(self, user_id: UUID, password: str) -> None:
        """Sets a user's password and revokes their sessions (a trusted host call)."""
    def email_verification(self, user_id: UUID) -> EmailVerificationToken:
        """Issues a single-use token (valid 24 hours) proving the user's email, for the host
        to mail (a trusted host call)."""
    def verify_email(self, token: Union[Secret, str]) -> User:
        """Marks the token's user's email verified and uses the token up."""
    def reset_password(self, token: Union[Secret, str], new_password: str) -> User:
        """Sets the password of the token's user, marks their email verified and revokes
        every session and API token of theirs."""
    def set_platform_admin(self, user_id: UUID, admin: bool) -> User:
        """Marks a user as platform administrator, or not (a trusted host call)."""
    @property
    def subscriptions(self) -> Subscriptions:
        """The host's billing hooks."""
    def health(self) -> Health:
        """The health report; never raises for an unreachable database."""
    @property
    def plans(self) -> Plans:
        """The plan catalog."""
    @property
    def inbound(self) -> Inbound:
        """Inbound messages for messaging integrations (trusted host calls)."""
    @property
    def advertising(self) -> Advertising:
        """Leads and ad spend of advertising integrations (trusted host calls)."""
    @property
    def accounting(self) -> AccountingDocuments:
        """The hand-over of accounting documents (trusted host calls)."""
    def webhook_worker(
        self,
        *,
        backoff_base: Optional[timedelta] = None,
        backoff_cap: Optional[timedelta] = None,
        max_attempts: Optional[int] = None,
        timeout: Optional[timedelta] = None,
        lease: Optional[timedelta] = None,
        batch: Optional[int] = None,
        poll_interval: Optional[timedelta] = None,
    ) -> WebhookWorker:
        """A worker that dispatches the outbox to webhooks and posts the deliveries, signed.
        Options left out take Flame's defaults (backoff from 30 s up to 6 h, 12 attempts,
        10 s timeout, 60 s lease, batch 32, poll every 1 s); out of range raises
        ``ValidationError``; without an ``encryption_key``, ``CryptoError``."""
    def rotate_keys(self, batch: int = 1000) -> Rotation:
        """Re-encrypts every credential sealed by an older key under ``encryption_key``,
        ``batch`` per transaction; safe to interrupt and run again. Without a key,
        ``CryptoError``."""
    @property
    def backend(self) -> Backend:
        """"sqlite" or "postgres"."""
    @property
    def schema_version(self) -> int:
        """The schema version found when the store opened."""
    def shutdown(self) -> None:
        """Closes every connection; later calls raise ``StorageError``."""
    def __enter__(self) -> Flame: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class SignedUp:
    """What ``Flame.sign_up`` returns."""

    @property
    def company(self) -> Company:
        """The new company."""
    @property
    def owner(self) -> User:
        """Its owner."""
    @property
    def session(self) -> Session:
        """The owner's session."""

@final
class Session:
    """An authenticated user acting in one company; thread-safe."""

    @property
    def user_id(self) -> UUID:
        """The acting user's id."""
    @property
    def company_id(self) -> UUID:
        """The company's id."""
    @property
    def role(self) -> Role:
        """The user's role in the company."""
    @property
    def expires_at(self) -> datetime:
        """When the session expires (UTC)."""
    @property
    def principal(self) -> Principal:
        """Who, where, which role and scope, until when, through which credential."""
    def token(self) -> Optional[Secret]:
        """The token that resumes the session with ``Flame.authenticate``; ``None`` for API
        token sessions. A secret: never in ``repr()``."""
    def logout(self) -> None:
        """Logs this session out, in every process."""
    @property
    def account(self) -> Account:
        """The session user's own account."""
    @property
    def api_tokens(self) -> ApiTokens:
        """The session user's API tokens in this company."""
    @property
    def invitations(self) -> Invitations:
        """Invitations to join the company."""
    @property
    def platform(self) -> Platform:
        """Platform administration (platform administrators only)."""
    @property
    def contacts(self) -> Contacts:
        """Contacts of the company."""
    @property
    def deals(self) -> Deals:
        """Deals of the company."""
    @property
    def organizations(self) -> Organizations:
        """Organizations of the company: the companies it sells to."""
    @property
    def pipelines(self) -> Pipelines:
        """Pipelines and their stages."""
    @property
    def sources(self) -> Sources:
        """Lead sources."""
    @property
    def tags(self) -> Tags:
        """The company's tags."""
    @property
    def custom_fields(self) -> CustomFields:
        """The company's custom field definitions."""
    @property
    def activities(self) -> Activities:
        """Notes, tasks, calls, messages."""
    @property
    def members(self) -> Members:
        """Members: users and their roles."""
    @property
    def company(self) -> Companies:
        """The company itself."""
    @property
    def billing(self) -> Billing:
        """The company's subscription."""
    @property
    def events(self) -> Events:
        """The company's domain events."""
    @property
    def integrations(self) -> Integrations:
        """The company's integrations (admins and owners)."""
    @property
    def leads(self) -> Leads:
        """The company's ad leads."""
    @property
    def reports(self) -> Reports:
        """Reports over the company's data."""
    @property
    def accounting(self) -> Accounting:
        """The company's accounting documents (admins and owners)."""
    @property
    def webhook_deliveries(self) -> WebhookDeliveries:
        """The company's outgoing webhook deliveries (admins and owners)."""

@final
class Plans:
    """The plan catalog."""

    def list(self) -> builtins.list[Plan]:
        """Every plan, public ones first, then by price."""
    def list_public(self) -> builtins.list[Plan]:
        """The public plans, by price."""
    def get(self, id: UUID) -> Plan:
        """One plan."""
    def create(
        self,
        code: str,
        name: str,
        price: Amount,
        currency: str,
        *,
        interval: BillingInterval = "month",
        trial_days: int = 0,
        limits: Optional[PlanLimits] = None,
        public: bool = True,
    ) -> Plan:
        """Adds a plan to the catalog."""
    def set_default(self, id: UUID) -> Plan:
        """Makes a plan the default for new companies."""

@final
class Contacts:
    """Contacts of the company."""

    def create(
        self,
        first_name: str,
        *,
        last_name: Optional[str] = None,
        email: Optional[str] = None,
        phone: Optional[str] = None,
        phone_region: Optional[str] = None,
        organization_id: Optional[UUID] = None,
        owner_id: Optional[UUID] = None,
        custom: Optional[Mapping[str, Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]] = None,
    ) -> Contact:
        """Creates a contact; ``custom`` gives custom field values by key (native values or
        their text), each checked against its definition."""
    def get(self, id: UUID) -> Contact:
        """One contact."""
    def update(
        self,
        id: UUID,
        version: int,
        *,
        first_name: Optional[str] = None,
        last_name: Optional[str] = None,
        email: Optional[str] = None,
        phone: Optional[str] = None,
        phone_region: Optional[str] = None,
        organization_id: Union[UUID, Literal[""], None] = None,
        owner_id: Optional[UUID] = None,
        custom: Optional[Mapping[str, Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]] = None,
    ) -> Contact:
        """Changes the contact read at ``version`` (``""`` clears an optional field, and
        ``organization_id=""`` takes the contact out of its organization; in ``custom``,
        ``None`` clears a value and keys not named keep theirs)."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the contact read at ``version``."""
    def add_tag(self, id: UUID, name: str) -> Contact:
        """Puts the tag ``name`` on the contact, creating it on first use (its version does
        not change)."""
    def remove_tag(self, id: UUID, name: str) -> Contact:
        """Takes the tag ``name`` (any case) off the contact."""
    def list(
        self,
        *,
        name_prefix: Optional[str] = None,
        email_prefix: Optional[str] = None,
        phone_prefix: Optional[str] = None,
        owner_id: Optional[UUID] = None,
        tag: Optional[Union[str, Sequence[str]]] = None,
        custom: Optional[
            Mapping[str, Union[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]], tuple[Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]], Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]]]
        ] = None,
        sort: Optional[str] = None,
        descending: bool = False,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Contact]:
        """Contacts matching every given filter, a page at a time. ``tag`` keeps those
        carrying a tag, or every tag of a list (names, any case). ``custom`` filters by
        custom values: ``{key: value}`` for equality (a list: every option), ``{key: (min,
        max)}`` for a range of a number, money, date or datetime field. With a prefix, ordered by
        the key it matches, then id: the name (full name, else last name; each contact once),
        else the phone, else the email prefix; the other filters only narrow. Without a
        prefix, newest first. ``sort`` orders by a custom field instead (its key;
        ``descending=True`` for the largest first): contacts with a value first, then those
        without. A ``cursor`` works only with the filters that returned it."""
    def import_rows(self, rows: Iterable[Union[NewContact, Mapping[str, object]]]) -> ImportReport:
        """Imports ``NewContact`` rows, or mappings with the keys of ``create`` (and
        ``organization``, a domain or name; ``owner``, a member's email; ``tags``, a list of
        names), consumed lazily 5,000 at a time (one transaction each). Bad rows are rejected and reported by
        their 1-based position. A chunk that cannot be written (plan limit, the session
        demoted or revoked since the import began, a read-only company) stops the import:
        the report's ``failed`` says from which row and why, and the earlier chunks stay
        imported. A row of the wrong shape raises ``TypeError`` (its chunk is not written)."""
    def import_csv(self, source: Union[str, PathLike[str], bytes]) -> ImportReport:
        """Imports a contacts CSV (header: first_name, last_name, email, phone,
        phone_region, organization — the domain or name of an organization, found or
        created —, owner — a member's email —, tags — names separated by ";" — and a
        "custom.<key>" column per custom field) from a path, streamed by Rust, or from ``bytes``. A path
        that cannot be opened raises ``ValidationError`` on "path" (as in Kotlin and Swift); a
        bad header raises ``ValidationError`` on "header"; bad lines (a record longer than 64 KiB
        among them) are reported by line (the header is line 1). A batch that cannot be
        written, an unreadable input or a record too long to read stops the import: see the
        report's ``failed``."""
    def export_csv(
        self,
        dest: Union[str, PathLike[str], IO[bytes], IO[str]],
        *,
        name_prefix: Optional[str] = None,
        email_prefix: Optional[str] = None,
        phone_prefix: Optional[str] = None,
        owner_id: Optional[UUID] = None,
        tag: Optional[Union[str, Sequence[str]]] = None,
        custom: Optional[
            Mapping[str, Union[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]], tuple[Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]], Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]]]
        ] = None,
        sort: Optional[str] = None,
        descending: bool = False,
    ) -> int:
        """Writes the contacts matching every given filter (those of ``list``) as CSV to
        ``dest`` — a path, created or truncated, or a writable text or binary file object — in
        the columns ``import_csv`` reads, streamed 500 at a time; returns how many it wrote.
        A path that cannot be written raises ``ValidationError`` on "path"."""

@final
class Organizations:
    """Organizations of the company."""

    def create(
        self,
        name: str,
        *,
        domain: Optional[str] = None,
        phone: Optional[str] = None,
        phone_region: Optional[str] = None,
        street: Optional[str] = None,
        city: Optional[str] = None,
        region: Optional[str] = None,
        postal_code: Optional[str] = None,
        country: Optional[str] = None,
        website: Optional[str] = None,
        industry: Optional[str] = None,
        size: Optional[OrganizationSize] = None,
        owner_id: Optional[UUID] = None,
        custom: Optional[Mapping[str, Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]] = None,
    ) -> Organization:
        """Creates an organization; a domain another one of the company has raises
        ``ConflictError``."""
    def get(self, id: UUID) -> Organization:
        """One organization."""
    def update(
        self,
        id: UUID,
        version: int,
        *,
        name: Optional[str] = None,
        domain: Optional[str] = None,
        phone: Optional[str] = None,
        phone_region: Optional[str] = None,
        street: Optional[str] = None,
        city: Optional[str] = None,
        region: Optional[str] = None,
        postal_code: Optional[str] = None,
        country: Optional[str] = None,
        website: Optional[str] = None,
        industry: Optional[str] = None,
        size: Optional[OrganizationSize] = None,
        owner_id: Optional[UUID] = None,
        custom: Optional[Mapping[str, Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]] = None,
    ) -> Organization:
        """Changes the organization read at ``version`` (``""`` clears an optional field)."""
    def add_tag(self, id: UUID, name: str) -> Organization:
        """Puts the tag ``name`` on the organization, creating it on first use (its version
        does not change)."""
    def remove_tag(self, id: UUID, name: str) -> Organization:
        """Takes the tag ``name`` (any case) off the organization."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the organization read at ``version``; its contacts and deals stay,
        without an organization."""
    def list(
        self,
        *,
        name_prefix: Optional[str] = None,
        domain: Optional[str] = None,
        domain_prefix: Optional[str] = None,
        owner_id: Optional[UUID] = None,
        tag: Optional[Union[str, Sequence[str]]] = None,
        custom: Optional[
            Mapping[str, Union[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]], tuple[Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]], Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]]]
        ] = None,
        sort: Optional[str] = None,
        descending: bool = False,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Organization]:
        """Organizations matching every given filter, ordered by name (by domain with a
        ``domain_prefix`` and no ``name_prefix``; by a custom field with ``sort``)."""
    def import_csv(self, source: Union[str, PathLike[str], bytes]) -> ImportReport:
        """Imports an organizations CSV (header: name — required —, domain, phone,
        phone_region, street, city, region, postal_code, country, website, industry, size,
        owner — a member's email —, tags — names separated by ";" — and a "custom.<key>"
        column per custom field) from a path, streamed by Rust, or from ``bytes``. Bad lines
        are reported with the column at fault (a domain already taken on "domain"); a bad
        header raises ``ValidationError`` on "header", a path that cannot be opened on
        "path"."""
    def export_csv(
        self,
        dest: Union[str, PathLike[str], IO[bytes], IO[str]],
        *,
        name_prefix: Optional[str] = None,
        domain: Optional[str] = None,
        domain_prefix: Optional[str] = None,
        owner_id: Optional[UUID] = None,
        tag: Optional[Union[str, Sequence[str]]] = None,
        custom: Optional[
            Mapping[str, Union[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]], tuple[Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]], Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]]]
        ] = None,
        sort: Optional[str] = None,
        descending: bool = False,
    ) -> int:
        """Writes the organizations matching every given filter (those of ``list``) as CSV
        to ``dest`` — a path or a writable file object — in the columns ``import_csv`` reads,
        streamed 500 at a time; returns how many it wrote."""
    def contacts(
        self, id: UUID, *, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> Page[Contact]:
        """The organization's contacts, newest first."""
    def deals(
        self, id: UUID, *, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> Page[Deal]:
        """The organization's deals, newest first."""
    def open_value(self, id: UUID) -> builtins.list[Money]:
        """The value of the organization's open deals, one ``Money`` per currency."""

@final
class CustomFields:
    """The company's custom field definitions: everyone reads them, admins change them."""

    def define(
        self,
        entity: CustomEntity,
        key: str,
        label: str,
        kind: CustomFieldKind,
        *,
        options: Optional[Sequence[str]] = None,
        required: bool = False,
        position: Optional[int] = None,
    ) -> CustomField:
        """Defines a field of ``entity``; ``key`` is unique per entity."""
    def list(self, entity: CustomEntity) -> builtins.list[CustomField]:
        """The fields of ``entity``, by position then key."""
    def get(self, id: UUID) -> CustomField:
        """One definition."""
    def update(
        self,
        id: UUID,
        version: int,
        *,
        label: Optional[str] = None,
        kind: Optional[CustomFieldKind] = None,
        options: Optional[Sequence[str]] = None,
        required: Optional[bool] = None,
        position: Optional[int] = None,
        option_moves: Optional[Mapping[str, Optional[str]]] = None,
        convert_values: bool = False,
    ) -> CustomField:
        """Changes the definition read at ``version``. Removing options in use needs
        ``option_moves``; changing the kind of a field with values needs ``convert_values``
        (else ``ConflictError``)."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the definition read at ``version``; its values vanish at once."""

@final
class Deals:
    """Deals of the company."""

    def create(
        self,
        title: str,
        amount: Amount,
        currency: str,
        *,
        contact_id: Optional[UUID] = None,
        organization_id: Optional[UUID] = None,
        pipeline_id: Optional[UUID] = None,
        stage_id: Optional[UUID] = None,
        source_id: Optional[UUID] = None,
        assignee_id: Optional[UUID] = None,
        expected_close: Optional[date] = None,
        custom: Optional[Mapping[str, Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]] = None,
    ) -> Deal:
        """Creates a deal worth ``amount`` of ``currency``; ``custom`` gives custom field
        values by key, as for ``Contacts.create``."""
    def get(self, id: UUID) -> Deal:
        """One deal."""
    def update(
        self,
        id: UUID,
        version: int,
        *,
        title: Optional[str] = None,
        amount: Optional[Amount] = None,
        currency: Optional[str] = None,
        contact_id: Optional[UUID] = None,
        organization_id: Union[UUID, Literal[""], None] = None,
        source_id: Optional[UUID] = None,
        assignee_id: Optional[UUID] = None,
        expected_close: Optional[date] = None,
        custom: Optional[Mapping[str, Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]] = None,
    ) -> Deal:
        """Changes the fields of the deal read at ``version`` (``organization_id=""`` takes
        it out of its organization; in ``custom``, ``None`` clears a value)."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the deal read at ``version``."""
    def move_to_stage(self, id: UUID, stage_id: UUID, version: int) -> Deal:
        """Moves an open deal to a stage of its pipeline."""
    def win(self, id: UUID, version: int) -> Deal:
        """Wins the deal."""
    def lose(self, id: UUID, reason: str, version: int) -> Deal:
        """Loses the deal, with the reason."""
    def lose_in_stage(self, id: UUID, stage_id: UUID, reason: str, version: int) -> Deal:
        """Loses the deal into a given lost stage."""
    def reopen(self, id: UUID, stage_id: UUID, version: int) -> Deal:
        """Reopens a won or lost deal into an open stage."""
    def add_tag(self, id: UUID, name: str) -> Deal:
        """Puts the tag ``name`` on the deal, creating it on first use (its version does not
        change)."""
    def remove_tag(self, id: UUID, name: str) -> Deal:
        """Takes the tag ``name`` (any case) off the deal."""
    def list(
        self,
        *,
        pipeline_id: Optional[UUID] = None,
        stage_id: Optional[UUID] = None,
        status: Optional[DealStatus] = None,
        assignee_id: Optional[UUID] = None,
        source_id: Optional[UUID] = None,
        contact_id: Optional[UUID] = None,
        tag: Optional[Union[str, Sequence[str]]] = None,
        custom: Optional[
            Mapping[str, Union[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]], tuple[Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]], Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]]]
        ] = None,
        sort: Optional[str] = None,
        descending: bool = False,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Deal]:
        """Deals matching every given filter, newest first; ``tag`` keeps those carrying a
        tag, or every tag of a list; ``custom`` filters by custom values, as for
        ``Contacts.list``."""
    def import_csv(self, source: Union[str, PathLike[str], bytes]) -> ImportReport:
        """Imports a deals CSV (header: title and currency — required —, amount, pipeline,
        stage, status, lost_reason, contact — an email, else a full name —, organization — a
        domain or name —, source, assignee — a member's email —, expected_close, tags and a
        "custom.<key>" column per custom field) from a path, streamed by Rust, or from
        ``bytes``. Each deal lands in the stage its row names, won or lost there (a lost one
        needs its lost_reason). Bad lines are reported with the column at fault; a bad header
        raises ``ValidationError`` on "header", a path that cannot be opened on "path"."""
    def export_csv(
        self,
        dest: Union[str, PathLike[str], IO[bytes], IO[str]],
        *,
        pipeline_id: Optional[UUID] = None,
        stage_id: Optional[UUID] = None,
        status: Optional[DealStatus] = None,
        assignee_id: Optional[UUID] = None,
        source_id: Optional[UUID] = None,
        contact_id: Optional[UUID] = None,
        tag: Optional[Union[str, Sequence[str]]] = None,
        custom: Optional[
            Mapping[str, Union[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]], tuple[Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]], Optional[Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]]]]
        ] = None,
        sort: Optional[str] = None,
        descending: bool = False,
    ) -> int:
        """Writes the deals matching every given filter (those of ``list``) as CSV to
        ``dest`` — a path or a writable file object — in the columns ``import_csv`` reads,
        streamed 500 at a time; returns how many it wrote."""

@final
class Tags:
    """The company's tags: the vocabulary its contacts and deals are tagged from."""

    def list(self) -> builtins.list[Tag]:
        """Every tag of the company, by name (case-insensitively)."""
    def get(self, id: UUID) -> Tag:
        """One tag."""
    def rename(self, id: UUID, version: int, new_name: str) -> Tag:
        """Renames the tag read at ``version``; another tag's name in any case raises
        ``ConflictError``."""
    def set_color(self, id: UUID, version: int, color: Optional[str]) -> Tag:
        """Sets the color (``"#rrggbb"``) of the tag read at ``version``; ``None`` clears it."""
    def merge(self, from_id: UUID, into_id: UUID) -> Tag:
        """Merges ``from_id`` into ``into_id`` (its records carry ``into_id``; ``from_id`` is
        deleted); returns the tag merged into."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the tag read at ``version`` and takes it off every record."""

@final
class Pipelines:
    """Pipelines and their stages."""

    def create(self, name: str, stages: builtins.list[NewStage]) -> tuple[Pipeline, builtins.list[Stage]]:
        """Creates a pipeline with its stages, in order."""
    def get(self, id: UUID) -> Pipeline:
        """One pipeline."""
    def default(self) -> Pipeline:
        """The company's default pipeline."""
    def list(self) -> builtins.list[Pipeline]:
        """Every pipeline, in order."""
    def stages(self, id: UUID) -> builtins.list[Stage]:
        """The stages of a pipeline, in order."""
    def stage(self, id: UUID) -> Stage:
        """One stage."""
    def rename(self, id: UUID, name: str, version: int) -> Pipeline:
        """Renames the pipeline read at ``version``."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the pipeline read at ``version``."""
    def add_stage(
        self, pipeline_id: UUID, name: str, kind: StageKind, probability: Optional[int] = None
    ) -> Stage:
        """Adds a stage at the end of a pipeline."""
    def update_stage(
        self,
        id: UUID,
        version: int,
        *,
        name: Optional[str] = None,
        probability: Optional[int] = None,
    ) -> Stage:
        """Renames a stage or changes its probability."""
    def remove_stage(self, id: UUID, version: int) -> None:
        """Removes the stage read at ``version``."""
    def summary(self, id: UUID) -> builtins.list[StageSummary]:
        """Deal count and totals per stage."""

@final
class Sources:
    """Lead sources."""

    def create(self, name: str) -> Source:
        """Creates a source."""
    def get(self, id: UUID) -> Source:
        """One source."""
    def list(self) -> builtins.list[Source]:
        """Every source."""
    def rename(self, id: UUID, name: str, version: int) -> Source:
        """Renames the source read at ``version``."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the source read at ``version``."""

@final
class Activities:
    """Notes, tasks, calls and messages."""

    def create(
        self,
        kind: ActivityKind,
        body: str,
        *,
        subject: Optional[str] = None,
        contact_id: Optional[UUID] = None,
        deal_id: Optional[UUID] = None,
        due_at: Optional[datetime] = None,
        occurred_at: Optional[datetime] = None,
        owner_id: Optional[UUID] = None,
    ) -> Activity:
        """Records an activity about a contact, a deal or both."""
    def get(self, id: UUID) -> Activity:
        """One activity."""
    def update(
        self,
        id: UUID,
        version: int,
        *,
        subject: Optional[str] = None,
        body: Optional[str] = None,
        due_at: Optional[datetime] = None,
    ) -> Activity:
        """Changes the activity read at ``version``."""
    def complete(self, id: UUID, version: int) -> Activity:
        """Marks the task read at ``version`` done."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the activity read at ``version``."""
    def list(
        self,
        *,
        contact_id: Optional[UUID] = None,
        deal_id: Optional[UUID] = None,
        kind: Optional[ActivityKind] = None,
        due_before: Optional[datetime] = None,
        owner_id: Optional[UUID] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Activity]:
        """Activities matching every given filter."""

@final
class Members:
    """Members of the company."""

    def add(self, email: str, name: str, role: Role) -> Member:
        """Adds a new user to the company with a role. An email that already has an account
        raises ``ConflictError`` on "email": invite an existing user
        (``invitations.create``); they accept from their own session."""
    def get(self, user_id: UUID) -> Member:
        """One member."""
    def list(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[Member]:
        """The members, a page at a time."""
    def change_role(self, user_id: UUID, role: Role, version: int) -> Membership:
        """Changes a member's role (``version`` of the membership)."""
    def remove(self, user_id: UUID) -> None:
        """Removes a member from the company (never the last owner)."""
    def transfer_ownership(self, to: UUID) -> Member:
        """Makes another member owner and the session's user an admin (owners only)."""
    def leave(self) -> None:
        """The session's user leaves the company (never the last owner)."""

@final
class Companies:
    """The company itself."""

    def get(self) -> Company:
        """The session's company."""
    def rename(self, name: str, version: int) -> Company:
        """Renames the company read at ``version``."""
    def delete(self, version: int) -> None:
        """Deletes the company with everything it owns."""

@final
class Billing:
    """The company's subscription."""

    def subscription(self) -> Subscription:
        """The company's subscription."""
    def plan(self) -> Plan:
        """The plan the company is subscribed to."""
    def usage(self) -> Usage:
        """What the company uses of each thing its plan limits."""
    def payments(self) -> builtins.list[Payment]:
        """The payments recorded for the company, newest first."""
    def change_plan(self, plan_id: UUID, version: int) -> Subscription:
        """Moves the subscription read at ``version`` to another plan (owners only)."""
    def cancel(self, version: int) -> Subscription:
        """Cancels the subscription read at ``version``: the company becomes read-only."""

@final
class Subscriptions:
    """The host's billing hooks: trusted host calls."""

    def get(self, company_id: UUID) -> Subscription:
        """A company's subscription, its status as of now."""
    def record_payment(
        self,
        company_id: UUID,
        provider_ref: str,
        outcome: PaymentOutcome,
        amount: Amount,
        currency: str,
        *,
        period_end: Optional[datetime] = None,
        failure_reason: Optional[str] = None,
    ) -> Subscription:
        """Records a payment the provider reports and applies it."""
    def expire(self, company_id: UUID) -> Subscription:
        """Expires a company's subscription at once."""
    def expire_lapsed_trials(self) -> int:
        """Stores every lapsed trial as expired; returns how many."""

@final
class Account:
    """The session user's own account."""

    def user(self) -> User:
        """The user."""
    def companies(self) -> builtins.list[CompanyMembership]:
        """Every company the user belongs to, with their role there."""
    def accept_invitation(self, token: Union[Secret, str]) -> Session:
        """Accepts an invitation sent to this user's email; returns a session in its company."""
    def create_company(self, name: str) -> SignedUp:
        """Creates another company owned by this user, with a session there."""
    def switch_company(self, company_id: UUID) -> Session:
        """A new session of the same user in another of their companies."""
    def change_password(
        self, current: str, new: str, *, revoke_api_tokens: bool = False
    ) -> None:
        """Changes the password; every other session of the user is revoked (and every API
        token, with ``revoke_api_tokens``)."""
    def logout_everywhere(self, *, revoke_api_tokens: bool = False) -> int:
        """Revokes every session of the user, this one included (and every API token, with
        ``revoke_api_tokens``); returns how many sessions."""

@final
class ApiTokens:
    """The session user's API tokens in the session's company."""

    def create(
        self, name: str, scope: Scope, *, expires_at: Optional[datetime] = None
    ) -> CreatedApiToken:
        """Creates a token; its secret is in the result, shown this once."""
    def list(self) -> builtins.list[ApiToken]:
        """The user's tokens, revoked ones included, newest first."""
    def revoke(self, id: UUID) -> ApiToken:
        """Revokes one of the user's tokens at once."""

@final
class Invitations:
    """Invitations to join the session's company."""

    def create(
        self, email: str, role: Role, *, valid_days: Optional[int] = None
    ) -> CreatedInvitation:
        """Invites ``email`` with ``role``; the token is in the result, shown this once."""
    def list_open(self) -> builtins.list[Invitation]:
        """The invitations not yet accepted, revoked or expired, newest first."""
    def revoke(self, id: UUID) -> Invitation:
        """Revokes an invitation that was not accepted yet."""

@final
class Platform:
    """Platform administration: every user and company (platform administrators only)."""

    def users(
        self,
        *,
        search: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[UserOverview]:
        """Users with their memberships, a page at a time."""
    def deactivate_user(self, user_id: UUID) -> User:
        """Deactivates a user and revokes their sessions and tokens."""
    def reactivate_user(self, user_id: UUID) -> User:
        """Lets a deactivated user log in again."""
    def companies(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> Page[CompanyOverview]:
        """Companies with their subscription, plan and member count, a page at a time."""

@final
class Events:
    """The company's domain events."""

    def list(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[Event]:
        """Events in the order they were recorded, oldest first."""

@final
class Integrations:
    """The company's integrations: messaging, accounting, advertising, webhooks (admins and
    owners)."""

    def create(
        self,
        name: str,
        settings: _Settings,
        credentials: Optional[Mapping[str, Union[Secret, str]]] = None,
    ) -> Integration:
        """Creates an integration; ``credentials`` (field name to secret) are sealed with the
        store's key (without one, ``CryptoError``). Webhooks need a "signing_secret"."""
    def get(self, id: UUID) -> Integration:
        """One integration."""
    def list(self, kind: Optional[IntegrationKind] = None) -> builtins.list[Integration]:
        """The integrations, by creation; all of them or those of one kind."""
    def update(
        self,
        id: UUID,
        version: int,
        *,
        name: Optional[str] = None,
        enabled: Optional[bool] = None,
        settings: Optional[_Settings] = None,
        credentials: Optional[Mapping[str, Union[Secret, str]]] = None,
    ) -> Integration:
        """Changes the integration read at ``version``; ``credentials`` given replace those
        of the same field, the others are kept."""
    def delete(self, id: UUID, version: int) -> None:
        """Deletes the integration read at ``version`` with its credentials."""
    def credential(self, id: UUID, field: str) -> Secret:
        """The decrypted credential ``field``, for the host's platform adapter. A secret:
        keep it out of logs and storage. A key that cannot open it raises ``CryptoError``
        naming the integration and field, never the secret."""

@final
class Inbound:
    """Inbound messages for messaging integrations: trusted host calls."""

    def handle_webhook(
        self,
        company_id: UUID,
        integration_id: UUID,
        body: bytes,
        headers: builtins.dict[str, str] | None = None,
    ) -> builtins.list[InboundOutcome]:
        """Handles a Telegram ``Update`` or WhatsApp Cloud API webhook: the raw ``body`` and
        the request's ``headers``. Verified first: Telegram's
        ``X-Telegram-Bot-Api-Secret-Token`` must be the integration's ``secret_token``
        credential, WhatsApp's ``X-Hub-Signature-256`` the HMAC-SHA256 of the body under its
        ``app_secret``; without that credential every request is refused. A missing or wrong
        header raises ``UnauthenticatedError`` and writes nothing. Each message finds or
        creates its contact, may open a deal, and is recorded once (a redelivery is a
        ``duplicate``). A malformed body raises ``ValidationError`` and writes nothing, as
        does a WhatsApp body for a number no integration of the company owns (its
        ``phone_number_id``)."""
    def verify_subscription(
        self,
        company_id: UUID,
        integration_id: UUID,
        mode: str,
        verify_token: str,
        challenge: str,
    ) -> str:
        """Answers Meta's subscription handshake: ``challenge`` when ``mode`` is
        ``"subscribe"`` and ``verify_token`` is the integration's ``verify_token``
        credential. Another mode raises ``ValidationError`` on "hub.mode"; no credential or
        another token ``UnauthenticatedError``."""
    def handle_message(
        self, company_id: UUID, integration_id: UUID, message: InboundMessage
    ) -> InboundOutcome:
        """Handles one message the host parsed, as ``handle_webhook`` handles each message.
        Another company's, an unknown or a non-messaging integration raises
        ``NotFoundError``, a disabled one ``ConflictError``, a message of another platform
        ``ValidationError`` on "platform"; nothing is written on any error."""

@final
class Advertising:
    """Leads and ad spend of advertising integrations: trusted host calls."""

    def ingest_meta_lead(
        self,
        company_id: UUID,
        integration_id: UUID,
        body: bytes,
        headers: builtins.dict[str, str] | None = None,
    ) -> LeadOutcome:
        """Ingests a Meta Lead Ads lead (the Graph API lead object) with the request's
        ``headers``: its ``X-Hub-Signature-256`` must be the HMAC-SHA256 of ``body`` under
        the integration's ``app_secret`` credential (without that credential every request
        is refused); a missing or wrong one raises ``UnauthenticatedError`` naming the header
        and writes nothing. Then the contact is found or created, the source found or
        created, a deal opened when the integration says so — once (a redelivery is a
        ``duplicate``). A malformed body raises ``ValidationError`` naming the JSON path and
        writes nothing."""
    def ingest_vk_lead(
        self,
        company_id: UUID,
        integration_id: UUID,
        body: bytes,
        received_at: datetime,
        headers: builtins.dict[str, str] | None = None,
    ) -> Optional[LeadOutcome]:
        """Ingests a VK Callback API request dated ``received_at`` (timezone-aware). When the
        integration holds the credential "secret", a callback without it raises
        ``UnauthenticatedError``; without that credential every callback is taken (the host
        must authenticate it). An event without a lead returns ``None``."""
    def ingest_lead(self, company_id: UUID, integration_id: UUID, lead: Lead) -> LeadOutcome:
        """Ingests a lead the host built, checked like a parsed one (``ValidationError``
        naming the field, "utm.campaign"), then as ``ingest_meta_lead`` does. Another
        company's, an unknown or a non-advertising integration raises ``NotFoundError``, a
        disabled one ``ConflictError``, a lead of another platform ``ValidationError`` on
        "platform"; nothing is written on any error."""
    def import_spend(
        self,
        company_id: UUID,
        integration_id: UUID,
        rows: Iterable[Union[AdSpend, Mapping[str, Any]]],
    ) -> int:
        """Imports spend per campaign and day (inserted or replacing), all rows or none; a
        bad row raises ``ValidationError`` naming it ("rows[3].currency"). Returns the rows
        written."""

@final
class Leads:
    """The company's ad leads."""

    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> Page[LeadRecord]:
        """The leads, newest first, a page at a time."""
    def of_deal(self, deal_id: UUID) -> Optional[LeadRecord]:
        """The lead that opened the deal, or ``None``."""

@final
class Reports:
    """Reports over the company's data (every role)."""

    def cost_by_source(self, from_: date, to: date) -> builtins.list[SourceCost]:
        """Cost per lead and per won deal of each lead source, per currency, over the days
        ``from_`` to ``to`` (UTC, both included). ``to`` before ``from_`` raises
        ``ValidationError`` on "to"."""

@final
class Accounting:
    """The company's accounting documents (admins and owners)."""

    def queue_invoice(self, deal_id: UUID) -> builtins.list[AccountingDocument]:
        """Queues the won deal's invoice for every enabled accounting integration — exactly
        one hand-over per deal and integration — and returns its documents."""
    def documents(
        self,
        *,
        status: Optional[DocumentStatus] = None,
        deal_id: Optional[UUID] = None,
        integration_id: Optional[UUID] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[AccountingDocument]:
        """The documents matching every given filter, oldest first."""
    def get(self, id: UUID) -> AccountingDocument:
        """One document."""

@final
class AccountingDocuments:
    """The hand-over of accounting documents: trusted host calls."""

    def list(
        self,
        company_id: UUID,
        *,
        status: Optional[DocumentStatus] = None,
        deal_id: Optional[UUID] = None,
        integration_id: Optional[UUID] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[AccountingDocument]:
        """The company's documents matching every given filter, oldest first."""
    def get(self, company_id: UUID, id: UUID) -> AccountingDocument:
        """One document of the company."""
    def mark_sent(self, company_id: UUID, id: UUID) -> AccountingDocument:
        """Records that the accounting system accepted the queued document; a document that
        is not queued raises ``InvalidTransitionError``."""
    def mark_failed(self, company_id: UUID, id: UUID, reason: str) -> AccountingDocument:
        """Records that the hand-over of the queued document failed, and why."""

@final
class WebhookWorker:
    """Dispatches the outbox to webhooks and posts the deliveries. ``run_once`` for the
    host's scheduler, or ``start`` a background task until ``stop``; a context manager that
    stops it."""

    def run_once(self) -> WorkReport:
        """One pass, with the GIL released."""
    def start(self) -> None:
        """Runs passes in the background until ``stop`` (starting twice does nothing)."""
    def stop(self) -> None:
        """Stops the background task after its current pass and waits for it."""
    def close(self) -> None:
        """The same as ``stop``."""
    @property
    def running(self) -> bool:
        """Whether the background task is running."""
    @property
    def backoff_base(self) -> timedelta:
        """The first retry delay."""
    @property
    def backoff_cap(self) -> timedelta:
        """The longest retry delay."""
    @property
    def max_attempts(self) -> int:
        """Attempts before a delivery is dead."""
    @property
    def timeout(self) -> timedelta:
        """How long one post may take."""
    @property
    def lease(self) -> timedelta:
        """How long a claimed delivery stays reserved."""
    @property
    def batch(self) -> int:
        """Events and deliveries per pass."""
    @property
    def poll_interval(self) -> timedelta:
        """How long a started worker sleeps when idle."""
    def __enter__(self) -> WebhookWorker: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class WebhookDeliveries:
    """The company's outgoing webhook deliveries (admins and owners)."""

    def list(
        self,
        *,
        status: Optional[DeliveryStatus] = None,
        integration_id: Optional[UUID] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[WebhookDelivery]:
        """Deliveries matching every given filter, newest first."""
    def get(self, id: UUID) -> WebhookDelivery:
        """One delivery."""
    def retry(self, id: UUID) -> WebhookDelivery:
        """Sends a dead delivery again (pending, due now, attempts reset); a delivered one
        raises ``InvalidTransitionError``."""
