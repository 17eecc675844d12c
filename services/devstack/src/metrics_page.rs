//! `/dev/metrics`: the operations dashboard (`observability/dashboards/operations.json`, the very definition
//! `monitoring.yaml` deploys) drawn from the local stack's EMF stream (`metrics.jsonl` under the data directory).
//! Each widget's rows are matched to the documents as CloudWatch matches a metric: namespace, name and exactly
//! the row's dimensions; the row's statistic is applied per one-minute bucket for a time series and over the
//! whole window for a single value. Rows CloudWatch computes (metric math) or AWS services publish are named,
//! not imitated. Charts are inline SVG drawn here (no chart library, no inline script), so the site's CSP holds;
//! a small same-origin script reloads the page every ten seconds unless the reader switches that off (a page
//! that refreshes itself with no way to stop it fails WCAG 2.2.1, which axe-core enforces).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The dashboard as deployed.
pub const DASHBOARD: &str = include_str!("../../../observability/dashboards/operations.json");

/// How far back the page looks, in one-minute buckets.
const WINDOW_MINUTES: i64 = 60;
const BUCKET_MS: i64 = 60_000;

#[derive(Debug)]
pub struct MetricsPage {
    pub path: PathBuf,
    pub environment: &'static str,
    pub clock: Arc<crate::DevClock>,
}

/// One value of one metric under one dimension set, as CloudWatch stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub timestamp_ms: i64,
    pub value: f64,
}

/// Every datum of the stream, by (namespace, name, dimensions in a canonical order).
pub type Series = BTreeMap<(String, String, Vec<(String, String)>), Vec<Point>>;

/// Reads the stream; a line that is not a valid document is skipped (and logged), as CloudWatch skips it.
pub fn read_stream(text: &str) -> Series {
    let mut series = Series::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let document = match emf::Document::parse(line) {
            Ok(document) => document,
            Err(error) => {
                tracing::warn!(%error, "skipping an invalid EMF line");
                continue;
            }
        };
        for datum in document.datums() {
            let mut dimensions = datum.dimensions.clone();
            dimensions.sort();
            let timestamp_ms = i64::try_from(datum.timestamp_ms).unwrap_or(i64::MAX);
            let points = series.entry((datum.namespace.clone(), datum.name.clone(), dimensions)).or_default();
            points.extend(datum.values.iter().map(|value| Point { timestamp_ms, value: *value }));
        }
    }
    series
}

/// A dashboard row: a metric (namespace, name, dimensions, statistic, label) or something CloudWatch computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Metric { namespace: String, name: String, dimensions: Vec<(String, String)>, stat: String, label: String },
    Expression { label: String, expression: String },
}

/// A widget's rows, with `${Environment}` and `${AWS::Region}` substituted and the `"..."` shorthand expanded
/// (a row repeating the previous one's namespace and name).
pub fn rows(widget: &Value, environment: &str) -> Vec<Row> {
    let properties = &widget["properties"];
    let default_stat = properties["stat"].as_str().unwrap_or("Average");
    let substitute = |s: &str| s.replace("${Environment}", environment).replace("${AWS::Region}", "local");
    let mut previous: Option<(String, String)> = None;
    let mut out = Vec::new();
    for row in properties["metrics"].as_array().into_iter().flatten() {
        let Some(items) = row.as_array() else { continue };
        let options = items.iter().find(|v| v.is_object()).cloned().unwrap_or(Value::Null);
        let label = |fallback: &str| options["label"].as_str().map_or_else(|| fallback.to_owned(), str::to_owned);
        if let Some(expression) = options["expression"].as_str() {
            out.push(Row::Expression { label: label(expression), expression: expression.to_owned() });
            continue;
        }
        let strings: Vec<String> = items.iter().filter_map(Value::as_str).map(substitute).collect();
        let (namespace, name, rest) = match strings.first().map(String::as_str) {
            Some("...") | Some("..") => match &previous {
                Some((namespace, name)) => (namespace.clone(), name.clone(), &strings[1..]),
                None => continue,
            },
            _ if strings.len() >= 2 => (strings[0].clone(), strings[1].clone(), &strings[2..]),
            _ => continue,
        };
        let mut dimensions: Vec<(String, String)> = rest.chunks_exact(2).map(|kv| (kv[0].clone(), kv[1].clone())).collect();
        dimensions.sort();
        let stat = options["stat"].as_str().unwrap_or(default_stat).to_owned();
        previous = Some((namespace.clone(), name.clone()));
        out.push(Row::Metric { label: label(&name), namespace, name, dimensions, stat });
    }
    out
}

