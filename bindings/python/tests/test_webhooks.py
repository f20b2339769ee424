"""Outgoing webhooks: the worker posts signed events to a real HTTP server, Python receivers
verify the signature, failing receivers are retried then dead, and dead deliveries are sent
again; no signing secret shows in any repr, dict or error."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest

import flame

SECRET = "whsec_TOPSECRET_0123456789"
KEY = flame.EncryptionKey.from_bytes("k1", bytes([7]) * 32)
#: A few milliseconds between attempts, so that retries happen within the test.
FAST_BASE, FAST_CAP = timedelta(milliseconds=5), timedelta(milliseconds=10)


class Received:
    """One request the receiver got."""

    def __init__(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str:
        """A header's value; header names are case-insensitive."""
        return self.headers[name.lower()]


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers with ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Received(self.path, headers, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def hooked(url: str) -> Iterator[flame.Flame]:
    """A store with an encryption key, whose webhooks may post to loopback addresses."""
    with flame.open(url, encryption_key=KEY, webhook_allow_loopback=True) as opened:
        yield opened


@pytest.fixture
def acme(hooked: flame.Flame) -> flame.Session:
    return hooked.sign_up("Acme", "owner@acme.test", "Olga Owner").session


def hook(s: flame.Session, receiver: Receiver) -> flame.Integration:
    """A webhook posting every deal event to the receiver."""
    settings = flame.WebhookSettings(receiver.url, ["deal.*"])
    return s.integrations.create("Hook", settings, {"signing_secret": SECRET})


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def no_secret(*shown: object) -> None:
    for thing in shown:
        assert SECRET not in repr(thing) and SECRET not in str(thing)


def test_a_webhook_reaches_a_real_server_signed(
    hooked: flame.Flame, acme: flame.Session, receiver: Receiver
) -> None:
    integration = hook(acme, receiver)
    worker = hooked.webhook_worker()
    deal = acme.deals.create("Website", 100, "USD")

    report = worker.run_once()
    assert isinstance(report, flame.WorkReport)
    assert (report.dispatched, report.delivered, report.failed, report.dead) == (1, 1, 0, 0)
    assert report.published >= 1
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.header(flame.EVENT_TYPE_HEADER) == "deal.created"
    payload = json.loads(request.body)
    assert payload["id"] == request.header(flame.EVENT_ID_HEADER)
    assert payload["type"] == "deal.created"
    assert str(deal.id) in request.body.decode()

    # The Python receiver checks the signature with the shared secret.
    header = request.header(flame.SIGNATURE_HEADER)
    flame.verify_webhook_signature(SECRET, header, request.body)
    flame.verify_webhook_signature(SECRET, header, request.body, tolerance_seconds=60)
    failures: list[flame.FlameError] = []
    for secret, signed, body in [
        ("whsec_wrong", header, request.body),
        (SECRET, header, request.body + b" "),
        (SECRET, header.split(",")[0] + ",v1=" + "0" * 64, request.body),
    ]:
        with pytest.raises(flame.UnauthenticatedError) as caught:
            flame.verify_webhook_signature(secret, signed, body)
        failures.append(caught.value)
    # An old signature is a replay, outside the tolerance.
    old = "t=1000," + header.split(",", 1)[1]
    with pytest.raises(flame.UnauthenticatedError) as stale:
        flame.verify_webhook_signature(SECRET, old, request.body)
    assert "tolerance" in str(stale.value)
    with pytest.raises(flame.ValidationError) as malformed:
        flame.verify_webhook_signature(SECRET, "sha256=abc", request.body)
    assert malformed.value.field == flame.SIGNATURE_HEADER == "Flame-Signature"

    # What admins see.
    [delivery] = acme.webhook_deliveries.list(status="delivered")
    assert isinstance(delivery, flame.WebhookDelivery)
    assert (delivery.integration_id, delivery.event_type, delivery.status) == (
        integration.id,
        "deal.created",
        "delivered",
    )
    assert delivery.event_id == uuid.UUID(request.header(flame.EVENT_ID_HEADER))
    assert (delivery.aggregate_type, delivery.aggregate_id) == ("deal", deal.id)
    assert (delivery.attempts, delivery.last_status, delivery.last_error) == (1, 200, None)
    assert delivery.delivered_at is not None
    assert acme.webhook_deliveries.get(delivery.id) == delivery
    assert len(acme.webhook_deliveries.list(integration_id=integration.id)) == 1
    assert len(acme.webhook_deliveries.list(status="dead")) == 0
    with pytest.raises(flame.InvalidTransitionError):
        acme.webhook_deliveries.retry(delivery.id)
    with pytest.raises(flame.ValidationError):
        acme.webhook_deliveries.list(status="lost")  # type: ignore[arg-type]
    with pytest.raises(flame.NotFoundError):
        acme.webhook_deliveries.get(uuid.uuid4())

    # Nothing more to do.
    idle = worker.run_once()
    assert (idle.dispatched, idle.delivered, idle.failed, idle.dead) == (0, 0, 0, 0)
    assert len(receiver.requests) == 1
    no_secret(
        integration,
        integration.to_dict(),
        delivery,
        delivery.to_dict(),
        worker,
        report,
        stale.value,
        stale.value.args,
        malformed.value,
        malformed.value.args,
        *failures,
        *[f.args for f in failures],
    )


def test_a_failing_receiver_is_retried_then_dead_and_retry_sends_it_again(
    hooked: flame.Flame, acme: flame.Session, receiver: Receiver
) -> None:
    receiver.status = 500
    hook(acme, receiver)
    worker = hooked.webhook_worker(max_attempts=2, backoff_base=FAST_BASE, backoff_cap=FAST_CAP)
    assert (worker.max_attempts, worker.backoff_base) == (2, timedelta(milliseconds=5))
    acme.deals.create("Website", 100, "USD")

    first = worker.run_once()
    assert (first.dispatched, first.failed, first.dead, first.delivered) == (1, 1, 0, 0)
    [pending] = acme.webhook_deliveries.list(status="pending")
    assert (pending.attempts, pending.last_status) == (1, 500)
    assert pending.last_error is not None and "500" in pending.last_error
    time.sleep(0.1)
    second = worker.run_once()
    assert (second.failed, second.dead, second.delivered) == (0, 1, 0)

    [dead] = acme.webhook_deliveries.list(status="dead")
    assert (dead.id, dead.attempts, dead.last_status) == (pending.id, 2, 500)
    assert len(receiver.requests) == 2
    assert {r.header(flame.EVENT_ID_HEADER) for r in receiver.requests} == {str(dead.event_id)}
    # A dead delivery is not tried again by itself.
    time.sleep(0.05)
    assert worker.run_once().delivered == 0 and len(receiver.requests) == 2

    # An admin sends it again once the receiver is fixed.
    receiver.status = 200
    retried = acme.webhook_deliveries.retry(dead.id)
    assert (retried.id, retried.status, retried.attempts) == (dead.id, "pending", 0)
    assert acme.webhook_deliveries.retry(dead.id).status == "pending"
    assert worker.run_once().delivered == 1
    delivered = acme.webhook_deliveries.get(dead.id)
    assert (delivered.status, delivered.last_status) == ("delivered", 200)
    assert len(acme.webhook_deliveries.list(status="dead")) == 0
    no_secret(dead, dead.to_dict(), delivered, worker)


def test_a_started_worker_delivers_in_the_background_until_stopped(
    hooked: flame.Flame, acme: flame.Session, receiver: Receiver
) -> None:
    hook(acme, receiver)
    with hooked.webhook_worker(poll_interval=timedelta(milliseconds=20)) as worker:
        assert not worker.running
        worker.start()
        worker.start()  # a second start does nothing
        assert worker.running
        acme.deals.create("Website", 100, "USD")
        wait_for(lambda: len(acme.webhook_deliveries.list(status="delivered")) == 1)
        assert len(receiver.requests) == 1
        worker.stop()
        assert not worker.running
        worker.stop()  # stopping a stopped worker does nothing

        # Stopped, it delivers nothing more; started again, it does.
        acme.deals.create("Shop", 50, "USD")
        time.sleep(0.2)
        assert len(receiver.requests) == 1
        worker.start()
        wait_for(lambda: len(receiver.requests) == 2)
    # Leaving the block stopped it.
    assert not worker.running

    # A worker dropped while running is stopped too.
    dropped = hooked.webhook_worker(poll_interval=timedelta(milliseconds=20))
    dropped.start()
    del dropped


def test_worker_options_are_checked_and_deliveries_are_for_admins(
    store: flame.Flame, hooked: flame.Flame, acme: flame.Session
) -> None:
    # Without the key that seals the signing secrets there is no worker.
    with pytest.raises(flame.CryptoError):
        store.webhook_worker()
    with pytest.raises(flame.ValidationError) as caught:
        hooked.webhook_worker(batch=0)
    assert caught.value.field == "batch"
    with pytest.raises(flame.ValidationError) as caught:
        hooked.webhook_worker(timeout=timedelta(seconds=5), lease=timedelta(seconds=5))
    assert caught.value.field == "lease"
    with pytest.raises(flame.ValidationError) as caught:
        hooked.webhook_worker(backoff_base=timedelta(0))
    assert caught.value.field == "backoff.base"
    worker = hooked.webhook_worker()
    assert (worker.timeout, worker.lease, worker.batch) == (
        timedelta(seconds=10),
        timedelta(seconds=60),
        32,
    )
    assert repr(worker).startswith("WebhookWorker(backoff_base=datetime.timedelta(seconds=30)")

    manager = acme.members.add("max@acme.test", "Max", "manager")
    ms = hooked.session(manager.user.id, acme.company_id)
    with pytest.raises(flame.ForbiddenError):
        ms.webhook_deliveries.list()
    with pytest.raises(flame.ForbiddenError):
        ms.webhook_deliveries.retry(uuid.uuid4())


def test_a_webhook_subscribes_to_a_bounded_number_of_event_patterns(acme: flame.Session) -> None:
    patterns = [f"custom.e{i}" for i in range(100_000)]
    url = "http://127.0.0.1:9/hook"
    with pytest.raises(flame.ValidationError) as caught:
        acme.integrations.create(
            "Greedy", flame.WebhookSettings(url, patterns), {"signing_secret": SECRET}
        )
    assert caught.value.field == "events"
    assert acme.integrations.list() == []
    bounded = flame.WebhookSettings(url, patterns[:64])
    assert acme.integrations.create("Bounded", bounded, {"signing_secret": SECRET}).name == "Bounded"
