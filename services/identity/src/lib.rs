//! Verifies Cognito user-pool JWTs the way API Gateway's Cognito authorizer does, so that the local gateway
//! emulation accepts and refuses exactly the tokens AWS would.
//!
//! Invariants: only RS256 is accepted, the key is chosen by `kid` from a JWKS fetched once (no network call per
//! request), and every refusal is a [`booking_ports::IdentityError::Rejected`] whose message never contains the
//! token or any claim value.

mod checks;
mod config;
mod verifier;

pub use config::{TokenUse, VerifierConfig};
pub use verifier::JwksVerifier;
