//! LookupEvents and ListPublicKeys, which moto 5.2.5 does not implement, against a local server replaying
//! responses in CloudTrail's documented shape (`common::replaying_cloudtrail`): pagination, pacing, backoff on
//! throttling, access denied; public keys by fingerprint, from the API and from the CLI's JSON. Pacing is checked
//! as "waited at least" with short intervals (the production interval, 500 ms for 2 requests/s, is the default
//! `Pacing`); no test asserts a speed.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use base64::Engine as _;
use infra_audit::AuditError;
use infra_audit::audit::{Options, Parts, Source, run};
use infra_audit::engine::{Engine, Filter, Window};
use infra_audit::keys::{PublicKeys, Verification};
use infra_audit::lookup::{Pacing, lookup_events};
use infra_audit::report::SourceSummary;
use infra_audit_fixtures::keys::{TestKey, list_public_keys_json};
use infra_audit_fixtures::records::security_events;
use serde_json::{Value, json};
use std::time::Instant;

/// The production pacing, scaled down tenfold so that the tests wait tenths of a second.
const FAST: Pacing = Pacing { interval: Duration::from_millis(50), backoff: Duration::from_millis(100), attempts: 6 };

/// One `Events` entry as LookupEvents returns it: the record itself travels as a JSON string.
fn event(record: &Value) -> Value {
    json!({
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": record["readOnly"].to_string(),
        "EventTime": infra_audit_fixtures::records::event_time(record).timestamp() as f64,
        "EventSource": record["eventSource"],
        "Username": record["userIdentity"]["userName"],
        "Resources": [],
        "CloudTrailEvent": record.to_string(),
    })
}

fn page(records: &[usize], next: Option<&str>) -> (u16, Value) {
    let events = security_events();
    let mut body = json!({ "Events": records.iter().map(|n| event(&events[n - 1])).collect::<Vec<_>>() });
    if let Some(token) = next {
        body["NextToken"] = json!(token);
    }
    (200, body)
}

fn throttled() -> (u16, Value) {
    (400, json!({"__type": "ThrottlingException", "message": "Rate exceeded"}))
}

fn window() -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    (common::now() - chrono::TimeDelta::days(1), common::now())
}

#[test]
fn the_default_pacing_is_two_requests_per_second_per_region() {
    assert_eq!(Pacing::default().interval, Duration::from_millis(500));
    assert_eq!(FAST.interval * 10, Pacing::default().interval);
}

#[tokio::test]
async fn every_page_is_read_and_requests_are_spaced() {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    let (client, replay) =
        common::replaying_cloudtrail(&[page(&[43, 1], Some("page-2")), page(&[41, 40], Some("page-3")), page(&[], None)]).await;
    let options = Options {
        parts: Parts { changes: true, health: false, integrity: false },
        window: Window { since: Some(window().0), until: Some(window().1) },
        filter: Filter::default(),
        now: common::now(),
    };
    let started = Instant::now();
    let source = Source::Lookup { regions: vec![("eu-west-1".into(), client)], pacing: FAST };
    let report = run(&catalogue, &rules, source, None, None, &options, &mut |_| {}).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= FAST.interval * 2, "3 requests, at least one interval apart: {elapsed:?}");
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["cloudtrail-logging-stopped", "stripe-secret-read-by-other-principal", "console-login-without-mfa"]);
    let SourceSummary::Lookup(stats) = &report.sources[0] else { panic!() };
    assert_eq!((stats.pages, stats.events, stats.throttled), (3, 4, 0));

    let requests = replay.bodies();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0]["MaxResults"], 50);
    assert_eq!(requests[0]["StartTime"], json!(window().0.timestamp()));
    assert_eq!(requests[0]["EndTime"], json!(window().1.timestamp()));
    assert_eq!(requests[0].get("NextToken"), None);
    assert_eq!(requests[1]["NextToken"], "page-2");
    assert_eq!(requests[2]["NextToken"], "page-3");
}

#[tokio::test]
async fn a_throttled_request_is_retried_after_a_doubling_backoff() {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    let (client, replay) = common::replaying_cloudtrail(&[throttled(), throttled(), page(&[43], None)]).await;
    let mut engine = Engine::new(&rules, &catalogue, Window::default(), Filter::default());
    let started = Instant::now();
    let (since, until) = window();
    let stats = lookup_events(&client, "eu-west-1", since, until, None, FAST, &mut engine, &mut |_: &str, _, _| {}).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!((stats.pages, stats.events, stats.throttled), (1, 1, 2));
    assert!(elapsed >= FAST.backoff * 3, "a backoff, then twice it: {elapsed:?}");
    assert_eq!(replay.bodies().len(), 3, "the SDK's own retries are off: one request per attempt");
    assert_eq!(engine.finish().0.len(), 1);
}

