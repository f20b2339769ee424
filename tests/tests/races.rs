//! Races that PostgreSQL's concurrent writers used to win: two owners leaving or demoting
//! each other at once, a credential changed while keys rotate, and several messages of one
//! new sender arriving at once. Each race is run many times, on both engines, with the
//! writers in parallel tasks; nothing is timed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use secrecy::ExposeSecret;

use flame_core::company::NewMember;
use flame_core::crypto::EncryptionKey;
use flame_core::integration::messaging::{InboundMessage, MessagingPlatform, MessagingSettings};
use flame_core::integration::{Credentials, IntegrationPatch, IntegrationSettings, NewIntegration};
use flame_core::page::PageRequest;
use flame_core::{FlameError, IntegrationId, Role};
use flame_db::{Flame, OpenOptions, Session, SignedUp};
use flame_tests::{TestDb, company};

/// How many times each race is run.
const ROUNDS: usize = 12;

/// A company with two owners: the signed-up one and a second one, each with a session.
async fn two_owners(db: &TestDb, name: &str) -> (SignedUp, Session) {
    let acme = company(&db.flame, name).await;
    let second = acme
        .session
        .members()
        .add(NewMember {
            email: format!("second@{}.test", name.to_lowercase()),
            name: "Second Owner".into(),
            role: Role::Owner,
        })
        .await
        .expect("second owner");
    let session = db.flame.session(second.user.id, acme.company.id).await.expect("session");
    (acme, session)
}

async fn owners(session: &Session) -> usize {
    let members = session.members().list(PageRequest::first(100)).await.expect("members");
    members.items.iter().filter(|m| m.membership.role == Role::Owner).count()
}

