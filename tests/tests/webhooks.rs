//! Outgoing webhooks against a real HTTP receiver on 127.0.0.1 that answers as each test
//! scripts it (a status, or no answer at all): signed JSON with an event id, only subscribed
//! types to enabled webhooks, order per record, retries with backoff, dead letters and
//! redelivery, the SSRF guard at save time and at send time, workers that die mid-delivery
//! or run side by side, and no signing secret anywhere it could leak.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use flame_core::company::NewMember;
use flame_core::contact::NewContact;
use flame_core::crypto::EncryptionKey;
use flame_core::deal::NewDeal;
use flame_core::integration::record::WebhookSettings;
use flame_core::integration::webhook::{self, Backoff, DeliveryState};
use flame_core::integration::{
    Credentials, Integration, IntegrationPatch, IntegrationSettings, NewIntegration,
};
use flame_core::page::PageRequest;
use flame_core::{DealId, FlameError, Role};
use flame_db::{
    Flame, OpenOptions, Session, WebhookDelivery, WebhookDeliveryFilter, WebhookOptions,
    WebhookWorker, WorkReport,
};
use flame_tests::{TestDb, assert_forbidden, assert_invalid, assert_not_found, company};

const SECRET: &str = "whsec_flame_test_5f1d0c9a7b";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---------------------------------------------------------------------------------------
// The receiver: a tiny HTTP/1.1 server that records every request and answers per script.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    /// Answer with this status and an empty body.
    Status(u16),
    /// Read the request and never answer (until the client hangs up).
    Hang,
}

#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(&name.to_ascii_lowercase()).map_or("", String::as_str)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    fn event_id(&self) -> &str {
        self.header("Flame-Event-Id")
    }

    fn event_type(&self) -> &str {
        self.header("Flame-Event-Type")
    }

    /// The deal the event is about, if it is about one.
    fn deal(&self) -> Option<String> {
        self.json()["data"]["deal_id"].as_str().map(str::to_owned)
    }

    /// Whether the signature is valid for `secret`, now.
    fn signed_with(&self, secret: &str) -> bool {
        webhook::verify(
            &SecretString::from(secret.to_owned()),
            self.header("Flame-Signature"),
            &self.body,
            OffsetDateTime::now_utc(),
            Duration::from_secs(300),
        )
        .is_ok()
    }
}

/// Decides the reply to a request, given how many earlier requests carried its event id.
type Script = Box<dyn Fn(&Received, usize) -> Reply + Send>;

struct State {
    script: Script,
    requests: Vec<Received>,
}

