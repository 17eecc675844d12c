//! What only a deploy (or the second one) would otherwise reveal: quotas a new account does not have, exports that
//! lock a stack's releases, key policies CloudTrail refuses, retained names that block a redeploy, and the
//! cross-template wiring of the origin-verify secret, the API origin, the access logs and the trail's selectors.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::{BTreeMap, BTreeSet};

use infra_check::inventory::resolve_with;
use infra_check::repo_root;
use infra_check::template::{Template, at, get, load, load_all, long_form, mapping, templates_dir};
use serde_yaml_ng::Value;

fn template(name: &str) -> Template {
    let mut t = load(&templates_dir(&repo_root()).join(name)).unwrap();
    t.doc = long_form(t.doc);
    t
}

fn templates() -> Vec<Template> {
    load_all(&repo_root())
        .unwrap()
        .into_iter()
        .map(|mut t| {
            t.doc = long_form(t.doc);
            t
        })
        .collect()
}

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).unwrap()
}

fn resources_of<'a>(t: &'a Template, ty: &str) -> Vec<(&'a str, &'a Value)> {
    t.resources().filter(|(_, r)| get(r, "Type").and_then(Value::as_str) == Some(ty)).collect()
}

/// Lambda keeps this much of the account's concurrency unreserved; reservations need a limit above it.
const UNRESERVED_MINIMUM: i64 = 100;

fn reserved_concurrency(api: &Template, overrides: &[(&str, &str)]) -> i64 {
    resources_of(api, "AWS::Lambda::Function")
        .iter()
        .filter_map(|(_, f)| resolve_with(&api.doc, overrides, at(f, "Properties/ReservedConcurrentExecutions")?))
        .map(|v| v.as_i64().unwrap_or_else(|| panic!("reserved concurrency does not resolve to a number: {v:?}")))
        .sum()
}

/// New accounts start with a concurrency limit of 10: a deploy with the defaults must reserve nothing, and the
/// README names the limit that turning it on needs.
#[test]
fn default_deploy_reserves_no_concurrency_and_the_readme_names_the_quota_to_turn_it_on() {
    let api = template("api.yaml");
    assert_eq!(
        reserved_concurrency(&api, &[]),
        0,
        "with default parameters the functions reserve concurrency; new accounts cannot deploy that"
    );
    let reserved = reserved_concurrency(&api, &[("ReservedConcurrency", "true")]);
    assert!(reserved > 0, "ReservedConcurrency=true reserves nothing");
    let needed = reserved + UNRESERVED_MINIMUM;
    let readme = readme();
    assert!(
        readme.contains("ReservedConcurrency=true") && readme.contains(&format!("at least {needed}")),
        "README must say how to turn reserved concurrency on (ReservedConcurrency=true) and that it needs an account limit of at least {needed}"
    );
}

/// `harbour-${Environment}:X` -> `X`.
fn export_key(value: &Value) -> Option<String> {
    let name = value.as_str().or_else(|| get(value, "Fn::Sub")?.as_str())?;
    Some(name.rsplit(':').next()?.to_owned())
}

