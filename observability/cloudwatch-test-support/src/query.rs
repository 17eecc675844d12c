//! CloudWatch's query protocol, driven by botocore's service model: what moto 5.2.5 answers for CloudWatch in
//! any setup (its JSON protocol needs botocore 1.36 or later, and the project's venv pins an older one through
//! checkov). Requests are form-encoded (`Action`, `Version`, `Member.member.N.Field`, ISO 8601 timestamps);
//! answers are XML (`<OperationResponse><OperationResult>…`), read into CBOR with each member's type from the
//! model — integers, doubles, booleans, timestamps as tag 1 — exactly as the SDK expects them.

use std::path::Path;
use std::process::Command;

use ciborium::Value as Cbor;
use serde_json::{Map, Value as Json};

use crate::Error;

/// The CloudWatch service model (botocore's `service-2.json`): operations and shapes.
#[derive(Debug, Clone)]
pub struct Model {
    operations: Map<String, Json>,
    shapes: Map<String, Json>,
    version: String,
}

impl Model {
    /// Loads the model from botocore in the Python environment of `python` (the venv moto runs in).
    pub fn from_botocore(python: &Path) -> Result<Model, Error> {
        let script = "import botocore.loaders, json, sys; json.dump(botocore.loaders.Loader().load_service_model('cloudwatch', 'service-2'), sys.stdout)";
        let output = Command::new(python).args(["-c", script]).output().map_err(Error::Model)?;
        if !output.status.success() {
            return Err(Error::ModelShape(String::from_utf8_lossy(&output.stderr).into_owned()));
        }
        let model: Json = serde_json::from_slice(&output.stdout).map_err(Error::Json)?;
        let part = |name: &str| model.get(name).and_then(Json::as_object).cloned().ok_or_else(|| Error::ModelShape(format!("no `{name}`")));
        let version = model["metadata"]["apiVersion"].as_str().unwrap_or("2010-08-01").to_owned();
        Ok(Model { operations: part("operations")?, shapes: part("shapes")?, version })
    }

    fn shape(&self, name: &str) -> Result<&Json, Error> {
        self.shapes.get(name).ok_or_else(|| Error::ModelShape(format!("no shape {name}")))
    }

    fn operation(&self, name: &str) -> Result<&Json, Error> {
        self.operations.get(name).ok_or_else(|| Error::ModelShape(format!("no operation {name}")))
    }

    /// The form body of a query request for `operation` with `input` (the request as JSON).
    pub fn encode(&self, operation: &str, input: &Json) -> Result<String, Error> {
        let mut pairs = vec![("Action".to_owned(), operation.to_owned()), ("Version".to_owned(), self.version.clone())];
        if let Some(shape) = self.operation(operation)?["input"]["shape"].as_str() {
            self.flatten(shape, input, "", &mut pairs)?;
        }
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &pairs {
            form.append_pair(key, value);
        }
        Ok(form.finish())
    }

