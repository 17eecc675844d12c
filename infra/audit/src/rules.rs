//! The security-control rules, as data: `infra/audit/rules/security-controls.yaml` (versioned with the code and
//! compiled in; `--rules FILE` audits with another file of the same schema).
//!
//! A rule names an event source and event names (a trailing `*` matches CloudTrail's versioned names such as
//! `UpdateFunctionCode20150331v2`), optional conditions on the record (`when`: all must hold; `unless`: any
//! suppresses it), where the affected resource's name is, and the rule id, severity, title and the reason it
//! matters. A rule with `aggregate` reports bursts (N matching calls by one principal within a window) instead
//! of single calls. Loading checks every path, operator and template reference, so a typo fails the audit
//! rather than silently never matching.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::AuditError;
use crate::catalogue::Catalogue;

/// The rules shipped with the product.
pub const BUILT_IN: &str = include_str!("../rules/security-controls.yaml");

/// The schema version this code reads.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown severity `{s}` (critical, high, medium, low, info)"))
    }
}

/// A field of a record a rule can test. Top-level scalars and `userIdentity` are typed; the three request
/// documents are walked by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldPath {
    EventSource,
    EventName,
    EventType,
    ErrorCode,
    AwsRegion,
    SourceIp,
    UserAgent,
    ReadOnly,
    IdentityType,
    IdentityArn,
    IdentityAccount,
    IdentityUserName,
    IdentityInvokedBy,
    SessionIssuerName,
    SessionIssuerArn,
    SessionMfa,
    Request(Vec<String>),
    Response(Vec<String>),
    AdditionalData(Vec<String>),
}

impl FromStr for FieldPath {
    type Err = String;

    fn from_str(path: &str) -> Result<Self, String> {
        let keys = |rest: &str| -> Result<Vec<String>, String> {
            let keys: Vec<String> = rest.split('.').map(str::to_owned).collect();
            if keys.iter().any(String::is_empty) { Err(format!("empty key in path `{path}`")) } else { Ok(keys) }
        };
        Ok(match path {
            "eventSource" => FieldPath::EventSource,
            "eventName" => FieldPath::EventName,
            "eventType" => FieldPath::EventType,
            "errorCode" => FieldPath::ErrorCode,
            "awsRegion" => FieldPath::AwsRegion,
            "sourceIPAddress" => FieldPath::SourceIp,
            "userAgent" => FieldPath::UserAgent,
            "readOnly" => FieldPath::ReadOnly,
            "userIdentity.type" => FieldPath::IdentityType,
            "userIdentity.arn" => FieldPath::IdentityArn,
            "userIdentity.accountId" => FieldPath::IdentityAccount,
            "userIdentity.userName" => FieldPath::IdentityUserName,
            "userIdentity.invokedBy" => FieldPath::IdentityInvokedBy,
            "userIdentity.sessionContext.sessionIssuer.userName" => FieldPath::SessionIssuerName,
            "userIdentity.sessionContext.sessionIssuer.arn" => FieldPath::SessionIssuerArn,
            "userIdentity.sessionContext.attributes.mfaAuthenticated" => FieldPath::SessionMfa,
            _ => {
                if let Some(rest) = path.strip_prefix("requestParameters.") {
                    FieldPath::Request(keys(rest)?)
                } else if let Some(rest) = path.strip_prefix("responseElements.") {
                    FieldPath::Response(keys(rest)?)
                } else if let Some(rest) = path.strip_prefix("additionalEventData.") {
                    FieldPath::AdditionalData(keys(rest)?)
                } else {
                    return Err(format!("unsupported path `{path}`"));
                }
            }
        })
    }
}

/// What a condition asks of the value at its path. Scalars compare as their JSON text without quotes
/// (`false`, `"No"` → `No`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    Equals(String),
    OneOf(Vec<String>),
    Prefix(String),
    Contains(String),
    /// Present and not null.
    Exists(bool),
    /// Present and an empty string, array or object (a web ACL id set to "").
    Empty(bool),
    /// Names one of these template resources (`edge/SiteBucket`).
    Names(Vec<String>),
    /// Names (or, with `false`, does not name) any resource of the templates.
    Project(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub path: FieldPath,
    pub test: Test,
}

