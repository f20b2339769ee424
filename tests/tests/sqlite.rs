//! How the SQLite store behaves under concurrency: writers of one process queue instead of
//! failing, a lock held by another process makes writers wait without stopping the tasks
//! beside them (and answers "busy" once the wait is over), and several handles on one file
//! see each other's writes.

use std::time::Duration;

use flame_core::FlameError;
use flame_core::contact::{ContactFilter, NewContact};
use flame_core::page::PageRequest;
use flame_db::{Flame, OpenOptions};
use flame_tests::{TestDb, company, count_rows, unlimited_plan};
use secrecy::ExposeSecret;
use sqlx::Connection;

fn person(i: usize) -> NewContact {
    NewContact {
        first_name: format!("Person{i}"),
        email: Some(format!("person{i}@example.com")),
        ..NewContact::default()
    }
}

/// Many writers on a single-threaded runtime, all at once: each commits, none is refused.
#[tokio::test(flavor = "current_thread")]
async fn writers_of_one_process_queue_instead_of_failing() {
    let db = TestDb::sqlite().await;
    unlimited_plan(&db.flame).await;
    let acme = company(&db.flame, "Acme").await;
    let writes: Vec<_> = (0..40)
        .map(|i| {
            let contacts = acme.session.contacts();
            tokio::spawn(async move { contacts.create(person(i)).await })
        })
        .collect();
    let mut results = Vec::new();
    for write in writes {
        results.push(write.await.expect("join"));
    }
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(count_rows(&db.url, "contacts").await, 40);
}

/// Another process holds SQLite's write lock: a write waits for it without blocking the
/// thread (a read on the same single-threaded runtime still answers meanwhile), gives up
/// with `Storage` ("busy") after the busy timeout, changes nothing, and succeeds once the
/// lock is gone.
#[tokio::test(flavor = "current_thread")]
async fn a_lock_held_elsewhere_delays_writes_without_blocking_reads() {
    let (url, _dir) = TestDb::sqlite_url();
    let options =
        OpenOptions { busy_timeout: Duration::from_millis(600), ..OpenOptions::default() };
    let flame = Flame::open(&url, options).await.expect("open");
    let acme = company(&flame, "Acme").await;
    acme.session.contacts().create(person(0)).await.expect("first contact");

    // "Another process": a connection of its own, holding the write lock.
    let mut other = sqlx::SqliteConnection::connect(&url).await.expect("connect");
    sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut other).await.expect("lock");

    let writer = acme.session.contacts();
    let write = tokio::spawn(async move { writer.create(person(1)).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The waiting write leaves the thread free: this read runs and answers now.
    let page = acme
        .session
        .contacts()
        .list(ContactFilter::default(), PageRequest::first(10))
        .await
        .expect("read while a write waits");
    assert_eq!(page.items.len(), 1);
    assert!(!write.is_finished(), "the write should still be waiting for the lock");

    let refused = write.await.expect("join");
    match refused {
        Err(FlameError::Storage { reason }) => assert!(reason.contains("busy"), "{reason}"),
        other => panic!("expected a busy Storage error, got {other:?}"),
    }
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.expect("unlock");
    assert_eq!(count_rows(&url, "contacts").await, 1, "the refused write changed nothing");

    acme.session.contacts().create(person(2)).await.expect("write after the lock is gone");
    assert_eq!(count_rows(&url, "contacts").await, 2);
}

/// Two handles on one file (as two processes would have) write side by side and read each
/// other's writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_on_one_file_write_side_by_side() {
    let (url, _dir) = TestDb::sqlite_url();
    let first = Flame::open(&url, OpenOptions::default()).await.expect("open");
    unlimited_plan(&first).await;
    let second = Flame::open(&url, OpenOptions::default()).await.expect("open again");
    let acme = company(&first, "Acme").await;
    let same = second
        .authenticate(acme.session.token().expect("a login session has a token").expose_secret())
        .await
        .expect("resume on the second handle");

    let a = acme.session.contacts();
    let b = same.contacts();
    let left = tokio::spawn(async move {
        for i in 0..25 {
            a.create(person(i)).await.expect("first handle writes");
        }
    });
    let right = tokio::spawn(async move {
        for i in 25..50 {
            b.create(person(i)).await.expect("second handle writes");
        }
    });
    left.await.expect("join");
    right.await.expect("join");
    let seen = same
        .contacts()
        .list(ContactFilter::default(), PageRequest::first(100))
        .await
        .expect("list");
    assert_eq!(seen.items.len(), 50);
}

/// A closed store answers `Storage` and does not hang.
#[tokio::test]
async fn a_closed_store_refuses_calls() {
    let db = TestDb::sqlite().await;
    let acme = company(&db.flame, "Acme").await;
    db.flame.shutdown().await;
    match acme.session.contacts().create(person(0)).await {
        Err(FlameError::Storage { reason }) => assert!(reason.contains("closed"), "{reason}"),
        other => panic!("expected Storage, got {other:?}"),
    }
}

/// A path that merely contains ":memory:" is a file that keeps its data; parameters Flame
/// does not support are refused instead of silently ignored.
#[tokio::test]
async fn sqlite_urls_open_memory_only_when_asked_and_refuse_unsupported_parameters() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crm-:memory:.db");
    let url = format!("sqlite://{}", path.display());
    let flame = Flame::open(&url, OpenOptions::default()).await.expect("open");
    company(&flame, "Acme").await;
    flame.shutdown().await;
    assert!(path.exists(), "the store is a file");
    let again = Flame::open(&url, OpenOptions::default()).await.expect("reopen");
    assert_eq!(again.health().await.counts.expect("counts").companies, 1, "the data was kept");
    again.shutdown().await;

    for query in ["?mode=ro", "?mode=memory", "?cache=shared", "?mode=rwc&immutable=1"] {
        let other = dir.path().join("other.db");
        let url = format!("sqlite://{}{query}", other.display());
        match Flame::open(&url, OpenOptions::default()).await {
            Err(FlameError::Validation { field, .. }) => assert_eq!(field, "url", "{query}"),
            other => panic!("{query}: expected a Validation on url, got {other:?}"),
        }
        assert!(!other.exists(), "{query}: nothing was created");
    }
    let memory = Flame::open("sqlite::memory:", OpenOptions::default()).await.expect("memory");
    company(&memory, "Scratch").await;
}
