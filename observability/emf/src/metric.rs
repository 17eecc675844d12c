//! What a metric is (name, unit, resolution, which dimension sets it is published under) and the extra
//! dimensions a value may carry.

use crate::Error;
use crate::name::{DimensionName, DimensionValue, MetricName};
use crate::unit::{Resolution, Unit};

/// The default dimension naming the service (`POWERTOOLS_SERVICE_NAME`), on every metric.
pub const SERVICE: DimensionName = DimensionName::new("service");
/// The default dimension naming the function, on every metric.
pub const FUNCTION: DimensionName = DimensionName::new("function");

/// A dimension set may hold at most this many dimensions (EMF specification, `DimensionSet`).
pub const MAX_DIMENSIONS_PER_SET: usize = 30;
/// Extra dimensions a value may carry besides `service` and `function`.
pub const MAX_EXTRA_DIMENSIONS: usize = MAX_DIMENSIONS_PER_SET - 2;

/// Which dimension sets a metric is published under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `[service, function, extra…]` only: a per-function health figure (latency, cold starts).
    Function,
    /// `[service, function, extra…]` and `[service, extra…]`: a business event that a dashboard or alarm reads
    /// for the whole service, whichever function happens to emit it. CloudWatch cannot sum across a dimension at
    /// read time, so the service-wide series is published alongside.
    FunctionAndService,
}

/// One catalogued metric. Built in `const`s, so an invalid name fails the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricDef {
    name: MetricName,
    unit: Unit,
    resolution: Resolution,
    scope: Scope,
}

impl MetricDef {
    pub const fn new(name: &'static str, unit: Unit, resolution: Resolution, scope: Scope) -> Self {
        MetricDef { name: MetricName::new(name), unit, resolution, scope }
    }

    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }

    pub const fn unit(&self) -> Unit {
        self.unit
    }

    pub const fn resolution(&self) -> Resolution {
        self.resolution
    }

    pub const fn scope(&self) -> Scope {
        self.scope
    }
}

/// Extra dimensions for one value (e.g. the notification channel): at most 28, names unique and distinct from
/// `service` and `function`, so that every dimension set stays within the specification's 30.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Dimensions(Vec<(DimensionName, DimensionValue)>);

impl Dimensions {
    pub fn none() -> Self {
        Dimensions(Vec::new())
    }

    pub fn one(name: DimensionName, value: DimensionValue) -> Result<Self, Error> {
        Dimensions::new(vec![(name, value)])
    }

    pub fn new(dimensions: Vec<(DimensionName, DimensionValue)>) -> Result<Self, Error> {
        if dimensions.len() > MAX_EXTRA_DIMENSIONS {
            return Err(Error::TooManyDimensions { count: dimensions.len() + 2 });
        }
        let mut names: Vec<DimensionName> = vec![SERVICE, FUNCTION];
        for (name, _) in &dimensions {
            if names.contains(name) {
                return Err(Error::DuplicateDimension(name.as_str()));
            }
            names.push(*name);
        }
        Ok(Dimensions(dimensions))
    }

    pub fn iter(&self) -> impl Iterator<Item = &(DimensionName, DimensionValue)> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> DimensionValue {
        DimensionValue::new(v).unwrap()
    }

    #[test]
    fn extra_dimensions_keep_every_set_within_thirty() {
        let names: Vec<&'static str> = (0..29).map(|i| &*Box::leak(format!("d{i}").into_boxed_str())).collect();
        let dims = |n: usize| names[..n].iter().map(|n| (DimensionName::new(n), value("v"))).collect::<Vec<_>>();
        assert!(Dimensions::new(dims(28)).is_ok());
        assert!(matches!(Dimensions::new(dims(29)), Err(Error::TooManyDimensions { count: 31 })));
    }

    #[test]
    fn extra_dimensions_are_unique_and_not_the_defaults() {
        let channel = DimensionName::new("channel");
        assert!(Dimensions::new(vec![(channel, value("sms")), (channel, value("email"))]).is_err());
        assert!(Dimensions::new(vec![(SERVICE, value("other"))]).is_err());
        assert!(Dimensions::one(FUNCTION, value("x")).is_err());
        assert_eq!(Dimensions::one(channel, value("sms")).unwrap().len(), 1);
    }
}