fn imports(t: &Template) -> BTreeSet<String> {
    fn walk(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Mapping(m) => {
                for (k, v) in m {
                    if k.as_str() == Some("Fn::ImportValue") {
                        out.extend(export_key(v));
                    } else {
                        walk(v, out);
                    }
                }
            }
            Value::Sequence(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(&t.doc, &mut out);
    out
}

/// export key -> the output's value expression.
fn exports(t: &Template) -> BTreeMap<String, String> {
    mapping(&t.doc, "Outputs")
        .into_iter()
        .flatten()
        .filter_map(|(_, output)| {
            let key = export_key(at(output, "Export/Name")?)?;
            Some((key, serde_yaml_ng::to_string(get(output, "Value")?).unwrap().trim().to_owned()))
        })
        .collect()
}

/// Stacks redeployed on every release (README, Infrastructure). CloudFormation refuses to change an export that
/// another stack imports, so one of these exporting a value someone imports would block its own releases.
const RELEASED_EVERY_TIME: &[&str] = &["api.yaml"];

#[test]
fn stacks_released_every_time_export_nothing_that_is_imported() {
    let templates = templates();
    let imported: BTreeSet<String> = templates.iter().flat_map(imports).collect();
    for name in RELEASED_EVERY_TIME {
        let t = templates.iter().find(|t| t.name == *name).unwrap();
        let locked: Vec<String> = exports(t).into_keys().filter(|k| imported.contains(k)).collect();
        assert!(
            locked.is_empty(),
            "{name} is redeployed on every release but exports {locked:?}, which other stacks import: pass them by SSM parameter or a stable name"
        );
    }
}

/// Every export another stack imports, with the value expression it has today. Changing one fails the import's
/// stack update ("Cannot update export ... as it is in use"): add a new export, move the importers to it, then
/// remove the old one, and update this list in the same change.
const IMPORTED_EXPORTS: &[(&str, &str, &str)] = &[
    ("data.yaml", "DataKeyArn", "Fn::GetAtt:\n- DataKey\n- Arn"),
    ("data.yaml", "EmailFeedbackTopicArn", "Ref: EmailFeedbackTopic"),
    ("data.yaml", "GuestMailConfigurationSetName", "Ref: GuestMailConfigurationSet"),
    ("data.yaml", "GuestMailFromAddress", "Fn::Sub: ${GuestMailSenderName} <${GuestMailLocalPart}@${DomainName}>"),
    (
        "data.yaml",
        "GuestMailIdentityArn",
        "Fn::Sub: arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${GuestMailIdentity}",
    ),
    ("data.yaml", "NotificationsTopicArn", "Ref: NotificationsTopic"),
    ("data.yaml", "TableArn", "Fn::GetAtt:\n- BookingTable\n- Arn"),
    ("data.yaml", "TableName", "Ref: BookingTable"),
    ("data.yaml", "TableStreamArn", "Fn::GetAtt:\n- BookingTable\n- StreamArn"),
    ("identity.yaml", "UserPoolArn", "Fn::GetAtt:\n- UserPool\n- Arn"),
];

#[test]
fn imported_exports_keep_their_value_expressions() {
    let templates = templates();
    let imported: BTreeSet<String> = templates.iter().flat_map(imports).collect();
    let mut actual = BTreeSet::new();
    for t in &templates {
        for (key, value) in exports(t) {
            if imported.contains(&key) {
                actual.insert((t.name.clone(), key, value));
            }
        }
    }
    let pinned: BTreeSet<(String, String, String)> =
        IMPORTED_EXPORTS.iter().map(|(t, k, v)| ((*t).to_owned(), (*k).to_owned(), (*v).to_owned())).collect();
    assert_eq!(actual, pinned, "an imported export changed (or appeared): see IMPORTED_EXPORTS for how to change one safely");
    let exported: BTreeSet<String> = templates.iter().flat_map(|t| exports(t).into_keys()).collect();
    let dangling: Vec<&String> = imported.iter().filter(|k| !exported.contains(*k)).collect();
    assert!(dangling.is_empty(), "imports of exports no template declares: {dangling:?}");
}

/// Properties that give a resource a fixed name, which a retained copy would block on the next create.
const NAME_PROPERTIES: &[&str] = &["BucketName", "TableName", "LogGroupName", "TopicName", "QueueName"];

/// (template, logical id) of the README's "Retained resources" table.
fn readme_retained() -> BTreeSet<(String, String)> {
    let readme = readme();
    let section = readme.split("\n### Retained resources\n").nth(1).expect("README has a '### Retained resources' section");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let unquote = |c: &str| c.trim_matches('`').to_owned();
            (cells.len() > 3 && cells[1].ends_with(".yaml`")).then(|| (unquote(cells[1]), unquote(cells[2])))
        })
        .collect()
}

#[test]
fn readme_lists_every_retained_resource_with_a_fixed_name() {
    let mut retained = BTreeSet::new();
    for t in templates() {
        for (id, resource) in t.resources() {
            let kept = get(resource, "DeletionPolicy").and_then(Value::as_str) == Some("Retain");
            let named = NAME_PROPERTIES.iter().any(|p| at(resource, &format!("Properties/{p}")).is_some());
            if kept && named {
                retained.insert((t.name.clone(), id.to_owned()));
            }
        }
    }
    assert_eq!(
        readme_retained(),
        retained,
        "README's 'Retained resources' table must list exactly the retained resources with a fixed name (a redeploy with the same name needs each removed or imported)"
    );
}