/// Which calls a rule looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventPattern {
    Exact(String),
    Prefix(String),
    Any,
}

impl EventPattern {
    fn parse(text: &str) -> Self {
        if text == "*" {
            EventPattern::Any
        } else if let Some(prefix) = text.strip_suffix('*') {
            EventPattern::Prefix(prefix.to_owned())
        } else {
            EventPattern::Exact(text.to_owned())
        }
    }
}

/// Where the affected resource's name is, and optionally which template resources the rule is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSpec {
    /// The first present path names the resource.
    pub paths: Vec<FieldPath>,
}

/// Bursts: at least `threshold` matching calls by one principal within `window_minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    pub threshold: u32,
    pub window_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    /// `None` matches every event source.
    pub source: Option<String>,
    pub events: Vec<EventPattern>,
    pub resource: Option<ResourceSpec>,
    pub when: Vec<Condition>,
    pub unless: Vec<Condition>,
    pub aggregate: Option<Aggregate>,
}

/// The loaded rules, indexed by event source and name so that a record is matched against only the rules that
/// can apply to it.
#[derive(Debug, Clone)]
pub struct RuleSet {
    version: u32,
    rules: Vec<Rule>,
    /// Event source → event name → rule indexes (looked up with the record's borrowed strings, no allocation).
    exact: HashMap<String, HashMap<String, Vec<usize>>>,
    /// Rules with a name prefix or any name, with their source (`None`: any source).
    open: Vec<usize>,
}

impl RuleSet {
    /// The built-in rules.
    pub fn built_in(catalogue: &Catalogue) -> Result<Self, AuditError> {
        Self::parse(BUILT_IN, catalogue)
    }

    /// Parses and checks a rules file: schema version, paths, operators, severities and that every template
    /// reference names a resource with a known name in `catalogue`.
    pub fn parse(text: &str, catalogue: &Catalogue) -> Result<Self, AuditError> {
        let file: RulesFile = serde_yaml_ng::from_str(text).map_err(|e| AuditError::Rules(e.to_string()))?;
        if file.version != SCHEMA_VERSION {
            return Err(AuditError::Rules(format!("version {} (this audit reads version {SCHEMA_VERSION})", file.version)));
        }
        let mut rules = Vec::with_capacity(file.rules.len());
        for raw in file.rules {
            let id = raw.id.clone();
            let rule = raw.into_rule(catalogue).map_err(|e| AuditError::Rules(format!("rule `{id}`: {e}")))?;
            if rules.iter().any(|r: &Rule| r.id == rule.id) {
                return Err(AuditError::Rules(format!("rule `{}` is defined twice", rule.id)));
            }
            rules.push(rule);
        }
        let mut exact: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
        let mut open = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            let mut is_open = false;
            for event in &rule.events {
                match (event, &rule.source) {
                    (EventPattern::Exact(name), Some(source)) => {
                        exact.entry(source.clone()).or_default().entry(name.clone()).or_default().push(index)
                    }
                    _ => is_open = true,
                }
            }
            if is_open {
                open.push(index);
            }
        }
        Ok(RuleSet { version: file.version, rules, exact, open })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// The indexes of the rules whose source and event names match, in file order.
    pub fn candidates(&self, source: &str, name: &str, out: &mut Vec<usize>) {
        out.clear();
        if let Some(found) = self.exact.get(source).and_then(|names| names.get(name)) {
            out.extend_from_slice(found);
        }
        for &index in &self.open {
            let rule = &self.rules[index];
            if rule.source.as_deref().is_some_and(|s| s != source) {
                continue;
            }
            let matches = rule.events.iter().any(|e| match e {
                EventPattern::Any => true,
                EventPattern::Prefix(prefix) => name.starts_with(prefix.as_str()),
                EventPattern::Exact(_) => false,
            });
            if matches && !out.contains(&index) {
                out.push(index);
            }
        }
        out.sort_unstable();
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    version: u32,
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    severity: String,
    title: String,
    why: String,
    source: String,
    events: Vec<String>,
    #[serde(default)]
    resource: Option<OneOrMany>,
    #[serde(default)]
    when: Vec<RawCondition>,
    #[serde(default)]
    unless: Vec<RawCondition>,
    #[serde(default)]
    aggregate: Option<Aggregate>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    path: String,
    #[serde(default)]
    equals: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    one_of: Option<Vec<serde_yaml_ng::Value>>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    contains: Option<String>,
    #[serde(default)]
    exists: Option<bool>,
    #[serde(default)]
    empty: Option<bool>,
    #[serde(default)]
    names: Option<Vec<String>>,
    #[serde(default)]
    project: Option<bool>,
}

impl RawRule {
    fn into_rule(self, catalogue: &Catalogue) -> Result<Rule, String> {
        if !self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') || self.id.is_empty() {
            return Err("ids are lowercase words joined by `-`".into());
        }
        if self.title.trim().is_empty() || self.why.trim().is_empty() {
            return Err("a rule needs a title and a reason (`why`)".into());
        }
        if self.events.is_empty() {
            return Err("`events` is empty".into());
        }
        let env = catalogue.env().as_str();
        let resource = match self.resource {
            None => None,
            Some(OneOrMany::One(path)) => Some(ResourceSpec { paths: vec![path.parse()?] }),
            Some(OneOrMany::Many(paths)) => Some(ResourceSpec { paths: paths.iter().map(|p| p.parse()).collect::<Result<_, _>>()? }),
        };
        let convert = |raw: Vec<RawCondition>| -> Result<Vec<Condition>, String> {
            raw.into_iter().map(|c| c.into_condition(env, catalogue)).collect()
        };
        Ok(Rule {
            severity: self.severity.parse()?,
            source: (self.source != "*").then_some(self.source),
            events: self.events.iter().map(|e| EventPattern::parse(e)).collect(),
            resource,
            when: convert(self.when)?,
            unless: convert(self.unless)?,
            aggregate: self.aggregate,
            id: self.id,
            title: self.title,
            why: self.why,
        })
    }
}

