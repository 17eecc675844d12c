//! Test support for `infra-audit`, never shipped (a tidy test keeps it out of every production crate's
//! `[dependencies]`): what CloudTrail would have delivered, written exactly as CloudTrail writes it.
//!
//! - [`keys`]: RSA test keys standing in for CloudTrail's per-region signing keys, and the
//!   `list-public-keys` JSON an auditor would export.
//! - [`records`]: realistic records in the documented record format (`records/security-events.json`: one per
//!   rule and the benign look-alikes) and fast generated background traffic.
//! - [`writer`]: gzip log files (`{"Records": [...]}`) and hourly digest chains signed `SHA256withRSA` over
//!   CloudTrail's signing string, to a directory with sidecar metadata files or to S3 with object metadata.
//! - [`scenario`]: a two-region, six-hour trail, intact or with one tampering per integrity case.

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "test support: a fixture that cannot be built fails its test loudly")]

pub mod keys;
pub mod records;
pub mod scenario;
pub mod writer;
