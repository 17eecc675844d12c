//! The wrapper around real `lambda_runtime` and `lambda_http` handlers: one flush per invocation, `ColdStart` in
//! a document of its own on the first invocation only, ids as properties, a warning when a handler records
//! nothing, nothing at all when disabled, and a flush even when the handler panics.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use emf::{Config, Emitter, Memory, MetricsLayer, PropertyKey, metrics};
use lambda_http::RequestExt;
use lambda_runtime::{Context, LambdaEvent, service_fn};
use serde_json::{Value, json};
use support::{BUILTINS, CONFIRMED, FixedClock, REQUESTED, enabled, valid};
use tower::{Layer, Service, ServiceExt};

const BOOKING_REFERENCE: PropertyKey = PropertyKey::new("bookingReference");

fn emitter(config: Config) -> (Arc<Emitter>, Arc<Memory>) {
    let sink = Arc::new(Memory::new());
    let emitter =
        Emitter::new(config, BUILTINS, Arc::clone(&sink)).with_clock(FixedClock::new(1_764_000_000_000, Duration::from_millis(7)));
    (Arc::new(emitter), sink)
}

fn context(request_id: &str) -> Context {
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    context
}

fn parsed(documents: &[String]) -> Vec<Value> {
    documents
        .iter()
        .map(|d| {
            valid(d);
            serde_json::from_str(d).unwrap()
        })
        .collect()
}

fn dimension_names(document: &Value) -> Vec<String> {
    document["_aws"]["CloudWatchMetrics"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            d["Dimensions"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|set| set.as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn a_lambda_runtime_handler_flushes_once_per_invocation() {
    let (emitter, sink) = emitter(enabled());
    let handler = service_fn(|event: LambdaEvent<Value>| async move {
        let m = metrics();
        m.add(REQUESTED, 1.0);
        m.property(BOOKING_REFERENCE, event.payload["reference"].clone());
        Ok::<_, lambda_runtime::Error>(json!({"ok": true}))
    });
    let mut service = MetricsLayer::new(emitter).layer(handler);

    let event = |id: &str| LambdaEvent::new(json!({"reference": "HB-7K3M-Q9XD"}), context(id));
    service.ready().await.unwrap().call(event("req-1")).await.unwrap();
    let first = parsed(&sink.take());
    service.ready().await.unwrap().call(event("req-2")).await.unwrap();
    let second = parsed(&sink.take());

    assert_eq!(first.len(), 2, "the first invocation writes ColdStart apart from its metrics: {first:?}");
    assert_eq!(first[0]["ColdStart"], json!(1.0));
    assert!(first[0].get("BookingRequested").is_none() && first[0].get("HandlerLatency").is_none());
    assert_eq!(second.len(), 1, "later invocations write no ColdStart: {second:?}");
    // Sorted keys: the snapshot must not depend on whether some crate in the build switched on serde_json's
    // `preserve_order`.
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!("cold_start_document", first[0]);
        insta::assert_json_snapshot!("invocation_document", second[0]);
    });
    for document in first.iter().chain(&second) {
        let names = dimension_names(document);
        assert!(names.iter().all(|n| n == "service" || n == "function"), "ids are never dimensions: {names:?}");
        assert!(document["requestId"].is_string());
    }
    assert_eq!(second[0]["requestId"], json!("req-2"));
    assert_eq!(second[0]["bookingReference"], json!("HB-7K3M-Q9XD"));
    assert_eq!(second[0]["HandlerLatency"], json!(7.0));

    // The wrapped service is what lambda_runtime::run accepts (type-checked, not run).
    let (emitter, _) = self::emitter(enabled());
    drop(lambda_runtime::run(
        MetricsLayer::new(emitter).layer(service_fn(|_: LambdaEvent<Value>| async { Ok::<_, lambda_runtime::Error>(()) })),
    ));
}

#[tokio::test]
async fn a_lambda_http_handler_gets_the_request_id_from_the_context() {
    let (emitter, sink) = emitter(enabled());
    let handler = lambda_http::service_fn(|_request: lambda_http::Request| async {
        metrics().add(CONFIRMED, 1.0);
        Ok::<_, lambda_http::Error>(lambda_http::Response::new(lambda_http::Body::Empty))
    });
    let service = MetricsLayer::new(Arc::clone(&emitter)).layer(handler);
    let request = lambda_http::Request::new(lambda_http::Body::Empty).with_lambda_context(context("http-req-9"));
    service.oneshot(request).await.unwrap();
    let documents = parsed(&sink.take());
    let business = documents.last().unwrap();
    assert_eq!(business["requestId"], json!("http-req-9"));
    assert_eq!(business["BookingConfirmed"], json!(1.0));

    drop(lambda_http::run(MetricsLayer::new(emitter).layer(lambda_http::service_fn(|_: lambda_http::Request| async {
        Ok::<_, lambda_http::Error>(lambda_http::Response::new(lambda_http::Body::Empty))
    }))));
}

/// Captures what the handler's invocation logs.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> (Logs, tracing::subscriber::DefaultGuard) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn an_invocation_that_records_nothing_is_warned_about() {
    let (logs, _guard) = capture_logs();
    let (emitter, sink) = emitter(enabled());
    emitter.instrument(Some("quiet-1"), async {}).await;
    emitter.instrument(Some("busy-1"), async { metrics().add(REQUESTED, 1.0) }).await;
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("recorded no application metrics")).collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(warnings[0].contains("quiet-1") && warnings[0].contains("WARN"), "{}", warnings[0]);
    // The latency of the quiet invocation is still written.
    let documents = parsed(&sink.take());
    assert_eq!(documents.iter().filter(|d| d.get("HandlerLatency").is_some()).count(), 2);
}

