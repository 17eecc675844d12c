//! The whole product on one machine, with no cloud account: `cargo xtask dev`.
//!
//! One HTTP listener serves
//! - `/`            the static site (`site/`) with the same security headers CloudFront will set, and `/config.json`;
//! - `/api/*`       the API, through an emulation of API Gateway (REST): route table, Cognito-style JWT
//!   authorizer, HTTP turned into the very proxy event a Lambda receives, and the *same* handler functions the
//!   Lambda binaries run;
//! - `/idp/*`       a local OpenID Connect provider shaped like a Cognito user pool and its hosted UI;
//! - `/stripe/*`    a local Stripe-compatible payment server that the real Stripe adapter talks to and that sends
//!   signed webhooks back to `/api/webhooks/stripe`;
//! - `/dev/outbox`  every email/SMS "sent";
//! - `/dev/clock`   the stack's adjustable clock (development only; see `dev_clock`);
//! - `/dev/metrics` the operations dashboard drawn from the functions' EMF stream (`metrics.jsonl` in the data
//!   directory), which in AWS mode is also forwarded to CloudWatch (`metrics_forward`).
//!
//! Background loops stand in for what AWS does on its own: the DynamoDB stream feeding `notify`, and the
//! scheduled reconciliation (expired holds, captures, refunds and voids still owed).

mod background;
pub mod dev_clock;
mod gateway;
mod metrics_forward;
pub mod metrics_page;
mod outbox_page;
mod secrets;
pub mod site;
mod stack;

pub use dev_clock::DevClock;
pub use stack::{CLIENT_ID, LOCAL_ENVIRONMENT, METRICS_FILE, RealStripe, RunningStack, StackConfig, StackError, start};
