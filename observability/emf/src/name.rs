//! Names and values that CloudWatch accepts, checked once when they are made so that a document can never carry
//! one it would reject.
//!
//! Metric, dimension and property names are `&'static str` made by `const fn`s: a bad name in a catalog is a
//! compile error there. Namespaces and dimension values usually come from the environment or the request, so
//! they are checked at run time.

use std::fmt;

use crate::Error;

/// The metadata member every EMF document carries; no metric, dimension or property may take its name.
pub(crate) const RESERVED: &str = "_aws";

/// The longest metric name, dimension name and namespace CloudWatch stores.
pub const MAX_NAME_LEN: usize = 255;
/// The longest dimension value CloudWatch stores.
pub const MAX_DIMENSION_VALUE_LEN: usize = 1024;

/// 1..=max printable ASCII characters (no control characters), not all of them spaces. This is CloudWatch's rule
/// for dimension names and values ("only ASCII characters, at least one non-whitespace character, no ASCII
/// control characters") and, applied to metric names too, keeps every name safe in any of its APIs.
const fn printable_ascii(text: &str, max: usize) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > max {
        return false;
    }
    let mut visible = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 || b > 0x7e {
            return false;
        }
        if b != b' ' {
            visible = true;
        }
        i += 1;
    }
    visible
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn member_name(text: &str) -> bool {
    printable_ascii(text, MAX_NAME_LEN) && !same(text, RESERVED)
}

/// A metric name: 1..=255 printable ASCII characters, not `_aws`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricName(&'static str);

impl MetricName {
    /// Panics (at compile time when used in a `const`) on a name CloudWatch would refuse.
    pub const fn new(name: &'static str) -> Self {
        assert!(member_name(name), "metric names are 1..=255 printable ASCII characters and not `_aws`");
        MetricName(name)
    }

    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// A dimension name: 1..=255 printable ASCII characters, not starting with `:`, not `_aws`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DimensionName(&'static str);

impl DimensionName {
    /// Panics (at compile time when used in a `const`) on a name CloudWatch would refuse.
    pub const fn new(name: &'static str) -> Self {
        assert!(
            member_name(name) && name.as_bytes()[0] != b':',
            "dimension names are 1..=255 printable ASCII characters, do not start with `:` and are not `_aws`"
        );
        DimensionName(name)
    }

    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// The key of a property: a root member that is neither metric nor dimension, searchable in Logs Insights but
/// never part of a metric's identity. Ids (request id, booking reference) belong here, never in a dimension,
/// where each distinct value would create and bill a new metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropertyKey(&'static str);

impl PropertyKey {
    /// Panics (at compile time when used in a `const`) on a key that is empty, too long or `_aws`.
    pub const fn new(key: &'static str) -> Self {
        assert!(member_name(key), "property keys are 1..=255 printable ASCII characters and not `_aws`");
        PropertyKey(key)
    }

    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// A dimension value: 1..=1024 printable ASCII characters, not all spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DimensionValue(String);

impl DimensionValue {
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        if printable_ascii(&value, MAX_DIMENSION_VALUE_LEN) {
            Ok(DimensionValue(value))
        } else {
            Err(Error::InvalidDimensionValue { length: value.len() })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DimensionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A CloudWatch namespace: 1..=255 of `0-9A-Za-z . - _ / # :` and space, not starting with `AWS/` (reserved for
/// AWS's own services).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(String);

impl Namespace {
    pub fn new(namespace: impl Into<String>) -> Result<Self, Error> {
        let namespace = namespace.into();
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
        let valid = printable_ascii(&namespace, MAX_NAME_LEN) && namespace.chars().all(allowed) && !namespace.starts_with("AWS/");
        if valid { Ok(Namespace(namespace)) } else { Err(Error::InvalidNamespace(namespace)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimension_values_follow_cloudwatch() {
        let check = |value: &str, ok: bool| assert_eq!(DimensionValue::new(value).is_ok(), ok, "{value:?}");
        check("payment", true);
        check("sms", true);
        check(&"x".repeat(1024), true);
        check(&"x".repeat(1025), false);
        check("", false);
        check("   ", false);
        check("tab\there", false);
        check("café", false);
    }

    #[test]
    fn namespaces_follow_cloudwatch() {
        let check = |value: &str, ok: bool| assert_eq!(Namespace::new(value).is_ok(), ok, "{value:?}");
        check("HarbourView/prod", true);
        check("my-app_1.2#x:y", true);
        check("AWS/Lambda", false);
        check("", false);
        check(&"n".repeat(256), false);
        check("semi;colon", false);
    }

    #[test]
    fn const_names_accept_what_cloudwatch_accepts() {
        assert!(member_name("BookingConfirmed"));
        assert!(member_name(&"m".repeat(255)));
        assert!(!member_name(&"m".repeat(256)));
        assert!(!member_name("_aws"));
        assert!(!member_name(""));
        assert!(!member_name("new\nline"));
        assert!(printable_ascii(":x", 3) && !member_name("") && DimensionName::new("channel").as_str() == "channel");
    }
}
