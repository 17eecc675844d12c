//! The Lambda functions, as plain async functions over `lambda_http` / `aws_lambda_events` types.
//!
//! Each function is hosted twice with no change: by its Lambda binary (`src/bin/*.rs`, wrapping it with
//! `lambda_runtime`) and in-process by the local stack (`devstack`), which turns HTTP into API Gateway REST proxy
//! events first. Parsing and HTTP status mapping happen here, at the edge; the decisions live in `booking-app`.

pub mod http;
pub mod notify;
pub mod payment;
pub mod query;
pub mod record;
pub mod routes;
pub mod sweeper;
pub mod telemetry;
pub mod unconfigured;
pub mod wiring;

pub use routes::{Auth, Function, ROUTES, Route, RouteMatch, RouteMiss, match_route};
