//! What the deploy needs to know from a template before CloudFormation sees it: the parameters it declares,
//! the resources it retains under a fixed name (which block a re-creation while they are left over), and how
//! much concurrency it reserves when asked to.

use std::collections::BTreeMap;

use infra_check::template::{at, get, long_form, mapping};
use serde_yaml_ng::Value;

use crate::DeployError;

/// A template as deployed: its exact text and its parsed, long-form document.
#[derive(Debug, Clone)]
pub struct Template {
    pub file: String,
    pub body: String,
    doc: Value,
}

/// A resource kept when its stack deletes it, under a name fixed by the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retained {
    pub logical_id: String,
    pub resource_type: String,
    /// The physical name, with `${Environment}`, `${AWS::AccountId}`, `${AWS::Region}` filled in.
    pub name: String,
}

/// The property that names each retained type.
const NAME_PROPERTIES: [(&str, &str); 4] = [
    ("AWS::DynamoDB::Table", "TableName"),
    ("AWS::SNS::Topic", "TopicName"),
    ("AWS::S3::Bucket", "BucketName"),
    ("AWS::Logs::LogGroup", "LogGroupName"),
];

impl Template {
    pub fn parse(file: &str, body: String) -> Result<Self, DeployError> {
        let doc: Value =
            serde_yaml_ng::from_str(&body).map_err(|e| DeployError::Template { file: file.to_owned(), problem: e.to_string() })?;
        Ok(Template { file: file.to_owned(), doc: long_form(doc), body })
    }

    /// The long-form document (intrinsics as `{Ref: X}`, `{Fn::Sub: ...}`).
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Declared parameters: name -> has a default.
    pub fn parameters(&self) -> BTreeMap<String, bool> {
        mapping(&self.doc, "Parameters")
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), get(v, "Default").is_some())))
            .collect()
    }

    /// Checks that `given` names only declared parameters and every one without a default.
    pub fn check_parameters(&self, given: &[(String, String)]) -> Result<(), DeployError> {
        let declared = self.parameters();
        let unknown: Vec<&str> = given.iter().map(|(k, _)| k.as_str()).filter(|k| !declared.contains_key(*k)).collect();
        let missing: Vec<&str> = declared
            .iter()
            .filter(|(k, has_default)| !**has_default && !given.iter().any(|(g, _)| g == *k))
            .map(|(k, _)| k.as_str())
            .collect();
        if unknown.is_empty() && missing.is_empty() {
            return Ok(());
        }
        Err(DeployError::Template {
            file: self.file.clone(),
            problem: format!("parameters not declared: {unknown:?}; required but not given: {missing:?}"),
        })
    }

    /// Resources with `DeletionPolicy: Retain` and a fixed name.
    pub fn retained(&self, stage: &str, account: &str, region: &str) -> Vec<Retained> {
        let mut out = Vec::new();
        for (id, resource) in mapping(&self.doc, "Resources").into_iter().flatten() {
            let (Some(id), Some(kind)) = (id.as_str(), get(resource, "Type").and_then(Value::as_str)) else { continue };
            if get(resource, "DeletionPolicy").and_then(Value::as_str) != Some("Retain") {
                continue;
            }
            let Some((_, property)) = NAME_PROPERTIES.iter().find(|(t, _)| *t == kind) else { continue };
            let Some(name) = at(resource, &format!("Properties/{property}")).and_then(|v| substitute(v, stage, account, region)) else {
                continue;
            };
            out.push(Retained { logical_id: id.to_owned(), resource_type: kind.to_owned(), name });
        }
        out
    }

    /// Logical ids of the resources the template retains (whatever their names), for the change-set display.
    pub fn retained_ids(&self) -> Vec<String> {
        mapping(&self.doc, "Resources")
            .into_iter()
            .flatten()
            .filter(|(_, r)| get(r, "DeletionPolicy").and_then(Value::as_str) == Some("Retain"))
            .filter_map(|(id, _)| id.as_str().map(str::to_owned))
            .collect()
    }

    /// Concurrency the functions reserve when `ReservedConcurrency` is on: the sum of the `Fn::If` branches.
    pub fn reserved_concurrency(&self) -> u32 {
        mapping(&self.doc, "Resources")
            .into_iter()
            .flatten()
            .filter_map(|(_, r)| at(r, "Properties/ReservedConcurrentExecutions/Fn::If/1").and_then(Value::as_u64))
            .map(|n| n as u32)
            .sum()
    }
}

/// A literal string or a `Fn::Sub` over the environment, the account and the region.
fn substitute(value: &Value, stage: &str, account: &str, region: &str) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        other => get(other, "Fn::Sub")?.as_str()?.to_owned(),
    };
    let filled = text.replace("${Environment}", stage).replace("${AWS::AccountId}", account).replace("${AWS::Region}", region);
    (!filled.contains("${")).then_some(filled)
}
