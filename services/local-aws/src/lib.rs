//! What only the local stack and the tests need from AWS, kept out of the adapters the Lambdas link
//! (`xtask/tests/tidy.rs` checks): moto's server as a harness, creating the table, topic and SES identity the templates create
//! in AWS, and polling the table for outbox items where no stream invokes `notify` (and the stream records that
//! carry them).

mod outbox;
mod setup;
mod stream;

pub mod moto;

pub use outbox::DynamoOutboxPoller;
pub use setup::{SetupError, create_email_identity, create_table, create_topic};
pub use stream::stream_record;