/// A CloudWatch statistic over some values; `None` without data (CloudWatch shows no point, not zero).
pub fn statistic(stat: &str, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let sum: f64 = values.iter().sum();
    match stat {
        "Sum" => Some(sum),
        "Maximum" => values.iter().copied().reduce(f64::max),
        "Minimum" => values.iter().copied().reduce(f64::min),
        "SampleCount" => Some(values.len() as f64),
        "Average" => Some(sum / values.len() as f64),
        p if p.starts_with('p') => {
            let percent: f64 = p[1..].parse().ok()?;
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            // Nearest rank.
            let rank = ((percent / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
            sorted.get(rank - 1).copied()
        }
        _ => None,
    }
}

fn points<'a>(series: &'a Series, namespace: &str, name: &str, dimensions: &[(String, String)]) -> &'a [Point] {
    series.get(&(namespace.to_owned(), name.to_owned(), dimensions.to_vec())).map_or(&[], Vec::as_slice)
}

/// The row's statistic over the window.
pub fn total(series: &Series, row: &Row, since_ms: i64) -> Option<f64> {
    let Row::Metric { namespace, name, dimensions, stat, .. } = row else { return None };
    let values: Vec<f64> =
        points(series, namespace, name, dimensions).iter().filter(|p| p.timestamp_ms >= since_ms).map(|p| p.value).collect();
    statistic(stat, &values)
}

/// The row's statistic per bucket, oldest first.
fn buckets(series: &Series, row: &Row, since_ms: i64) -> Vec<Option<f64>> {
    let Row::Metric { namespace, name, dimensions, stat, .. } = row else { return Vec::new() };
    let mut per_bucket: Vec<Vec<f64>> = vec![Vec::new(); WINDOW_MINUTES as usize];
    for point in points(series, namespace, name, dimensions) {
        let index = (point.timestamp_ms - since_ms).div_euclid(BUCKET_MS);
        if let Some(bucket) = usize::try_from(index).ok().and_then(|i| per_bucket.get_mut(i)) {
            bucket.push(point.value);
        }
    }
    per_bucket.iter().map(|values| statistic(stat, values)).collect()
}

const COLOURS: [&str; 6] = ["#1f6fb2", "#d9822b", "#2e8540", "#b03a2e", "#7a4fa3", "#5c5c5c"];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn number(value: Option<f64>) -> String {
    match value {
        None => "–".to_owned(),
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
    }
}

