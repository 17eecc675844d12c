//! Reading an EMF document back, as CloudWatch Logs does when it extracts metrics: every rule of the
//! specification is checked, including the ones a JSON Schema cannot state (each referenced metric and
//! dimension is a member of the root, metric members are numbers or arrays of at most 100 numbers, dimension
//! members are strings CloudWatch accepts). The result lists one [`Datum`] per metric and dimension set.

use serde_json::{Map, Value};

use crate::Error;
use crate::document::{MAX_METRICS_PER_DOCUMENT, MAX_VALUES_PER_METRIC};
use crate::metric::MAX_DIMENSIONS_PER_SET;
use crate::name::{DimensionValue, MAX_NAME_LEN, Namespace, RESERVED};
use crate::unit::{Resolution, Unit};

/// What CloudWatch would store from one metric of one directive under one dimension set.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub namespace: String,
    pub name: String,
    pub unit: Unit,
    pub resolution: Resolution,
    /// In the order of the dimension set.
    pub dimensions: Vec<(String, String)>,
    pub values: Vec<f64>,
    pub timestamp_ms: u64,
}

/// A valid EMF document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    root: Map<String, Value>,
    timestamp_ms: u64,
    datums: Vec<Datum>,
}

impl Document {
    /// Parses and checks one document (one log line).
    pub fn parse(text: &str) -> Result<Document, Error> {
        let root: Value = serde_json::from_str(text).map_err(|e| invalid(format!("not a JSON object: {e}")))?;
        let Value::Object(root) = root else {
            return Err(invalid("the document is not a JSON object"));
        };
        let meta = root.get(RESERVED).and_then(Value::as_object).ok_or_else(|| invalid("no `_aws` object"))?;
        only_members(meta, &["Timestamp", "CloudWatchMetrics"], "metadata object")?;
        let timestamp_ms =
            meta.get("Timestamp").and_then(Value::as_u64).ok_or_else(|| invalid("`_aws.Timestamp` is not a non-negative integer"))?;
        let directives =
            meta.get("CloudWatchMetrics").and_then(Value::as_array).ok_or_else(|| invalid("`_aws.CloudWatchMetrics` is not an array"))?;
        let mut datums = Vec::new();
        for directive in directives {
            datums.extend(read_directive(&root, directive, timestamp_ms)?);
        }
        Ok(Document { root, timestamp_ms, datums })
    }

    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// The metrics CloudWatch extracts from this document.
    pub fn datums(&self) -> &[Datum] {
        &self.datums
    }

    /// A root member that is neither metadata, metric nor dimension (or any member, by name).
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.root.get(name)
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidDocument(reason.into())
}