    fn flatten(&self, shape: &str, value: &Json, prefix: &str, out: &mut Vec<(String, String)>) -> Result<(), Error> {
        let definition = self.shape(shape)?;
        let key = |name: &str| if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") };
        match definition["type"].as_str().unwrap_or_default() {
            "structure" => {
                let members = definition["members"].as_object().cloned().unwrap_or_default();
                for (name, member) in members {
                    // Members the SDK knows and this (older) model does not are left out.
                    if let (Some(value), Some(shape)) = (value.get(&name), member["shape"].as_str()) {
                        self.flatten(shape, value, &key(&name), out)?;
                    }
                }
            }
            "list" => {
                let member = definition["member"]["shape"].as_str().unwrap_or_default();
                let items = value.as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    out.push((prefix.to_owned(), String::new()));
                }
                for (i, item) in items.iter().enumerate() {
                    self.flatten(member, item, &format!("{prefix}.member.{}", i + 1), out)?;
                }
            }
            "map" => {
                let (key_shape, value_shape) =
                    (definition["key"]["shape"].as_str().unwrap_or_default(), definition["value"]["shape"].as_str().unwrap_or_default());
                for (i, (k, v)) in value.as_object().cloned().unwrap_or_default().into_iter().enumerate() {
                    self.flatten(key_shape, &Json::String(k), &format!("{prefix}.entry.{}.key", i + 1), out)?;
                    self.flatten(value_shape, &v, &format!("{prefix}.entry.{}.value", i + 1), out)?;
                }
            }
            "timestamp" => {
                let seconds = value.as_f64().ok_or_else(|| Error::ModelShape(format!("{prefix} is not a timestamp")))?;
                out.push((prefix.to_owned(), iso8601(seconds)));
            }
            "boolean" => out.push((prefix.to_owned(), value.as_bool().unwrap_or_default().to_string())),
            _ => out.push((
                prefix.to_owned(),
                match value {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                },
            )),
        }
        Ok(())
    }

    /// The CBOR answer for a query protocol XML answer: the operation's output, or `{__type, message}` for an error.
    pub fn decode(&self, operation: &str, xml: &str) -> Result<Cbor, Error> {
        let document = roxmltree::Document::parse(xml).map_err(|e| Error::Xml(e.to_string()))?;
        let root = document.root_element();
        if root.tag_name().name() == "ErrorResponse" {
            let error = child(root, "Error").ok_or_else(|| Error::Xml("an ErrorResponse without Error".into()))?;
            let text = |name: &str| child(error, name).and_then(|n| n.text()).unwrap_or_default().to_owned();
            return Ok(Cbor::Map(vec![
                (Cbor::Text("__type".into()), Cbor::Text(text("Code"))),
                (Cbor::Text("message".into()), Cbor::Text(text("Message"))),
            ]));
        }
        let output = &self.operation(operation)?["output"];
        match (output["shape"].as_str(), output["resultWrapper"].as_str()) {
            (Some(shape), Some(wrapper)) => match child(root, wrapper) {
                Some(result) => self.read(shape, result),
                None => Ok(Cbor::Map(Vec::new())),
            },
            _ => Ok(Cbor::Map(Vec::new())),
        }
    }

    fn read(&self, shape: &str, node: roxmltree::Node<'_, '_>) -> Result<Cbor, Error> {
        let definition = self.shape(shape)?;
        let text = node.text().unwrap_or_default().trim();
        let number = |kind: &str| Error::Xml(format!("`{text}` is not {kind} ({shape})"));
        Ok(match definition["type"].as_str().unwrap_or_default() {
            "structure" => {
                let members = definition["members"].as_object().cloned().unwrap_or_default();
                let mut entries = Vec::new();
                for (name, member) in members {
                    if let (Some(element), Some(member_shape)) = (child(node, &name), member["shape"].as_str()) {
                        entries.push((Cbor::Text(name.clone()), self.read(member_shape, element)?));
                    }
                }
                Cbor::Map(entries)
            }
            "list" => {
                let member = definition["member"]["shape"].as_str().unwrap_or_default();
                let items: Result<Vec<Cbor>, Error> =
                    node.children().filter(|c| c.is_element() && c.tag_name().name() == "member").map(|c| self.read(member, c)).collect();
                Cbor::Array(items?)
            }
            "integer" | "long" => Cbor::Integer(text.parse::<i64>().map_err(|_| number("an integer"))?.into()),
            "double" | "float" => Cbor::Float(text.parse::<f64>().map_err(|_| number("a number"))?),
            "boolean" => Cbor::Bool(text == "true"),
            "timestamp" => {
                let time = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| number("an ISO 8601 time"))?;
                let seconds = time.timestamp() as f64 + f64::from(time.timestamp_subsec_millis()) / 1000.0;
                Cbor::Tag(1, Box::new(Cbor::Float(seconds)))
            }
            _ => Cbor::Text(text.to_owned()),
        })
    }
}

fn child<'a, 'input>(node: roxmltree::Node<'a, 'input>, name: &str) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn iso8601(seconds: f64) -> String {
    let whole = seconds.floor();
    let millis = ((seconds - whole) * 1000.0).round() as u32;
    chrono::DateTime::from_timestamp(whole as i64, millis * 1_000_000)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_as_iso8601() {
        assert_eq!(iso8601(1_764_000_000.25), "2025-11-24T16:00:00.250Z");
    }
}
