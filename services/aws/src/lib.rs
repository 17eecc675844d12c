//! The AWS adapters: the booking store on one DynamoDB table and the notifier on SNS.
//!
//! Clients are built once per process from `aws-config` (credentials and region from the environment, an
//! endpoint override for moto in tests and local AWS mode) and shared by every invocation of a warm Lambda.
//! `moto` holds the test harness that starts moto's server for the adapters' own tests and the end-to-end run.

mod config;
mod dynamo;
pub mod moto;
mod secrets;
mod sns;

pub use config::{AwsError, local_sdk_config, sdk_config};
pub use dynamo::{DynamoStore, TableLayout};
pub use secrets::{SecretError, StripeSecrets, stripe_secrets};
pub use sns::SnsNotifier;
