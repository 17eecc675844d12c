//! What moto cannot show (metric math, percentile statistics), proven against CloudWatch's documented response
//! shapes: a replay endpoint answers each call of a report with a recorded RPCv2 CBOR response over HTTP, and the
//! requests the report made are read back and checked. (The SDK's own replay client, `aws-smithy-http-client`'s
//! `test-util`, would switch on serde_json's `preserve_order` for the whole workspace's test build.)

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::time::{Duration, UNIX_EPOCH};

use aws_sdk_cloudwatch::Client;
use booking_ops::{CONVERSION_EXPRESSION, FAILURE_RATIO_EXPRESSION, Target, Window, read};
use cloudwatch_test_support::Replay;
use serde_json::{Value, json};

fn result(id: &str, values: &[f64]) -> Value {
    json!({"Id": id, "Label": id, "Timestamps": values.iter().map(|_| 1_764_000_000.0).collect::<Vec<_>>(), "Values": values, "StatusCode": "Complete"})
}

#[tokio::test]
async fn ratios_come_from_metric_math_and_latency_from_the_p99_statistic() {
    let replay = Replay::start(vec![
        (
            "GetMetricData",
            json!({"MetricDataResults": [
                result("requested", &[40.0]), result("held", &[35.0]), result("authorized", &[30.0]), result("confirmed", &[25.0]),
                result("failed", &[3.0]), result("refunds_pending", &[]), result("oldest_pending_refund", &[]),
                result("conversion", &[62.5]), result("failure_ratio", &[9.090909])
            ], "Messages": []} ),
        ),
        (
            "ListMetrics",
            json!({"Metrics": [
                {"Namespace": "HarbourView/prod", "MetricName": "HandlerLatency", "Dimensions": [{"Name": "service", "Value": "booking"}, {"Name": "function", "Value": "harbour-prod-record"}]},
                {"Namespace": "HarbourView/prod", "MetricName": "HandlerLatency", "Dimensions": [{"Name": "service", "Value": "booking"}, {"Name": "function", "Value": "harbour-prod-payment"}]},
                {"Namespace": "HarbourView/prod", "MetricName": "HandlerLatency", "Dimensions": [{"Name": "service", "Value": "other"}, {"Name": "function", "Value": "x"}]}
            ]} ),
        ),
        (
            "GetMetricData",
            json!({"MetricDataResults": [result("p99_0", &[812.5]), result("p99_1", &[])], "Messages": []} ),
        ),
        (
            "DescribeAlarms",
            json!({"MetricAlarms": [
                {"AlarmName": "harbour-prod-payment-errors", "StateValue": "OK", "StateReason": "ok", "StateUpdatedTimestamp": 1_764_000_000.0},
                {"AlarmName": "harbour-prod-api-5xx-rate", "StateValue": "ALARM", "StateReason": "Threshold Crossed: 2 out of the last 3 datapoints", "StateUpdatedTimestamp": 1_764_000_300.0},
                {"AlarmName": "harbour-prod-no-confirmed-booking", "StateValue": "INSUFFICIENT_DATA", "StateReason": "no data", "StateUpdatedTimestamp": 1_764_000_000.0}
            ], "CompositeAlarms": []} ),
        ),
    ])
    .await
    .unwrap();
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_cloudwatch::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new("a", "b", None, None, "replay"))
        .endpoint_url(&replay.endpoint)
        .build();
    let client = Client::from_conf(config);
    let window = Window::ending_at(UNIX_EPOCH + Duration::from_secs(1_764_003_600), Duration::from_secs(24 * 3600)).unwrap();

    let report = read(&client, &Target { environment: "prod".into() }, window).await;

    let funnel = report.funnel.value().unwrap_or_else(|| panic!("{report:#?}"));
    assert_eq!(
        (funnel.requested, funnel.held, funnel.authorized, funnel.confirmed, funnel.conversion_percent),
        (40.0, 35.0, 30.0, 25.0, Some(62.5))
    );
    let payments = report.payments.value().unwrap();
    assert_eq!((payments.failed, payments.failure_ratio_percent), (3.0, Some(9.090909)));
    let refunds = report.refunds.value().unwrap();
    assert_eq!((refunds.pending, refunds.oldest_pending_seconds), (None, None), "a gauge nobody reported is not zero");
    let latency: Vec<(&str, Option<f64>)> =
        report.latency_p99_ms.value().unwrap().iter().map(|l| (l.function.as_str(), l.p99_ms)).collect();
    assert_eq!(latency, [("harbour-prod-payment", Some(812.5)), ("harbour-prod-record", None)]);
    let alarms: Vec<(&str, &str)> = report.alarms_not_ok.value().unwrap().iter().map(|a| (a.name.as_str(), a.state.as_str())).collect();
    assert_eq!(alarms, [("harbour-prod-api-5xx-rate", "ALARM"), ("harbour-prod-no-confirmed-booking", "INSUFFICIENT_DATA")]);
    assert_eq!(report.exit_code(), 1);
    let table = report.to_table();
    assert!(table.contains("62.5 %") && table.contains("9.1 %") && table.contains("812.5 ms"), "{table}");

    // What the report asked for.
    let requests = replay.requests();
    let operations: Vec<&str> = requests.iter().map(|(operation, _)| operation.as_str()).collect();
    assert_eq!(operations, ["GetMetricData", "ListMetrics", "GetMetricData", "DescribeAlarms"]);
    assert_eq!(replay.unused(), 0);
    let counts = &requests[0].1;
    assert_eq!((counts["StartTime"].as_f64(), counts["EndTime"].as_f64()), (Some(1_763_917_260.0), Some(1_764_003_660.0)));
    let query = |id: &str| counts["MetricDataQueries"].as_array().unwrap().iter().find(|q| q["Id"] == id).unwrap().clone();
    assert_eq!(query("conversion")["Expression"], CONVERSION_EXPRESSION);
    assert_eq!(query("failure_ratio")["Expression"], FAILURE_RATIO_EXPRESSION);
    let confirmed = query("confirmed");
    assert_eq!(confirmed["MetricStat"]["Metric"]["MetricName"], "BookingConfirmed");
    assert_eq!(confirmed["MetricStat"]["Metric"]["Namespace"], "HarbourView/prod");
    assert_eq!(confirmed["MetricStat"]["Metric"]["Dimensions"], json!([{"Name": "service", "Value": "booking"}]));
    assert_eq!((confirmed["MetricStat"]["Stat"].as_str(), confirmed["MetricStat"]["Period"].as_i64()), (Some("Sum"), Some(86_400)));
    assert_eq!(query("refunds_pending")["MetricStat"]["Stat"], "Maximum");
    let latency = &requests[2].1["MetricDataQueries"][0]["MetricStat"];
    assert_eq!(latency["Stat"], "p99");
    assert_eq!(
        latency["Metric"]["Dimensions"],
        json!([{"Name": "service", "Value": "booking"}, {"Name": "function", "Value": "harbour-prod-payment"}])
    );
    assert_eq!(requests[3].1["AlarmNamePrefix"], "harbour-prod-");
}

#[test]
fn the_report_computes_its_ratios_with_the_dashboards_formulas() {
    let dashboard = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../dashboards/operations.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&dashboard).unwrap();
    let expressions: Vec<String> = dashboard["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["properties"]["metrics"].as_array().cloned().unwrap_or_default())
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.get("expression").and_then(Value::as_str).map(str::to_owned))
        .collect();
    assert!(expressions.iter().any(|e| e == CONVERSION_EXPRESSION), "{expressions:?}");
    assert!(expressions.iter().any(|e| e == FAILURE_RATIO_EXPRESSION), "{expressions:?}");
}
