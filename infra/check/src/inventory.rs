//! The resource inventory: every resource of every template with its type and the properties that carry a
//! security or data-safety promise, with parameters resolved to their defaults and intrinsics written compactly.
//! Snapshotted (insta) so that a review shows what an infrastructure change does, not only how the YAML moved.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_yaml_ng::{Mapping, Value};

use crate::template::{Template, at, checkov_skips, get, long_form, mapping};

/// The properties (paths under `Properties`) shown for each resource type. A type missing here is reported by
/// [`unknown_types`], so that a new kind of resource is a decision, not an accident.
pub const KEY_PROPERTIES: &[(&str, &[&str])] = &[
    ("AWS::ApiGateway::Account", &["CloudWatchRoleArn"]),
    ("AWS::ApiGateway::Authorizer", &["Type", "IdentitySource", "ProviderARNs"]),
    ("AWS::ApiGateway::Deployment", &[]),
    ("AWS::ApiGateway::GatewayResponse", &["ResponseType", "StatusCode"]),
    (
        "AWS::ApiGateway::Method",
        &["HttpMethod", "AuthorizationType", "AuthorizerId", "RequestParameters", "Integration/Type", "Integration/Uri"],
    ),
    ("AWS::ApiGateway::RequestValidator", &["ValidateRequestParameters", "ValidateRequestBody"]),
    ("AWS::ApiGateway::Resource", &[]),
    ("AWS::ApiGateway::RestApi", &["EndpointConfiguration"]),
    ("AWS::ApiGateway::Stage", &["StageName", "TracingEnabled", "AccessLogSetting/DestinationArn", "MethodSettings"]),
    ("AWS::CertificateManager::Certificate", &["DomainName", "SubjectAlternativeNames", "ValidationMethod"]),
    (
        "AWS::CloudFront::Distribution",
        &[
            "DistributionConfig/Aliases",
            "DistributionConfig/ViewerCertificate",
            "DistributionConfig/HttpVersion",
            "DistributionConfig/WebACLId",
            "DistributionConfig/Logging/Bucket",
            "DistributionConfig/Origins",
            "DistributionConfig/DefaultCacheBehavior",
            "DistributionConfig/CacheBehaviors",
        ],
    ),
    ("AWS::CloudFront::Function", &["FunctionConfig/Runtime"]),
    ("AWS::CloudFront::OriginAccessControl", &["OriginAccessControlConfig"]),
    ("AWS::CloudFront::ResponseHeadersPolicy", &["ResponseHeadersPolicyConfig/SecurityHeadersConfig"]),
    (
        "AWS::CloudTrail::Trail",
        &[
            "IsMultiRegionTrail",
            "IncludeGlobalServiceEvents",
            "EnableLogFileValidation",
            "KMSKeyId",
            "S3BucketName",
            "CloudWatchLogsLogGroupArn",
            "AdvancedEventSelectors",
        ],
    ),
    (
        "AWS::CloudWatch::Alarm",
        &[
            "Namespace",
            "MetricName",
            "Dimensions",
            "Metrics",
            "Statistic",
            "Period",
            "EvaluationPeriods",
            "Threshold",
            "ComparisonOperator",
            "AlarmActions",
        ],
    ),
    ("AWS::CloudWatch::Dashboard", &["DashboardName"]),
    (
        "AWS::Cognito::UserPool",
        &[
            "UserPoolTier",
            "DeletionProtection",
            "UsernameAttributes",
            "AutoVerifiedAttributes",
            "Policies/PasswordPolicy",
            "MfaConfiguration",
            "EnabledMfas",
            "UserPoolAddOns",
            "AdminCreateUserConfig",
        ],
    ),
    (
        "AWS::Cognito::UserPoolClient",
        &[
            "GenerateSecret",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "ExplicitAuthFlows",
            "SupportedIdentityProviders",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
        ],
    ),
    ("AWS::Cognito::UserPoolDomain", &["Domain"]),
    (
        "AWS::DynamoDB::Table",
        &[
            "TableName",
            "BillingMode",
            "KeySchema",
            "PointInTimeRecoverySpecification",
            "SSESpecification",
            "DeletionProtectionEnabled",
            "StreamSpecification",
            "TimeToLiveSpecification",
        ],
    ),
    ("AWS::IAM::Role", &["AssumeRolePolicyDocument/Statement", "Policies", "ManagedPolicyArns"]),
    ("AWS::KMS::Alias", &["AliasName"]),
    ("AWS::KMS::Key", &["EnableKeyRotation", "KeyPolicy/Statement"]),
    ("AWS::Lambda::EventInvokeConfig", &["MaximumRetryAttempts", "DestinationConfig"]),
    (
        "AWS::Lambda::EventSourceMapping",
        &[
            "EventSourceArn",
            "StartingPosition",
            "FunctionResponseTypes",
            "BisectBatchOnFunctionError",
            "MaximumRetryAttempts",
            "DestinationConfig",
            "FilterCriteria",
        ],
    ),
    (
        "AWS::Lambda::Function",
        &[
            "FunctionName",
            "Runtime",
            "Architectures",
            "Code",
            "Role",
            "KmsKeyArn",
            "ReservedConcurrentExecutions",
            "TracingConfig",
            "LoggingConfig",
            "Environment/Variables",
        ],
    ),
    ("AWS::Lambda::Permission", &["FunctionName", "Principal", "SourceArn"]),
    ("AWS::Logs::Delivery", &["DeliverySourceName", "DeliveryDestinationArn"]),
    ("AWS::Logs::DeliveryDestination", &["Name", "DestinationResourceArn", "OutputFormat"]),
    ("AWS::Logs::DeliverySource", &["Name", "LogType", "ResourceArn"]),
    ("AWS::Logs::LogGroup", &["LogGroupName", "RetentionInDays", "KmsKeyId"]),
    ("AWS::Logs::QueryDefinition", &["Name", "LogGroupNames"]),
    ("AWS::Route53::RecordSet", &["Name", "Type", "ResourceRecords"]),
    ("AWS::Route53::RecordSetGroup", &["RecordSets"]),
    (
        "AWS::S3::Bucket",
        &["BucketName", "BucketEncryption", "PublicAccessBlockConfiguration", "OwnershipControls", "VersioningConfiguration"],
    ),
    ("AWS::S3::BucketPolicy", &["Bucket", "PolicyDocument/Statement"]),
    ("AWS::SES::ConfigurationSet", &["Name", "DeliveryOptions", "SuppressionOptions"]),
    ("AWS::SES::ConfigurationSetEventDestination", &["ConfigurationSetName", "EventDestination"]),
    ("AWS::SES::EmailIdentity", &["EmailIdentity", "DkimSigningAttributes", "MailFromAttributes", "ConfigurationSetAttributes"]),
    ("AWS::SNS::Subscription", &["Protocol", "TopicArn"]),
    ("AWS::SNS::Topic", &["TopicName", "KmsMasterKeyId"]),
    ("AWS::SNS::TopicPolicy", &["Topics", "PolicyDocument"]),
    ("AWS::SQS::Queue", &["QueueName", "KmsMasterKeyId", "MessageRetentionPeriod"]),
    ("AWS::SSM::Parameter", &["Name", "Type", "Value"]),
    ("AWS::Scheduler::Schedule", &["ScheduleExpression", "Target/Arn", "Target/RetryPolicy", "Target/DeadLetterConfig"]),
    ("AWS::Shield::Protection", &["ResourceArn"]),
    ("AWS::WAFv2::LoggingConfiguration", &["ResourceArn", "LogDestinationConfigs", "RedactedFields"]),
    ("AWS::WAFv2::WebACL", &["Scope", "DefaultAction", "Rules"]),
    ("AWS::WAFv2::WebACLAssociation", &["ResourceArn", "WebACLArn"]),
];