fn read_directive(root: &Map<String, Value>, directive: &Value, timestamp_ms: u64) -> Result<Vec<Datum>, Error> {
    let directive = directive.as_object().ok_or_else(|| invalid("a MetricDirective is not an object"))?;
    only_members(directive, &["Namespace", "Dimensions", "Metrics"], "MetricDirective")?;
    let namespace =
        directive.get("Namespace").and_then(Value::as_str).ok_or_else(|| invalid("a MetricDirective has no string `Namespace`"))?;
    Namespace::new(namespace)?;
    let sets =
        directive.get("Dimensions").and_then(Value::as_array).ok_or_else(|| invalid("a MetricDirective has no `Dimensions` array"))?;
    let metrics = directive.get("Metrics").and_then(Value::as_array).ok_or_else(|| invalid("a MetricDirective has no `Metrics` array"))?;
    if sets.is_empty() {
        return Err(invalid("a MetricDirective has no DimensionSet (use `[[]]` for none)"));
    }
    if metrics.len() > MAX_METRICS_PER_DOCUMENT {
        return Err(invalid(format!("{} metric definitions in one directive (at most {MAX_METRICS_PER_DOCUMENT})", metrics.len())));
    }

    let mut dimension_sets = Vec::new();
    for set in sets {
        let set = set.as_array().ok_or_else(|| invalid("a DimensionSet is not an array"))?;
        if set.len() > MAX_DIMENSIONS_PER_SET {
            return Err(invalid(format!("a DimensionSet has {} dimensions (at most {MAX_DIMENSIONS_PER_SET})", set.len())));
        }
        let mut dimensions = Vec::new();
        for name in set {
            let name = name.as_str().ok_or_else(|| invalid("a dimension reference is not a string"))?;
            if name.is_empty() || name.len() > MAX_NAME_LEN || name.starts_with(':') || name == RESERVED {
                return Err(invalid(format!("`{name}` is not a valid dimension name")));
            }
            let value = root.get(name).ok_or_else(|| invalid(format!("dimension `{name}` is not a member of the root")))?;
            let value = value.as_str().ok_or_else(|| invalid(format!("dimension `{name}` is not a string")))?;
            DimensionValue::new(value).map_err(|e| invalid(format!("dimension `{name}`: {e}")))?;
            dimensions.push((name.to_owned(), value.to_owned()));
        }
        dimension_sets.push(dimensions);
    }

    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for metric in metrics {
        let metric = metric.as_object().ok_or_else(|| invalid("a MetricDefinition is not an object"))?;
        only_members(metric, &["Name", "Unit", "StorageResolution"], "MetricDefinition")?;
        let name = metric.get("Name").and_then(Value::as_str).ok_or_else(|| invalid("a MetricDefinition has no string `Name`"))?;
        if name.is_empty() || name.len() > MAX_NAME_LEN || name == RESERVED {
            return Err(invalid(format!("`{name}` is not a valid metric name")));
        }
        if seen.contains(&name) {
            return Err(invalid(format!("metric `{name}` is defined twice in one directive")));
        }
        seen.push(name);
        let unit = match metric.get("Unit") {
            None => Unit::None,
            Some(unit) => unit
                .as_str()
                .and_then(Unit::parse)
                .ok_or_else(|| invalid(format!("metric `{name}` has unit {unit}, not a CloudWatch unit")))?,
        };
        let resolution = match metric.get("StorageResolution") {
            None => Resolution::Standard,
            Some(r) => r
                .as_u64()
                .and_then(Resolution::from_seconds)
                .ok_or_else(|| invalid(format!("metric `{name}` has StorageResolution {r}, not 1 or 60")))?,
        };
        let values = match root.get(name) {
            Some(Value::Number(n)) => vec![number(name, n)?],
            Some(Value::Array(values)) if values.len() <= MAX_VALUES_PER_METRIC => values
                .iter()
                .map(|v| {
                    v.as_number()
                        .ok_or_else(|| invalid(format!("metric `{name}` has a value that is not a number")))
                        .and_then(|n| number(name, n))
                })
                .collect::<Result<Vec<f64>, Error>>()?,
            Some(Value::Array(values)) => {
                return Err(invalid(format!("metric `{name}` has {} values (at most {MAX_VALUES_PER_METRIC})", values.len())));
            }
            Some(_) => return Err(invalid(format!("metric `{name}` is neither a number nor an array of numbers"))),
            None => return Err(invalid(format!("metric `{name}` is not a member of the root"))),
        };
        for dimensions in &dimension_sets {
            out.push(Datum {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                unit,
                resolution,
                dimensions: dimensions.clone(),
                values: values.clone(),
                timestamp_ms,
            });
        }
    }
    Ok(out)
}

fn number(name: &str, n: &serde_json::Number) -> Result<f64, Error> {
    n.as_f64().filter(|v| v.is_finite()).ok_or_else(|| invalid(format!("metric `{name}` has a value that is not a finite number")))
}

/// "Objects defined by this specification MUST NOT contain any additional members."
fn only_members(object: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), Error> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(invalid(format!("a {what} has the member `{extra}`, which the specification does not define"))),
        None => Ok(()),
    }
}
