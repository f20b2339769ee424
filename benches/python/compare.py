"""Flame from Python beside what a Python user would write instead.

Three implementations of the same CRM operations, run in one process on the same machine,
interleaved in blocks of 10 iterations:

* ``flame``      -- the ``flame`` wheel (Rust, sqlx, SQLite), on its own file ``flame.db``;
* ``sqlalchemy`` -- SQLAlchemy 2 ORM models mapped onto an equivalent schema, in their own
  file ``sqlalchemy.db`` holding the same rows (copied from ``flame.db``), one ORM
  ``Session`` per operation, as a web request would use it;
* ``sqlite3``    -- the standard library's ``sqlite3`` sending the same SQL Flame sends, to
  ``sqlite3.db``, a copy of ``flame.db`` (the Python physical limit).

The ``sqlite3`` baseline gets its own copy because the wheel links its own SQLite: two SQLite
libraries in one process must never open the same file, or closing a connection of one drops
the POSIX locks of the other (SQLite's "How To Corrupt An SQLite Database File", section 2.2).
This script hit exactly that before the copy: the flame store then failed with
``StorageError('the database refused the statement')``. So the flame store is closed while
``flame.db`` is copied, and reopened for the measurements.

Every store is seeded through the ``flame`` wheel: one company, N contacts and N/2 deals
across the default pipeline's stages (the same shape of data as the Rust generator in
``benches/src/data.rs``: a splitmix64 stream over the same name lists).

    python benches/python/compare.py --contacts 10000 --iters 200

Prints a Markdown table of medians, p99 and ratios. ``scripts/bench-python`` builds the
release wheel and runs this in a virtualenv.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Optional

import sqlalchemy
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    create_engine,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import flame

PAGE = 50

# --- The generator (a port of benches/src/data.rs) -----------------------------------------

FIRST_NAMES = """Ada Adam Aisha Alejandro Alexander Alice Amelia Ana Andrea Anna Anton Arjun Ben
Camila Carlos Charlotte Chen Chloe Daniel David Diego Dmitri Elena Elif Emily Emma Ethan Fatima
Felix Gabriel Grace Hannah Hiro Ines Isabella Ivan Jack James Jan Jana Jonas Julia Kai Karim
Katarzyna Laura Leon Liam Lucas Lucia Luis Maria Mark Marta Mateo Mia Michael Mohammed Nadia Noah
Nora Olga Oliver Olivia Omar Pablo Paul Pedro Priya Rahul Rosa Sara Sebastian Sofia Sophie
Svetlana Thomas Tomas Valentina Victor William Yara Yuki Zoe""".split()
LAST_NAMES = """Adams Ahmed Alvarez Anderson Bauer Becker Brown Castro Chen Clark Cohen Costa Davis
Dubois Fernandez Fischer Garcia Gomez Gonzalez Green Hall Hansen Hernandez Hoffmann Ivanov Jansen
Johnson Jones Kim King Kowalski Kumar Kuznetsova Lee Lopez Martin Martinez Meyer Miller Moreau
Muller Nakamura Nguyen Novak Olsen Park Patel Perez Petrov Popescu Ramirez Rossi Russo Sanchez
Santos Schmidt Schneider Silva Singh Smirnova Smith Sokolov Suzuki Tanaka Taylor Thomas Torres
Wagner Walker Wang Weber White Williams Wilson Wright Yamamoto Young Zhang""".split()
DOMAINS = ["example.com", "example.org", "example.net", "mail.test", "corp.test", "shop.test"]
US_AREAS = ["201", "206", "212", "303", "305", "312", "415", "503", "512", "617", "646", "702", "713"]
NAME_PREFIXES = ["ann", "mar", "dav", "ol", "chen", "smi", "pet", "gar", "sof", "kuz", "lu", "wil"]
PHONE_PREFIXES = ["+1 212", "+7 912", "+49 151", "+1 415 2"]
MASK = (1 << 64) - 1


class Rng:
    """splitmix64, as in benches/src/data.rs."""

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return (self.next() * n) >> 64

    def pick(self, items: list[str]) -> str:
        return items[self.below(len(items))]

    def digits(self, n: int) -> str:
        return "".join(str(self.below(10)) for _ in range(n))


@dataclass
class Person:
    first_name: str
    last_name: str
    email: str
    phone: str


def person(rng: Rng, i: int) -> Person:
    """Person ``i``: US (60%), Russian (20%) and German (20%) mobiles, all valid E.164."""
    first, last = rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)
    email = f"{first.lower()}.{last.lower()}{i}@{rng.pick(DOMAINS)}"
    r = rng.below(100)
    if r < 60:
        exchange = f"{2 + rng.below(8)}{rng.digits(2)}"
        if exchange.endswith("11"):
            exchange = exchange[:2] + "0"
        phone = f"+1{rng.pick(US_AREAS)}{exchange}{rng.digits(4)}"
    elif r < 80:
        phone = f"+7912{rng.digits(7)}"
    else:
        phone = f"+49151{rng.digits(8)}"
    return Person(first, last, email, phone)


def uuid7() -> uuid.UUID:
    """A UUIDv7 (Python 3.11 has none built in)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | rand
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