/// AWS's CloudTrail key-policy page: with an S3 Bucket Key on the trail bucket, CloudTrail needs kms:Decrypt to
/// create or update the trail.
#[test]
fn trail_key_lets_cloudtrail_decrypt_when_the_trail_bucket_uses_a_bucket_key() {
    let monitoring = template("monitoring.yaml");
    let (_, trail) = resources_of(&monitoring, "AWS::CloudTrail::Trail").pop().unwrap();
    let bucket = at(trail, "Properties/S3BucketName/Ref").and_then(Value::as_str).unwrap();
    let bucket_key =
        at(monitoring.resource(bucket).unwrap(), "Properties/BucketEncryption/ServerSideEncryptionConfiguration/0/BucketKeyEnabled")
            .and_then(Value::as_bool)
            == Some(true);
    let key = at(trail, "Properties/KMSKeyId/Fn::GetAtt/0").and_then(Value::as_str).unwrap();
    let statements = at(monitoring.resource(key).unwrap(), "Properties/KeyPolicy/Statement").and_then(Value::as_sequence).unwrap();
    let cloudtrail_decrypts = statements.iter().any(|s| {
        let service = at(s, "Principal/Service").and_then(Value::as_str) == Some("cloudtrail.amazonaws.com");
        let actions: Vec<&str> = match get(s, "Action") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Sequence(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        service && get(s, "Effect").and_then(Value::as_str) == Some("Allow") && actions.contains(&"kms:Decrypt")
    });
    assert!(
        !bucket_key || cloudtrail_decrypts,
        "{bucket} uses an S3 Bucket Key but {key}'s policy gives cloudtrail.amazonaws.com no kms:Decrypt"
    );
    let principals: Vec<&Value> = statements.iter().filter_map(|s| at(s, "Principal/AWS")).collect();
    assert!(!principals.iter().any(|p| p.as_str() == Some("*")), "{key} grants principal \"*\": name the account instead");
}

/// edge.yaml's `/api/*` origin.
fn api_origin(edge: &Template) -> Value {
    at(edge.resource("Distribution").unwrap(), "Properties/DistributionConfig/Origins")
        .and_then(Value::as_sequence)
        .unwrap()
        .iter()
        .find(|o| get(o, "Id").and_then(Value::as_str) == Some("api"))
        .unwrap()
        .clone()
}

/// The header CloudFront adds and the header the stage's web ACL checks are one header, read from one secret.
#[test]
fn cloudfront_sends_the_origin_verify_header_the_api_acl_checks() {
    let (edge, api) = (template("edge.yaml"), template("api.yaml"));
    let origin = &api_origin(&edge);
    let header = at(origin, "OriginCustomHeaders/0/HeaderName").and_then(Value::as_str).unwrap();
    let sent = at(origin, "OriginCustomHeaders/0/HeaderValue/Fn::Sub").and_then(Value::as_str).unwrap();
    let rule = at(api.resource("ApiWebAcl").unwrap(), "Properties/Rules")
        .and_then(Value::as_sequence)
        .unwrap()
        .iter()
        .find(|r| get(r, "Name").and_then(Value::as_str) == Some("require-origin-verify"))
        .unwrap();
    let matches = at(rule, "Statement/NotStatement/Statement/OrStatement/Statements").and_then(Value::as_sequence).unwrap();
    let checked: BTreeSet<String> = matches
        .iter()
        .map(|m| at(m, "ByteMatchStatement/FieldToMatch/SingleHeader/Name").and_then(Value::as_str).unwrap().to_lowercase())
        .collect();
    assert_eq!(checked, BTreeSet::from([header.to_lowercase()]), "edge.yaml sends {header}; the web ACL checks {checked:?}");
    let accepted: BTreeSet<&str> =
        matches.iter().map(|m| at(m, "ByteMatchStatement/SearchString/Fn::Sub").and_then(Value::as_str).unwrap()).collect();
    assert!(accepted.contains(sent), "CloudFront sends {sent}, which the web ACL does not accept ({accepted:?})");
    assert!(
        accepted.iter().any(|a| a.contains(":previous::")),
        "the web ACL must accept the previous value too, or a rotation cuts the API off"
    );
    for t in [&edge, &api] {
        for parameter in ["OriginVerifySecretArn", "OriginVerifySecretVersion"] {
            assert!(at(&t.doc, &format!("Parameters/{parameter}")).is_some(), "{} lacks parameter {parameter}", t.name);
        }
    }
}

/// CloudFront's /api/* origin is the stage the api stack creates, found through the SSM parameter it writes.
#[test]
fn cloudfront_reaches_the_stage_through_the_parameter_the_api_stack_writes() {
    let (edge, api) = (template("edge.yaml"), template("api.yaml"));
    let origin = api_origin(&edge);
    let stage = at(api.resource("ApiStage").unwrap(), "Properties/StageName").and_then(Value::as_str).unwrap();
    assert_eq!(get(&origin, "OriginPath").and_then(Value::as_str), Some(format!("/{stage}").as_str()));
    assert_eq!(at(&origin, "DomainName/Ref").and_then(Value::as_str), Some("ApiOriginDomain"));
    let parameter_type = at(&edge.doc, "Parameters/ApiOriginDomain/Type").and_then(Value::as_str);
    assert_eq!(parameter_type, Some("AWS::SSM::Parameter::Value<String>"));
    // That `cargo xtask deploy` passes the parameter's name as ApiOriginDomain: infra/deploy/tests/plan.rs.
    assert!(resources_of(&api, "AWS::SSM::Parameter").iter().any(|(id, _)| *id == "ApiOriginDomainParameter"));
}

/// The access logs of edge.yaml's distribution are delivered, from us-east-1, into edge.yaml's log bucket, which
/// admits exactly that delivery.
#[test]
fn access_logs_of_the_distribution_reach_the_log_bucket() {
    let (edge, logs) = (template("edge.yaml"), template("edge-logs.yaml"));
    let region_rule = at(&logs.doc, "Rules").and_then(Value::as_mapping).unwrap();
    assert!(
        serde_yaml_ng::to_string(region_rule).unwrap().contains("us-east-1"),
        "edge-logs.yaml must refuse regions other than us-east-1"
    );
    let (_, source) = resources_of(&logs, "AWS::Logs::DeliverySource").pop().unwrap();
    assert_eq!(at(source, "Properties/ResourceArn/Ref").and_then(Value::as_str), Some("DistributionArn"));
    let (_, destination) = resources_of(&logs, "AWS::Logs::DeliveryDestination").pop().unwrap();
    assert_eq!(at(destination, "Properties/DestinationResourceArn/Ref").and_then(Value::as_str), Some("AccessLogBucketArn"));
    for output in ["DistributionArn", "AccessLogBucketArn"] {
        assert!(at(&edge.doc, &format!("Outputs/{output}")).is_some(), "edge.yaml must output {output} for edge-logs.yaml");
    }
    let policy = serde_yaml_ng::to_string(edge.resource("LogBucketPolicy").unwrap()).unwrap();
    assert!(
        policy.contains("delivery.logs.amazonaws.com") && policy.contains(":logs:us-east-1:"),
        "the log bucket must admit log delivery from us-east-1 sources"
    );
    assert!(at(edge.resource("Distribution").unwrap(), "Properties/DistributionConfig/Logging").is_none());
}

/// The trail's data-event selectors name the resources they are meant to watch.
#[test]
fn trail_selectors_name_the_table_the_functions_and_the_three_buckets() {
    let (monitoring, api, edge) = (template("monitoring.yaml"), template("api.yaml"), template("edge.yaml"));
    let (_, trail) = resources_of(&monitoring, "AWS::CloudTrail::Trail").pop().unwrap();
    let selectors = serde_yaml_ng::to_string(at(trail, "Properties/AdvancedEventSelectors").unwrap()).unwrap();
    for (_, function) in resources_of(&api, "AWS::Lambda::Function") {
        let name = at(function, "Properties/FunctionName/Fn::Sub").and_then(Value::as_str).unwrap();
        assert!(selectors.contains(&format!(":function:{name}")), "the trail does not record invocations of {name}");
    }
    let site = at(edge.resource("SiteBucket").unwrap(), "Properties/BucketName/Fn::Sub").and_then(Value::as_str).unwrap();
    for bucket in [format!(":s3:::{site}/"), ":s3:::${ArtifactsBucket}/".to_owned(), "${TrailBucket.Arn}/".to_owned()] {
        assert!(selectors.contains(&bucket), "the trail does not record object events for {bucket}");
    }
    assert!(selectors.contains("harbour-${Environment}:TableArn"), "the trail does not record the booking table");
}
