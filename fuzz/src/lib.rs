//! What the fuzz targets share. The HTTP targets' harness needs the whole local stack, so it is built only with the
//! `stack` feature; the parser targets need nothing from here (see `Cargo.toml` for why the two are split).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a fuzz harness fails by panicking")]

#[cfg(feature = "stack")]
mod http;

#[cfg(feature = "stack")]
pub use http::{Harness, TextRequest, check_answer, fuzz_http, parse_request};
