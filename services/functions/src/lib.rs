//! The Lambda functions, as plain async handlers over `lambda_http` / `aws_lambda_events` types.
//!
//! Each function is hosted twice with no change: by its Lambda binary (`src/bin/*.rs`, wrapping it with
//! `lambda_runtime`) and in-process by the local stack (`devstack`), which turns HTTP into API Gateway REST proxy
//! events first. Both build it the same way: typed settings (`config`) through the same `wiring`, as `functions`
//! describes it. Parsing and HTTP status mapping happen here, at the edge; the decisions live in `booking-app`.

pub mod config;
pub mod feedback;
pub mod functions;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod payment;
pub mod query;
#[cfg(feature = "stripe")]
/// Stripe's webhook: only with the `stripe` feature (see Cargo.toml), as is the wiring of the functions that pay.
#[cfg(feature = "stripe")]
pub mod record;
pub mod scope;
pub mod sweeper;
pub mod telemetry;
pub mod wiring;

pub use functions::{Auth, FUNCTIONS, FunctionName, FunctionSpec, Operation, Route, RouteMatch, RouteMiss, match_route};
