//! Where metrics go (namespace, `service`, `function`) or that they are switched off, read once at start-up from
//! the variables Powertools for AWS Lambda uses, so an operator configures this emitter like any other.

use crate::Error;
use crate::name::{DimensionValue, Namespace};

/// CloudWatch namespace of every metric; required unless metrics are disabled.
pub const NAMESPACE_VAR: &str = "POWERTOOLS_METRICS_NAMESPACE";
/// Value of the `service` dimension; required unless metrics are disabled.
pub const SERVICE_VAR: &str = "POWERTOOLS_SERVICE_NAME";
/// Value of the `function` dimension; when unset, the Lambda function's name (`AWS_LAMBDA_FUNCTION_NAME`).
pub const FUNCTION_VAR: &str = "POWERTOOLS_METRICS_FUNCTION_NAME";
/// Set by Lambda to the function's name.
pub const LAMBDA_FUNCTION_VAR: &str = "AWS_LAMBDA_FUNCTION_NAME";
/// `true` switches metrics off: nothing is written, nothing is warned about.
pub const DISABLED_VAR: &str = "POWERTOOLS_METRICS_DISABLED";

/// The namespace and default dimension values of every document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    namespace: Namespace,
    service: DimensionValue,
    function: DimensionValue,
}

impl Target {
    pub fn new(namespace: Namespace, service: DimensionValue, function: DimensionValue) -> Self {
        Target { namespace, service, function }
    }

    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    pub fn service(&self) -> &DimensionValue {
        &self.service
    }

    pub fn function(&self) -> &DimensionValue {
        &self.function
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Config {
    Enabled(Target),
    Disabled,
}

impl Config {
    /// Reads the process environment (see the `*_VAR` constants).
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (a variable's value, or `None` when unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        if let Some(flag) = lookup(DISABLED_VAR)
            && parse_flag(DISABLED_VAR, &flag)?
        {
            return Ok(Config::Disabled);
        }
        let present = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty()).map(|v| (name, v));
        let required = |name: &'static str| present(name).map(|(_, v)| v).ok_or(Error::MissingVariable(name));
        let invalid = |name: &'static str| move |e: Error| Error::InvalidVariable { name, reason: e.to_string() };
        let namespace = Namespace::new(required(NAMESPACE_VAR)?).map_err(invalid(NAMESPACE_VAR))?;
        let service = DimensionValue::new(required(SERVICE_VAR)?).map_err(invalid(SERVICE_VAR))?;
        let (function_var, function) =
            present(FUNCTION_VAR).or_else(|| present(LAMBDA_FUNCTION_VAR)).ok_or(Error::MissingVariable(FUNCTION_VAR))?;
        let function = DimensionValue::new(function).map_err(invalid(function_var))?;
        Ok(Config::Enabled(Target { namespace, service, function }))
    }
}

/// Powertools' truthy/falsy spellings; anything else is a configuration error, not a silent default.
fn parse_flag(name: &'static str, value: &str) -> Result<bool, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "t" | "true" | "on" => Ok(true),
        "0" | "n" | "no" | "f" | "false" | "off" | "" => Ok(false),
        other => Err(Error::InvalidVariable { name, reason: format!("`{other}` is neither true nor false") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Error> {
        Config::from_lookup(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    fn target(namespace: &str, service: &str, function: &str) -> Config {
        Config::Enabled(Target::new(
            Namespace::new(namespace).unwrap(),
            DimensionValue::new(service).unwrap(),
            DimensionValue::new(function).unwrap(),
        ))
    }

    #[test]
    fn reads_the_powertools_variables() {
        let base = [(NAMESPACE_VAR, "HarbourView/prod"), (SERVICE_VAR, "booking"), (LAMBDA_FUNCTION_VAR, "harbour-prod-payment")];
        assert_eq!(config(&base).unwrap(), target("HarbourView/prod", "booking", "harbour-prod-payment"));
        let named = [base[0], base[1], base[2], (FUNCTION_VAR, "payment")];
        assert_eq!(config(&named).unwrap(), target("HarbourView/prod", "booking", "payment"));
    }

    #[test]
    fn the_disable_switch_needs_nothing_else() {
        assert_eq!(config(&[(DISABLED_VAR, "true")]).unwrap(), Config::Disabled);
        assert_eq!(config(&[(DISABLED_VAR, "1")]).unwrap(), Config::Disabled);
        let off = [(DISABLED_VAR, "false"), (NAMESPACE_VAR, "N"), (SERVICE_VAR, "s"), (FUNCTION_VAR, "f")];
        assert_eq!(config(&off).unwrap(), target("N", "s", "f"));
        assert!(matches!(config(&[(DISABLED_VAR, "maybe")]), Err(Error::InvalidVariable { name: DISABLED_VAR, .. })));
    }

    #[test]
    fn a_missing_or_invalid_variable_is_named() {
        assert!(matches!(config(&[]), Err(Error::MissingVariable(NAMESPACE_VAR))));
        assert!(matches!(config(&[(NAMESPACE_VAR, "N")]), Err(Error::MissingVariable(SERVICE_VAR))));
        assert!(matches!(config(&[(NAMESPACE_VAR, "N"), (SERVICE_VAR, "s")]), Err(Error::MissingVariable(FUNCTION_VAR))));
        assert!(matches!(
            config(&[(NAMESPACE_VAR, "AWS/Lambda"), (SERVICE_VAR, "s"), (FUNCTION_VAR, "f")]),
            Err(Error::InvalidVariable { name: NAMESPACE_VAR, .. })
        ));
        assert!(matches!(
            config(&[(NAMESPACE_VAR, "N"), (SERVICE_VAR, "s"), (LAMBDA_FUNCTION_VAR, "bad\u{1}name")]),
            Err(Error::InvalidVariable { name: LAMBDA_FUNCTION_VAR, .. })
        ));
    }
}
