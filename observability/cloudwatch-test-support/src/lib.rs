//! Test support for CloudWatch clients (never a dependency of a Lambda or of the local stack's production
//! code): [`Bridge`] lets `aws-sdk-cloudwatch`, which speaks RPCv2 CBOR only, use moto 5.2.5, which does not
//! speak CBOR (it answers CloudWatch's query protocol, and its JSON protocol only with botocore 1.36 or later);
//! [`Replay`] answers with recorded CloudWatch responses what moto cannot (metric math, percentile statistics).
//! [`wire`] reads and writes CBOR as JSON values; [`Model`] speaks the query protocol from botocore's model.

mod bridge;
mod query;
mod replay;
pub mod wire;

pub use bridge::Bridge;
pub use query::Model;
pub use replay::Replay;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not listen on loopback: {0}")]
    Bind(std::io::Error),
    #[error("not CBOR: {0}")]
    Decode(String),
    #[error("could not encode JSON: {0}")]
    Json(serde_json::Error),
    #[error("could not reach moto: {0}")]
    Upstream(reqwest::Error),
    #[error("CBOR encoding failed: {0}")]
    Encode(String),
    #[error("could not run Python to read botocore's CloudWatch model: {0}")]
    Model(std::io::Error),
    #[error("botocore's CloudWatch model: {0}")]
    ModelShape(String),
    #[error("moto's XML answer: {0}")]
    Xml(String),
}
