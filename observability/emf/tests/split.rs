//! Random metric sets through the splitter: every document is valid, no value is lost or invented, and no more
//! documents are written than the limits force.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::collections::BTreeMap;

use emf::{
    DimensionName, DimensionValue, Dimensions, MAX_METRICS_PER_DOCUMENT, MAX_VALUES_PER_METRIC, MetricDef, MetricSet, Resolution, Scope,
    Unit,
};
use proptest::prelude::*;
use support::{target, valid};

const NAMES: usize = 160;
const CHANNEL: DimensionName = DimensionName::new("channel");
const REGION: DimensionName = DimensionName::new("region");

fn name(i: usize) -> &'static str {
    static NAMES_STORE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES_STORE.get_or_init(|| (0..NAMES).map(|i| format!("Metric{i:03}")).collect())[i].as_str()
}

fn def(name_index: usize, unit: usize, high: bool, per_service: bool) -> MetricDef {
    // A few names come in two units: the same name may then not share a document with itself.
    let unit = [Unit::Count, Unit::Milliseconds][unit];
    let resolution = if high { Resolution::High } else { Resolution::Standard };
    let scope = if per_service { Scope::FunctionAndService } else { Scope::Function };
    MetricDef::new(name(name_index), unit, resolution, scope)
}

fn dimensions(choice: usize) -> Dimensions {
    let v = |s: &str| DimensionValue::new(s).unwrap();
    match choice {
        0 => Dimensions::none(),
        1 => Dimensions::one(CHANNEL, v("sms")).unwrap(),
        2 => Dimensions::one(CHANNEL, v("email")).unwrap(),
        _ => Dimensions::new(vec![(CHANNEL, v("sms")), (REGION, v("eu-west-1"))]).unwrap(),
    }
}

#[derive(Debug, Clone)]
struct Recording {
    name: usize,
    unit: usize,
    high: bool,
    per_service: bool,
    dimensions: usize,
    value: f64,
    times: usize,
}

fn recording() -> impl Strategy<Value = Recording> {
    (0..NAMES, prop_oneof![8 => Just(0usize), 1 => Just(1usize)], any::<bool>(), any::<bool>(), 0..4usize, -1e12..1e12f64, 1..=140usize)
        .prop_map(|(name, unit, high, per_service, dimensions, value, times)| Recording {
            name,
            unit,
            high,
            per_service,
            dimensions,
            value,
            times,
        })
}

/// (extra dimensions, metric) -> values, as recorded, and as read back from the documents.
type Model = BTreeMap<(Vec<(String, String)>, String, Unit, Resolution, bool), Vec<f64>>;

fn least_documents(model: &Model) -> usize {
    // Per group (extra dimensions): max(most chunks of one name, ceil(all chunks / 100)).
    type Chunks = (BTreeMap<String, usize>, usize);
    let mut groups: BTreeMap<Vec<(String, String)>, Chunks> = BTreeMap::new();
    for ((dims, name, _, _, _), values) in model {
        let chunks = values.len().div_ceil(MAX_VALUES_PER_METRIC);
        let (per_name, total) = groups.entry(dims.clone()).or_default();
        *per_name.entry(name.clone()).or_default() += chunks;
        *total += chunks;
    }
    groups
        .values()
        .map(|(per_name, total)| per_name.values().copied().max().unwrap_or(0).max(total.div_ceil(MAX_METRICS_PER_DOCUMENT)))
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn split_documents_are_valid_complete_and_few(recordings in prop::collection::vec(recording(), 0..220)) {
        let mut set = MetricSet::new();
        let mut expected = Model::new();
        for r in &recordings {
            let def = def(r.name, r.unit, r.high, r.per_service);
            let dims = dimensions(r.dimensions);
            let extra: Vec<(String, String)> = dims.iter().map(|(n, v)| (n.as_str().to_owned(), v.as_str().to_owned())).collect();
            for _ in 0..r.times {
                prop_assert!(set.add(def, &dims, r.value));
                expected.entry((extra.clone(), def.name().to_owned(), def.unit(), def.resolution(), r.per_service)).or_default().push(r.value);
            }
        }

        let documents = set.documents(&target(), 1_700_000_000_000);
        let mut actual = Model::new();
        for text in &documents {
            let document = valid(text);
            let datums = document.datums();
            // A metric appears once per dimension set of its directive: read its values from the
            // [service, function, extra...] set; the service-wide set, when present, must carry the same values.
            let per_function: Vec<_> = datums.iter().filter(|d| d.dimensions.iter().any(|(n, _)| n == "function")).collect();
            prop_assert!(per_function.len() <= MAX_METRICS_PER_DOCUMENT);
            for datum in per_function {
                prop_assert!(datum.values.len() <= MAX_VALUES_PER_METRIC);
                prop_assert_eq!(&datum.dimensions[..2], &[("service".into(), "booking".into()), ("function".into(), "payment".into())]);
                let extra = datum.dimensions[2..].to_vec();
                let service_wide = datums.iter().find(|d| d.name == datum.name && d.dimensions.iter().all(|(n, _)| n != "function"));
                if let Some(service_wide) = service_wide {
                    prop_assert_eq!(&service_wide.values, &datum.values);
                    prop_assert_eq!(&service_wide.dimensions[1..], &extra[..]);
                }
                let key = (extra, datum.name.clone(), datum.unit, datum.resolution, service_wide.is_some());
                actual.entry(key).or_default().extend(&datum.values);
            }
        }
        for values in expected.values_mut().chain(actual.values_mut()) {
            values.sort_by(f64::total_cmp);
        }
        prop_assert_eq!(&actual, &expected);
        prop_assert_eq!(documents.len(), least_documents(&expected));
    }
}

#[test]
fn values_json_cannot_carry_are_refused() {
    let mut set = MetricSet::new();
    let metric = def(0, 0, false, false);
    assert!(!set.add(metric, &Dimensions::none(), f64::NAN));
    assert!(!set.add(metric, &Dimensions::none(), f64::INFINITY));
    assert!(set.is_empty());
    assert!(set.add(metric, &Dimensions::none(), -0.5));
    assert_eq!(set.value_count(), 1);
}

#[test]
fn a_large_set_splits_as_the_limits_force() {
    // 250 values of one metric need three documents; 150 further metrics fit beside them in two.
    let mut set = MetricSet::new();
    for i in 0..250 {
        set.add(def(0, 0, false, true), &Dimensions::none(), f64::from(i));
    }
    for n in 1..151 {
        set.add(def(n, 0, false, true), &Dimensions::none(), 1.0);
    }
    let documents = set.documents(&target(), 0);
    assert_eq!(documents.len(), 3);
    let counts: Vec<usize> = documents.iter().map(|d| valid(d).datums().len() / 2).collect();
    assert_eq!(counts.iter().sum::<usize>(), 3 + 150);
    assert!(counts.iter().all(|c| *c <= 100), "{counts:?}");
}
