"""Many Python threads calling through one Flame handle: the GIL is released while Rust
works, and nothing deadlocks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import flame

THREADS = 8
PER_THREAD = 10


def test_threads_share_one_store(store: flame.Flame, owner: flame.Session) -> None:
    start = threading.Barrier(THREADS)

    def work(n: int) -> int:
        start.wait(timeout=30)
        session = store.session(owner.user_id, owner.company_id)
        for i in range(PER_THREAD):
            session.contacts.create(f"Thread {n} #{i}", email=f"t{n}.{i}@example.com")
        return len(session.contacts.list(name_prefix=f"Thread {n} ", limit=500))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(work, n) for n in range(THREADS)]
        results = [f.result(timeout=120) for f in futures]
    assert results == [PER_THREAD] * THREADS
    assert len(owner.contacts.list(limit=500)) == THREADS * PER_THREAD
    counts = store.health().counts
    assert counts is not None and counts.contacts == THREADS * PER_THREAD


def test_gil_is_released_during_calls(store: flame.Flame, owner: flame.Session) -> None:
    # A pure-Python thread keeps running while other threads are inside Rust calls.
    stop = threading.Event()
    ticks = 0

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        for i in range(20):
            owner.contacts.create(f"P{i}")
    finally:
        stop.set()
        spinner.join()
    assert ticks > 0
    assert len(owner.contacts.list(limit=500)) == 20


def test_racing_threads_never_take_a_company_past_its_plan(store: flame.Flame) -> None:
    five = store.plans.create(
        "five", "Five", 0, "USD", trial_days=14, limits=flame.PlanLimits(contacts=5)
    )
    store.plans.set_default(five.id)
    owner = store.sign_up("Small", "s@small.test", "Sam").session
    start = threading.Barrier(THREADS)

    def work(n: int) -> tuple[int, int]:
        start.wait(timeout=30)
        created = refused = 0
        for i in range(3):
            try:
                owner.contacts.create(f"C{n}.{i}")
                created += 1
            except flame.PlanLimitExceededError:
                refused += 1
        return created, refused

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [f.result(timeout=120) for f in [pool.submit(work, n) for n in range(THREADS)]]
    assert sum(c for c, _ in results) == 5
    assert sum(r for _, r in results) == THREADS * 3 - 5
    assert len(owner.contacts.list(limit=500)) == 5
    assert owner.billing.usage().contacts == 5