struct Receiver {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// A receiver on 127.0.0.1 that answers 200 until scripted otherwise.
    async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        let state = Arc::new(Mutex::new(State {
            script: Box::new(|_, _| Reply::Status(200)),
            requests: Vec::new(),
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            // Dropped with the task: every connection ends with the receiver.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(serve(stream, shared.clone()));
            }
        });
        Receiver { addr, state, task }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks/flame?source=crm", self.addr)
    }

    fn answer(&self, script: impl Fn(&Received, usize) -> Reply + Send + 'static) {
        self.lock().script = Box::new(script);
    }

    fn requests(&self) -> Vec<Received> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits (10 s at most) until `n` requests have arrived.
    async fn wait_for(&self, n: usize) {
        let start = Instant::now();
        while self.requests().len() < n {
            assert!(start.elapsed() < Duration::from_secs(10), "waited for {n} requests");
            tokio::time::sleep(ms(10)).await;
        }
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let head_end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let headers: HashMap<String, String> = head
            .split("\r\n")
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        while buf.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buf[head_end..head_end + length].to_vec();
        buf.drain(..head_end + length);
        let received = Received { headers, body, at: Instant::now() };
        let reply = {
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            let earlier =
                state.requests.iter().filter(|r| r.event_id() == received.event_id()).count();
            state.requests.push(received.clone());
            (state.script)(&received, earlier)
        };
        match reply {
            Reply::Hang => {
                while let Ok(n) = stream.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                }
                return;
            }
            Reply::Status(code) => {
                let answer = format!("HTTP/1.1 {code} Scripted\r\nContent-Length: 0\r\n\r\n");
                if stream.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Helpers.

fn key() -> EncryptionKey {
    EncryptionKey::from_bytes("k1", &[7_u8; 32]).expect("key")
}

/// A handle on the test database with an encryption key; loopback URLs allowed or not.
async fn open(db: &TestDb, allow_loopback: bool) -> Flame {
    let options = OpenOptions {
        encryption_key: Some(key()),
        webhook_allow_loopback: allow_loopback,
        ..OpenOptions::default()
    };
    Flame::open(&db.url, options).await.expect("open")
}

/// Fast options: retries after at most 10, 20, 40 ms; 3 attempts in all.
fn fast() -> WebhookOptions {
    WebhookOptions {
        backoff: Backoff::new(ms(10), ms(40), 3).expect("backoff"),
        timeout: ms(500),
        batch: 32,
        lease: ms(1_000),
        poll_interval: ms(20),
    }
}

fn hook_input(name: &str, url: &str, events: &[&str]) -> NewIntegration {
    NewIntegration {
        name: name.into(),
        settings: IntegrationSettings::Webhook(WebhookSettings {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
        }),
        credentials: Credentials::new().with("signing_secret", SECRET),
    }
}

async fn webhook(s: &Session, name: &str, url: &str, events: &[&str]) -> Integration {
    s.integrations().create(hook_input(name, url, events)).await.expect("webhook")
}

async fn deal(s: &Session, title: &str) -> DealId {
    s.deals().create(NewDeal::new(title, 1_000_00, "usd")).await.expect("deal").id
}

async fn deliveries(s: &Session, filter: WebhookDeliveryFilter) -> Vec<WebhookDelivery> {
    s.webhook_deliveries().list(filter, PageRequest::first(500)).await.expect("list").items
}

fn with_status(status: DeliveryState) -> WebhookDeliveryFilter {
    WebhookDeliveryFilter { status: Some(status), ..WebhookDeliveryFilter::default() }
}

/// Runs passes until the outbox is drained and nothing of `s`'s company is pending.
async fn settle(worker: &WebhookWorker, s: &Session) -> WorkReport {
    let mut total = WorkReport::default();
    for _ in 0..500 {
        let pass = worker.run_once().await.expect("pass");
        total += pass;
        let pending = deliveries(s, with_status(DeliveryState::Pending)).await;
        if pending.is_empty() && pass.published == 0 {
            return total;
        }
        tokio::time::sleep(ms(5)).await;
    }
    panic!("the deliveries did not settle: {total:?}");
}

// ---------------------------------------------------------------------------------------
// Tests.

#[tokio::test]
async fn a_delivery_is_signed_json_carrying_the_event_id() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        let flame = open(&db, true).await;
        let s = company(&flame, "Acme").await.session;
        let hook = webhook(&s, "Zapier", &receiver.url(), &["deal.*"]).await;
        let worker = flame.webhook_worker(fast()).expect("worker");
        let deal_id = deal(&s, "Robots").await;

        let report = settle(&worker, &s).await;
        assert_eq!(report.delivered, 1, "{}: {report:?}", db.name);
        let requests = receiver.requests();
        assert_eq!(requests.len(), 1, "{}", db.name);
        let r = &requests[0];

        let events = s.events().list(PageRequest::first(500)).await.expect("events").items;
        let event = events
            .iter()
            .find(|e| e.payload.event_type() == "deal.created")
            .expect("the deal's event");
        assert_eq!(r.event_id(), event.id.to_string(), "{}", db.name);
        assert_eq!(r.event_type(), "deal.created");
        assert_eq!(r.header("Content-Type"), "application/json");
        assert!(r.signed_with(SECRET), "{}: the signature verifies", db.name);
        assert!(!r.signed_with("whsec_someone_else"));
        let signature = r.header("Flame-Signature");
        let mut tampered = r.body.clone();
        tampered[0] = b' ';
        assert!(
            webhook::verify(
                &SecretString::from(SECRET.to_owned()),
                signature,
                &tampered,
                OffsetDateTime::now_utc(),
                Duration::from_secs(300)
            )
            .is_err(),
            "a changed body does not verify"
        );

        let body = r.json();
        assert_eq!(body["id"], event.id.to_string());
        assert_eq!(body["type"], "deal.created");
        assert_eq!(body["company_id"], s.company_id().to_string());
        assert_eq!(body["actor_id"], s.user_id().to_string());
        let occurred = OffsetDateTime::parse(
            body["occurred_at"].as_str().expect("occurred_at"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339");
        assert_eq!(occurred, event.occurred_at);
        assert_eq!(body["data"]["deal_id"], deal_id.to_string());
        assert_eq!(body["data"]["value"]["currency"], "USD", "{body}");
        assert!(body["data"].get("type").is_none(), "the type is said once, at the top");

        let listed = deliveries(&s, WebhookDeliveryFilter::default()).await;
        assert_eq!(listed.len(), 1);
        let d = &listed[0];
        assert_eq!(
            (d.status, d.attempts, d.last_status, d.integration_id, d.event_id),
            (DeliveryState::Delivered, 1, Some(200), hook.id, event.id),
            "{}",
            db.name
        );
        assert_eq!((d.event_type.as_str(), d.aggregate_type.as_str()), ("deal.created", "deal"));
        assert_eq!(d.aggregate_id, deal_id.as_uuid());
        assert!(d.delivered_at.is_some() && d.last_error.is_none());
        assert_eq!(s.webhook_deliveries().get(d.id).await.expect("get"), *d);

        // Nothing is sent twice.
        assert_eq!(worker.run_once().await.expect("pass"), WorkReport::default());
        assert_eq!(receiver.requests().len(), 1);
    }
}

#[tokio::test]
async fn only_subscribed_events_reach_enabled_webhooks_of_their_company() {
    for db in TestDb::each().await {
        let wins = Receiver::start().await;
        let people = Receiver::start().await;
        let flame = open(&db, true).await;
        let s = company(&flame, "Acme").await.session;
        let worker = flame.webhook_worker(fast()).expect("worker");
        // Events from before a webhook existed are not its business.
        s.contacts()
            .create(NewContact { first_name: "Early".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let _wins_hook = webhook(&s, "Wins", &wins.url(), &["deal.won"]).await;
        let people_hook = webhook(&s, "People", &people.url(), &["contact.*"]).await;

        s.contacts()
            .create(NewContact { first_name: "Ada".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let d = s.deals().create(NewDeal::new("Robots", 1_000_00, "usd")).await.expect("deal");
        s.deals().win(d.id, d.version).await.expect("win");
        // Another company's events never reach Acme's webhooks.
        let globex = company(&flame, "Globex").await.session;
        globex
            .contacts()
            .create(NewContact { first_name: "Gus".into(), ..NewContact::default() })
            .await
            .expect("contact");

        let report = settle(&worker, &s).await;
        assert_eq!((report.dispatched, report.delivered), (2, 2), "{}: {report:?}", db.name);
        let types = |r: &Receiver| -> Vec<String> {
            r.requests().iter().map(|q| q.event_type().to_owned()).collect()
        };
        assert_eq!(types(&wins), ["deal.won"], "{}", db.name);
        assert_eq!(types(&people), ["contact.created"], "{}", db.name);
        assert_eq!(people.requests()[0].json()["company_id"], s.company_id().to_string());

        // A disabled webhook receives nothing.
        s.integrations()
            .update(
                people_hook.id,
                people_hook.version,
                IntegrationPatch { enabled: Some(false), ..IntegrationPatch::default() },
            )
            .await
            .expect("disable");
        s.contacts()
            .create(NewContact { first_name: "Bob".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let report = settle(&worker, &s).await;
        assert_eq!((report.dispatched, report.delivered), (0, 0), "{}: {report:?}", db.name);
        assert_eq!(people.requests().len(), 1, "{}", db.name);
        assert!(
            globex
                .webhook_deliveries()
                .list(Default::default(), PageRequest::first(10))
                .await
                .expect("list")
                .items
                .is_empty()
        );
    }
}

#[tokio::test]
async fn events_about_one_record_arrive_in_order_even_when_the_first_fails() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        let flame = open(&db, true).await;
        let s = company(&flame, "Acme").await.session;
        webhook(&s, "Ordered", &receiver.url(), &["deal.*"]).await;
        let worker = flame.webhook_worker(fast()).expect("worker");
        let x = s.deals().create(NewDeal::new("X", 1_000_00, "usd")).await.expect("x");
        let y = deal(&s, "Y").await;
        s.deals().win(x.id, x.version).await.expect("win x");
        let x_id = x.id.to_string();
        let first = x_id.clone();
        // The first attempt of X's first event fails.
        receiver.answer(move |r, earlier| {
            if earlier == 0 && r.event_type() == "deal.created" && r.deal() == Some(first.clone()) {
                Reply::Status(500)
            } else {
                Reply::Status(200)
            }
        });

        let report = settle(&worker, &s).await;
        // X: created (fails once), stage_changed and won (one transaction); Y: created.
        assert_eq!((report.delivered, report.failed), (4, 1), "{}: {report:?}", db.name);
        let seen: Vec<(String, String)> = receiver
            .requests()
            .iter()
            .map(|r| (r.event_type().to_owned(), r.deal().expect("a deal")))
            .collect();
        let of_x: Vec<&str> =
            seen.iter().filter(|(_, d)| *d == x_id).map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            of_x,
            ["deal.created", "deal.created", "deal.stage_changed", "deal.won"],
            "{}: {seen:?}",
            db.name
        );
        // Y's event is not held back by X's failure: it went out with X's first attempt.
        let y_at = seen.iter().position(|(_, d)| *d == y.to_string()).expect("y");
        let x_retry =
            seen.iter().enumerate().filter(|(_, (_, d))| *d == x_id).nth(1).expect("retry").0;
        assert!(y_at < x_retry, "{}: {seen:?}", db.name);

        let listed = deliveries(&s, WebhookDeliveryFilter::default()).await;
        let created_x = listed
            .iter()
            .find(|d| d.aggregate_id == x.id.as_uuid() && d.event_type == "deal.created")
            .expect("x created");
        assert_eq!((created_x.status, created_x.attempts), (DeliveryState::Delivered, 2));
        assert!(listed.iter().all(|d| d.status == DeliveryState::Delivered));
    }
}

#[tokio::test]
async fn failures_and_timeouts_are_retried_with_backoff_until_delivered() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        receiver.answer(|_, earlier| match earlier {
            0 => Reply::Status(500),
            1 => Reply::Hang,
            _ => Reply::Status(204),
        });
        let flame = open(&db, true).await;
        let s = company(&flame, "Acme").await.session;
        webhook(&s, "Flaky", &receiver.url(), &["deal.created"]).await;
        let options = WebhookOptions { timeout: ms(300), ..fast() };
        let worker = flame.webhook_worker(options).expect("worker");
        deal(&s, "Robots").await;

        let first = worker.run_once().await.expect("pass");
        assert_eq!((first.dispatched, first.failed, first.delivered), (1, 1, 0), "{}", db.name);
        let d = deliveries(&s, WebhookDeliveryFilter::default()).await.remove(0);
        assert_eq!((d.status, d.attempts, d.last_status), (DeliveryState::Pending, 1, Some(500)));
        assert_eq!(d.last_error.as_deref(), Some("HTTP 500 Internal Server Error"));
        // Full jitter under a ceiling of `base` after the first failure.
        assert!(d.next_attempt_at <= d.updated_at + ms(10), "{d:?}");
        assert!(d.next_attempt_at >= d.updated_at, "{d:?}");

        // The second attempt gets no answer within the timeout.
        let mut failed = 1;
        while failed < 2 {
            tokio::time::sleep(ms(5)).await;
            failed += worker.run_once().await.expect("pass").failed;
        }
        let d = deliveries(&s, WebhookDeliveryFilter::default()).await.remove(0);
        assert_eq!((d.status, d.attempts, d.last_status), (DeliveryState::Pending, 2, None));
        assert_eq!(d.last_error.as_deref(), Some("timed out after 300ms"), "{}", db.name);
        assert!(d.next_attempt_at <= d.updated_at + ms(20), "{d:?}");

        let report = settle(&worker, &s).await;
        assert_eq!(report.delivered, 1);
        let d = deliveries(&s, WebhookDeliveryFilter::default()).await.remove(0);
        assert_eq!((d.status, d.attempts, d.last_status), (DeliveryState::Delivered, 3, Some(204)));
        let requests = receiver.requests();
        assert_eq!(requests.len(), 3, "{}", db.name);
        assert!(requests.iter().all(|r| r.event_id() == d.event_id.to_string()));
        assert!(requests.iter().all(|r| r.signed_with(SECRET)));
        assert!(requests.windows(2).all(|w| w[0].at <= w[1].at));
    }
}

#[tokio::test]
async fn deliveries_die_after_the_last_attempt_and_can_be_sent_again() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        let flame = open(&db, true).await;
        let acme = company(&flame, "Acme").await;
        let s = acme.session.clone();
        let hook = webhook(&s, "Broken", &receiver.url(), &["deal.*"]).await;
        let worker = flame.webhook_worker(fast()).expect("worker");
        let x = s.deals().create(NewDeal::new("X", 1_000_00, "usd")).await.expect("x");
        s.deals().win(x.id, x.version).await.expect("win");
        receiver.answer(|r, _| {
            if r.event_type() == "deal.created" { Reply::Status(503) } else { Reply::Status(200) }
        });

        let report = settle(&worker, &s).await;
        assert_eq!(
            (report.failed, report.dead, report.delivered),
            (2, 1, 2),
            "{}: 3 attempts, then the next events about the deal go out: {report:?}",
            db.name
        );
        let dead = deliveries(&s, with_status(DeliveryState::Dead)).await;
        assert_eq!(dead.len(), 1, "{}", db.name);
        let dead = dead[0].clone();
        assert_eq!((dead.event_type.as_str(), dead.attempts), ("deal.created", 3));
        assert_eq!(dead.last_error.as_deref(), Some("HTTP 503 Service Unavailable"));
        assert_eq!(dead.last_status, Some(503));
        let by_hook = WebhookDeliveryFilter {
            integration_id: Some(hook.id),
            ..WebhookDeliveryFilter::default()
        };
        assert_eq!(deliveries(&s, by_hook).await.len(), 3);
        assert!(deliveries(&s, with_status(DeliveryState::Pending)).await.is_empty());
        // Dead is final for the worker.
        for _ in 0..3 {
            worker.run_once().await.expect("pass");
        }
        let created =
            |rs: &[Received]| rs.iter().filter(|r| r.event_type() == "deal.created").count();
        assert_eq!(created(&receiver.requests()), 3);

        // Only admins see and revive deliveries; other companies see nothing of them.
        let member = s
            .members()
            .add(NewMember { email: "m@acme.test".into(), name: "M".into(), role: Role::Member })
            .await
            .expect("member");
        let member = flame.session(member.user.id, acme.company.id).await.expect("session");
        assert_forbidden(
            member.webhook_deliveries().list(Default::default(), PageRequest::first(5)).await,
        );
        assert_forbidden(member.webhook_deliveries().retry(dead.id).await);
        let globex = company(&flame, "Globex").await.session;
        assert_not_found(globex.webhook_deliveries().retry(dead.id).await);
        assert_not_found(globex.webhook_deliveries().get(dead.id).await);
        assert_not_found(s.webhook_deliveries().retry(uuid::Uuid::now_v7()).await);

        // Sent again once the receiver is fixed.
        receiver.answer(|_, _| Reply::Status(200));
        let revived = s.webhook_deliveries().retry(dead.id).await.expect("retry");
        assert_eq!((revived.status, revived.attempts), (DeliveryState::Pending, 0));
        assert_eq!(s.webhook_deliveries().get(dead.id).await.expect("get"), revived);
        // Retrying a pending delivery changes nothing.
        assert_eq!(s.webhook_deliveries().retry(dead.id).await.expect("again"), revived);
        let report = settle(&worker, &s).await;
        assert_eq!(report.delivered, 1, "{}", db.name);
        let delivered = s.webhook_deliveries().get(dead.id).await.expect("get");
        assert_eq!((delivered.status, delivered.attempts), (DeliveryState::Delivered, 1));
        assert_eq!(created(&receiver.requests()), 4);
        // A delivered one is final.
        assert!(matches!(
            s.webhook_deliveries().retry(dead.id).await,
            Err(FlameError::InvalidTransition { .. })
        ));
    }
}

#[tokio::test]
async fn private_metadata_and_loopback_urls_are_refused_when_saved_and_when_sent() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        let strict = open(&db, false).await;
        let acme = company(&strict, "Acme").await;
        let s = acme.session.clone();
        let lax = open(&db, true).await;
        let s_lax = lax.session(acme.owner.id, acme.company.id).await.expect("session");

        for url in [
            "http://10.0.0.1/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:8080/hook",
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://[::ffff:10.0.0.1]/hook",
        ] {
            assert_invalid(s.integrations().create(hook_input("Bad", url, &["*"])).await, "url");
        }
        // Allowing loopback allows nothing else.
        for url in ["http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/"] {
            assert_invalid(
                s_lax.integrations().create(hook_input("Bad", url, &["*"])).await,
                "url",
            );
        }
        let hook = webhook(&s_lax, "Local", &receiver.url(), &["deal.*"]).await;
        let to_metadata =
            hook_input("Local", "http://169.254.169.254/latest/meta-data/", &["deal.*"]).settings;
        assert_invalid(
            s_lax
                .integrations()
                .update(
                    hook.id,
                    hook.version,
                    IntegrationPatch { settings: Some(to_metadata), ..IntegrationPatch::default() },
                )
                .await,
            "url",
        );

        // A worker whose host does not allow loopback refuses to send there, without
        // connecting at all.
        deal(&s, "Robots").await;
        let report = settle(&strict.webhook_worker(fast()).expect("worker"), &s).await;
        assert_eq!((report.failed, report.dead, report.delivered), (2, 1, 0), "{}", db.name);
        let d = deliveries(&s, WebhookDeliveryFilter::default()).await.remove(0);
        assert_eq!(d.status, DeliveryState::Dead);
        assert_eq!(
            d.last_error.as_deref(),
            Some("refused: the URL must not point to a private, local or reserved address"),
            "{}",
            db.name
        );
        assert!(receiver.requests().is_empty(), "{}: nothing reached the receiver", db.name);

        // The same delivery goes out from a host that allows loopback.
        s.webhook_deliveries().retry(d.id).await.expect("retry");
        let report = settle(&lax.webhook_worker(fast()).expect("worker"), &s_lax).await;
        assert_eq!(report.delivered, 1, "{}", db.name);
        assert_eq!(receiver.requests().len(), 1);
    }
}

