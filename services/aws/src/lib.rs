//! The AWS adapters: the booking store on one DynamoDB table, and the notifier: guest email on SES, SMS and the
//! staff's booking events on SNS.
//!
//! Clients are built once per process from `aws-config` (credentials and region from the environment, an
//! endpoint override for moto in tests and local AWS mode) and shared by every invocation of a warm Lambda.
//! What only the local stack and the tests need (moto, creating tables and topics, polling the outbox) lives in
//! `booking-local-aws`, which no Lambda links.

mod config;
mod dynamo;
mod notifier;
mod secrets;
mod ses;
mod sns;

pub use config::{emulator_config, sdk_config, timeouts};
pub use dynamo::{DynamoStore, OutboxMarking, TableLayout, dynamodb_actions};
pub use notifier::AwsNotifier;
pub use secrets::{SecretError, StripeSecrets, stripe_secrets};
pub use ses::{BOOKING_TAG, CHANNEL_TAG, EVENT_TAG, SesEmail, SesSettings};
pub use sns::SnsMessages;
