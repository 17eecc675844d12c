//! The AWS adapters: the booking store on one DynamoDB table and the notifier on SNS.
//!
//! Clients are built once per process from `aws-config` (credentials and region from the environment, an
//! endpoint override for moto in tests and local AWS mode) and shared by every invocation of a warm Lambda.
//! `moto` holds the test harness that starts moto's server for the adapters' own tests and the end-to-end run.

mod config;
mod dynamo;
pub mod moto;
mod sns;

pub use config::{AwsError, sdk_config};
pub use dynamo::{DynamoStore, TableLayout};
pub use sns::SnsNotifier;