#[tokio::test]
async fn a_worker_killed_mid_delivery_loses_nothing() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        // The first attempt never gets an answer: the worker dies while waiting for it.
        receiver.answer(|_, earlier| if earlier == 0 { Reply::Hang } else { Reply::Status(200) });
        let options = WebhookOptions { timeout: ms(2_000), lease: ms(3_000), ..fast() };
        let first = open(&db, true).await;
        let acme = company(&first, "Acme").await;
        webhook(&acme.session, "Hook", &receiver.url(), &["deal.*"]).await;
        deal(&acme.session, "Robots").await;

        let handle = first.webhook_worker(options.clone()).expect("worker").spawn();
        receiver.wait_for(1).await;
        handle.abort();
        first.shutdown().await;

        // A new process: another handle on the same database.
        let second = open(&db, true).await;
        let s = second.session(acme.owner.id, acme.company.id).await.expect("session");
        let d = deliveries(&s, WebhookDeliveryFilter::default()).await.remove(0);
        assert_eq!((d.status, d.attempts), (DeliveryState::Pending, 0), "{}", db.name);
        assert!(d.next_attempt_at > OffsetDateTime::now_utc(), "{}: still leased", db.name);
        let worker = second.webhook_worker(options).expect("worker");
        // While the dead worker's lease lasts, nobody sends it.
        assert_eq!(worker.run_once().await.expect("pass"), WorkReport::default());
        assert_eq!(receiver.requests().len(), 1);

        let wait = d.next_attempt_at - OffsetDateTime::now_utc();
        tokio::time::sleep(Duration::try_from(wait).unwrap_or_default() + ms(20)).await;
        let report = settle(&worker, &s).await;
        assert_eq!(report.delivered, 1, "{}: {report:?}", db.name);
        let d = s.webhook_deliveries().get(d.id).await.expect("get");
        assert_eq!((d.status, d.attempts), (DeliveryState::Delivered, 1));
        // At least once: the receiver saw the event twice, under one id, signed both times.
        let requests = receiver.requests();
        assert_eq!(requests.len(), 2, "{}", db.name);
        assert_eq!(requests[0].event_id(), requests[1].event_id());
        assert_eq!(requests[0].event_id(), d.event_id.to_string());
        assert!(requests.iter().all(|r| r.signed_with(SECRET)));
    }
}

