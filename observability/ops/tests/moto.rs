//! End to end against moto's CloudWatch: EMF documents written by the emitter for a small booking run are
//! forwarded with PutMetricData (as CloudWatch Logs extracts them in AWS), alarms are put and set, and the
//! report reads the run's numbers back.
//!
//! moto 5.2.5 does not speak RPCv2 CBOR, the only protocol of `aws-sdk-cloudwatch`, so the SDK talks to moto
//! through `cloudwatch-test-support`'s bridge (first test: without it, the SDK gets no answer). moto
//! evaluates no metric math beyond an id reference and no percentile statistic (a `p99` query makes it fail the
//! whole call with HTTP 500): the report's ratios and p99 latencies are proven in `tests/replay.rs` against
//! CloudWatch's documented responses, and here the report must say they are missing or unavailable.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use booking_local_aws::moto::MotoServer;
use booking_metrics::{BUILTINS, Channel, FAILURE_REASON, Metric, Notification};
use booking_ops::{Figure, Target, Window, read};
use cloudwatch_test_support::{Bridge, Model};
use emf::{Config, DimensionValue, Emitter, Memory, Namespace, metrics};

fn client(endpoint: &str) -> Client {
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_cloudwatch::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new("testing", "testing", None, None, "moto"))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn the_sdk_gets_no_answer_from_moto_without_the_bridge() {
    let moto = MotoServer::start().await.unwrap();
    let error = client(&moto.endpoint).list_metrics().send().await.unwrap_err();
    let raw = error.raw_response().map(|r| r.status().as_u16());
    assert_eq!(raw, Some(404), "moto has no route for RPCv2 CBOR requests: {error:?}");
}

/// One function's emitter writing into a shared memory sink.
fn emitter(function: &str, sink: &Arc<Memory>) -> Arc<Emitter> {
    let target = emf::Target::new(
        Namespace::new(booking_metrics::namespace("test")).unwrap(),
        DimensionValue::new(booking_metrics::SERVICE).unwrap(),
        DimensionValue::new(format!("harbour-test-{function}")).unwrap(),
    );
    Arc::new(Emitter::new(Config::Enabled(target), BUILTINS, Arc::clone(sink)))
}

