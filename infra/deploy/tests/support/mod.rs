//! The deploy rehearsal's stand-ins: moto with completed change-set execution (`moto_cfn.py`), and the copy of
//! the templates that moto can build.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, reason = "test support fails loudly; each test uses part of it")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use infra_check::template::long_form;
use infra_deploy::stacks::StackKind;
use serde_yaml_ng::{Mapping, Value};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// moto's server on a free loopback port, killed on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        let python = root().join(".venv/bin/python");
        assert!(python.exists(), "moto is not installed at {}: run `cargo xtask pyenv`", python.display());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto_cfn.py"))
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "moto did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    pub async fn config(&self, region: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_s3::config::Credentials::new("rehearsal", "rehearsal", None, None, "rehearsal"))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resource types moto 5.2.5's CloudFormation does not build (it skips them without an error, and a `Ref` or
/// `Fn::GetAtt` to one then fails or yields nothing). The copy drops them; the rehearsal proves nothing about them.
pub const NOT_BUILT_BY_MOTO: [&str; 18] = [
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Stage",
    "AWS::CertificateManager::Certificate",
    "AWS::CloudFront::",
    "AWS::CloudTrail::Trail",
    "AWS::CloudWatch::Alarm",
    "AWS::Cognito::",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Logs::Delivery",
    "AWS::S3::BucketPolicy",
    "AWS::Scheduler::Schedule",
    "AWS::SecretsManager::",
    "AWS::SES::",
    "AWS::Shield::",
    "AWS::WAFv2::",
];

/// What the copy changed, per template.
#[derive(Debug, Default)]
pub struct Workarounds {
    pub dropped: Vec<(String, String)>,
    pub tags_removed: Vec<(String, String)>,
}

/// Writes moto-buildable copies of `templates_dir`'s templates to `out` (JSON, which is YAML):
/// - resources of [`NOT_BUILT_BY_MOTO`] types are dropped; a `Ref`/`Fn::GetAtt`/`${}` to one becomes the text
///   `moto-skipped-<Id>[.<Attr>]`, except the distribution, which becomes `distribution` (one made through moto's
///   CloudFront API, so that the site sync's invalidation has a distribution to go to);
/// - `Tags` are removed from `AWS::KMS::Key` (moto fails with `KeyError: 'TagKey'` on CloudFormation's Key/Value
///   list) and `AWS::SSM::Parameter` (moto expects a list where CloudFormation takes a map);
/// - `Fn::GetAtt [<SSM parameter>, Value]` becomes the parameter's `Value` (moto has no attributes for it).
pub fn moto_copy(templates_dir: &Path, out: &Path, distribution: (&str, &str)) -> Workarounds {
    std::fs::create_dir_all(out).unwrap();
    let mut workarounds = Workarounds::default();
    for kind in StackKind::ORDER {
        let file = kind.template_file();
        let text = std::fs::read_to_string(templates_dir.join(&file)).unwrap();
        let mut doc = long_form(serde_yaml_ng::from_str(&text).unwrap());
        let resources = doc.get_mut("Resources").and_then(Value::as_mapping_mut).unwrap();
        let mut dropped = BTreeSet::new();
        let mut ssm_values = Vec::new();
        for (id, resource) in resources.iter_mut() {
            let id = id.as_str().unwrap().to_owned();
            let kind = resource.get("Type").and_then(Value::as_str).unwrap().to_owned();
            if NOT_BUILT_BY_MOTO.iter().any(|t| kind.starts_with(t)) {
                dropped.insert(id.clone());
                workarounds.dropped.push((file.clone(), format!("{id} ({kind})")));
            } else if kind == "AWS::KMS::Key" || kind == "AWS::SSM::Parameter" {
                let properties = resource.get_mut("Properties").and_then(Value::as_mapping_mut).unwrap();
                if properties.remove("Tags").is_some() {
                    workarounds.tags_removed.push((file.clone(), id.clone()));
                }
                if kind == "AWS::SSM::Parameter" {
                    ssm_values.push((id.clone(), properties.get("Value").cloned().unwrap()));
                }
            }
        }
        resources.retain(|id, _| !dropped.contains(id.as_str().unwrap()));
        let doc = rewrite(doc, &dropped, &ssm_values, distribution);
        std::fs::write(out.join(&file), serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
    workarounds
}

fn placeholder(id: &str, attribute: Option<&str>, distribution: (&str, &str)) -> String {
    match (id, attribute) {
        ("Distribution", None) => distribution.0.to_owned(),
        ("Distribution", Some("DomainName")) => distribution.1.to_owned(),
        (id, None) => format!("moto-skipped-{id}"),
        (id, Some(attribute)) => format!("moto-skipped-{id}.{attribute}"),
    }
}

fn rewrite(value: Value, dropped: &BTreeSet<String>, ssm: &[(String, Value)], distribution: (&str, &str)) -> Value {
    match value {
        Value::Mapping(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next().map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), v.clone())).unwrap();
            match (key.as_str(), &inner) {
                ("Ref", Value::String(id)) if dropped.contains(id) => Value::String(placeholder(id, None, distribution)),
                ("Fn::GetAtt", Value::Sequence(parts)) => {
                    let id = parts[0].as_str().unwrap_or_default();
                    let attribute = parts[1].as_str().unwrap_or_default();
                    if dropped.contains(id) {
                        return Value::String(placeholder(id, Some(attribute), distribution));
                    }
                    if let Some((_, value)) = ssm.iter().find(|(p, _)| p == id).filter(|_| attribute == "Value") {
                        return rewrite(value.clone(), dropped, ssm, distribution);
                    }
                    Value::Mapping(map)
                }
                ("Fn::Sub", _) => {
                    let substitute = |s: &str| substitute_dropped(s, dropped, distribution);
                    let inner = match inner {
                        Value::String(s) => Value::String(substitute(&s)),
                        Value::Sequence(mut items) => {
                            let text = items[0].as_str().map(substitute).unwrap_or_default();
                            items[0] = Value::String(text);
                            items[1] = rewrite(items[1].clone(), dropped, ssm, distribution);
                            Value::Sequence(items)
                        }
                        other => other,
                    };
                    let mut out = Mapping::new();
                    out.insert(Value::String(key), inner);
                    Value::Mapping(out)
                }
                _ => Value::Mapping(map.into_iter().map(|(k, v)| (k, rewrite(v, dropped, ssm, distribution))).collect()),
            }
        }
        Value::Mapping(map) => Value::Mapping(
            map.into_iter()
                .filter_map(|(k, v)| {
                    if k.as_str() == Some("DependsOn") {
                        let list: Vec<Value> = match v {
                            Value::Sequence(items) => items,
                            other => vec![other],
                        };
                        let kept: Vec<Value> = list.into_iter().filter(|d| !d.as_str().is_some_and(|d| dropped.contains(d))).collect();
                        return (!kept.is_empty()).then(|| (k, Value::Sequence(kept)));
                    }
                    Some((k, rewrite(v, dropped, ssm, distribution)))
                })
                .collect(),
        ),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(|v| rewrite(v, dropped, ssm, distribution)).collect()),
        other => other,
    }
}

fn substitute_dropped(text: &str, dropped: &BTreeSet<String>, distribution: (&str, &str)) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else { break };
        let reference = &rest[start + 2..start + end];
        let (id, attribute) = match reference.split_once('.') {
            Some((id, attribute)) => (id, Some(attribute)),
            None => (reference, None),
        };
        out.push_str(&rest[..start]);
        match dropped.contains(id) {
            true => out.push_str(&placeholder(id, attribute, distribution)),
            false => out.push_str(&rest[start..start + end + 1]),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}
