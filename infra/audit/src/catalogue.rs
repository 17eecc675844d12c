//! The product's resources as the templates in `infra/cloudformation/` name them, so that a finding says
//! "this is `edge/SiteBucket`" because the name in the record matches the template's `BucketName`, not because
//! a name looks familiar.
//!
//! Names are patterns: `!Sub "harbour-${Environment}-site-${AWS::AccountId}"` becomes
//! `harbour-prod-site-*` for `--env prod`. Resources without a name property (IAM roles, managed policies) get
//! the name CloudFormation generates, `<stack>-<LogicalId>-<random>`, with the stack named
//! `harbour-<env>-<template>` as the README's deploy commands name it. The trail's expected event selectors are
//! resolved the same way, through `Fn::ImportValue` to the exporting template's resource.

use std::path::Path;

use infra_check::template::{Template, at, get, load_all, long_form, mapping};
use serde_yaml_ng::Value;

use crate::AuditError;

/// A deployment environment named by the templates' `Environment` parameter (`prod`, `staging`, `dev`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment(String);

impl Environment {
    /// Accepts only a value the templates allow for their `Environment` parameter.
    pub fn new(name: &str, templates: &[Template]) -> Result<Self, AuditError> {
        let allowed = allowed_environments(templates);
        if allowed.iter().any(|a| a == name) {
            Ok(Environment(name.to_owned()))
        } else {
            Err(AuditError::Usage(format!("--env {name}: the templates allow {}", allowed.join(", "))))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn allowed_environments(templates: &[Template]) -> Vec<String> {
    let mut allowed: Vec<String> = templates
        .iter()
        .filter_map(|t| at(&t.doc, "Parameters/Environment/AllowedValues")?.as_sequence().cloned())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    allowed.sort();
    allowed.dedup();
    allowed
}

/// A name with `*` standing for what the templates leave to the deployment (account id, region, random suffix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern(String);

impl NamePattern {
    pub fn new(pattern: impl Into<String>) -> Self {
        NamePattern(pattern.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the whole of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        glob(self.0.as_bytes(), value.as_bytes())
    }

    /// Whether `value` names this resource: the value itself, or one of its `:`/`/`-delimited parts, so that a
    /// function name matches its ARN (`...:function:harbour-prod-payment:live`) and a role name its ARN.
    pub fn names(&self, value: &str) -> bool {
        if self.matches(value) {
            return true;
        }
        let bytes = value.as_bytes();
        let starts = std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, b)| is_separator(**b)).map(|(i, _)| i + 1));
        for start in starts {
            let ends = bytes[start..]
                .iter()
                .enumerate()
                .filter(|(_, b)| is_separator(**b))
                .map(|(i, _)| start + i)
                .chain(std::iter::once(bytes.len()));
            for end in ends {
                if end > start && glob(self.0.as_bytes(), &bytes[start..end]) {
                    return true;
                }
            }
        }
        false
    }
}

fn is_separator(b: u8) -> bool {
    b == b':' || b == b'/'
}

/// `*` matches any run of bytes (including none); everything else matches itself.
fn glob(pattern: &[u8], value: &[u8]) -> bool {
    let (mut p, mut v) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while v < value.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            backtrack = Some((p, v));
            p += 1;
        } else if p < pattern.len() && pattern[p] == value[v] {
            p += 1;
            v += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            v = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

/// One resource of one template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// `<template stem>/<logical id>`, e.g. `edge/SiteBucket`: how rules and findings refer to it.
    pub reference: String,
    /// The CloudFormation type, e.g. `AWS::S3::Bucket`.
    pub kind: String,
    pub name: NamePattern,
}

/// One advanced event selector as the trail template declares it, values resolved to patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedSelector {
    pub name: String,
    pub fields: Vec<ExpectedField>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedField {
    pub field: String,
    /// `Equals`, `StartsWith`, `NotEquals`, ...
    pub operator: String,
    pub values: Vec<NamePattern>,
}

/// The audit trail as `monitoring.yaml` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailSpec {
    pub reference: String,
    pub name: String,
    pub selectors: Vec<ExpectedSelector>,
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    env: Environment,
    components: Vec<Component>,
    trail: Option<TrailSpec>,
}

