//! The catalog, the dashboard, the alarms, the runbook and the saved queries agree:
//!
//! - every metric a widget or an alarm reads from the service's namespace is in the catalog, with the
//!   catalog's dimensions, and every catalog metric is on the dashboard;
//! - the dashboard (`observability/dashboards/operations.json`) is valid, uses only the substitutions
//!   CloudFormation can make, and is what `monitoring.yaml` deploys;
//! - every function of `api.yaml` has its rows on the per-function widgets;
//! - every alarm notifies the alerts topic, has a runbook entry and is on the dashboard's alarm widget;
//! - the saved Logs Insights queries read the fields the emitter writes, over the functions' log groups;
//! - every metric a widget or an alarm reads is emitted by a code path the tests run: the EMF snapshots of the
//!   end-to-end run (`tests/e2e/tests/snapshots/metrics__emf_*.snap`) and of the functions' own tests
//!   (`services/functions/tests/snapshots/*emf*.snap`) are the evidence, and those tests fail when what the
//!   functions emit changes.
//!
//! `OBSERVABILITY_BLESS=1` rewrites monitoring.yaml's copy of the dashboard from the JSON file.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use booking_metrics::{CHANNEL, Channel, Entry, SERVICE, catalog};
use emf::Scope;
use infra_check::template::{Template, at, get, load, long_form};
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

const NAMESPACE: &str = "HarbourView/${Environment}";
/// What `Fn::Sub` can substitute in the dashboard body (monitoring.yaml's parameters and pseudo parameters).
const SUBSTITUTIONS: &[&str] = &["Environment", "AWS::Region", "AWS::AccountId", "AWS::Partition"];

fn root() -> PathBuf {
    infra_check::repo_root()
}

fn template(name: &str) -> Template {
    load(&root().join("infra/cloudformation").join(name)).unwrap()
}

fn dashboard_text() -> String {
    std::fs::read_to_string(root().join("observability/dashboards/operations.json")).unwrap()
}

fn dashboard() -> Json {
    serde_json::from_str(&dashboard_text()).expect("the dashboard is JSON")
}

fn widgets() -> Vec<Json> {
    dashboard()["widgets"].as_array().unwrap().clone()
}

/// A metric row of a widget: namespace, name, dimensions, options (id, stat, ...).
#[derive(Debug, Clone)]
struct Row {
    widget: String,
    namespace: String,
    name: String,
    dimensions: BTreeMap<String, String>,
    options: Json,
}

fn rows() -> Vec<Row> {
    let mut out = Vec::new();
    for widget in widgets().iter().filter(|w| w["type"] == "metric") {
        let title = widget["properties"]["title"].as_str().unwrap().to_owned();
        for row in widget["properties"]["metrics"].as_array().unwrap() {
            let row = row.as_array().unwrap();
            let (strings, options): (Vec<&Json>, Vec<&Json>) = row.iter().partition(|v| v.is_string());
            assert!(options.len() <= 1, "{title}: a row has one options object at most: {row:?}");
            let options = options.first().map(|o| (*o).clone()).unwrap_or(Json::Null);
            if strings.is_empty() {
                assert!(options.get("expression").is_some(), "{title}: a row without a metric is an expression: {row:?}");
                continue;
            }
            let strings: Vec<String> = strings.iter().map(|s| s.as_str().unwrap().to_owned()).collect();
            assert!(
                strings.len() >= 2 && strings.len().is_multiple_of(2),
                "{title}: [namespace, name, (dimension, value)*] expected: {row:?}"
            );
            assert!(!strings.iter().any(|s| s == "." || s == ".."), "{title}: no shorthand rows, they cannot be checked");
            let dimensions = strings[2..].chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
            out.push(Row { widget: title.clone(), namespace: strings[0].clone(), name: strings[1].clone(), dimensions, options });
        }
    }
    out
}

fn entry(name: &str) -> Option<Entry> {
    catalog().into_iter().find(|e| e.def.name() == name)
}