#[tokio::test]
async fn a_spawned_worker_delivers_until_stopped_and_the_rest_waits_in_the_outbox() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        let flame = open(&db, true).await;
        let s = company(&flame, "Acme").await.session;
        webhook(&s, "Hook", &receiver.url(), &["deal.*"]).await;
        let handle = flame.webhook_worker(fast()).expect("worker").spawn();
        deal(&s, "First").await;
        receiver.wait_for(1).await;
        handle.stop().await;

        deal(&s, "Second").await;
        tokio::time::sleep(ms(200)).await;
        assert_eq!(receiver.requests().len(), 1, "{}: a stopped worker sends nothing", db.name);
        assert_eq!(deliveries(&s, WebhookDeliveryFilter::default()).await.len(), 1);

        let report = settle(&flame.webhook_worker(fast()).expect("worker"), &s).await;
        assert_eq!((report.published, report.delivered), (1, 1), "{}", db.name);
        assert_eq!(receiver.requests().len(), 2);
    }
}

#[tokio::test]
async fn workers_side_by_side_share_the_work_without_sending_twice() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        let a = open(&db, true).await;
        let b = open(&db, true).await;
        let s = company(&a, "Acme").await.session;
        webhook(&s, "Hook", &receiver.url(), &["deal.*"]).await;
        for i in 0..12 {
            deal(&s, &format!("Deal {i}")).await;
        }
        let (wa, wb) = (
            a.webhook_worker(fast()).expect("worker"),
            b.webhook_worker(WebhookOptions { batch: 5, ..fast() }).expect("worker"),
        );
        let mut total = WorkReport::default();
        for _ in 0..100 {
            let (ra, rb) = tokio::join!(wa.run_once(), wb.run_once());
            total += ra.expect("a");
            total += rb.expect("b");
            if total.delivered == 12 {
                break;
            }
        }
        assert_eq!((total.dispatched, total.delivered), (12, 12), "{}: {total:?}", db.name);
        let requests = receiver.requests();
        let mut ids: Vec<&str> = requests.iter().map(Received::event_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!((requests.len(), ids.len()), (12, 12), "{}: each event once", db.name);
    }
}

