//! A local OpenID Connect provider shaped like a Cognito user pool with its hosted UI, so the dev stack and the
//! end-to-end tests sign users in through the same authorization-code + PKCE flow as production.
//!
//! Invariants: tokens carry Cognito's claim names and are RS256-signed with a `kid`, so
//! `booking_identity::JwksVerifier` accepts them exactly as it (and API Gateway) accepts Cognito's; the signing
//! key and users persist in `IdpConfig::data_dir`; authorization codes live in memory only. No passwords, tokens
//! or emails are logged.

mod config;
mod error;
mod fsutil;
mod grants;
mod html;
mod idp;
mod keys;
mod oauth;
mod password;
mod routes;
mod tokens;
mod users;

pub use config::{DemoUser, IdpConfig, UnixClock};
pub use error::IdpError;
pub use idp::Idp;

/// Seconds since the Unix epoch; a clock set before 1970 reads as 0 (every token then looks unexpired, which
/// only matters on a badly broken dev machine).
pub(crate) fn system_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}