/// The dimensions a reader of a catalog metric may ask for: `service` (+ `function`) (+ `channel`).
fn check_dimensions(place: &str, name: &str, dimensions: &BTreeMap<String, String>) -> Result<(), String> {
    let entry = entry(name).ok_or_else(|| format!("{place}: {name} is not in the catalog (observability/metrics)"))?;
    if dimensions.get("service").map(String::as_str) != Some(SERVICE) {
        return Err(format!("{place}: {name} without service={SERVICE}"));
    }
    let function = dimensions.get("function");
    if entry.def.scope() == Scope::Function && function.is_none() {
        return Err(format!("{place}: {name} is published per function only, but is read without `function`"));
    }
    if let Some(function) = function
        && !function.starts_with("harbour-${Environment}-")
    {
        return Err(format!("{place}: {name} for function `{function}`, which is not a function name"));
    }
    match (entry.per_channel, dimensions.get(CHANNEL.as_str())) {
        (true, Some(c)) if Channel::ALL.iter().any(|ch| ch.as_str() == c) => {}
        (true, other) => return Err(format!("{place}: {name} needs a channel dimension of the catalog, got {other:?}")),
        (false, Some(_)) => return Err(format!("{place}: {name} has no channel dimension")),
        (false, None) => {}
    }
    let known = ["service", "function", CHANNEL.as_str()];
    match dimensions.keys().find(|k| !known.contains(&k.as_str())) {
        Some(extra) => Err(format!("{place}: {name} has no `{extra}` dimension")),
        None => Ok(()),
    }
}

#[test]
fn the_dashboard_is_valid_and_only_uses_what_cloudformation_substitutes() {
    let text = dashboard_text();
    for (i, _) in text.match_indices("${") {
        let end = text[i..].find('}').unwrap();
        let name = &text[i + 2..i + end];
        assert!(SUBSTITUTIONS.contains(&name), "`${{{name}}}` in the dashboard: Fn::Sub can only fill {SUBSTITUTIONS:?}");
    }
    let widgets = widgets();
    assert!(!widgets.is_empty());
    for widget in &widgets {
        let (x, y, w, h) = rect(widget);
        assert!(x + w <= 24 && w > 0 && h > 0 && y < 1000, "widget outside the 24-column grid: {widget}");
        let properties = &widget["properties"];
        match widget["type"].as_str().unwrap() {
            "text" => assert!(properties["markdown"].is_string()),
            "alarm" => assert!(properties["alarms"].as_array().is_some_and(|a| !a.is_empty())),
            "metric" => {
                let title = properties["title"].as_str().unwrap();
                assert!(properties["region"].is_string(), "{title}: region");
                let metrics = properties["metrics"].as_array().unwrap();
                // Every expression only names ids defined in the same widget.
                let ids: BTreeSet<&str> =
                    metrics.iter().flat_map(|r| r.as_array().unwrap()).filter_map(|v| v.get("id")?.as_str()).collect();
                for expression in metrics.iter().flat_map(|r| r.as_array().unwrap()).filter_map(|v| v.get("expression")?.as_str()) {
                    for word in identifiers(expression) {
                        assert!(ids.contains(word.as_str()), "{title}: `{word}` in `{expression}` is not a metric id of the widget");
                    }
                }
            }
            other => panic!("unexpected widget type {other}"),
        }
    }
    // No two widgets overlap.
    let mut cells = BTreeSet::new();
    for widget in &widgets {
        let (x, y, w, h) = rect(widget);
        for cx in x..x + w {
            for cy in y..y + h {
                assert!(cells.insert((cx, cy)), "widgets overlap at ({cx}, {cy})");
            }
        }
    }
}

/// A widget's place on the grid: x, y, width, height.
fn rect(widget: &Json) -> (u64, u64, u64, u64) {
    let at = |key: &str| widget[key].as_u64().unwrap_or_else(|| panic!("widget without {key}: {widget}"));
    (at("x"), at("y"), at("width"), at("height"))
}

