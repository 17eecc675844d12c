//! Adapters for local mode: everything the product needs, on one machine, with no account.
//!
//! - [`EmbeddedStore`]: the booking store on [redb](https://docs.rs/redb), a pure-Rust, ACID, crash-safe embedded
//!   key-value store (copy-on-write B-trees, fsync on commit). Chosen because it is maintained, needs no C
//!   toolchain or server, and its serializable single-writer transactions give exactly the all-or-nothing
//!   semantics DynamoDB's `TransactWriteItems` gives the AWS adapter: a hold for N nights takes every night or none.
//! - [`FileOutbox`]: a notifier that writes each email, SMS and staff event to a JSON-lines file the dev server
//!   shows at `/dev/outbox`, and can bounce the next email as SES would (a bounce notification in SES's shape).

mod outbox;
mod store;

pub use outbox::{FileOutbox, SentMessage, ses_bounce_notification};
pub use store::EmbeddedStore;