/// The one error of a pair of racing calls: the last-owner rule.
#[track_caller]
fn one_refused_by_the_last_owner_rule(results: [&flame_core::Result<()>; 2], db: &str) {
    let errors: Vec<&FlameError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 1, "{db}: exactly one of the two calls is refused: {results:?}");
    match errors[0] {
        FlameError::Conflict { entity, reason } => {
            assert_eq!(entity, "member", "{db}");
            assert!(reason.contains("at least one owner"), "{db}: {reason}");
        }
        other => panic!("{db}: expected the last-owner Conflict, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_owners_leaving_at_once_leave_one_owner() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        for round in 0..ROUNDS {
            let (acme, second) = two_owners(&db, &format!("Leave{round}")).await;
            let first = acme.session.clone();
            let a = tokio::spawn(async move { first.members().leave().await });
            let b = tokio::spawn({
                let second = second.clone();
                async move { second.members().leave().await }
            });
            let (a, b) = (a.await.expect("task"), b.await.expect("task"));
            one_refused_by_the_last_owner_rule([&a, &b], db.name);
            let stayed = if a.is_err() { &acme.session } else { &second };
            assert_eq!(owners(stayed).await, 1, "{}: round {round}", db.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        for round in 0..ROUNDS {
            let (acme, second) = two_owners(&db, &format!("Demote{round}")).await;
            let first_id = acme.owner.id;
            let second_id = second.user_id();
            let version_of = |s: &Session, id| {
                let s = s.clone();
                async move { s.members().get(id).await.expect("member").membership.version }
            };
            let (v1, v2) = (
                version_of(&acme.session, first_id).await,
                version_of(&acme.session, second_id).await,
            );
            let a = tokio::spawn({
                let s = acme.session.clone();
                async move { s.members().change_role(second_id, Role::Admin, v2).await.map(drop) }
            });
            let b = tokio::spawn({
                let s = second.clone();
                async move { s.members().change_role(first_id, Role::Admin, v1).await.map(drop) }
            });
            let (a, b) = (a.await.expect("task"), b.await.expect("task"));
            let errors = [&a, &b].iter().filter(|r| r.is_err()).count();
            assert_eq!(errors, 1, "{}: round {round}: {a:?} {b:?}", db.name);
            // The refused one is the last-owner rule, or (its caller just lost the owner
            // role) Forbidden: either way nothing changed for it.
            for r in [&a, &b] {
                if let Err(e) = r {
                    assert!(
                        matches!(e, FlameError::Conflict { entity, .. } if entity == "member")
                            || matches!(e, FlameError::Forbidden { .. }),
                        "{}: {e:?}",
                        db.name
                    );
                }
            }
            let stayed = if a.is_err() { &second } else { &acme.session };
            assert_eq!(owners(stayed).await, 1, "{}: round {round}", db.name);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Key rotation

fn key(id: &str, byte: u8) -> EncryptionKey {
    EncryptionKey::from_bytes(id, &[byte; 32]).expect("key")
}

/// A second handle on the same database with `keys` (primary first).
async fn with_keys(db: &TestDb, keys: &[EncryptionKey]) -> Flame {
    let options = OpenOptions {
        encryption_key: keys.first().cloned(),
        previous_keys: keys.iter().skip(1).cloned().collect(),
        ..OpenOptions::default()
    };
    Flame::open(&db.url, options).await.expect("open with keys")
}

fn bot(name: &str, token: &str) -> NewIntegration {
    NewIntegration {
        name: name.into(),
        settings: IntegrationSettings::Messaging(MessagingSettings::new(
            MessagingPlatform::Telegram,
        )),
        credentials: Credentials::new().with("token", token),
    }
}

async fn token(flame: &Flame, acme: &SignedUp, id: IntegrationId) -> flame_core::Result<String> {
    let s = flame.session(acme.owner.id, acme.company.id).await.expect("session");
    s.integrations().credential(id, "token").await.map(|t| t.expose_secret().to_owned())
}

#[tokio::test]
async fn a_credential_no_key_opens_is_skipped_and_reported_while_the_others_rotate() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        // Sealed by a key that is lost by the time the rotation runs.
        let lost = with_keys(&db, &[key("lost", 7)]).await;
        let s = lost.session(acme.owner.id, acme.company.id).await.expect("session");
        let orphan = s.integrations().create(bot("Orphan", "orphan-token")).await.expect("orphan");
        let old = with_keys(&db, &[key("2025", 1)]).await;
        let s = old.session(acme.owner.id, acme.company.id).await.expect("session");
        let mut rest = Vec::new();
        for i in 0..3 {
            let made = s.integrations().create(bot(&format!("Bot {i}"), &format!("t{i}"))).await;
            rest.push(made.expect("bot").id);
        }

        let rotated = with_keys(&db, &[key("2026", 2), key("2025", 1)]).await;
        let done = rotated.rotate_keys(1).await.expect("the rotation runs past the bad row");
        assert_eq!(done.skipped, vec![orphan.id], "{}", db.name);
        assert_eq!((done.resealed, done.remaining), (3, 1), "{}", db.name);
        // Run again: the same report, nothing resealed twice.
        let again = rotated.rotate_keys(1).await.expect("again");
        assert_eq!((again.resealed, again.remaining, again.skipped), (0, 1, vec![orphan.id]));
        // The others open with the new key alone; the orphan is stored as it was.
        let new_only = with_keys(&db, &[key("2026", 2)]).await;
        for (i, id) in rest.iter().enumerate() {
            assert_eq!(token(&new_only, &acme, *id).await.expect("new key"), format!("t{i}"));
        }
        assert_eq!(token(&lost, &acme, orphan.id).await.expect("lost key"), "orphan-token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn credentials_saved_during_a_rotation_keep_their_latest_value() {
    const BOTS: usize = 120;
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let old = with_keys(&db, &[key("2025", 1)]).await;
        let s = old.session(acme.owner.id, acme.company.id).await.expect("session");
        let mut bots = Vec::new();
        for i in 0..BOTS {
            let made = s.integrations().create(bot(&format!("Bot {i}"), "v0")).await.expect("bot");
            bots.push((made.id, made.version));
        }
        let rotated = with_keys(&db, &[key("2026", 2), key("2025", 1)]).await;
        let s = rotated.session(acme.owner.id, acme.company.id).await.expect("session");

        // One task saves new tokens, last bots first (the ones the rotation reaches last),
        // until the rotation is over; it remembers each bot's latest token.
        let done = Arc::new(AtomicBool::new(false));
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let updater = tokio::spawn({
            let (s, done, mut bots) = (s.clone(), done.clone(), bots.clone());
            async move {
                let mut latest = vec![String::from("v0"); bots.len()];
                let mut started_tx = Some(started_tx);
                let mut round = 0;
                while !done.load(Ordering::Acquire) {
                    round += 1;
                    for i in (0..bots.len()).rev() {
                        let value = format!("v{round}-{i}");
                        let patch = IntegrationPatch {
                            credentials: Credentials::new().with("token", value.as_str()),
                            ..IntegrationPatch::default()
                        };
                        let (id, version) = bots[i];
                        let saved = s.integrations().update(id, version, patch).await;
                        bots[i].1 = saved.expect("update").version;
                        latest[i] = value;
                        if let Some(tx) = started_tx.take() {
                            let _ = tx.send(());
                        }
                        if done.load(Ordering::Acquire) {
                            break;
                        }
                    }
                }
                latest
            }
        });
        started.await.expect("the updater started");
        let rotation = rotated.rotate_keys(10_000).await.expect("rotate");
        done.store(true, Ordering::Release);
        let latest = updater.await.expect("updater");
        assert!(rotation.skipped.is_empty(), "{}", db.name);

        // Whatever the rotation did not reseal was saved anew under the primary key.
        let finished = rotated.rotate_keys(10_000).await.expect("finish");
        assert_eq!(finished.remaining, 0, "{}", db.name);
        let new_only = with_keys(&db, &[key("2026", 2)]).await;
        for (i, (id, _)) in bots.iter().enumerate() {
            let now = token(&new_only, &acme, *id).await.expect("opens with the new key");
            assert_eq!(now, latest[i], "{}: bot {i} lost its latest token", db.name);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Inbound messages

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_of_one_new_sender_arriving_at_once_make_one_contact_and_one_deal() {
    const MESSAGES: usize = 6;
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let s = &acme.session;
        let pipeline = s.pipelines().default_pipeline().await.expect("pipeline");
        let mut settings = MessagingSettings::new(MessagingPlatform::Vk);
        settings.auto_create_deal = true;
        settings.default_pipeline_id = Some(pipeline.id);
        let vk = s
            .integrations()
            .create(NewIntegration {
                name: "VK community".into(),
                settings: IntegrationSettings::Messaging(settings),
                credentials: Credentials::new(),
            })
            .await
            .expect("vk");
        for round in 0..ROUNDS {
            let sender = format!("id{round}");
            let mut tasks = Vec::new();
            for n in 0..MESSAGES {
                let message = InboundMessage {
                    platform: MessagingPlatform::Vk,
                    external_message_id: format!("{sender}:{n}"),
                    chat_id: sender.clone(),
                    sender_id: sender.clone(),
                    sender_name: Some(format!("Sender {round}")),
                    sender_username: None,
                    phone_raw: None,
                    phone: None,
                    text: Some(format!("message {n}")),
                    sent_at: flame_core::clock::now(),
                };
                let (inbound, company, id) = (db.flame.inbound(), acme.company.id, vk.id);
                tasks.push(tokio::spawn(async move {
                    inbound.handle_message(company, id, message).await.expect("handled")
                }));
            }
            let mut outcomes = Vec::new();
            for task in tasks {
                outcomes.push(task.await.expect("task"));
            }
            let contacts: std::collections::BTreeSet<_> =
                outcomes.iter().map(|o| o.contact_id.expect("contact")).collect();
            let deals: std::collections::BTreeSet<_> =
                outcomes.iter().map(|o| o.deal_id.expect("deal")).collect();
            assert_eq!((contacts.len(), deals.len()), (1, 1), "{}: round {round}", db.name);
            let created = outcomes.iter().filter(|o| o.created_contact).count();
            let opened = outcomes.iter().filter(|o| o.created_deal).count();
            assert_eq!((created, opened), (1, 1), "{}: round {round}", db.name);
        }
        let usage = s.billing().usage().await.expect("usage");
        assert_eq!((usage.contacts, usage.deals), (ROUNDS as u64, ROUNDS as u64), "{}", db.name);
    }
}
