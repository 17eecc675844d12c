//! The JSON Schema (`observability/emf.schema.json`) and the parser each accept valid documents and refuse each
//! kind of violation of the specification; so a passing validation of the emitter's output means something.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use serde_json::{Value, json};
use support::{schema_errors, valid};

/// The specification's own example.
fn example() -> Value {
    json!({
        "_aws": {
            "Timestamp": 1574109732004u64,
            "CloudWatchMetrics": [{
                "Namespace": "lambda-function-metrics",
                "Dimensions": [["functionVersion"]],
                "Metrics": [{"Name": "time", "Unit": "Milliseconds"}]
            }]
        },
        "functionVersion": "$LATEST",
        "time": 100,
        "requestId": "989ffbf8-9ace-4817-a57c-e4dd734019ee"
    })
}

#[test]
fn the_specification_example_is_valid() {
    let document = valid(&example().to_string());
    let datum = &document.datums()[0];
    assert_eq!((datum.name.as_str(), datum.values.as_slice()), ("time", &[100.0][..]));
    assert_eq!(datum.dimensions, [("functionVersion".to_owned(), "$LATEST".to_owned())]);
}

/// Which checker must refuse a mutation: the schema, the parser (cross-reference rules), or both.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Refused {
    Both,
    ParserOnly,
}

fn check(name: &str, refused: Refused, edit: impl FnOnce(&mut Value)) {
    let mut document = example();
    edit(&mut document);
    let by_schema = !schema_errors(&document).is_empty();
    let by_parser = emf::Document::parse(&document.to_string()).is_err();
    assert!(by_parser, "{name}: the parser accepted {document}");
    assert_eq!(by_schema, refused == Refused::Both, "{name}: schema refused = {by_schema} for {document}");
}

fn directive(document: &mut Value) -> &mut Value {
    &mut document["_aws"]["CloudWatchMetrics"][0]
}

#[test]
fn every_rule_of_the_specification_is_enforced() {
    use Refused::{Both, ParserOnly};
    check("no _aws", Both, |d| {
        d.as_object_mut().unwrap().remove("_aws");
    });
    check("timestamp in seconds as a string", Both, |d| d["_aws"]["Timestamp"] = json!("1574109732"));
    check("negative timestamp", Both, |d| d["_aws"]["Timestamp"] = json!(-1));
    check("no CloudWatchMetrics", Both, |d| {
        d["_aws"].as_object_mut().unwrap().remove("CloudWatchMetrics");
    });
    check("unknown metadata member", Both, |d| d["_aws"]["Extra"] = json!(1));
    check("no namespace", Both, |d| {
        directive(d).as_object_mut().unwrap().remove("Namespace");
    });
    check("namespace of AWS", Both, |d| directive(d)["Namespace"] = json!("AWS/Lambda"));
    check("namespace too long", Both, |d| directive(d)["Namespace"] = json!("n".repeat(256)));
    check("no dimension sets", Both, |d| directive(d)["Dimensions"] = json!([]));
    check("31 dimensions in a set", Both, |d| {
        let names: Vec<String> = (0..31).map(|i| format!("d{i}")).collect();
        for name in &names {
            d[name.as_str()] = json!("v");
        }
        directive(d)["Dimensions"] = json!([names]);
    });
    check("dimension name starting with a colon", Both, |d| {
        d[":x"] = json!("v");
        directive(d)["Dimensions"] = json!([[":x"]]);
    });
    check("101 metric definitions", Both, |d| {
        let metrics: Vec<Value> = (0..101).map(|i| json!({"Name": format!("m{i}")})).collect();
        for i in 0..101 {
            d[format!("m{i}")] = json!(1);
        }
        directive(d)["Metrics"] = json!(metrics);
    });
    check("unit outside the list", Both, |d| directive(d)["Metrics"][0]["Unit"] = json!("BytesPerSecond"));
    check("unit in the wrong case", Both, |d| directive(d)["Metrics"][0]["Unit"] = json!("milliseconds"));
    check("storage resolution 30", Both, |d| directive(d)["Metrics"][0]["StorageResolution"] = json!(30));
    check("metric definition without a name", Both, |d| directive(d)["Metrics"][0] = json!({"Unit": "Count"}));
    check("unknown metric definition member", Both, |d| directive(d)["Metrics"][0]["Dims"] = json!(1));
    check("metric not a root member", ParserOnly, |d| {
        d.as_object_mut().unwrap().remove("time");
    });
    check("metric nested instead of at the root", ParserOnly, |d| {
        d.as_object_mut().unwrap().remove("time");
        d["nested"] = json!({"time": 1});
        directive(d)["Metrics"][0]["Name"] = json!("nested.time");
    });
    check("metric value a string", ParserOnly, |d| d["time"] = json!("100"));
    check("101 values for one metric", ParserOnly, |d| d["time"] = json!(vec![1; 101]));
    check("dimension not a root member", ParserOnly, |d| {
        d.as_object_mut().unwrap().remove("functionVersion");
    });
    check("dimension value a number", ParserOnly, |d| d["functionVersion"] = json!(3));
    check("dimension value of 1025 characters", ParserOnly, |d| d["functionVersion"] = json!("v".repeat(1025)));
    check("dimension value not ASCII", ParserOnly, |d| d["functionVersion"] = json!("café"));
}

#[test]
fn the_limits_themselves_are_allowed() {
    let mut d = example();
    let names: Vec<String> = (0..30).map(|i| format!("d{i}")).collect();
    for name in &names {
        d[name.as_str()] = json!("v".repeat(1024));
    }
    directive(&mut d)["Dimensions"] = json!([names, []]);
    let metrics: Vec<Value> = (0..100).map(|i| json!({"Name": format!("m{i}"), "Unit": "Count", "StorageResolution": 1})).collect();
    for i in 0..100 {
        d[format!("m{i}")] = json!(vec![1.5; 100]);
    }
    directive(&mut d)["Metrics"] = json!(metrics);
    let document = valid(&d.to_string());
    assert_eq!(document.datums().len(), 200, "100 metrics under two dimension sets");
}