#[tokio::test]
async fn the_signing_secret_never_shows_in_logs_debug_output_or_errors() {
    let capture = flame_tests::LogCapture::start();
    let mut seen = String::new();
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        receiver.answer(|_, earlier| match earlier {
            0 => Reply::Status(500),
            1 => Reply::Hang,
            _ => Reply::Status(200),
        });
        let flame = open(&db, true).await;
        let acme = company(&flame, "Acme").await;
        let s = acme.session.clone();
        let hook = webhook(&s, "Hook", &receiver.url(), &["deal.*"]).await;
        let options = WebhookOptions { timeout: ms(200), ..fast() };
        let worker = flame.webhook_worker(options.clone()).expect("worker");
        deal(&s, "Robots").await;
        let report = settle(&worker, &s).await;
        assert_eq!(report.delivered, 1, "{}", db.name);

        // A worker with another key cannot read the secret: the error says so, not more.
        let other_key = EncryptionKey::from_bytes("k2", &[9_u8; 32]).expect("key");
        let other = Flame::open(
            &db.url,
            OpenOptions {
                encryption_key: Some(other_key),
                webhook_allow_loopback: true,
                ..OpenOptions::default()
            },
        )
        .await
        .expect("open");
        deal(&s, "Second").await;
        let report = settle(&other.webhook_worker(options).expect("worker"), &s).await;
        assert_eq!(report.dead, 1, "{}", db.name);
        let listed = deliveries(&s, WebhookDeliveryFilter::default()).await;
        let dead = listed.iter().find(|d| d.status == DeliveryState::Dead).expect("dead");
        assert_eq!(
            dead.last_error.as_deref(),
            Some("the signing secret could not be read (Crypto)"),
            "{}",
            db.name
        );
        // No key at all: no worker.
        let keyless = Flame::open(&db.url, OpenOptions::default()).await.expect("open");
        let err = keyless.webhook_worker(fast()).expect_err("no key");
        assert!(matches!(err, FlameError::Crypto { .. }), "{err:?}");

        for d in &listed {
            let error = d.last_error.clone().unwrap_or_default();
            assert!(!error.contains("127.0.0.1") && !error.contains("source=crm"), "{error}");
        }
        seen.push_str(&format!(
            "{worker:?} {report:?} {listed:?} {hook:?} {err} {err:?} {:?} {:?}",
            s.webhook_deliveries(),
            s.integrations().get(hook.id).await
        ));
        let secret = s.integrations().credential(hook.id, "signing_secret").await.expect("secret");
        seen.push_str(&format!("{secret:?}"));
    }
    let logs = capture.text();
    assert!(logs.contains("webhook delivery failed"), "the failures were logged");
    assert!(!logs.contains(SECRET), "the secret is in the logs");
    assert!(!seen.contains(SECRET), "the secret is in Debug or error output");
}