def now_text() -> str:
    """Flame's SQLite time format: fixed-width RFC 3339 UTC with microseconds."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- Seeding through flame ------------------------------------------------------------------


@dataclass
class Seeded:
    company_id: uuid.UUID
    owner_id: uuid.UUID
    pipeline_id: uuid.UUID
    stages: list[tuple[uuid.UUID, str]]  # (id, kind) in order
    contacts: list[uuid.UUID]
    open_deals: list[tuple[uuid.UUID, uuid.UUID]]  # (id, stage)


def seed_flame(store: flame.Flame, n: int) -> tuple[flame.Session, Seeded]:
    # The seeded starter plan allows 1,000 contacts: the benchmark company gets no limits.
    plan = store.plans.create("bench", "Bench", 0, "USD", trial_days=30, public=False)
    store.plans.set_default(plan.id)
    signed = store.sign_up("Bench Robotics", "olga.owner@bench.test", "Olga Owner")
    s = signed.session
    pipeline = s.pipelines.default()
    stages = [(st.id, str(st.kind)) for st in s.pipelines.stages(pipeline.id)]
    rng = Rng(0x0F1A3E00)
    contacts = []
    for i in range(n):
        p = person(rng, i)
        c = s.contacts.create(
            p.first_name,
            last_name=p.last_name,
            email=p.email,
            phone=p.phone,
        )
        contacts.append(c.id)
    open_deals = []
    for i in range(n // 2):
        contact = contacts[rng.below(n)]
        r = rng.below(100)
        idx = 0 if r < 30 else 1 if r < 50 else 2 if r < 65 else 3 if r < 85 else 4
        amount = Decimal(5_000 + rng.below(5_000_000))
        stage_id, kind = stages[idx]
        title = f"Deal {i}"
        if kind == "open":
            d = s.deals.create(title, amount, "USD", contact_id=contact, stage_id=stage_id)
            open_deals.append((d.id, stage_id))
        else:
            d = s.deals.create(title, amount, "USD", contact_id=contact)
            if kind == "won":
                s.deals.win(d.id, d.version)
            else:
                s.deals.lose(d.id, "Chose a competitor", d.version)
    return s, Seeded(signed.company.id, signed.owner.id, pipeline.id, stages, contacts, open_deals)


# --- SQLAlchemy 2 ORM: the schema a Python user would map ------------------------------------


class Base(DeclarativeBase):
    pass


class Pipeline(Base):
    __tablename__ = "pipelines"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool]
    version: Mapped[int] = mapped_column(BigInteger)


class Stage(Base):
    __tablename__ = "stages"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    company_id: Mapped[uuid.UUID]
    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    probability: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("stages_pipeline", "company_id", "pipeline_id", "position"),)


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    company_id: Mapped[uuid.UUID]
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[Optional[str]] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(320))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    organization_id: Mapped[Optional[uuid.UUID]]
    owner_id: Mapped[Optional[uuid.UUID]]
    search_name: Mapped[str] = mapped_column(String(401))
    last_name_key: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(BigInteger)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        Index("contacts_search_name", "company_id", "search_name", "id"),
        Index("contacts_last_name", "company_id", "last_name_key", "id"),
        Index("contacts_phone", "company_id", "phone", "id"),
    )


class Deal(Base):
    __tablename__ = "deals"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    company_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    contact_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("contacts.id"))
    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id"))
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stages.id"))
    assignee_id: Mapped[Optional[uuid.UUID]]
    status: Mapped[str] = mapped_column(String(10))
    lost_reason: Mapped[Optional[str]] = mapped_column(String(500))
    closed_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(BigInteger)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("deals_stage", "company_id", "stage_id", "id"),
        Index("deals_pipeline", "company_id", "pipeline_id", "id"),
    )


class OutboxEvent(Base):
    __tablename__ = "outbox"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    company_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(64))
    aggregate_id: Mapped[uuid.UUID]
    payload: Mapped[str]
    occurred_at: Mapped[datetime]


def blob_uuid(b: Optional[bytes]) -> Optional[uuid.UUID]:
    return None if b is None else uuid.UUID(bytes=b)


def parse_time(t: Optional[str]) -> Optional[datetime]:
    return None if t is None else datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")


def copy_to_sqlalchemy(flame_db: Path, target: Path) -> sqlalchemy.Engine:
    """Creates ``target`` with the ORM schema and copies every pipeline, stage, contact and
    deal of ``flame_db`` into it (a bulk ORM insert: setup, not measured)."""
    engine = create_engine(f"sqlite:///{target}")

    @event.listens_for(engine, "connect")
    def _pragmas(conn: Any, _record: Any) -> None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")

    Base.metadata.create_all(engine)
    src = sqlite3.connect(flame_db)
    with Session(engine) as s:
        s.execute(
            sqlalchemy.insert(Pipeline),
            [
                dict(id=blob_uuid(r[0]), company_id=blob_uuid(r[1]), name=r[2], is_default=bool(r[3]), version=r[4])
                for r in src.execute("SELECT id, company_id, name, is_default, version FROM pipelines")
            ],
        )
        s.execute(
            sqlalchemy.insert(Stage),
            [
                dict(
                    id=blob_uuid(r[0]), company_id=blob_uuid(r[1]), pipeline_id=blob_uuid(r[2]),
                    name=r[3], position=r[4], kind=r[5], probability=r[6],
                )
                for r in src.execute(
                    "SELECT id, company_id, pipeline_id, name, position, kind, probability FROM stages"
                )
            ],
        )
        rows = src.execute(
            "SELECT id, company_id, first_name, last_name, email, phone, organization_id, owner_id, "
            "search_name, last_name_key, created_at, updated_at, version FROM contacts"
        ).fetchall()
        s.execute(
            sqlalchemy.insert(Contact),
            [
                dict(
                    id=blob_uuid(r[0]), company_id=blob_uuid(r[1]), first_name=r[2], last_name=r[3],
                    email=r[4], phone=r[5], organization_id=blob_uuid(r[6]), owner_id=blob_uuid(r[7]),
                    search_name=r[8], last_name_key=r[9], created_at=parse_time(r[10]),
                    updated_at=parse_time(r[11]), version=r[12],
                )
                for r in rows
            ],
        )
        rows = src.execute(
            "SELECT id, company_id, title, amount_minor, currency, contact_id, pipeline_id, stage_id, "
            "assignee_id, status, lost_reason, closed_at, created_at, updated_at, version FROM deals"
        ).fetchall()
        s.execute(
            sqlalchemy.insert(Deal),
            [
                dict(
                    id=blob_uuid(r[0]), company_id=blob_uuid(r[1]), title=r[2], amount_minor=r[3],
                    currency=r[4], contact_id=blob_uuid(r[5]), pipeline_id=blob_uuid(r[6]),
                    stage_id=blob_uuid(r[7]), assignee_id=blob_uuid(r[8]), status=r[9],
                    lost_reason=r[10], closed_at=parse_time(r[11]), created_at=parse_time(r[12]),
                    updated_at=parse_time(r[13]), version=r[14],
                )
                for r in rows
            ],
        )
        s.commit()
    src.close()
    return engine


# --- The implementations -------------------------------------------------------------------

OPS = [
    "create_contact",
    "get_contact",
    "list_deals_by_stage",
    "search_contacts_name",
    "search_contacts_phone",
    "move_deal_stage",
    "win_deal",
    "pipeline_summary",
    "bulk_import",
]


class Impl:
    """One implementation: ``run(op, i)`` performs op once and returns nanoseconds."""

    name = ""

    def __init__(self, data: Seeded, lane: int, lanes: int, bulk: int) -> None:
        self.data = data
        self.rng = Rng(0xBE7C0000 + lane)
        self.people = Rng(0x9E091E00 + lane)
        self.next_person = 10_000_000 * (lane + 1)
        self.bulk = bulk
        # Each implementation moves its own deals: [id, current stage, home stage, version].
        self.lane = [[d, st, st, 1] for d, st in data.open_deals[lane::lanes][:2000]]
        self.open_stages = [sid for sid, kind in data.stages if kind == "open"]
        self.won_stage = next(sid for sid, kind in data.stages if kind == "won")

    def person(self) -> Person:
        self.next_person += 1
        return person(self.people, self.next_person)

    def contact(self) -> uuid.UUID:
        return self.data.contacts[self.rng.below(len(self.data.contacts))]

    def list_stage(self, i: int) -> uuid.UUID:
        return self.data.stages[i % len(self.data.stages)][0]

    def move_target(self, current: uuid.UUID) -> uuid.UUID:
        at = self.open_stages.index(current) if current in self.open_stages else 0
        return self.open_stages[(at + 1) % len(self.open_stages)]

    def run(self, op: str, i: int) -> int:
        return int(getattr(self, op)(i))


def timed(f: Callable[[], Any]) -> int:
    start = time.perf_counter_ns()
    f()
    return time.perf_counter_ns() - start


class FlameImpl(Impl):
    name = "flame"

    def __init__(self, session: flame.Session, *args: Any) -> None:
        super().__init__(*args)
        self.s = session

    def create_contact(self, i: int) -> int:
        p = self.person()
        c = self.s.contacts
        return timed(
            lambda: c.create(p.first_name, last_name=p.last_name, email=p.email, phone=p.phone)
        )

    def get_contact(self, i: int) -> int:
        cid = self.contact()
        return timed(lambda: self.s.contacts.get(cid))

    def list_deals_by_stage(self, i: int) -> int:
        stage = self.list_stage(i)
        return timed(lambda: self.s.deals.list(stage_id=stage, limit=PAGE))

    def search_contacts_name(self, i: int) -> int:
        prefix = NAME_PREFIXES[i % len(NAME_PREFIXES)]
        return timed(lambda: self.s.contacts.list(name_prefix=prefix, limit=PAGE))

    def search_contacts_phone(self, i: int) -> int:
        prefix = PHONE_PREFIXES[i % len(PHONE_PREFIXES)]
        return timed(lambda: self.s.contacts.list(phone_prefix=prefix, limit=PAGE))

    def move_deal_stage(self, i: int) -> int:
        d = self.lane[i % len(self.lane)]
        target = self.move_target(d[1])
        out: list[Any] = []
        ns = timed(lambda: out.append(self.s.deals.move_to_stage(d[0], target, d[3])))
        d[1], d[3] = target, out[0].version
        return ns

    def win_deal(self, i: int) -> int:
        d = self.lane[i % len(self.lane)]
        out: list[Any] = []
        ns = timed(lambda: out.append(self.s.deals.win(d[0], d[3])))
        back = self.s.deals.reopen(d[0], d[2], out[0].version)
        d[1], d[3] = d[2], back.version
        return ns

    def pipeline_summary(self, i: int) -> int:
        return timed(lambda: self.s.pipelines.summary(self.data.pipeline_id))

    def bulk_import(self, i: int) -> int:
        people = [self.person() for _ in range(self.bulk)]
        c = self.s.contacts

        def run() -> None:
            report = c.import_rows(
                flame.NewContact(
                    p.first_name, last_name=p.last_name, email=p.email, phone=p.phone
                )
                for p in people
            )
            assert report.rejected == 0, report.errors

        return timed(run)


# The SQL Flame sends (flame-db/src), with sqlite3's ?NNN placeholders.
CONTACT_COLUMNS = (
    "SELECT company_id, id, first_name, last_name, email, phone, organization_id, owner_id, "
    "created_at, updated_at, version FROM contacts"
)
CONTACT_COLUMNS_NO_FROM = CONTACT_COLUMNS.removesuffix(" FROM contacts")


def prefix_range(prefix: str) -> tuple[str, str]:
    """A prefix as Flame searches it: the lowercase prefix and the least text after every text
    that starts with it (the benchmark's prefixes are ASCII)."""
    start = prefix.strip().lower()
    return start, start[:-1] + chr(ord(start[-1]) + 1)


DEAL_COLUMNS = (
    "SELECT company_id, id, title, amount_minor, currency, contact_id, pipeline_id, stage_id, "
    "source_id, assignee_id, status, expected_close, lost_reason, closed_at, created_at, updated_at, version "
    "FROM deals"
)
STAGE_COLUMNS = "SELECT company_id, id, pipeline_id, name, position, kind, probability, version FROM stages"
PIPELINE_COLUMNS = "SELECT company_id, id, name, position, is_default, created_at, updated_at, version FROM pipelines"
INSERT_CONTACT = (
    "INSERT INTO contacts (company_id, id, first_name, last_name, email, phone, organization_id, owner_id, "
    "search_name, last_name_key, created_at, updated_at, version) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox (company_id, id, event_type, aggregate_type, aggregate_id, actor_id, payload, occurred_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
)
UPDATE_DEAL = (
    "UPDATE deals SET title = ?1, amount_minor = ?2, currency = ?3, contact_id = ?4, stage_id = ?5, "
    "source_id = ?6, assignee_id = ?7, status = ?8, expected_close = ?9, lost_reason = ?10, "
    "closed_at = ?11, updated_at = ?12, version = ?13 WHERE company_id = ?14 AND id = ?15 AND version = ?16"
)


class Sqlite3Impl(Impl):
    name = "sqlite3"

    def __init__(self, path: Path, *args: Any) -> None:
        super().__init__(*args)
        self.db = sqlite3.connect(path, isolation_level=None, cached_statements=128)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 10000")
        self.company = self.data.company_id.bytes
        self.owner = self.data.owner_id.bytes

    def _outbox(self, event_type: str, aggregate: str, agg_id: uuid.UUID, payload: str, now: str) -> None:
        self.db.execute(
            INSERT_OUTBOX,
            (self.company, uuid7().bytes, event_type, aggregate, agg_id.bytes, self.owner, payload, now),
        )

    def _insert_contact(self, p: Person, now: str) -> uuid.UUID:
        cid = uuid7()
        self.db.execute(
            INSERT_CONTACT,
            (
                self.company, cid.bytes, p.first_name, p.last_name, p.email, p.phone, None,
                self.owner, f"{p.first_name} {p.last_name}".lower(), p.last_name.lower(), now, now, 1,
            ),
        )
        return cid

    def create_contact(self, i: int) -> int:
        p = self.person()

        def run() -> None:
            now = now_text()
            self.db.execute("BEGIN IMMEDIATE")
            cid = self._insert_contact(p, now)
            self._outbox("contact.created", "contact", cid, f'{{"type":"contact.created","contact_id":"{cid}"}}', now)
            self.db.execute("COMMIT")

        return timed(run)

    def get_contact(self, i: int) -> int:
        cid = self.contact()
        sql = CONTACT_COLUMNS + " WHERE company_id = ?1 AND id = ?2"
        return timed(lambda: self.db.execute(sql, (self.company, cid.bytes)).fetchone())

    def list_deals_by_stage(self, i: int) -> int:
        stage = self.list_stage(i)
        sql = DEAL_COLUMNS + " WHERE company_id = ?1 AND stage_id = ?2 ORDER BY id DESC LIMIT ?3"
        return timed(lambda: self.db.execute(sql, (self.company, stage.bytes, PAGE + 1)).fetchall())

    def search_contacts_name(self, i: int) -> int:
        start, end = prefix_range(NAME_PREFIXES[i % len(NAME_PREFIXES)])

        def leg(key: str, also: str) -> str:
            return (
                f"SELECT * FROM ({CONTACT_COLUMNS_NO_FROM}, {key} AS sort_key FROM contacts "
                f"WHERE company_id = ?1 AND {key} >= ?2 AND {key} < ?3{also} ORDER BY {key}, id LIMIT ?4)"
            )

        # Flame's statement (flame-db/src/contact.rs): two index walks merged by the matched key.
        sql = (
            leg("search_name", "")
            + " UNION ALL "
            + leg("last_name_key", " AND NOT (search_name >= ?2 AND search_name < ?3)")
            + " ORDER BY sort_key, id LIMIT ?4"
        )
        return timed(lambda: self.db.execute(sql, (self.company, start, end, PAGE + 1)).fetchall())

    def search_contacts_phone(self, i: int) -> int:
        digits = "".join(ch for ch in PHONE_PREFIXES[i % len(PHONE_PREFIXES)] if ch.isdigit())
        start, end = prefix_range("+" + digits)
        sql = (
            f"{CONTACT_COLUMNS_NO_FROM}, phone AS sort_key FROM contacts "
            "WHERE company_id = ?1 AND phone >= ?2 AND phone < ?3 ORDER BY phone, id LIMIT ?4"
        )
        return timed(lambda: self.db.execute(sql, (self.company, start, end, PAGE + 1)).fetchall())

    def _transition(self, d: list[Any], target: Optional[uuid.UUID]) -> None:
        now = now_text()
        self.db.execute("BEGIN IMMEDIATE")
        row = self.db.execute(DEAL_COLUMNS + " WHERE company_id = ?1 AND id = ?2", (self.company, d[0].bytes)).fetchone()
        if row[16] != d[3]:
            raise RuntimeError("stale deal")
        if target is None:  # win: the pipeline's won stage
            stages = self.db.execute(
                STAGE_COLUMNS + " WHERE company_id = ?1 AND pipeline_id = ?2 ORDER BY position", (self.company, row[6])
            ).fetchall()
            stage = next(s for s in stages if s[5] == "won")
        else:
            stage = self.db.execute(STAGE_COLUMNS + " WHERE company_id = ?1 AND id = ?2", (self.company, target.bytes)).fetchone()
        status = stage[5]
        closed = now if status == "won" else None
        changed = self.db.execute(
            UPDATE_DEAL,
            (row[2], row[3], row[4], row[5], stage[1], row[8], row[9], status, row[11], row[12], closed, now,
             d[3] + 1, self.company, d[0].bytes, d[3]),
        ).rowcount
        if changed == 0:
            raise RuntimeError("stale deal")
        self._outbox(
            "deal.stage_changed", "deal", d[0],
            f'{{"type":"deal.stage_changed","deal_id":"{d[0]}","from_stage_id":"{uuid.UUID(bytes=row[7])}",'
            f'"to_stage_id":"{uuid.UUID(bytes=stage[1])}"}}',
            now,
        )
        if status == "won":
            self._outbox(
                "deal.won", "deal", d[0],
                f'{{"type":"deal.won","deal_id":"{d[0]}","value":{{"amount_minor":{row[3]},"currency":"{row[4]}"}}}}',
                now,
            )
        self.db.execute("COMMIT")

    def move_deal_stage(self, i: int) -> int:
        d = self.lane[i % len(self.lane)]
        target = self.move_target(d[1])
        ns = timed(lambda: self._transition(d, target))
        d[1], d[3] = target, d[3] + 1
        return ns

    def win_deal(self, i: int) -> int:
        d = self.lane[i % len(self.lane)]
        ns = timed(lambda: self._transition(d, None))
        self.db.execute(
            "UPDATE deals SET stage_id = ?1, status = 'open', closed_at = NULL, updated_at = ?2, version = version + 1 "
            "WHERE company_id = ?3 AND id = ?4",
            (d[2].bytes, now_text(), self.company, d[0].bytes),
        )
        d[1], d[3] = d[2], d[3] + 2
        return ns

    def pipeline_summary(self, i: int) -> int:
        c, p = self.company, self.data.pipeline_id.bytes

        def run() -> None:
            self.db.execute(PIPELINE_COLUMNS + " WHERE company_id = ?1 AND id = ?2", (c, p)).fetchone()
            self.db.execute(STAGE_COLUMNS + " WHERE company_id = ?1 AND pipeline_id = ?2 ORDER BY position", (c, p)).fetchall()
            self.db.execute(
                "SELECT stage_id, currency, COUNT(*) AS n, CAST(SUM(amount_minor) AS BIGINT) AS total FROM deals "
                "WHERE company_id = ?1 AND pipeline_id = ?2 GROUP BY stage_id, currency",
                (c, p),
            ).fetchall()

        return timed(run)

    def bulk_import(self, i: int) -> int:
        people = [self.person() for _ in range(self.bulk)]

        def run() -> None:
            now = now_text()
            self.db.execute("BEGIN IMMEDIATE")
            for p in people:
                self._insert_contact(p, now)
            self.db.execute("COMMIT")

        return timed(run)


class SqlAlchemyImpl(Impl):
    name = "sqlalchemy"

    def __init__(self, engine: sqlalchemy.Engine, *args: Any) -> None:
        super().__init__(*args)
        self.engine = engine

    def _event(self, s: Session, event_type: str, agg_id: uuid.UUID, payload: str) -> None:
        s.add(
            OutboxEvent(
                id=uuid7(), company_id=self.data.company_id, event_type=event_type, aggregate_id=agg_id,
                payload=payload, occurred_at=datetime.now(timezone.utc),
            )
        )

    def _contact(self, p: Person) -> Contact:
        now = datetime.now(timezone.utc)
        return Contact(
            id=uuid7(), company_id=self.data.company_id, first_name=p.first_name, last_name=p.last_name,
            email=p.email.lower(), phone=p.phone, organization_id=None, owner_id=self.data.owner_id,
            search_name=f"{p.first_name} {p.last_name}".lower(), last_name_key=p.last_name.lower(),
            created_at=now, updated_at=now, version=1,
        )

    def create_contact(self, i: int) -> int:
        p = self.person()

        def run() -> None:
            with Session(self.engine) as s:
                c = self._contact(p)
                s.add(c)
                self._event(s, "contact.created", c.id, f'{{"type":"contact.created","contact_id":"{c.id}"}}')
                s.commit()

        return timed(run)

    def get_contact(self, i: int) -> int:
        cid = self.contact()

        def run() -> None:
            with Session(self.engine) as s:
                c = s.get(Contact, cid)
                assert c is not None and c.company_id == self.data.company_id

        return timed(run)

    def list_deals_by_stage(self, i: int) -> int:
        stage = self.list_stage(i)
        q = (
            select(Deal)
            .where(Deal.company_id == self.data.company_id, Deal.stage_id == stage)
            .order_by(Deal.id.desc())
            .limit(PAGE + 1)
        )

        def run() -> None:
            with Session(self.engine) as s:
                s.scalars(q).all()

        return timed(run)

    def search_contacts_name(self, i: int) -> int:
        prefix = NAME_PREFIXES[i % len(NAME_PREFIXES)]
        q = (
            select(Contact)
            .where(
                Contact.company_id == self.data.company_id,
                or_(Contact.search_name.startswith(prefix), Contact.last_name_key.startswith(prefix)),
            )
            .order_by(Contact.search_name, Contact.id)
            .limit(PAGE + 1)
        )

        def run() -> None:
            with Session(self.engine) as s:
                s.scalars(q).all()

        return timed(run)

    def search_contacts_phone(self, i: int) -> int:
        digits = "".join(ch for ch in PHONE_PREFIXES[i % len(PHONE_PREFIXES)] if ch.isdigit())
        q = (
            select(Contact)
            .where(Contact.company_id == self.data.company_id, Contact.phone.startswith("+" + digits))
            .order_by(Contact.phone, Contact.id)
            .limit(PAGE + 1)
        )

        def run() -> None:
            with Session(self.engine) as s:
                s.scalars(q).all()

        return timed(run)

    def _transition(self, d: list[Any], target: Optional[uuid.UUID]) -> None:
        with Session(self.engine) as s:
            deal = s.get(Deal, d[0])
            assert deal is not None and deal.version == d[3]
            if target is None:
                stages = s.scalars(select(Stage).where(Stage.pipeline_id == deal.pipeline_id).order_by(Stage.position)).all()
                stage = next(st for st in stages if st.kind == "won")
            else:
                found = s.get(Stage, target)
                assert found is not None
                stage = found
            old = deal.stage_id
            deal.stage_id = stage.id
            deal.status = stage.kind
            deal.updated_at = datetime.now(timezone.utc)
            if stage.kind == "won":
                deal.closed_at = deal.updated_at
            self._event(
                s, "deal.stage_changed", deal.id,
                f'{{"type":"deal.stage_changed","deal_id":"{deal.id}","from_stage_id":"{old}","to_stage_id":"{stage.id}"}}',
            )
            if stage.kind == "won":
                self._event(
                    s, "deal.won", deal.id,
                    f'{{"type":"deal.won","deal_id":"{deal.id}","value":{{"amount_minor":{deal.amount_minor},'
                    f'"currency":"{deal.currency}"}}}}',
                )
            s.commit()

    def move_deal_stage(self, i: int) -> int:
        d = self.lane[i % len(self.lane)]
        target = self.move_target(d[1])
        ns = timed(lambda: self._transition(d, target))
        d[1], d[3] = target, d[3] + 1
        return ns

    def win_deal(self, i: int) -> int:
        d = self.lane[i % len(self.lane)]
        ns = timed(lambda: self._transition(d, None))
        with Session(self.engine) as s:
            deal = s.get(Deal, d[0])
            assert deal is not None
            deal.stage_id, deal.status, deal.closed_at = d[2], "open", None
            s.commit()
        d[1], d[3] = d[2], d[3] + 2
        return ns

    def pipeline_summary(self, i: int) -> int:
        pid = self.data.pipeline_id

        def run() -> None:
            with Session(self.engine) as s:
                s.get(Pipeline, pid)
                s.scalars(select(Stage).where(Stage.pipeline_id == pid).order_by(Stage.position)).all()
                s.execute(
                    select(Deal.stage_id, Deal.currency, func.count(), func.sum(Deal.amount_minor))
                    .where(Deal.company_id == self.data.company_id, Deal.pipeline_id == pid)
                    .group_by(Deal.stage_id, Deal.currency)
                ).all()

        return timed(run)

    def bulk_import(self, i: int) -> int:
        people = [self.person() for _ in range(self.bulk)]

        def run() -> None:
            with Session(self.engine) as s:
                s.add_all([self._contact(p) for p in people])
                s.commit()

        return timed(run)


# --- Measurement and report ----------------------------------------------------------------


def quantile(samples: list[int], q: float) -> int:
    """Nearest rank, as in benches/src/stats.rs."""
    v = sorted(samples)
    rank = max(1, min(len(v), int(-(-q * len(v) // 1))))
    return v[rank - 1]


def human(ns: float) -> str:
    us = ns / 1000
    return f"{us:.1f} µs" if us < 10_000 else f"{us / 1000:.2f} ms"


def measure(impls: list[Impl], op: str, n: int, counter: list[int]) -> list[list[int]]:
    warm = max(1, min(n // 10, 20))
    for impl in impls:
        for _ in range(warm):
            impl.run(op, counter[0])
            counter[0] += 1
    samples: list[list[int]] = [[] for _ in impls]
    done = 0
    while done < n:
        block = min(10, n - done)
        for impl, s in zip(impls, samples):
            for k in range(block):
                s.append(impl.run(op, counter[0] + k))
        counter[0] += block
        done += block
    return samples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=10_000, help="contacts to seed (deals: half as many)")
    ap.add_argument("--iters", type=int, default=200, help="iterations per operation per implementation")
    ap.add_argument("--bulk", type=int, default=1000, help="contacts per bulk import")
    ap.add_argument("--bulk-iters", type=int, default=3, help="bulk imports per implementation")
    ap.add_argument("--ops", default=",".join(OPS), help="comma-separated operations")
    ap.add_argument("--workdir", help="where the SQLite files go (default: a temporary directory)")
    args = ap.parse_args()
    ops = [o for o in args.ops.split(",") if o]
    for o in ops:
        if o not in OPS:
            ap.error(f"unknown operation {o}")

    with tempfile.TemporaryDirectory(prefix="flame-compare-") as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        flame_db, sqla_db = work / "flame.db", work / "sqlalchemy.db"
        for f in (flame_db, sqla_db):
            for suffix in ("", "-wal", "-shm"):
                Path(str(f) + suffix).unlink(missing_ok=True)
        raw_db = work / "sqlite3.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(raw_db) + suffix).unlink(missing_ok=True)
        t0 = time.perf_counter()
        store = flame.open(f"sqlite://{flame_db}")
        _, data = seed_flame(store, args.contacts)
        seeded = time.perf_counter() - t0
        # Python's sqlite3 opens flame.db only while the wheel has it closed (see the docstring).
        store.shutdown()
        engine = copy_to_sqlalchemy(flame_db, sqla_db)
        with sqlite3.connect(flame_db) as src, sqlite3.connect(raw_db) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        store = flame.open(f"sqlite://{flame_db}")
        session = store.session(data.owner_id, data.company_id)
        impls: list[Impl] = [
            FlameImpl(session, data, 0, 3, args.bulk),
            SqlAlchemyImpl(engine, data, 1, 3, args.bulk),
            Sqlite3Impl(raw_db, data, 2, 3, args.bulk),
        ]
        print(
            f"## Python: flame {flame.__version__} vs SQLAlchemy {sqlalchemy.__version__} ORM vs sqlite3 "
            f"(SQLite {sqlite3.sqlite_version}) — Python {platform.python_version()}, {os.cpu_count()} CPUs\n"
        )
        print(
            f"{args.contacts} contacts and {args.contacts // 2} deals ({len(data.open_deals)} open), seeded through "
            f"the flame wheel in {seeded:.1f} s and copied into the SQLAlchemy and sqlite3 files. {args.iters} iterations per "
            f"operation per implementation ({args.bulk_iters} for bulk import of {args.bulk} contacts), "
            "interleaved in blocks of 10.\n"
        )
        print(
            "| operation | flame median | flame p99 | SQLAlchemy ORM median | sqlite3 median | "
            "SQLAlchemy / flame | flame / sqlite3 | ≥ 10x faster than ORM |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        counter = [0]
        for op in ops:
            n = args.bulk_iters if op == "bulk_import" else args.iters
            f, a, r = measure(impls, op, n, counter)
            fm, am, rm = quantile(f, 0.5), quantile(a, 0.5), quantile(r, 0.5)
            name = f"bulk_import {args.bulk} contacts" if op == "bulk_import" else op
            print(
                f"| {name} | {human(fm)} | {human(quantile(f, 0.99))} | {human(am)} | {human(rm)} | "
                f"{am / fm:.2f}x | {fm / rm:.2f}x | {'yes' if am / fm >= 10 else 'no'} |"
            )
        store.shutdown()
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
