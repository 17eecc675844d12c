//! EMF documents as tests compare them: each checked as CloudWatch would read it (`emf::Document::parse`), then
//! with what changes from run to run (timestamps, request ids, booking references, latencies) replaced by
//! placeholders, so a snapshot shows exactly what a function emits and nothing that varies.

use std::collections::BTreeSet;

use serde_json::Value;

/// Placeholders for the members that vary between runs.
const VARYING: [(&str, &str); 3] =
    [("requestId", "[request-id]"), ("bookingReference", "[booking-reference]"), ("HandlerLatency", "[milliseconds]")];

/// Every document parsed, validated and normalised, in the order given.
///
/// # Panics
/// When a document is not valid EMF: the test that wrote it fails.
pub fn normalised(documents: &[String]) -> Vec<Value> {
    documents.iter().map(|d| normalise(d)).collect()
}

fn normalise(document: &str) -> Value {
    if let Err(e) = ::emf::Document::parse(document) {
        panic!("not a valid EMF document ({e}): {document}");
    }
    let mut value: Value = serde_json::from_str(document).unwrap_or_else(|e| panic!("not JSON ({e}): {document}"));
    if let Some(timestamp) = value.pointer_mut("/_aws/Timestamp") {
        *timestamp = Value::from(0);
    }
    if let Some(object) = value.as_object_mut() {
        for (key, placeholder) in VARYING {
            if let Some(member) = object.get_mut(key) {
                *member = Value::String(placeholder.to_owned());
            }
        }
    }
    value
}

/// The names of every metric the documents carry.
pub fn metric_names(documents: &[String]) -> BTreeSet<String> {
    documents
        .iter()
        .filter_map(|d| ::emf::Document::parse(d).ok())
        .flat_map(|d| d.datums().iter().map(|datum| datum.name.clone()).collect::<Vec<_>>())
        .collect()
}