#[tokio::test]
async fn a_slow_endpoint_of_one_company_does_not_hold_back_another_companys_deliveries() {
    for db in TestDb::each().await {
        let receiver = Receiver::start().await;
        let flame = open(&db, true).await;
        let acme = company(&flame, "Acme").await;
        let globex = company(&flame, "Globex").await;
        let slow_company = acme.company.id.to_string();
        // Acme's endpoint never answers; Globex's answers at once.
        receiver.answer(move |r, _| {
            if r.json()["company_id"] == slow_company.as_str() {
                Reply::Hang
            } else {
                Reply::Status(200)
            }
        });
        webhook(&acme.session, "Slow", &receiver.url(), &["deal.created"]).await;
        webhook(&globex.session, "Fast", &receiver.url(), &["deal.created"]).await;
        // Publish what sign-up and setup wrote, so that only the deals below are waiting.
        let drain = flame.webhook_worker(fast()).expect("worker");
        while drain.run_once().await.expect("pass").published > 0 {}
        for i in 0..4 {
            deal(&acme.session, &format!("Acme {i}")).await;
        }
        deal(&globex.session, "Globex").await;

        // Two at a time: Acme's backlog came first, yet Globex gets its turn in this pass.
        let options = WebhookOptions { batch: 2, timeout: ms(300), ..fast() };
        let worker = flame.webhook_worker(options).expect("worker");
        let pass = worker.run_once().await.expect("pass");
        assert_eq!((pass.published, pass.delivered, pass.failed), (2, 1, 1), "{}", db.name);
        let delivered = deliveries(&globex.session, with_status(DeliveryState::Delivered)).await;
        assert_eq!(delivered.len(), 1, "{}: Globex's delivery was sent", db.name);
        let globex_id = globex.company.id.to_string();
        assert!(
            receiver.requests().iter().any(|r| r.json()["company_id"] == globex_id.as_str()),
            "{}",
            db.name
        );
        let slow = deliveries(&acme.session, WebhookDeliveryFilter::default()).await;
        assert_eq!(slow.len(), 1, "{}: Acme's first event only, so far", db.name);
        assert_eq!(slow[0].last_error.as_deref(), Some("timed out after 300ms"), "{}", db.name);
    }
}