impl RawCondition {
    fn into_condition(self, env: &str, catalogue: &Catalogue) -> Result<Condition, String> {
        let path: FieldPath = self.path.parse()?;
        let substitute = |s: &str| s.replace("${env}", env);
        let mut tests = Vec::new();
        if let Some(v) = self.equals {
            tests.push(Test::Equals(substitute(&scalar(&v)?)));
        }
        if let Some(values) = self.one_of {
            tests.push(Test::OneOf(values.iter().map(|v| scalar(v).map(|s| substitute(&s))).collect::<Result<_, _>>()?));
        }
        if let Some(v) = self.prefix {
            tests.push(Test::Prefix(substitute(&v)));
        }
        if let Some(v) = self.contains {
            tests.push(Test::Contains(substitute(&v)));
        }
        if let Some(v) = self.exists {
            tests.push(Test::Exists(v));
        }
        if let Some(v) = self.empty {
            tests.push(Test::Empty(v));
        }
        if let Some(references) = self.names {
            for reference in &references {
                if catalogue.component(reference).is_none() {
                    return Err(format!("`{reference}` is not a named resource of the templates (write <template>/<LogicalId>)"));
                }
            }
            tests.push(Test::Names(references));
        }
        if let Some(v) = self.project {
            tests.push(Test::Project(v));
        }
        match tests.len() {
            1 => Ok(Condition { path, test: tests.remove(0) }),
            0 => Err(format!("condition on `{}` has no test", self.path)),
            _ => Err(format!("condition on `{}` has more than one test", self.path)),
        }
    }
}

fn scalar(value: &serde_yaml_ng::Value) -> Result<String, String> {
    match value {
        serde_yaml_ng::Value::String(s) => Ok(s.clone()),
        serde_yaml_ng::Value::Bool(b) => Ok(b.to_string()),
        serde_yaml_ng::Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("expected a string, number or boolean, got {other:?}")),
    }
}