/// A line chart of the rows' buckets: one polyline per row, a dot where a bucket has data.
fn chart(series: &Series, rows: &[Row], since_ms: i64) -> String {
    let (width, height, pad) = (600.0_f64, 160.0_f64, 24.0_f64);
    let lines: Vec<Vec<Option<f64>>> = rows.iter().map(|row| buckets(series, row, since_ms)).collect();
    let max = lines.iter().flatten().flatten().copied().fold(0.0_f64, f64::max).max(1.0);
    let x = |i: usize| pad + (width - 2.0 * pad) * i as f64 / (WINDOW_MINUTES - 1) as f64;
    let y = |v: f64| height - pad - (height - 2.0 * pad) * v / max;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"last {WINDOW_MINUTES} minutes\">\
         <line x1=\"{pad}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" stroke=\"#999\"/>\
         <text x=\"2\" y=\"{top}\" font-size=\"10\" fill=\"#555\">{max_label}</text>\
         <text x=\"2\" y=\"{base}\" font-size=\"10\" fill=\"#555\">0</text>\
         <text x=\"{right}\" y=\"{bottom}\" font-size=\"10\" fill=\"#555\" text-anchor=\"end\">now</text>\
         <text x=\"{pad}\" y=\"{bottom}\" font-size=\"10\" fill=\"#555\">-{WINDOW_MINUTES} min</text>",
        base = height - pad,
        right = width - pad,
        top = pad,
        bottom = height - 6.0,
        max_label = number(Some(max)),
    );
    for (n, line) in lines.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        let coordinates: Vec<String> = line.iter().enumerate().filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v)))).collect();
        if coordinates.len() > 1 {
            let _ = write!(svg, "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>", coordinates.join(" "));
        }
        for point in &coordinates {
            if let Some((cx, cy)) = point.split_once(',') {
                let _ = write!(svg, "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"3\" fill=\"{colour}\"/>");
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The rows as a legend table: label, statistic over the window, and what a local run cannot show.
fn legend(series: &Series, rows: &[Row], since_ms: i64) -> String {
    let mut html = String::from("<table><tbody>");
    for (n, row) in rows.iter().enumerate() {
        let colour = format!("swatch-{}", n % COLOURS.len());
        match row {
            Row::Metric { namespace, name, stat, label, .. } if namespace.starts_with(booking_metrics::NAMESPACE_PREFIX) => {
                let _ = write!(
                    html,
                    "<tr><th scope=\"row\"><span class=\"swatch {colour}\"></span>{}</th><td data-metric=\"{}\" data-label=\"{}\">{}</td><td class=\"stat\">{}</td></tr>",
                    escape(label),
                    escape(name),
                    escape(label),
                    number(total(series, row, since_ms)),
                    escape(stat)
                );
            }
            Row::Metric { namespace, label, .. } => {
                let _ = write!(
                    html,
                    "<tr><th scope=\"row\">{}</th><td colspan=\"2\" class=\"note\">{} publishes this in AWS; nothing local stands in for it</td></tr>",
                    escape(label),
                    escape(namespace)
                );
            }
            Row::Expression { label, expression } => {
                let _ = write!(
                    html,
                    "<tr><th scope=\"row\">{}</th><td colspan=\"2\" class=\"note\">metric math in CloudWatch: <code>{}</code></td></tr>",
                    escape(label),
                    escape(expression)
                );
            }
        }
    }
    html.push_str("</tbody></table>");
    html
}

/// The whole page for `dashboard` over `series`, the window ending at `now_ms`.
pub fn render(dashboard: &Value, series: &Series, environment: &str, now_ms: i64) -> String {
    let since_ms = now_ms - WINDOW_MINUTES * BUCKET_MS;
    let mut sections = String::new();
    for widget in dashboard["widgets"].as_array().into_iter().flatten() {
        let properties = &widget["properties"];
        match widget["type"].as_str() {
            Some("metric") => {
                let title = properties["title"].as_str().unwrap_or("metrics");
                let rows = rows(widget, environment);
                let local: Vec<Row> = rows
                    .iter()
                    .filter(|r| matches!(r, Row::Metric { namespace, .. } if namespace.starts_with(booking_metrics::NAMESPACE_PREFIX)))
                    .cloned()
                    .collect();
                let figure =
                    if properties["view"] == "singleValue" || local.is_empty() { String::new() } else { chart(series, &local, since_ms) };
                let _ = write!(
                    sections,
                    "<section class=\"widget\"><h2>{}</h2>{figure}{}</section>",
                    escape(title),
                    legend(series, &rows, since_ms)
                );
            }
            Some("text") => {
                let _ = write!(
                    sections,
                    "<section class=\"widget text\"><pre>{}</pre></section>",
                    escape(&properties["markdown"].as_str().unwrap_or("").replace("${Environment}", environment))
                );
            }
            Some(other) => {
                let title = properties["title"].as_str().unwrap_or(other);
                let _ = write!(
                    sections,
                    "<section class=\"widget\"><h2>{}</h2><p class=\"note\">shown by CloudWatch only ({})</p></section>",
                    escape(title),
                    escape(other)
                );
            }
            None => {}
        }
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Metrics – local stack</title><link rel=\"stylesheet\" href=\"/dev/metrics.css\">\
         <script type=\"module\" src=\"/dev/metrics.js\"></script></head>\
         <body><main><h1>Operations dashboard (local)</h1><p>The dashboard CloudWatch shows, drawn from this stack's EMF stream \
         (namespace <code>{namespace}</code>, last {WINDOW_MINUTES} minutes by the stack's clock).</p>\
         <p><label><input type=\"checkbox\" id=\"auto-refresh\" checked> Refresh every 10 seconds</label></p>\
         <div class=\"grid\">{sections}</div></main></body></html>",
        namespace = escape(&booking_metrics::namespace(environment)),
    )
}

pub async fn html(State(page): State<Arc<MetricsPage>>) -> Response {
    // A stack that has served nothing yet has no file: an empty stream.
    let text = std::fs::read_to_string(&page.path).unwrap_or_default();
    let series = read_stream(&text);
    let dashboard: Value = serde_json::from_str(DASHBOARD).unwrap_or(Value::Null);
    let now_ms = booking_ports::Clock::now(page.clock.as_ref()).timestamp_millis();
    let mut response = render(&dashboard, &series, page.environment, now_ms).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    crate::site::security_headers(response.headers_mut());
    response
}

/// Reloads the page every ten seconds while the box is ticked; the choice is kept for the browser tab.
const SCRIPT: &str = "const box = document.getElementById('auto-refresh');\n\
let timer;\n\
function schedule() {\n  clearTimeout(timer);\n  if (box.checked) timer = setTimeout(() => location.reload(), 10000);\n}\n\
box.checked = sessionStorage.getItem('metrics.refresh') !== 'off';\n\
box.addEventListener('change', () => {\n  sessionStorage.setItem('metrics.refresh', box.checked ? 'on' : 'off');\n  schedule();\n});\n\
schedule();\n";

pub async fn script() -> Response {
    let mut response = SCRIPT.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    response
}

pub async fn css() -> Response {
    let mut css = String::from(
        "body{font-family:system-ui,sans-serif;margin:0;background:#f6f5f2;color:#1d1d1b}main{max-width:80rem;margin:auto;padding:1rem}\
         .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(34rem,1fr));gap:1rem}\
         .widget{background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:.75rem}.widget h2{font-size:1rem;margin:0 0 .5rem}\
         svg{width:100%;height:auto}table{border-collapse:collapse;width:100%;font-size:.85rem}th{text-align:left;font-weight:normal}\
         td{text-align:right;padding:.1rem .4rem}.stat{color:#555}.note{color:#555;text-align:left;font-size:.8rem}\
         .text pre{white-space:pre-wrap;font-family:inherit;margin:0}.swatch{display:inline-block;width:.7rem;height:.7rem;margin-right:.35rem;border-radius:2px}",
    );
    for (n, colour) in COLOURS.iter().enumerate() {
        let _ = write!(css, ".swatch-{n}{{background:{colour}}}");
    }
    let mut response = css.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(function: &str, metrics: &[(&str, f64)], timestamp_ms: i64) -> String {
        let names: Vec<Value> = metrics.iter().map(|(n, _)| serde_json::json!({"Name": n, "Unit": "Count"})).collect();
        let mut root = serde_json::json!({
            "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [{"Namespace": "HarbourView/local", "Dimensions": [["service", "function"], ["service"]], "Metrics": names}]},
            "service": "booking", "function": function
        });
        for (name, value) in metrics {
            root[*name] = serde_json::json!(value);
        }
        root.to_string()
    }

    #[test]
    fn the_dashboard_rows_read_the_stream_as_cloudwatch_would() {
        let now = 10 * 60 * 60 * 1000;
        let stream = [
            document("harbour-local-payment", &[("BookingRequested", 1.0), ("HoldPlaced", 1.0)], now - 120_000),
            document("harbour-local-payment", &[("BookingRequested", 1.0), ("HoldRejectedSoldOut", 1.0)], now - 60_000),
            // Outside the window: not counted.
            document("harbour-local-payment", &[("BookingRequested", 1.0)], now - 2 * 60 * 60 * 1000),
            "not json".to_owned(),
        ]
        .join("\n");
        let series = read_stream(&stream);
        let dashboard: Value = serde_json::from_str(DASHBOARD).unwrap();
        let funnel = dashboard["widgets"].as_array().unwrap().iter().find(|w| w["properties"]["view"] == "singleValue").unwrap();
        let rows = rows(funnel, "local");
        let since = now - WINDOW_MINUTES * BUCKET_MS;
        let figures: Vec<(String, Option<f64>)> = rows
            .iter()
            .filter_map(|r| match r {
                Row::Metric { name, .. } => Some((name.clone(), total(&series, r, since))),
                Row::Expression { .. } => None,
            })
            .collect();
        assert_eq!(
            figures,
            [
                ("BookingRequested".into(), Some(2.0)),
                ("HoldPlaced".into(), Some(1.0)),
                ("PaymentAuthorized".into(), None),
                ("BookingConfirmed".into(), None)
            ]
        );
        let page = render(&dashboard, &series, "local", now);
        assert!(page.contains("data-metric=\"BookingRequested\" data-label=\"requested\">2<"), "{page}");
        assert!(page.contains("<polyline") && page.contains("Lambda errors") && page.contains("publishes this in AWS"));
        assert!(!page.contains("<script>") && !page.contains("style=\""), "nothing the CSP would refuse: {page}");
        assert!(page.contains("<script type=\"module\" src=\"/dev/metrics.js\"></script>") && page.contains("id=\"auto-refresh\" checked"));
    }

    #[test]
    fn statistics_are_cloudwatchs() {
        let values = [5.0, 1.0, 3.0, 2.0, 4.0];
        let stat = |s| statistic(s, &values);
        assert_eq!((stat("Sum"), stat("Maximum"), stat("Minimum"), stat("SampleCount")), (Some(15.0), Some(5.0), Some(1.0), Some(5.0)));
        assert_eq!((stat("Average"), stat("p50"), stat("p99")), (Some(3.0), Some(3.0), Some(5.0)));
        assert_eq!(statistic("Sum", &[]), None);
    }
}