#[tokio::test]
async fn disabled_metrics_write_and_warn_nothing() {
    let (logs, _guard) = capture_logs();
    let (emitter, sink) = emitter(Config::Disabled);
    emitter.instrument(Some("r"), async { metrics().add(REQUESTED, 1.0) }).await;
    emitter.instrument(Some("r"), async {}).await;
    assert!(sink.documents().is_empty());
    assert!(logs.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_panicking_handler_still_flushes_what_it_recorded() {
    let (emitter, sink) = emitter(enabled());
    let handler = service_fn(|_: LambdaEvent<Value>| async {
        metrics().add(REQUESTED, 1.0);
        if true {
            panic!("handler bug");
        }
        Ok::<_, lambda_runtime::Error>(())
    });
    let service = MetricsLayer::new(emitter).layer(handler);
    let joined = tokio::spawn(service.oneshot(LambdaEvent::new(json!({}), context("boom")))).await;
    assert!(joined.unwrap_err().is_panic());
    let documents = parsed(&sink.take());
    assert!(documents.iter().any(|d| d["BookingRequested"] == json!(1.0) && d["requestId"] == json!("boom")), "{documents:?}");
}

#[tokio::test]
async fn concurrent_invocations_record_apart() {
    let (emitter, sink) = emitter(enabled());
    let one = emitter.instrument(Some("one"), async {
        metrics().add(REQUESTED, 1.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
        metrics().add(REQUESTED, 1.0);
    });
    let two = emitter.instrument(Some("two"), async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        metrics().add(CONFIRMED, 1.0);
    });
    tokio::join!(one, two);
    let documents = parsed(&sink.take());
    let by_id = |id: &str| documents.iter().find(|d| d["requestId"] == json!(id) && d.get("HandlerLatency").is_some()).unwrap().clone();
    assert_eq!(by_id("one")["BookingRequested"], json!([1.0, 1.0]));
    assert!(by_id("one").get("BookingConfirmed").is_none());
    assert_eq!(by_id("two")["BookingConfirmed"], json!(1.0));
    assert!(by_id("two").get("BookingRequested").is_none());
}

#[test]
fn outside_an_invocation_the_handle_records_nothing() {
    let handle = metrics();
    assert!(handle.is_detached());
    handle.add(REQUESTED, 1.0);
}