/// The property that carries each type's physical name (CloudFront distributions have none; their comment names
/// the environment and is in every `UpdateDistribution` record).
const NAME_PROPERTIES: &[(&str, &str)] = &[
    ("AWS::ApiGateway::RestApi", "Name"),
    ("AWS::CloudFront::Distribution", "DistributionConfig/Comment"),
    ("AWS::CloudFront::Function", "Name"),
    ("AWS::CloudFront::OriginAccessControl", "OriginAccessControlConfig/Name"),
    ("AWS::CloudFront::ResponseHeadersPolicy", "ResponseHeadersPolicyConfig/Name"),
    ("AWS::CloudTrail::Trail", "TrailName"),
    ("AWS::Cognito::UserPool", "UserPoolName"),
    ("AWS::Cognito::UserPoolClient", "ClientName"),
    ("AWS::DynamoDB::Table", "TableName"),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"),
    ("AWS::IAM::Role", "RoleName"),
    ("AWS::KMS::Alias", "AliasName"),
    ("AWS::Lambda::Function", "FunctionName"),
    ("AWS::Logs::LogGroup", "LogGroupName"),
    ("AWS::S3::Bucket", "BucketName"),
    ("AWS::SNS::Topic", "TopicName"),
    ("AWS::SQS::Queue", "QueueName"),
    ("AWS::Scheduler::Schedule", "Name"),
    ("AWS::WAFv2::WebACL", "Name"),
];

/// Types whose name CloudFormation generates when the template gives none.
const GENERATED_NAMES: &[&str] = &["AWS::IAM::Role", "AWS::IAM::ManagedPolicy"];

/// CloudFormation caps generated IAM names at 64 characters, 13 of them `-<12 random>`.
const GENERATED_NAME_MAX: usize = 64 - 13;

impl Catalogue {
    /// Reads every template under `<root>/infra/cloudformation`.
    pub fn load(root: &Path, env: &str) -> Result<Self, AuditError> {
        let templates = load_all(root)?;
        let env = Environment::new(env, &templates)?;
        Ok(Self::from_templates(&templates, env))
    }

    pub fn from_templates(templates: &[Template], env: Environment) -> Self {
        let templates: Vec<Template> = templates.iter().map(|t| Template { doc: long_form(t.doc.clone()), ..t.clone() }).collect();
        let resolver = Resolver { templates: &templates, env: &env };
        let mut components = Vec::new();
        let mut trail = None;
        for template in &templates {
            for (logical_id, resource) in template.resources() {
                let kind = get(resource, "Type").and_then(Value::as_str).unwrap_or_default().to_owned();
                let reference = format!("{}/{logical_id}", stem(template));
                if let Some(name) = resolver.name(template, logical_id, resource, &kind) {
                    if kind == "AWS::CloudTrail::Trail" && trail.is_none() {
                        trail = Some(TrailSpec {
                            reference: reference.clone(),
                            name: name.as_str().to_owned(),
                            selectors: resolver.selectors(template, resource),
                        });
                    }
                    components.push(Component { reference, kind, name });
                }
            }
        }
        Catalogue { env, components, trail }
    }

    pub fn env(&self) -> &Environment {
        &self.env
    }

    pub fn components(&self) -> &[Component] {
        &self.components
    }

    pub fn component(&self, reference: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.reference == reference)
    }

    /// The product resource `value` names, if any. A call to one service names that service's resources
    /// (a Cognito app client and an Origin Access Control may both be called `harbour-prod-site`).
    pub fn named_by(&self, value: &str, event_source: &str) -> Option<&Component> {
        let kind = kind_prefix(event_source);
        self.components.iter().find(|c| kind.is_none_or(|k| c.kind.starts_with(k)) && c.name.names(value))
    }

    /// The one of `references` that `value` names, if any.
    pub fn named_among(&self, value: &str, references: &[String]) -> Option<&Component> {
        references.iter().filter_map(|r| self.component(r)).find(|c| c.name.names(value))
    }

    pub fn trail(&self) -> Option<&TrailSpec> {
        self.trail.as_ref()
    }
}

