//! `cargo xtask audit`: three questions an auditor asks of a deployed environment, answered from CloudTrail.
//!
//! 1. **What changed** in the controls the product's security rests on ([`rules`] applied to [`records`] by
//!    [`engine`]): each finding says when, who (principal, MFA, session issuer), from where, on which resource
//!    (tied to the templates' resource names by [`catalogue`]) and why it matters.
//! 2. **Is the trail healthy** ([`health`]): `DescribeTrails`, `GetTrailStatus`, `GetEventSelectors` against what
//!    `infra/cloudformation/monitoring.yaml` declares.
//! 3. **Can the log files be trusted** ([`integrity`]): the digest chain of every region, the algorithm of
//!    `aws cloudtrail validate-logs` and stricter (chain links, unlisted log files, backfill digests).
//!
//! Records come from `LookupEvents` ([`lookup`]) or from delivered log files in a directory or an S3 bucket
//! ([`store`], [`logs`]), streamed one file at a time. [`audit`] runs the parts an auditor asked for and
//! [`report`] renders the result as a table, JSON or Markdown.
//!
//! *Invariants:* never shells out (no AWS CLI); every AWS call goes through an SDK client handed in by the
//! caller, so tests point it at moto or at a replaying HTTP client; "now" is an argument; memory grows with the
//! number of files and findings, never with the number of records.

#[cfg(feature = "aws")]
pub mod audit;
pub mod catalogue;
pub mod engine;
pub mod health;
pub mod integrity;
pub mod keys;
pub mod layout;
pub mod logs;
pub mod lookup;
pub mod records;
pub mod report;
pub mod rules;
pub mod store;

use std::path::PathBuf;

/// Everything that stops an audit from producing a report. The binary maps each to exit code 3.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "access denied: the auditor needs `{permission}` on {target} ({detail}). Grant it to the role you run the \
         audit with, or audit delivered log files with --logs DIR"
    )]
    AccessDenied { permission: &'static str, target: String, detail: String },
    #[error("{operation} failed on {target}: {detail}")]
    Api { operation: &'static str, target: String, detail: String },
    #[error("{operation} on {target} was still throttled after {attempts} attempts")]
    Throttled { operation: &'static str, target: String, attempts: u32 },
    #[error("could not read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the audit rules are invalid: {0}")]
    Rules(String),
    #[error("the templates could not be read: {0}")]
    Templates(#[from] infra_check::CheckError),
    #[error("the public keys in {path} are unusable: {reason}")]
    PublicKeys { path: PathBuf, reason: String },
    #[error("{0}")]
    Usage(String),
}
