//! The CloudFormation templates as YAML values. Short-form intrinsics (`!Ref X`) are tagged values; [`long_form`]
//! rewrites them into the JSON-equivalent form (`{Ref: X}`) that every tool reads the same way.

use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};

use crate::CheckError;

/// One template file.
#[derive(Debug, Clone)]
pub struct Template {
    /// File name, e.g. `edge.yaml`.
    pub name: String,
    pub path: PathBuf,
    pub doc: Value,
}

impl Template {
    pub fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        mapping(&self.doc, "Resources").into_iter().flat_map(|m| m.iter()).filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    pub fn resource(&self, logical_id: &str) -> Option<&Value> {
        self.resources().find(|(id, _)| *id == logical_id).map(|(_, v)| v)
    }
}

pub fn templates_dir(root: &Path) -> PathBuf {
    root.join("infra").join("cloudformation")
}

pub fn policies_dir(root: &Path) -> PathBuf {
    root.join("policies")
}

/// The rule files of `policies/` (`*.guard`, one rule each, named like the file), sorted.
pub fn rule_files(root: &Path) -> Result<Vec<PathBuf>, CheckError> {
    let dir = policies_dir(root);
    let entries = std::fs::read_dir(&dir).map_err(|source| CheckError::Read { path: dir.clone(), source })?;
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "guard")).collect();
    files.sort();
    Ok(files)
}

/// The rule names of `policies/`.
pub fn rule_names(root: &Path) -> Result<std::collections::BTreeSet<String>, CheckError> {
    Ok(rule_files(root)?.iter().filter_map(|p| Some(p.file_stem()?.to_string_lossy().into_owned())).collect())
}

/// Every `*.yaml` template, sorted by name.
pub fn load_all(root: &Path) -> Result<Vec<Template>, CheckError> {
    let dir = templates_dir(root);
    let entries = std::fs::read_dir(&dir).map_err(|source| CheckError::Read { path: dir.clone(), source })?;
    let mut paths: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

pub fn load(path: &Path) -> Result<Template, CheckError> {
    let text = std::fs::read_to_string(path).map_err(|source| CheckError::Read { path: path.to_owned(), source })?;
    let doc = serde_yaml_ng::from_str(&text).map_err(|source| CheckError::Yaml { path: path.to_owned(), source })?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Template { name, path: path.to_owned(), doc })
}

/// `value[key]` if `value` is a mapping that has it.
pub fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping()?.get(key)
}

pub fn mapping<'a>(value: &'a Value, key: &str) -> Option<&'a Mapping> {
    get(value, key)?.as_mapping()
}

/// Follows a `/`-separated path of mapping keys and sequence indexes.
pub fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').filter(|s| !s.is_empty()).try_fold(value, |v, segment| match v {
        Value::Sequence(items) => items.get(segment.parse::<usize>().ok()?),
        Value::Mapping(m) => m.get(segment),
        _ => None,
    })
}

/// The rules a resource's `Metadata.guard` suppresses, each with its reason (`Reasons.<rule>`, empty if missing).
pub fn guard_suppressions(resource: &Value) -> Vec<(String, String)> {
    at(resource, "Metadata/guard/SuppressedRules")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|rule| {
            let reason = at(resource, &format!("Metadata/guard/Reasons/{rule}")).and_then(Value::as_str).unwrap_or_default();
            (rule.to_owned(), one_line(reason))
        })
        .collect()
}

/// The checks a resource's `Metadata.checkov.skip` skips, each with its comment (empty if missing).
pub fn checkov_skips(resource: &Value) -> Vec<(String, String)> {
    at(resource, "Metadata/checkov/skip")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|skip| {
            let text = |key: &str| get(skip, key).and_then(Value::as_str).unwrap_or_default();
            (text("id").to_owned(), one_line(text("comment")))
        })
        .collect()
}

/// Folded YAML text on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rewrites short-form intrinsics into the long form: `!Ref X` -> `{Ref: X}`, `!GetAtt A.B` ->
/// `{Fn::GetAtt: [A, B]}`, `!Sub s` -> `{Fn::Sub: s}`, and so on for every `!Name`.
pub fn long_form(value: Value) -> Value {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = long_form(tagged.value);
            let (key, inner) = match name {
                "Ref" | "Condition" => (name.to_owned(), inner),
                "GetAtt" => {
                    let inner = match inner {
                        Value::String(s) => match s.split_once('.') {
                            Some((resource, attribute)) => {
                                Value::Sequence(vec![Value::String(resource.to_owned()), Value::String(attribute.to_owned())])
                            }
                            None => Value::String(s),
                        },
                        other => other,
                    };
                    ("Fn::GetAtt".to_owned(), inner)
                }
                other => (format!("Fn::{other}"), inner),
            };
            let mut map = Mapping::new();
            map.insert(Value::String(key), inner);
            Value::Mapping(map)
        }
        Value::Mapping(m) => Value::Mapping(m.into_iter().map(|(k, v)| (k, long_form(v))).collect()),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(long_form).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_form_rewrites_every_short_intrinsic() {
        let check = |short: &str, long: &str| {
            let got = long_form(serde_yaml_ng::from_str(short).unwrap());
            let want: Value = serde_yaml_ng::from_str(long).unwrap();
            assert_eq!(got, want, "{short}");
        };
        check("a: !Ref X", "a: {Ref: X}");
        check("a: !GetAtt Bucket.Arn", "a: {'Fn::GetAtt': [Bucket, Arn]}");
        check("a: !GetAtt D.FunctionMetadata.FunctionARN", "a: {'Fn::GetAtt': [D, FunctionMetadata.FunctionARN]}");
        check("a: !Sub '${X}-y'", "a: {'Fn::Sub': '${X}-y'}");
        check("a: !If [C, !Ref A, !Ref AWS::NoValue]", "a: {'Fn::If': [C, {Ref: A}, {Ref: 'AWS::NoValue'}]}");
        check("a: [1, {b: !Equals [x, y]}]", "a: [1, {b: {'Fn::Equals': [x, y]}}]");
    }

    #[test]
    fn paths_follow_keys_and_indexes() {
        let doc: Value = serde_yaml_ng::from_str("a: {b: [{c: 1}, {c: 2}]}").unwrap();
        assert_eq!(at(&doc, "a/b/1/c"), Some(&Value::from(2)));
        assert_eq!(at(&doc, "a/b/2/c"), None);
        assert_eq!(at(&doc, "a/x"), None);
    }
}
