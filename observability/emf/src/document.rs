//! The values one invocation recorded, and their EMF documents.
//!
//! The specification caps a document at 100 metric definitions and a metric at 100 values. Values are never
//! dropped to fit: a metric's values are cut into chunks of at most 100, and the chunks are dealt round-robin
//! over `D` documents, where `D` is the least number that can work — at least the largest number of chunks any
//! one name has (two chunks of one name may not share a document), and at least the number of chunks divided by
//! 100, rounded up. Dealing consecutive chunks of one name to consecutive documents keeps them apart, and
//! round-robin puts at most `ceil(chunks / D) <= 100` definitions in each.
//!
//! Metrics with the same extra dimensions share documents whatever their [`Scope`]: a document carries one
//! directive per scope present, so an invocation's business counters and its latency make one document.

use serde_json::Value;

use crate::config::Target;
use crate::metric::{Dimensions, FUNCTION, MetricDef, SERVICE, Scope};
use crate::name::PropertyKey;
use crate::unit::Resolution;

/// At most this many metric definitions per document (EMF specification, `MetricDirective.Metrics`).
pub const MAX_METRICS_PER_DOCUMENT: usize = 100;
/// At most this many values per metric per document (EMF specification, target members).
pub const MAX_VALUES_PER_METRIC: usize = 100;

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    def: MetricDef,
    values: Vec<f64>,
}

/// The metrics recorded under one combination of extra dimensions: they share dimension values, so they can
/// share documents (one directive per scope, each with its dimension sets).
#[derive(Debug, Clone, PartialEq)]
struct Group {
    dimensions: Dimensions,
    entries: Vec<Entry>,
}

/// Metrics and properties recorded during one invocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricSet {
    groups: Vec<Group>,
    properties: Vec<(PropertyKey, Value)>,
}

impl MetricSet {
    pub fn new() -> Self {
        MetricSet::default()
    }

    /// Records one value. Returns `false` (and records nothing) for NaN and infinities, which JSON cannot carry
    /// and CloudWatch would refuse.
    pub fn add(&mut self, def: MetricDef, dimensions: &Dimensions, value: f64) -> bool {
        if !value.is_finite() {
            return false;
        }
        let group = match self.groups.iter().position(|g| &g.dimensions == dimensions) {
            Some(i) => &mut self.groups[i],
            None => {
                self.groups.push(Group { dimensions: dimensions.clone(), entries: Vec::new() });
                let last = self.groups.len() - 1;
                &mut self.groups[last]
            }
        };
        match group.entries.iter_mut().find(|e| e.def == def) {
            Some(entry) => entry.values.push(value),
            None => group.entries.push(Entry { def, values: vec![value] }),
        }
        true
    }

    /// Sets a property on every document of this set (the last value for a key wins).
    pub fn set_property(&mut self, key: PropertyKey, value: Value) {
        match self.properties.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.properties.push((key, value)),
        }
    }

    /// No metric value recorded (properties alone make no document).
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.entries.is_empty())
    }

    /// How many values were recorded, over all metrics.
    pub fn value_count(&self) -> usize {
        self.groups.iter().flat_map(|g| &g.entries).map(|e| e.values.len()).sum()
    }

    /// The EMF documents for this set, one JSON text each (no newline), in a stable order: groups as first
    /// recorded, metrics by name within a group.
    pub fn documents(&self, target: &Target, timestamp_ms: u64) -> Vec<String> {
        let mut out = Vec::new();
        for group in &self.groups {
            let mut entries: Vec<&Entry> = group.entries.iter().collect();
            entries.sort_by(|a, b| a.def.name().cmp(b.def.name()).then_with(|| a.def.cmp(&b.def)));
            for items in deal(&entries) {
                out.push(write_document(target, timestamp_ms, group, &items, &self.properties));
            }
        }
        out
    }
}

/// One metric definition in one document: a chunk of at most 100 of its values.
struct Item<'a> {
    def: &'a MetricDef,
    values: &'a [f64],
}

