//! What operators see of an end-to-end run. One guest's run (search, book, pay, webhooks, notifications, cancel
//! with a refund, a declined card, a sold-out night, a hold that expires, a forged and a replayed webhook) drives
//! every function; then
//! - the EMF documents each function wrote (the stack's metric stream) are schema-checked and snapshotted, one
//!   snapshot per function (`snapshots/metrics__emf_<function>.snap`: the distinct documents, ids, timestamps
//!   and latencies normalised). `observability/metrics/tests/observability.rs` reads these snapshots as the
//!   evidence of which metrics the product emits;
//! - every log line and every document is searched for the guest's name, email, phone and card number;
//! - in AWS mode, after the same kind of run against moto, the operator's report (`cargo xtask ops`) reads the
//!   run's funnel back from CloudWatch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use booking_e2e::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The test guest's personal data, exactly as the run submits it (`TestStack::book`).
const GUEST_NAME: &str = "Ada Lovelace";
const GUEST_EMAIL: &str = "ada@example.com";
const GUEST_PHONE: &str = "+14155550100";

/// Every log line of this test binary, as the functions' JSON subscriber writes them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        // The format of `booking_functions::telemetry::init`, into memory.
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_current_span(true)
            .with_span_list(false)
            .with_target(true)
            .flatten_event(true)
            .with_writer(move || writer.clone())
            .try_init()
            .unwrap();
        captured
    })
}