/// Keys never shown: noise for a security review.
const HIDDEN: &[&str] = &["VisibilityConfig", "Tags", "Description", "Version"];

/// Resource types used in the templates that [`KEY_PROPERTIES`] does not describe.
pub fn unknown_types(templates: &[Template]) -> Vec<String> {
    let mut out: Vec<String> = templates
        .iter()
        .flat_map(|t| t.resources())
        .filter_map(|(_, r)| get(r, "Type").and_then(Value::as_str))
        .filter(|ty| !KEY_PROPERTIES.iter().any(|(known, _)| known == ty))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The inventory of all templates as text.
pub fn render(templates: &[Template]) -> String {
    let mut out = String::new();
    for template in templates {
        let doc = long_form(template.doc.clone());
        let context = Context::new(&doc);
        let resources = mapping(&doc, "Resources").cloned().unwrap_or_default();
        let _ = writeln!(out, "# {} ({} resources)", template.name, resources.len());
        let mut sorted: Vec<(&str, &Value)> = resources.iter().filter_map(|(k, v)| Some((k.as_str()?, v))).collect();
        sorted.sort_by_key(|(id, _)| *id);
        for (id, resource) in sorted {
            let ty = get(resource, "Type").and_then(Value::as_str).unwrap_or("?");
            let mut head = format!("{id}: {ty}");
            for attribute in ["Condition", "DeletionPolicy", "UpdateReplacePolicy"] {
                if let Some(v) = get(resource, attribute).and_then(Value::as_str) {
                    let _ = write!(head, " {attribute}={v}");
                }
            }
            let _ = writeln!(out, "{head}");
            if let Some(suppressed) = at(resource, "Metadata/guard/SuppressedRules").and_then(Value::as_sequence) {
                let rules: Vec<&str> = suppressed.iter().filter_map(Value::as_str).collect();
                let _ = writeln!(out, "  guard suppressed: {}", rules.join(", "));
            }
            let skips: Vec<String> = checkov_skips(resource).into_iter().map(|(id, _)| id).collect();
            if !skips.is_empty() {
                let _ = writeln!(out, "  checkov skipped: {}", skips.join(", "));
            }
            if matches!(ty, "AWS::ApiGateway::Resource" | "AWS::ApiGateway::Method") {
                let resource_id = if ty == "AWS::ApiGateway::Method" { ref_name(at(resource, "Properties/ResourceId")) } else { Some(id) };
                if let Some(path) = resource_id.and_then(|r| api_path(&doc, r)) {
                    let _ = writeln!(out, "  path = {path}");
                }
            }
            let properties = get(resource, "Properties");
            let paths = KEY_PROPERTIES.iter().find(|(known, _)| *known == ty).map(|(_, p)| *p).unwrap_or(&[]);
            for path in paths {
                if let Some(value) = properties.and_then(|p| at(p, path)) {
                    let resolved = context.resolve(value);
                    flatten(&mut out, &path.replace('/', "."), &resolved);
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The API Gateway path of a resource (`/api/bookings/{ref}`), following `ParentId` up to the root.
pub fn api_path(doc: &Value, resource_id: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut current = resource_id.to_owned();
    for _ in 0..32 {
        let resource = at(doc, &format!("Resources/{current}"))?;
        if get(resource, "Type").and_then(Value::as_str) != Some("AWS::ApiGateway::Resource") {
            return None;
        }
        parts.push(at(resource, "Properties/PathPart")?.as_str()?.to_owned());
        let parent = at(resource, "Properties/ParentId")?;
        match ref_name(Some(parent)) {
            Some(next) => current = next.to_owned(),
            None => {
                parts.reverse();
                return Some(format!("/{}", parts.join("/")));
            }
        }
    }
    None
}

/// `X` for `{Ref: X}` (long form) or `!Ref X` (short form).
pub fn ref_name(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str(),
        v => get(v, "Ref")?.as_str(),
    }
}

/// `value` (long form) as deployed with every parameter at its default except those in `overrides`: parameters
/// replaced, conditions decided, intrinsics written compactly; `None` when it resolves to `AWS::NoValue`.
pub fn resolve_with(doc: &Value, overrides: &[(&str, &str)], value: &Value) -> Option<Value> {
    let mut context = Context::new(doc);
    for (name, v) in overrides {
        context.defaults.insert((*name).to_owned(), Value::String((*v).to_owned()));
    }
    context.resolve_opt(value)
}

struct Context {
    defaults: BTreeMap<String, Value>,
    conditions: Mapping,
}

impl Context {
    fn new(doc: &Value) -> Context {
        let defaults = mapping(doc, "Parameters")
            .map(|params| params.iter().filter_map(|(k, v)| Some((k.as_str()?.to_owned(), get(v, "Default")?.clone()))).collect())
            .unwrap_or_default();
        Context { defaults, conditions: mapping(doc, "Conditions").cloned().unwrap_or_default() }
    }

    /// Resolves parameters to their defaults and writes intrinsics compactly; `None` for `AWS::NoValue`.
    fn resolve_opt(&self, value: &Value) -> Option<Value> {
        let Value::Mapping(m) = value else {
            return Some(match value {
                Value::Sequence(items) => Value::Sequence(items.iter().filter_map(|v| self.resolve_opt(v)).collect()),
                other => other.clone(),
            });
        };
        if m.len() == 1
            && let Some((Value::String(key), arg)) = m.iter().next()
        {
            let text = |v: &Value| scalar_text(&self.resolve(v));
            match key.as_str() {
                "Ref" => {
                    let name = arg.as_str().unwrap_or_default();
                    return match name {
                        "AWS::NoValue" => None,
                        _ if name.starts_with("AWS::") => Some(Value::String(format!("${{{name}}}"))),
                        _ => Some(self.defaults.get(name).cloned().unwrap_or_else(|| Value::String(format!("${{{name}}}")))),
                    };
                }
                "Fn::Sub" => {
                    let (template, vars) = match arg {
                        Value::Sequence(items) if items.len() == 2 => (items[0].as_str().unwrap_or_default(), items[1].as_mapping()),
                        other => (other.as_str().unwrap_or_default(), None),
                    };
                    let mut s = template.to_owned();
                    for (name, default) in &self.defaults {
                        s = s.replace(&format!("${{{name}}}"), &scalar_text(default));
                    }
                    for (name, v) in vars.into_iter().flat_map(|m| m.iter()) {
                        s = s.replace(&format!("${{{}}}", name.as_str().unwrap_or_default()), &text(v));
                    }
                    return Some(Value::String(s));
                }
                "Fn::ImportValue" => return Some(Value::String(format!("import({})", text(arg)))),
                "Fn::GetAtt" => {
                    let parts: Vec<String> = arg.as_sequence().map(|p| p.iter().map(scalar_text).collect()).unwrap_or_default();
                    return Some(Value::String(parts.join(".")));
                }
                "Fn::If" => {
                    let items = arg.as_sequence()?;
                    let condition = items.first()?.as_str()?;
                    return match self.condition(condition) {
                        Some(true) => self.resolve_opt(items.get(1)?),
                        Some(false) => self.resolve_opt(items.get(2)?),
                        None => Some(Value::String(format!("if({condition}, {}, {})", text(items.get(1)?), text(items.get(2)?)))),
                    };
                }
                _ => {}
            }
        }
        Some(Value::Mapping(m.iter().filter_map(|(k, v)| Some((k.clone(), self.resolve_opt(v)?))).collect()))
    }

    fn resolve(&self, value: &Value) -> Value {
        self.resolve_opt(value).unwrap_or(Value::Null)
    }

    /// A condition's value under the parameter defaults, when it can be decided.
    fn condition(&self, name: &str) -> Option<bool> {
        self.eval(self.conditions.get(name)?, 0)
    }

    fn eval(&self, expr: &Value, depth: usize) -> Option<bool> {
        if depth > 16 {
            return None;
        }
        let (key, arg) = expr.as_mapping()?.iter().next()?;
        let args = arg.as_sequence();
        match key.as_str()? {
            "Fn::Equals" => {
                let a = args?;
                Some(scalar_text(&self.resolve(a.first()?)) == scalar_text(&self.resolve(a.get(1)?)))
            }
            "Fn::Not" => self.eval(args?.first()?, depth + 1).map(|b| !b),
            "Fn::And" => args?.iter().map(|e| self.eval(e, depth + 1)).collect::<Option<Vec<_>>>().map(|v| v.iter().all(|b| *b)),
            "Fn::Or" => args?.iter().map(|e| self.eval(e, depth + 1)).collect::<Option<Vec<_>>>().map(|v| v.iter().any(|b| *b)),
            "Condition" => self.eval(self.conditions.get(arg.as_str()?)?, depth + 1),
            _ => None,
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".into(),
        other => inline(other),
    }
}

/// A compact one-line rendering (flow style) of any value.
fn inline(value: &Value) -> String {
    match value {
        Value::Sequence(items) => format!("[{}]", items.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Value::Mapping(m) => {
            let entries: Vec<String> = m.iter().map(|(k, v)| format!("{}: {}", scalar_text(k), inline(v))).collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => scalar_text(other),
    }
}

/// Writes `path = value` lines; items of a sequence of mappings are labelled by their Sid, Id, Name, ... when
/// they have one (and that key is not repeated).
fn flatten(out: &mut String, path: &str, value: &Value) {
    flatten_item(out, path, value, None);
}

const LABELS: &[&str] = &["Sid", "Id", "Name", "PathPattern", "IndexName", "AttributeName", "PolicyName"];

fn flatten_item(out: &mut String, path: &str, value: &Value, label_key: Option<&str>) {
    match value {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, v) in m {
                let key = scalar_text(k);
                if !HIDDEN.contains(&key.as_str()) && Some(key.as_str()) != label_key {
                    flatten_item(out, &format!("{path}.{key}"), v, None);
                }
            }
        }
        Value::Sequence(items) if items.iter().any(Value::is_mapping) => {
            for (i, item) in items.iter().enumerate() {
                let label = LABELS.iter().find_map(|k| Some((*k, get(item, k)?.as_str()?)));
                let name = label.map(|(_, v)| v.to_owned()).unwrap_or_else(|| i.to_string());
                flatten_item(out, &format!("{path}[{name}]"), item, label.map(|(k, _)| k));
            }
        }
        Value::String(s) if s.is_empty() => {
            let _ = writeln!(out, "  {path} = \"\"");
        }
        other => {
            let _ = writeln!(out, "  {path} = {}", inline(other));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_defaults_conditions_and_intrinsics() {
        let doc: Value = long_form(
            serde_yaml_ng::from_str(
                r#"
Parameters:
  Environment: {Type: String, Default: prod}
  Domain: {Type: String}
  Catalog: {Type: String, Default: ""}
Conditions:
  HasCatalog: !Not [!Equals [!Ref Catalog, ""]]
  IsProd: !Equals [!Ref Environment, prod]
"#,
            )
            .unwrap(),
        );
        let context = Context::new(&doc);
        let check = |yaml: &str, expected: &str| {
            let value = long_form(serde_yaml_ng::from_str(yaml).unwrap());
            assert_eq!(inline(&context.resolve(&value)), expected, "{yaml}");
        };
        check("!Ref Environment", "prod");
        check("!Ref Domain", "${Domain}");
        check("!Sub 'harbour-${Environment}-site-${AWS::AccountId}'", "harbour-prod-site-${AWS::AccountId}");
        check("{a: !If [HasCatalog, !Ref Catalog, !Ref AWS::NoValue], b: 1}", "{b: 1}");
        check("!If [IsProd, 20, !Ref AWS::NoValue]", "20");
        check("!GetAtt Bucket.Arn", "Bucket.Arn");
        check("{'Fn::ImportValue': !Sub 'harbour-${Environment}:TableArn'}", "import(harbour-prod:TableArn)");
        check("!Sub ['${T}/index/*', {T: {'Fn::ImportValue': x}}]", "import(x)/index/*");
    }

    #[test]
    fn follows_api_resources_to_the_root() {
        let doc: Value = long_form(
            serde_yaml_ng::from_str(
                r#"
Resources:
  A: {Type: AWS::ApiGateway::Resource, Properties: {ParentId: !GetAtt Api.RootResourceId, PathPart: api}}
  B: {Type: AWS::ApiGateway::Resource, Properties: {ParentId: !Ref A, PathPart: "{ref}"}}
"#,
            )
            .unwrap(),
        );
        assert_eq!(api_path(&doc, "B").as_deref(), Some("/api/{ref}"));
        assert_eq!(api_path(&doc, "Nope"), None);
    }
}