/// Lower-case identifiers of a metric math expression (ids start lower-case; functions are upper-case).
fn identifiers(expression: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in expression.chars().chain([' ']) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            if word.starts_with(|c: char| c.is_ascii_lowercase()) {
                out.push(std::mem::take(&mut word));
            }
            word.clear();
        }
    }
    out
}

#[test]
fn every_metric_on_the_dashboard_is_catalogued_and_every_catalogued_metric_is_shown() {
    let rows = rows();
    let mut problems = Vec::new();
    let mut shown: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    for row in rows.iter().filter(|r| r.namespace == NAMESPACE) {
        if let Err(problem) = check_dimensions(&row.widget, &row.name, &row.dimensions) {
            problems.push(problem);
        }
        shown.insert((row.name.clone(), row.dimensions.get(CHANNEL.as_str()).cloned()));
    }
    for row in rows.iter().filter(|r| r.namespace.starts_with("HarbourView") && r.namespace != NAMESPACE) {
        problems.push(format!("{}: namespace {} is not {NAMESPACE}", row.widget, row.namespace));
    }
    for entry in catalog() {
        let wanted: Vec<Option<String>> =
            if entry.per_channel { Channel::ALL.iter().map(|c| Some(c.as_str().to_owned())).collect() } else { vec![None] };
        for channel in wanted {
            if !shown.contains(&(entry.def.name().to_owned(), channel.clone())) {
                problems.push(format!("catalog metric {} (channel {channel:?}) is on no dashboard widget", entry.def.name()));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// `harbour-${Environment}-<name>` of every Lambda function in api.yaml.
fn function_names() -> BTreeSet<String> {
    let api = template("api.yaml");
    let names: BTreeSet<String> = api
        .resources()
        .filter(|(_, r)| get(r, "Type").and_then(Yaml::as_str) == Some("AWS::Lambda::Function"))
        .map(|(id, r)| {
            sub_text(at(r, "Properties/FunctionName").unwrap()).unwrap_or_else(|| panic!("{id}: FunctionName is not a !Sub string"))
        })
        .collect();
    assert!(names.len() >= 5, "{names:?}");
    names
}

/// The text of a plain string or a `!Sub` string.
fn sub_text(value: &Yaml) -> Option<String> {
    match long_form(value.clone()) {
        Yaml::String(s) => Some(s),
        Yaml::Mapping(m) => m.get("Fn::Sub")?.as_str().map(str::to_owned),
        _ => None,
    }
}

#[test]
fn every_function_has_its_rows_on_the_per_function_widgets() {
    let rows = rows();
    let mut problems = Vec::new();
    for function in function_names() {
        let wanted: [(&str, &str, Option<&str>); 6] = [
            ("AWS/Lambda", "Errors", None),
            ("AWS/Lambda", "Throttles", None),
            ("AWS/Lambda", "ConcurrentExecutions", None),
            (NAMESPACE, "ColdStart", None),
            (NAMESPACE, "HandlerLatency", Some("p50")),
            (NAMESPACE, "HandlerLatency", Some("p99")),
        ];
        for (namespace, name, stat) in wanted {
            let found = rows.iter().any(|r| {
                let dimension = if namespace == NAMESPACE { "function" } else { "FunctionName" };
                r.namespace == namespace
                    && r.name == name
                    && r.dimensions.get(dimension) == Some(&function)
                    && stat.is_none_or(|s| r.options.get("stat").and_then(Json::as_str) == Some(s))
            });
            if !found {
                problems.push(format!("{function}: no {namespace} {name} {} row on the dashboard", stat.unwrap_or("")));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn monitoring_yaml_deploys_this_dashboard() {
    let path = root().join("infra/cloudformation/monitoring.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let json = dashboard_text();
    let body = sub_text(at(&template("monitoring.yaml").doc, "Resources/OperationsDashboard/Properties/DashboardBody").unwrap())
        .expect("OperationsDashboard's DashboardBody is a !Sub string");
    if body.trim_end() == json.trim_end() {
        return;
    }
    if std::env::var_os("OBSERVABILITY_BLESS").is_some() {
        std::fs::write(&path, with_dashboard(&text, &json)).unwrap();
        return;
    }
    panic!(
        "monitoring.yaml's DashboardBody differs from observability/dashboards/operations.json; \
         run `OBSERVABILITY_BLESS=1 cargo test -p booking-metrics --test observability` to copy the file into the template"
    );
}

/// monitoring.yaml with the block scalar after `DashboardBody: !Sub |` replaced by `json`, indented 8 spaces.
fn with_dashboard(template: &str, json: &str) -> String {
    let marker = "      DashboardBody: !Sub |\n";
    let start = template.find(marker).expect("monitoring.yaml has `DashboardBody: !Sub |`") + marker.len();
    let rest = &template[start..];
    let end = rest.lines().scan(0, |offset, line| {
        let here = *offset;
        *offset += line.len() + 1;
        Some((here, line))
    });
    let end =
        end.filter(|(_, line)| !line.is_empty() && !line.starts_with("        ")).map(|(offset, _)| offset).next().unwrap_or(rest.len());
    let block: String = json.trim_end().lines().map(|l| if l.is_empty() { "\n".to_owned() } else { format!("        {l}\n") }).collect();
    format!("{}{block}\n{}", &template[..start], rest[end..].trim_start_matches('\n'))
}

/// Every alarm of every template: (template, logical id, long-form properties).
fn alarms() -> Vec<(String, String, Yaml)> {
    let mut out = Vec::new();
    for name in ["api.yaml", "monitoring.yaml"] {
        let t = template(name);
        for (id, resource) in t.resources() {
            if get(resource, "Type").and_then(Yaml::as_str) == Some("AWS::CloudWatch::Alarm") {
                out.push((name.to_owned(), id.to_owned(), long_form(get(resource, "Properties").unwrap().clone())));
            }
        }
    }
    for t in infra_check::template::load_all(&root()).unwrap() {
        if !["api.yaml", "monitoring.yaml"].contains(&t.name.as_str()) {
            assert!(
                !t.resources().any(|(_, r)| get(r, "Type").and_then(Yaml::as_str) == Some("AWS::CloudWatch::Alarm")),
                "{}: alarms belong in api.yaml (per resource) or monitoring.yaml (service), where this test reads them",
                t.name
            );
        }
    }
    out
}

fn alarm_slug(properties: &Yaml) -> String {
    let name = sub_text(get(properties, "AlarmName").unwrap()).unwrap();
    name.strip_prefix("harbour-${Environment}-")
        .unwrap_or_else(|| panic!("alarm name {name} is not harbour-${{Environment}}-<name>"))
        .to_owned()
}

/// The metrics an alarm reads: (namespace, name, dimensions) of its single metric or of its MetricStats.
fn alarm_metrics(properties: &Yaml) -> Vec<(String, String, BTreeMap<String, String>)> {
    let dims = |d: Option<&Yaml>| -> BTreeMap<String, String> {
        d.and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
            .map(|d| {
                let value = get(d, "Value").unwrap();
                let value = sub_text(value).unwrap_or_else(|| serde_yaml_ng::to_string(value).unwrap().trim().to_owned());
                (get(d, "Name").unwrap().as_str().unwrap().to_owned(), value)
            })
            .collect()
    };
    let text = |v: Option<&Yaml>| v.and_then(sub_text).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(name) = get(properties, "MetricName") {
        out.push((text(get(properties, "Namespace")), text(Some(name)), dims(get(properties, "Dimensions"))));
    }
    for query in get(properties, "Metrics").and_then(Yaml::as_sequence).into_iter().flatten() {
        if let Some(metric) = at(query, "MetricStat/Metric") {
            out.push((text(get(metric, "Namespace")), text(get(metric, "MetricName")), dims(get(metric, "Dimensions"))));
        }
    }
    out
}

#[test]
fn every_alarm_reads_catalogued_metrics_notifies_the_alerts_topic_and_has_a_runbook_entry() {
    let runbook = std::fs::read_to_string(root().join("observability/runbook.md")).unwrap();
    let mut problems = Vec::new();
    let mut slugs = BTreeSet::new();
    for (template, id, properties) in alarms() {
        let place = format!("{template} {id}");
        let slug = alarm_slug(&properties);
        if !slugs.insert(slug.clone()) {
            problems.push(format!("{place}: alarm name {slug} used twice"));
        }
        if !runbook.contains(&format!("<a id=\"{slug}\"></a>`{slug}`")) {
            problems.push(format!("{place}: no runbook entry for {slug} in observability/runbook.md"));
        }
        let description = sub_text(get(&properties, "AlarmDescription").unwrap()).unwrap();
        if !description.ends_with(&format!("Runbook: observability/runbook.md#{slug}")) {
            problems.push(format!("{place}: the description does not end with its runbook link: {description}"));
        }
        let topic: Yaml = match template.as_str() {
            "monitoring.yaml" => serde_yaml_ng::from_str("{Ref: AlertsTopic}").unwrap(),
            _ => serde_yaml_ng::from_str(
                r#"{"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:harbour-${Environment}-alerts"}"#,
            )
            .unwrap(),
        };
        for actions in ["AlarmActions", "OKActions"] {
            if get(&properties, actions).and_then(Yaml::as_sequence).map(Vec::as_slice) != Some(std::slice::from_ref(&topic)) {
                problems.push(format!("{place}: {actions} is not exactly the alerts topic"));
            }
        }
        for (namespace, name, dimensions) in alarm_metrics(&properties) {
            if namespace == NAMESPACE
                && let Err(problem) = check_dimensions(&place, &name, &dimensions)
            {
                problems.push(problem);
            }
        }
        let ids: BTreeSet<String> = get(&properties, "Metrics")
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|q| get(q, "Id")?.as_str().map(str::to_owned))
            .collect();
        for query in get(&properties, "Metrics").and_then(Yaml::as_sequence).into_iter().flatten() {
            if let Some(expression) = get(query, "Expression").and_then(sub_text) {
                for word in identifiers(&expression.replace("${", "_").replace('}', "_")) {
                    if !ids.contains(&word) {
                        problems.push(format!("{place}: `{word}` in `{expression}` is not a query id of the alarm"));
                    }
                }
            }
        }
    }
    let anchors: BTreeSet<String> =
        runbook.match_indices("<a id=\"").map(|(i, _)| runbook[i + 7..].split('"').next().unwrap().to_owned()).collect();
    for stale in anchors.difference(&slugs) {
        problems.push(format!("observability/runbook.md has an entry for {stale}, which no template defines"));
    }
    let listed: BTreeSet<String> = widgets()
        .iter()
        .filter(|w| w["type"] == "alarm")
        .flat_map(|w| w["properties"]["alarms"].as_array().unwrap().clone())
        .map(|arn| arn.as_str().unwrap().rsplit_once(":alarm:harbour-${Environment}-").unwrap().1.to_owned())
        .collect();
    if listed != slugs {
        problems.push(format!("the dashboard's alarm widget lists {listed:?}, the templates define {slugs:?}"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(slugs.len() >= 19, "{slugs:?}");
}

#[test]
fn the_saved_queries_read_what_the_emitter_writes_over_every_function_log_group() {
    let monitoring = template("monitoring.yaml");
    let groups: BTreeSet<String> = function_names().iter().map(|f| format!("/aws/lambda/{f}")).collect();
    let queries: BTreeMap<String, String> = monitoring
        .resources()
        .filter(|(_, r)| get(r, "Type").and_then(Yaml::as_str) == Some("AWS::Logs::QueryDefinition"))
        .map(|(id, r)| {
            let logs: BTreeSet<String> =
                at(r, "Properties/LogGroupNames").unwrap().as_sequence().unwrap().iter().map(|g| sub_text(g).unwrap()).collect();
            assert_eq!(logs, groups, "{id} reads every function's log group");
            (sub_text(at(r, "Properties/Name").unwrap()).unwrap(), at(r, "Properties/QueryString").unwrap().as_str().unwrap().to_owned())
        })
        .collect();
    let query = |name: &str| {
        queries.get(&format!("harbour-${{Environment}}/{name}")).unwrap_or_else(|| panic!("no saved query {name}: {queries:?}"))
    };
    assert!(query("cold-starts").contains("@initDuration") && query("cold-starts").contains("pct(@initDuration, 99)"));
    let failed = query("failed-payments-by-reason");
    assert!(failed.contains(booking_metrics::Metric::PaymentFailed.name()) && failed.contains(booking_metrics::FAILURE_REASON.as_str()));
    let trail = query("booking-trail");
    assert!(trail.contains(booking_metrics::BOOKING_REFERENCE.as_str()) && trail.contains(emf::REQUEST_ID.as_str()));
}

#[test]
fn the_catalog_is_consistent() {
    let entries = catalog();
    let names: BTreeSet<&str> = entries.iter().map(|e| e.def.name()).collect();
    assert_eq!(names.len(), entries.len(), "metric names are unique");
    let members = [
        "service",
        "function",
        CHANNEL.as_str(),
        emf::REQUEST_ID.as_str(),
        booking_metrics::BOOKING_REFERENCE.as_str(),
        booking_metrics::FAILURE_REASON.as_str(),
    ];
    for member in members {
        assert!(!names.contains(member), "{member} is both a metric and a dimension or property");
    }
    assert_eq!(members.iter().collect::<BTreeSet<_>>().len(), members.len());
    for env in ["prod", "staging", "dev", "local"] {
        emf::Namespace::new(booking_metrics::namespace(env)).unwrap();
    }
    assert_eq!(booking_metrics::BUILTINS.cold_start.name(), "ColdStart");
    assert!(entries.iter().all(|e| !e.meaning.is_empty()));
}

/// The snapshot files holding EMF documents written by tests that run the product's code.
const EMITTED_EVIDENCE: [(&str, &str); 2] = [("tests/e2e/tests/snapshots", "metrics__emf_"), ("services/functions/tests/snapshots", "emf")];

/// Every metric name in the EMF documents of the evidence snapshots, with the file that shows it.
fn emitted_in_tests() -> BTreeMap<String, String> {
    let mut emitted = BTreeMap::new();
    for (dir, marker) in EMITTED_EVIDENCE {
        for file in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.contains(marker) || !name.ends_with(".snap") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // insta's header, then the JSON.
            let json = text.splitn(3, "---\n").nth(2).unwrap_or_else(|| panic!("{name} is not an insta snapshot"));
            let documents: Json = serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            for document in documents.as_array().unwrap() {
                for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
                    for metric in directive["Metrics"].as_array().unwrap() {
                        emitted.entry(metric["Name"].as_str().unwrap().to_owned()).or_insert_with(|| format!("{dir}/{name}"));
                    }
                }
            }
        }
    }
    emitted
}

#[test]
fn every_metric_a_widget_or_an_alarm_reads_is_emitted_by_code_the_tests_run() {
    let emitted = emitted_in_tests();
    assert!(emitted.contains_key("HoldPlaced") && emitted.contains_key("ColdStart"), "the evidence was read: {emitted:?}");
    let mut read: BTreeSet<(String, String)> =
        rows().into_iter().filter(|r| r.namespace == NAMESPACE).map(|r| (r.name, r.widget)).collect();
    for (template, id, properties) in alarms() {
        for (namespace, name, _) in alarm_metrics(&properties) {
            if namespace == NAMESPACE {
                read.insert((name, format!("{template} {id}")));
            }
        }
    }
    let missing: Vec<String> = read
        .iter()
        .filter(|(name, _)| !emitted.contains_key(name))
        .map(|(name, place)| format!("{place} reads {name}, which no test saw emitted"))
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
    // And nothing is emitted that the catalog does not know.
    let unknown: Vec<&String> = emitted.keys().filter(|name| entry(name).is_none()).collect();
    assert!(unknown.is_empty(), "emitted but not catalogued: {unknown:?}");
}