#[tokio::test]
async fn throttling_that_does_not_stop_ends_the_audit() {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    let (client, _) = common::replaying_cloudtrail(&[throttled(), throttled(), throttled()]).await;
    let mut engine = Engine::new(&rules, &catalogue, Window::default(), Filter::default());
    let pacing = Pacing { attempts: 3, ..FAST };
    let (since, until) = window();
    let error = lookup_events(&client, "eu-west-1", since, until, None, pacing, &mut engine, &mut |_: &str, _, _| {}).await.unwrap_err();
    assert!(matches!(error, AuditError::Throttled { attempts: 3, .. }), "{error}");
}

#[tokio::test]
async fn access_denied_names_the_missing_permission() {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    let (client, _) = common::replaying_cloudtrail(&[(
        400,
        json!({"__type": "AccessDeniedException", "message": "User: arn:aws:iam::111122223333:user/auditor is not authorized to perform: cloudtrail:LookupEvents"}),
    )]).await;
    let mut engine = Engine::new(&rules, &catalogue, Window::default(), Filter::default());
    let (since, until) = window();
    let error = lookup_events(&client, "eu-west-1", since, until, None, FAST, &mut engine, &mut |_: &str, _, _| {}).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, AuditError::AccessDenied { permission: "cloudtrail:LookupEvents", .. }), "{message}");
    assert!(message.contains("`cloudtrail:LookupEvents` on eu-west-1"), "{message}");
}

#[tokio::test]
async fn one_event_filter_is_asked_of_cloudtrail() {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    let (client, replay) = common::replaying_cloudtrail(&[page(&[43], None)]).await;
    let mut engine = Engine::new(&rules, &catalogue, Window::default(), Filter::default());
    let (since, until) = window();
    lookup_events(&client, "eu-west-1", since, until, Some("StopLogging"), FAST, &mut engine, &mut |_: &str, _, _| {}).await.unwrap();
    assert_eq!(replay.bodies()[0]["LookupAttributes"], json!([{"AttributeKey": "EventName", "AttributeValue": "StopLogging"}]));
}

#[tokio::test]
async fn public_keys_are_chosen_by_fingerprint_from_every_page() {
    let (first, second, stranger) = (TestKey::generate(), TestKey::generate(), TestKey::generate());
    let entry = |k: &TestKey| {
        json!({"Value": base64::engine::general_purpose::STANDARD.encode(k.public_der()), "Fingerprint": k.fingerprint(),
               "ValidityStartTime": 1_793_491_200.0, "ValidityEndTime": 1_798_675_200.0})
    };
    let (client, replay) = common::replaying_cloudtrail(&[
        (200, json!({"PublicKeyList": [entry(&first)], "NextToken": "more"})),
        (200, json!({"PublicKeyList": [entry(&second)]})),
    ])
    .await;
    let mut keys = PublicKeys::default();
    let (since, until) = window();
    keys.add_from_api(&client, "eu-west-1", since, until).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(replay.bodies()[1]["NextToken"], "more");
    let message = b"2026-11-20T09:01:31Z\nbucket/key\nabc\nnull";
    assert_eq!(keys.verify(second.fingerprint(), message, &second.sign(message)), Verification::Valid);
    assert_eq!(keys.verify(first.fingerprint(), message, &second.sign(message)), Verification::Invalid);
    assert_eq!(keys.verify(stranger.fingerprint(), message, &stranger.sign(message)), Verification::UnknownKey);
    assert_eq!(keys.verify(&first.fingerprint().to_uppercase(), message, &first.sign(message)), Verification::Valid);
    let mut spki = PublicKeys::default();
    spki.insert(stranger.fingerprint(), stranger.public_spki());
    assert_eq!(spki.verify(stranger.fingerprint(), message, &stranger.sign(message)), Verification::Valid, "SubjectPublicKeyInfo too");

    // The same keys from `aws cloudtrail list-public-keys` output, in either key spelling CloudTrail documents.
    let dir = tempfile::tempdir().unwrap();
    let cli = dir.path().join("keys.json");
    std::fs::write(&cli, list_public_keys_json(&[&first]).to_string()).unwrap();
    let lower = dir.path().join("lower.json");
    std::fs::write(&lower, list_public_keys_json(&[&second]).to_string().replace("PublicKeyList", "publicKeyList")).unwrap();
    let mut from_files = PublicKeys::default();
    from_files.add_file(&cli).unwrap();
    from_files.add_file(&lower).unwrap();
    assert_eq!(from_files.verify(first.fingerprint(), message, &first.sign(message)), Verification::Valid);
    assert_eq!(from_files.verify(second.fingerprint(), message, &second.sign(message)), Verification::Valid);
    std::fs::write(&cli, "{}").unwrap();
    let error = PublicKeys::default().add_file(&cli).unwrap_err().to_string();
    assert!(error.contains("not list-public-keys output"), "{error}");
}