#[tokio::test]
async fn a_webhook_subscribes_to_a_bounded_number_of_event_patterns() {
    for db in TestDb::each().await {
        let flame = open(&db, true).await;
        let s = company(&flame, "Acme").await.session;
        let many: Vec<String> = (0..100_000).map(|i| format!("custom.e{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let url = "http://127.0.0.1:9/hook";
        let before = flame_tests::count_rows(&db.url, "integrations").await;
        assert_invalid(s.integrations().create(hook_input("Greedy", url, &many)).await, "events");
        let allowed = webhook::PATTERNS_MAX;
        assert_invalid(
            s.integrations().create(hook_input("Greedy", url, &many[..=allowed])).await,
            "events",
        );
        assert_eq!(flame_tests::count_rows(&db.url, "integrations").await, before, "{}", db.name);
        let hook = webhook(&s, "Bounded", url, &many[..allowed]).await;
        let patch = IntegrationPatch {
            settings: Some(IntegrationSettings::Webhook(WebhookSettings {
                url: url.into(),
                events: many.iter().map(|e| (*e).to_owned()).collect(),
            })),
            ..IntegrationPatch::default()
        };
        assert_invalid(s.integrations().update(hook.id, hook.version, patch).await, "events");
        let kept = s.integrations().get(hook.id).await.expect("get");
        assert_eq!(kept.version, hook.version, "{}", db.name);
    }
}
