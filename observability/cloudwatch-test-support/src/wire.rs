//! RPCv2 CBOR on the wire, in JSON terms: CloudWatch's CBOR and JSON protocols encode the same shapes with the
//! same member names, so tests and the bridge can read and write CBOR as JSON values.
//!
//! CBOR timestamps are tag 1 (epoch seconds) where JSON has plain numbers: members named `*Timestamp`,
//! `*Timestamps` and `LastModified` — every timestamp member of CloudWatch's model — are tagged when writing
//! CBOR. JSON integers become CBOR integers and JSON fractions CBOR doubles (the SDK reads a `Double` only from a
//! CBOR float), which is what moto's model-driven JSON serializer produces for `Integer` and `Double` shapes.
//! Blobs do not occur in CloudWatch.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ciborium::Value as Cbor;
use serde_json::Value as Json;

use crate::Error;

const CBOR_TAG_EPOCH: u64 = 1;

/// An RPCv2 CBOR response with this status and body (given as JSON).
pub fn cbor_response(status: StatusCode, body: Json) -> Result<Response, Error> {
    cbor_value_response(status, &json_to_cbor(body, false))
}

/// An RPCv2 CBOR response with this status and body.
pub fn cbor_value_response(status: StatusCode, body: &Cbor) -> Result<Response, Error> {
    let mut bytes = Vec::new();
    ciborium::into_writer(body, &mut bytes).map_err(|e| Error::Encode(e.to_string()))?;
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/cbor"));
    headers.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    Ok(response)
}

/// A CBOR request body as JSON (an empty body is an empty object).
pub fn request_json(body: &[u8]) -> Result<Json, Error> {
    if body.is_empty() { Ok(Json::Object(Default::default())) } else { Ok(cbor_to_json(decode(body)?)) }
}

fn decode(body: &[u8]) -> Result<Cbor, Error> {
    ciborium::from_reader(body).map_err(|e| Error::Decode(e.to_string()))
}

/// CBOR request -> JSON request: timestamps (tag 1) become epoch-second numbers, as the JSON protocol has them.
pub fn cbor_to_json(value: Cbor) -> Json {
    match value {
        Cbor::Null => Json::Null,
        Cbor::Bool(b) => Json::Bool(b),
        Cbor::Integer(i) => {
            let i = i128::from(i);
            i64::try_from(i).map(Json::from).or_else(|_| u64::try_from(i).map(Json::from)).unwrap_or(Json::Null)
        }
        Cbor::Float(f) => serde_json::Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null),
        Cbor::Text(s) => Json::String(s),
        Cbor::Bytes(b) => Json::Array(b.into_iter().map(Json::from).collect()),
        Cbor::Tag(_, inner) => cbor_to_json(*inner),
        Cbor::Array(items) => Json::Array(items.into_iter().map(cbor_to_json).collect()),
        Cbor::Map(entries) => Json::Object(
            entries
                .into_iter()
                .filter_map(|(k, v)| match k {
                    Cbor::Text(k) => Some((k, cbor_to_json(v))),
                    _ => None,
                })
                .collect(),
        ),
        _ => Json::Null,
    }
}

fn is_timestamp_member(name: &str) -> bool {
    name.ends_with("Timestamp") || name.ends_with("Timestamps") || name == "LastModified"
}

/// JSON answer -> CBOR answer. `timestamp` is true inside a timestamp member (its numbers get tag 1).
pub fn json_to_cbor(value: Json, timestamp: bool) -> Cbor {
    match value {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(b),
        Json::Number(n) => {
            let number = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) if !timestamp => Cbor::Integer(i.into()),
                (_, Some(u), _) if !timestamp => Cbor::Integer(u.into()),
                (_, _, Some(f)) => Cbor::Float(f),
                _ => Cbor::Null,
            };
            if timestamp { Cbor::Tag(CBOR_TAG_EPOCH, Box::new(number)) } else { number }
        }
        Json::String(s) => Cbor::Text(s),
        Json::Array(items) => Cbor::Array(items.into_iter().map(|v| json_to_cbor(v, timestamp)).collect()),
        Json::Object(entries) => Cbor::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let timestamp = is_timestamp_member(&k);
                    (Cbor::Text(k), json_to_cbor(v, timestamp))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_tagged_and_numbers_keep_their_kind() {
        let json = serde_json::json!({
            "MetricDataResults": [{"Id": "a", "Values": [1.0, 2.5], "Timestamps": [1764000000.0, 1764000060]}],
            "MetricAlarms": [{"Period": 60, "Threshold": 5.0, "StateUpdatedTimestamp": 1764000000.5}]
        });
        let cbor = json_to_cbor(json, false);
        let text = format!("{cbor:?}");
        assert!(text.contains("Tag(1, Float(1764000000.0))") && text.contains("Tag(1, Float(1764000060.0))"), "{text}");
        assert!(text.contains("Integer(Integer(60))") && text.contains("Float(5.0)") && text.contains("Float(2.5)"), "{text}");
        assert!(text.contains("Tag(1, Float(1764000000.5))"), "{text}");
        assert!(!text.contains("Tag(1, Float(5.0))") && !text.contains("Tag(1, Integer"), "{text}");
    }

    #[test]
    fn cbor_requests_become_json_with_epoch_seconds() {
        let cbor = Cbor::Map(vec![
            (Cbor::Text("StartTime".into()), Cbor::Tag(1, Box::new(Cbor::Float(1764000000.0)))),
            (Cbor::Text("MaxDatapoints".into()), Cbor::Integer(100.into())),
        ]);
        assert_eq!(cbor_to_json(cbor), serde_json::json!({"StartTime": 1764000000.0, "MaxDatapoints": 100}));
    }
}