/// A small run: three booking attempts (one sold out), a declined payment then two paid bookings, one cancelled
/// with a refund, one refund pending for two minutes, three notifications.
async fn booking_run(sink: &Arc<Memory>) {
    /// (function, request id, what the handler records)
    type Invocation = (&'static str, &'static str, &'static [(Metric, f64)]);
    let invocations: [Invocation; 8] = [
        ("payment", "p-1", &[(Metric::BookingRequested, 1.0), (Metric::HoldPlaced, 1.0)]),
        ("payment", "p-2", &[(Metric::BookingRequested, 1.0), (Metric::HoldPlaced, 1.0)]),
        ("payment", "p-3", &[(Metric::BookingRequested, 1.0), (Metric::HoldRejectedSoldOut, 1.0)]),
        ("record", "r-1", &[(Metric::PaymentFailed, 1.0)]),
        ("record", "r-2", &[(Metric::PaymentAuthorized, 1.0), (Metric::BookingConfirmed, 1.0)]),
        ("record", "r-3", &[(Metric::PaymentAuthorized, 1.0), (Metric::BookingConfirmed, 1.0)]),
        ("query", "q-1", &[(Metric::BookingCancelled, 1.0), (Metric::RefundIssued, 1.0)]),
        ("sweeper", "s-1", &[(Metric::RefundPending, 1.0), (Metric::RefundPendingOldestAge, 120.0)]),
    ];
    let mut emitters: Vec<(&str, Arc<Emitter>)> = Vec::new();
    for (function, request_id, values) in invocations {
        let emitter = match emitters.iter().find(|(f, _)| *f == function) {
            Some((_, emitter)) => Arc::clone(emitter),
            None => {
                emitters.push((function, emitter(function, sink)));
                Arc::clone(&emitters[emitters.len() - 1].1)
            }
        };
        emitter
            .instrument(Some(request_id), async move {
                for (metric, value) in values {
                    metrics().add(*metric, *value);
                }
                if request_id == "r-1" {
                    metrics().property(FAILURE_REASON, "card_declined");
                }
            })
            .await;
    }
    emitter("notify", sink)
        .instrument(Some("n-1"), async {
            for channel in [Channel::Email, Channel::Email, Channel::Sms] {
                Notification::Sent.record(&metrics(), channel);
            }
        })
        .await;
}

#[tokio::test]
async fn forwarded_emf_documents_are_read_back_by_the_report() {
    let moto = MotoServer::start().await.unwrap();
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    let bridge = Bridge::start(&moto.endpoint, Model::from_botocore(&python).unwrap()).await.unwrap();
    let client = client(&bridge.endpoint);

    let sink = Arc::new(Memory::new());
    booking_run(&sink).await;
    let documents = sink.take();
    // A ColdStart document per function, one document per invocation, and the notifications' two channels
    // (distinct dimension values) in documents of their own.
    assert_eq!(documents.len(), 5 + 9 + 2);
    let mut datums = 0;
    for line in &documents {
        datums += booking_ops::forward::forward(&client, line).await.unwrap();
    }
    assert!(datums >= 30, "{datums}");

    for (name, state) in [
        ("harbour-test-payment-errors", None),
        ("harbour-test-payment-failure-ratio", Some(StateValue::Alarm)),
        ("other-prod-x", Some(StateValue::Alarm)),
    ] {
        client
            .put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/Lambda")
            .metric_name("Errors")
            .dimensions(Dimension::builder().name("FunctionName").value("harbour-test-payment").build())
            .statistic(Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(3.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .send()
            .await
            .unwrap();
        if let Some(state) = state {
            client.set_alarm_state().alarm_name(name).state_value(state).state_reason("Threshold Crossed: test").send().await.unwrap();
        }
    }

    let window = Window::ending_at(SystemTime::now(), Duration::from_secs(3600)).unwrap();
    let report = read(&client, &Target { environment: "test".into() }, window).await;

    let funnel = report.funnel.value().unwrap_or_else(|| panic!("{report:#?}"));
    assert_eq!((funnel.requested, funnel.held, funnel.authorized, funnel.confirmed), (3.0, 2.0, 2.0, 2.0));
    let payments = report.payments.value().unwrap();
    assert_eq!((payments.authorized, payments.failed), (2.0, 1.0));
    let refunds = report.refunds.value().unwrap();
    assert_eq!((refunds.pending, refunds.oldest_pending_seconds), (Some(1.0), Some(120.0)));
    // moto's gaps, stated rather than hidden: no metric math, no percentiles.
    assert_eq!((funnel.conversion_percent, payments.failure_ratio_percent), (None, None));
    assert!(
        matches!(&report.latency_p99_ms, Figure::Unavailable { unavailable } if unavailable.contains("GetMetricData") && unavailable.contains("HTTP 500")),
        "{report:#?}"
    );

    let alarms = report.alarms_not_ok.value().unwrap();
    let names: Vec<(&str, &str)> = alarms.iter().map(|a| (a.name.as_str(), a.state.as_str())).collect();
    assert!(names.contains(&("harbour-test-payment-failure-ratio", "ALARM")), "{names:?}");
    assert!(!names.iter().any(|(n, _)| *n == "other-prod-x"), "another environment's alarm: {names:?}");
    assert!(!names.iter().any(|(n, s)| *n == "harbour-test-payment-errors" && *s == "ALARM"), "{names:?}");
    assert_eq!(report.exit_code(), 1, "an alarm in ALARM");

    let table = report.to_table();
    for line in ["requested", "harbour-test-payment-failure-ratio", "ALARM", "unavailable"] {
        assert!(table.contains(line), "{table}");
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["funnel"]["confirmed"], 2.0);
    assert!(json["latency_p99_ms"]["unavailable"].is_string());
}