/// The CloudFormation types a service's calls act on, by the service's event source.
pub fn kind_prefix(event_source: &str) -> Option<&'static str> {
    Some(match event_source {
        "apigateway.amazonaws.com" => "AWS::ApiGateway::",
        "cloudfront.amazonaws.com" => "AWS::CloudFront::",
        "cloudtrail.amazonaws.com" => "AWS::CloudTrail::",
        "cognito-idp.amazonaws.com" => "AWS::Cognito::",
        "dynamodb.amazonaws.com" => "AWS::DynamoDB::",
        "iam.amazonaws.com" => "AWS::IAM::",
        "kms.amazonaws.com" => "AWS::KMS::",
        "lambda.amazonaws.com" => "AWS::Lambda::",
        "logs.amazonaws.com" => "AWS::Logs::",
        "s3.amazonaws.com" => "AWS::S3::",
        "scheduler.amazonaws.com" => "AWS::Scheduler::",
        "sns.amazonaws.com" => "AWS::SNS::",
        "sqs.amazonaws.com" => "AWS::SQS::",
        "wafv2.amazonaws.com" => "AWS::WAFv2::",
        _ => return None,
    })
}

fn stem(template: &Template) -> &str {
    template.name.strip_suffix(".yaml").unwrap_or(&template.name)
}

/// Turns template values into name patterns for one environment.
struct Resolver<'t> {
    templates: &'t [Template],
    env: &'t Environment,
}

impl Resolver<'_> {
    fn name(&self, template: &Template, logical_id: &str, resource: &Value, kind: &str) -> Option<NamePattern> {
        let property = NAME_PROPERTIES.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p)?;
        match at(resource, &format!("Properties/{property}")) {
            Some(value) => self.pattern(template, value),
            None if GENERATED_NAMES.contains(&kind) => {
                let prefix = format!("harbour-{}-{}-{logical_id}", self.env.as_str(), stem(template));
                (prefix.len() <= GENERATED_NAME_MAX).then(|| NamePattern(format!("{prefix}-*")))
            }
            None => None,
        }
    }

    /// A string value as a pattern: literals, `Fn::Sub`, `Ref` to a resource (its name), `Fn::GetAtt X.Arn`,
    /// `Fn::ImportValue` (followed to the exporting template); anything else is unknown.
    fn pattern(&self, template: &Template, value: &Value) -> Option<NamePattern> {
        match value {
            Value::String(s) => Some(NamePattern(s.clone())),
            Value::Mapping(_) => {
                if let Some(sub) = get(value, "Fn::Sub") {
                    let text = match sub {
                        Value::String(s) => s.as_str(),
                        Value::Sequence(items) => items.first()?.as_str()?,
                        _ => return None,
                    };
                    return Some(NamePattern(self.substitute(template, text)));
                }
                if let Some(target) = get(value, "Ref").and_then(Value::as_str) {
                    return self.reference(template, target, None);
                }
                if let Some(Value::Sequence(parts)) = get(value, "Fn::GetAtt") {
                    let target = parts.first()?.as_str()?;
                    let attribute = parts.get(1)?.as_str()?;
                    return self.reference(template, target, Some(attribute));
                }
                if let Some(export) = get(value, "Fn::ImportValue") {
                    let export = self.pattern(template, export)?;
                    return self.import(&export);
                }
                None
            }
            _ => None,
        }
    }

    /// `${Environment}` becomes the environment, `${X}` for a resource its name (`${X.Arn}` its ARN), and
    /// everything else (`${AWS::AccountId}`, other parameters) a wildcard.
    fn substitute(&self, template: &Template, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("${") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let variable = &after[..close];
            let replacement = if variable == "Environment" {
                Some(self.env.as_str().to_owned())
            } else if let Some((resource, attribute)) = variable.split_once('.') {
                self.reference(template, resource, Some(attribute)).map(|p| p.0)
            } else {
                self.reference(template, variable, None).map(|p| p.0)
            };
            out.push_str(replacement.as_deref().unwrap_or("*"));
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A resource of `template` by logical id: its name (`Ref`) or its ARN (`GetAtt .Arn`).
    fn reference(&self, template: &Template, logical_id: &str, attribute: Option<&str>) -> Option<NamePattern> {
        let resource = template.resource(logical_id)?;
        let kind = get(resource, "Type").and_then(Value::as_str)?;
        let name = self.name(template, logical_id, resource, kind)?;
        match attribute {
            None => Some(name),
            Some("Arn") => arn(kind, &name.0).map(NamePattern),
            Some(_) => None,
        }
    }

    /// The value an export of any template resolves to.
    fn import(&self, export: &NamePattern) -> Option<NamePattern> {
        self.templates.iter().find_map(|template| {
            mapping(&template.doc, "Outputs")?.values().find_map(|output| {
                let name = self.pattern(template, at(output, "Export/Name")?)?;
                if name == *export { self.pattern(template, get(output, "Value")?) } else { None }
            })
        })
    }

    fn selectors(&self, template: &Template, trail: &Value) -> Vec<ExpectedSelector> {
        let Some(Value::Sequence(selectors)) = at(trail, "Properties/AdvancedEventSelectors") else {
            return Vec::new();
        };
        selectors
            .iter()
            .map(|selector| ExpectedSelector {
                name: get(selector, "Name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                fields: match get(selector, "FieldSelectors") {
                    Some(Value::Sequence(fields)) => fields.iter().flat_map(|f| self.field(template, f)).collect(),
                    _ => Vec::new(),
                },
            })
            .collect()
    }

    fn field(&self, template: &Template, field: &Value) -> Vec<ExpectedField> {
        let name = get(field, "Field").and_then(Value::as_str).unwrap_or_default();
        let Some(operators) = field.as_mapping() else { return Vec::new() };
        operators
            .iter()
            .filter_map(|(operator, values)| {
                let operator = operator.as_str()?;
                if operator == "Field" {
                    return None;
                }
                let values = match values {
                    Value::Sequence(items) => {
                        items.iter().map(|v| self.pattern(template, v).unwrap_or_else(|| NamePattern("*".into()))).collect()
                    }
                    _ => return None,
                };
                Some(ExpectedField { field: name.to_owned(), operator: operator.to_owned(), values })
            })
            .collect()
    }
}