/// Dispatches outbox events until `count` messages about `reference` were sent (the dispatcher waits for us).
async fn deliver(t: &TestStack, reference: &str, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while t.outbox_for(reference).await.len() < count {
        assert!(tokio::time::Instant::now() < deadline, "outbox never got {count} messages for {reference}");
        t.stack.dispatch_now().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Books and pays with the test guest's details and card, waits for the confirmation and its messages.
async fn book_pay_and_hear(t: &TestStack, token: &str, key: &str, check_in: u64) -> (String, Value) {
    let (status, created) = t.book(token, key, "deluxe-king", check_in, 2, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let reference = created["booking"]["reference"].as_str().unwrap().to_owned();
    let (status, intent) = t.pay(&created["payment"], CARD_OK).await;
    assert_eq!(status, StatusCode::OK, "{intent}");
    t.wait_for_state(token, &reference, "confirmed").await;
    t.stack.drain_webhooks(Duration::from_secs(5)).await;
    deliver(t, &reference, 2).await;
    (reference, intent)
}

/// The whole run on the embedded adapters.
async fn run(t: &TestStack) {
    let token = t.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (status, _) = t.get("/api/rooms", None).await;
    assert_eq!(status, StatusCode::OK);

    // Booked, paid, confirmed, told; then cancelled with a full refund, and told.
    let (reference, intent) = book_pay_and_hear(t, &token, "e2e-metrics-happy", 40).await;
    let (status, cancelled) = t.post(&format!("/api/bookings/{reference}/cancel"), Some(&token), None, &json!({})).await;
    assert_eq!((status, cancelled["state"].as_str()), (StatusCode::OK, Some("refunded")), "{cancelled}");
    t.stack.drain_webhooks(Duration::from_secs(5)).await;
    deliver(t, &reference, 4).await;

    // A forged webhook is refused; a genuine one delivered twice is applied once.
    let forged = t
        .http
        .post(t.url("/api/webhooks/stripe"))
        .header("stripe-signature", "t=1,v1=00")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    let event = json!({
        "id": "evt_metrics_replayed", "object": "event", "type": "payment_intent.succeeded",
        "created": chrono::Utc::now().timestamp(), "livemode": false, "api_version": "2025-01-27.acacia",
        "data": { "object": intent }
    });
    for _ in 0..2 {
        let (status, body) = t.send_webhook(&event).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // A declined card: the hold is given back.
    let (status, created) = t.book(&token, "e2e-metrics-declined", "family-suite", 50, 2, 3).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = t.pay(&created["payment"], CARD_DECLINED).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    t.wait_for_state(&token, created["booking"]["reference"].as_str().unwrap(), "released").await;
    t.stack.drain_webhooks(Duration::from_secs(5)).await;

    // The hotel's only garden single, held and then asked for again: sold out. The hold then runs out.
    let (status, held) = t.book(&token, "e2e-metrics-single", "garden-single", 60, 1, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, refused) = t.book(&token, "e2e-metrics-single-2", "garden-single", 60, 1, 1).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("sold_out")), "{refused}");
    t.move_clock(json!({"advance": "PT16M"})).await;
    t.stack.sweep_now().await;
    let token = t.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    t.wait_for_state(&token, held["booking"]["reference"].as_str().unwrap(), "expired").await;
    t.stack.dispatch_now().await;
}

/// The stream's documents by the function that wrote them.
fn by_function(documents: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for document in documents {
        let value: Value = serde_json::from_str(document).unwrap();
        out.entry(value["function"].as_str().unwrap().to_owned()).or_default().push(document.clone());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_emits_emf_per_invocation_and_no_personal_data() {
    let logs = logs();
    let t = spawn_driven(None).await;
    run(&t).await;
    let stream = std::fs::read_to_string(t.stack.metrics_path()).unwrap();
    t.shutdown().await;

    let documents: Vec<String> = stream.lines().map(str::to_owned).collect();
    let functions = by_function(&documents);
    assert_eq!(
        functions.keys().map(String::as_str).collect::<Vec<_>>(),
        ["harbour-local-notify", "harbour-local-payment", "harbour-local-query", "harbour-local-record", "harbour-local-sweeper"]
    );
    for (function, documents) in &functions {
        // Every document valid (normalised() checks each as CloudWatch would), each distinct one once, in order.
        let distinct: BTreeSet<String> =
            booking_test_support::emf::normalised(documents).iter().map(|d| serde_json::to_string(d).unwrap()).collect();
        let distinct: Vec<Value> = distinct.iter().map(|d| serde_json::from_str(d).unwrap()).collect();
        let name = function.trim_start_matches("harbour-local-");
        insta::assert_json_snapshot!(format!("emf_{name}"), distinct);
    }
    // One flush per invocation: every document names its invocation, and each invocation wrote its latency once.
    let mut latencies: BTreeMap<String, usize> = BTreeMap::new();
    for document in &documents {
        let value: Value = serde_json::from_str(document).unwrap();
        let request = value["requestId"].as_str().unwrap_or_else(|| panic!("no requestId: {document}")).to_owned();
        *latencies.entry(request).or_default() += usize::from(value.get("HandlerLatency").is_some());
    }
    assert!(latencies.values().all(|n| *n == 1), "{latencies:?}");

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.lines().count() > 50 && logged.contains("\"request_id\""), "the run's logs were captured");
    let card_digits = CARD_OK.replace(' ', "");
    for secret in [GUEST_NAME, GUEST_EMAIL, GUEST_PHONE, &GUEST_PHONE[2..], CARD_OK, card_digits.as_str(), CARD_DECLINED] {
        for line in logged.lines().chain(documents.iter().map(String::as_str)) {
            assert!(!line.contains(secret), "personal or card data ({secret}) in: {line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_run_against_moto_the_ops_report_shows_its_funnel() {
    let moto = booking_local_aws::moto::MotoServer::start().await.unwrap();
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    let bridge = cloudwatch_test_support::Bridge::start(&moto.endpoint, cloudwatch_test_support::Model::from_botocore(&python).unwrap())
        .await
        .unwrap();
    let t = spawn_driven(Some((moto.endpoint.clone(), bridge.endpoint.clone()))).await;
    let started = SystemTime::now();

    let token = t.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    book_pay_and_hear(&t, &token, "e2e-ops-paid", 40).await;
    let (status, _) = t.book(&token, "e2e-ops-single", "garden-single", 60, 1, 1).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = t.book(&token, "e2e-ops-single-2", "garden-single", 60, 1, 1).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let forwarded = t.stack.forward_metrics_now().await;
    assert!(forwarded > 5, "{forwarded}");

    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new("local", "local", None, None, "test"))
        .endpoint_url(&bridge.endpoint)
        .build();
    let client = aws_sdk_cloudwatch::Client::from_conf(config);
    let window = booking_ops::Window::ending_at(SystemTime::now() + Duration::from_secs(60), Duration::from_secs(3600)).unwrap();
    let report = booking_ops::read(&client, &booking_ops::Target { environment: devstack::LOCAL_ENVIRONMENT.into() }, window).await;
    let funnel = report.funnel.value().unwrap_or_else(|| panic!("{report:#?}"));
    assert_eq!((funnel.requested, funnel.held, funnel.authorized, funnel.confirmed), (3.0, 2.0, 1.0, 1.0), "{report:#?}");
    assert!(report.to_table().contains("requested"));
    assert!(started.elapsed().unwrap() < Duration::from_secs(120));
    t.shutdown().await;
}