/// Cuts values into chunks and deals them over the fewest documents the limits allow (see the module docs).
/// `entries` must be sorted by name so that the chunks of one name are consecutive.
fn deal<'a>(entries: &[&'a Entry]) -> Vec<Vec<Item<'a>>> {
    let chunks: Vec<Item<'a>> =
        entries.iter().flat_map(|e| e.values.chunks(MAX_VALUES_PER_METRIC).map(move |values| Item { def: &e.def, values })).collect();
    if chunks.is_empty() {
        return Vec::new();
    }
    let mut most_of_one_name = 0;
    let mut run = 0;
    for (i, item) in chunks.iter().enumerate() {
        run = if i > 0 && chunks[i - 1].def.name() == item.def.name() { run + 1 } else { 1 };
        most_of_one_name = most_of_one_name.max(run);
    }
    let documents = most_of_one_name.max(chunks.len().div_ceil(MAX_METRICS_PER_DOCUMENT));
    let mut out: Vec<Vec<Item<'a>>> = (0..documents).map(|_| Vec::new()).collect();
    for (i, item) in chunks.into_iter().enumerate() {
        out[i % documents].push(item);
    }
    out
}

fn write_document(target: &Target, timestamp_ms: u64, group: &Group, items: &[Item<'_>], properties: &[(PropertyKey, Value)]) -> String {
    let mut buf: Vec<u8> = Vec::with_capacity(256 + 64 * items.len());
    let extra: Vec<(&str, &str)> = group.dimensions.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let set = |names: &[&'static str]| names.iter().copied().chain(extra.iter().map(|(n, _)| *n)).collect::<Vec<&str>>();

    buf.extend_from_slice(br#"{"_aws":{"Timestamp":"#);
    write_json(&mut buf, &timestamp_ms);
    buf.extend_from_slice(br#","CloudWatchMetrics":["#);
    let mut directives = 0;
    for scope in [Scope::FunctionAndService, Scope::Function] {
        let metrics: Vec<&Item<'_>> = items.iter().filter(|item| item.def.scope() == scope).collect();
        if metrics.is_empty() {
            continue;
        }
        let sets = match scope {
            Scope::FunctionAndService => vec![set(&[SERVICE.as_str(), FUNCTION.as_str()]), set(&[SERVICE.as_str()])],
            Scope::Function => vec![set(&[SERVICE.as_str(), FUNCTION.as_str()])],
        };
        if directives > 0 {
            buf.push(b',');
        }
        directives += 1;
        buf.extend_from_slice(br#"{"Namespace":"#);
        write_json(&mut buf, target.namespace().as_str());
        buf.extend_from_slice(br#","Dimensions":"#);
        write_json(&mut buf, &sets);
        buf.extend_from_slice(br#","Metrics":["#);
        for (i, item) in metrics.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(br#"{"Name":"#);
            write_json(&mut buf, item.def.name());
            buf.extend_from_slice(br#","Unit":"#);
            write_json(&mut buf, item.def.unit().as_str());
            if item.def.resolution() != Resolution::Standard {
                buf.extend_from_slice(br#","StorageResolution":"#);
                write_json(&mut buf, &item.def.resolution().seconds());
            }
            buf.push(b'}');
        }
        buf.extend_from_slice(b"]}");
    }
    buf.extend_from_slice(b"]}");

    let mut taken: Vec<&str> = vec![SERVICE.as_str(), FUNCTION.as_str()];
    member(&mut buf, SERVICE.as_str(), target.service().as_str());
    member(&mut buf, FUNCTION.as_str(), target.function().as_str());
    for (name, value) in &extra {
        member(&mut buf, name, value);
        taken.push(name);
    }
    for item in items {
        buf.push(b',');
        write_json(&mut buf, item.def.name());
        buf.push(b':');
        match item.values {
            [one] => write_json(&mut buf, one),
            many => write_json(&mut buf, many),
        }
        taken.push(item.def.name());
    }
    for (key, value) in properties {
        if taken.contains(&key.as_str()) {
            tracing::warn!(property = key.as_str(), "an EMF property has the name of a metric or dimension in the same document; left out");
            continue;
        }
        member(&mut buf, key.as_str(), value);
    }
    buf.push(b'}');
    // serde_json writes valid UTF-8 and every literal above is ASCII.
    String::from_utf8(buf).unwrap_or_default()
}

fn member<T: serde::Serialize + ?Sized>(buf: &mut Vec<u8>, name: &str, value: &T) {
    buf.push(b',');
    write_json(buf, name);
    buf.push(b':');
    write_json(buf, value);
}

fn write_json<T: serde::Serialize + ?Sized>(buf: &mut Vec<u8>, value: &T) {
    // Writing to a Vec cannot fail, and every value here (strings, finite numbers, JSON values) serializes.
    let _ = serde_json::to_writer(&mut *buf, value);
}