/// The ARN of a named resource, for the types event selectors and policies name by ARN.
fn arn(kind: &str, name: &str) -> Option<String> {
    match kind {
        "AWS::S3::Bucket" => Some(format!("arn:*:s3:::{name}")),
        "AWS::DynamoDB::Table" => Some(format!("arn:*:dynamodb:*:*:table/{name}")),
        "AWS::Lambda::Function" => Some(format!("arn:*:lambda:*:*:function:{name}")),
        "AWS::SNS::Topic" => Some(format!("arn:*:sns:*:*:{name}")),
        "AWS::SQS::Queue" => Some(format!("arn:*:sqs:*:*:{name}")),
        "AWS::CloudTrail::Trail" => Some(format!("arn:*:cloudtrail:*:*:trail/{name}")),
        "AWS::IAM::Role" => Some(format!("arn:*:iam::*:role/{name}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_wildcards_only_where_they_are() {
        let p = NamePattern::new("harbour-prod-site-*");
        assert!(p.matches("harbour-prod-site-111122223333"));
        assert!(!p.matches("harbour-prod-sit"));
        assert!(!p.matches("xharbour-prod-site-1"));
        assert!(NamePattern::new("a*b*c").matches("aXXbYYc"));
        assert!(!NamePattern::new("a*b*c").matches("aXXbYY"));
        assert!(NamePattern::new("*").matches(""));
    }

    #[test]
    fn a_name_matches_inside_an_arn_only_between_separators() {
        let p = NamePattern::new("harbour-prod-payment");
        assert!(p.names("arn:aws:lambda:eu-west-1:111122223333:function:harbour-prod-payment"));
        assert!(p.names("arn:aws:lambda:eu-west-1:111122223333:function:harbour-prod-payment:live"));
        assert!(!p.names("arn:aws:lambda:eu-west-1:111122223333:function:harbour-prod-payment-old"));
        assert!(!p.names("harbour-prod-payments"));
        let role = NamePattern::new("harbour-prod-api-PaymentRole-*");
        assert!(role.names("arn:aws:iam::111122223333:role/harbour-prod-api-PaymentRole-1A2B3C4D5E6F"));
    }
}
