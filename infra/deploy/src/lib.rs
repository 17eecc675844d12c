//! Shipping the product: what `cargo xtask build`, `deploy` and `destroy` do, as a library with small modules.
//!
//! - [`lambda`]: the functions' `bootstrap` zips (cargo-lambda with Zig, glibc 2.34, arm64 by default), verified
//!   ([`elf`]: machine and glibc symbol versions) and reproducible ([`archive`]), listed in
//!   `target/lambda/manifest.json`.
//! - [`site`]: the guest site with content-hashed asset names, per-file `Content-Type` and `Cache-Control`, and
//!   a `config.json` per environment.
//! - [`env`]: `infra/env/<name>.toml`, the environments.
//! - [`deploy`]: the stacks of [`stacks`] through CloudFormation change sets ([`cfn`], [`changes`]) after the
//!   [`preflight`] checks, artifacts by content hash ([`upload`]), the site bucket ([`sitesync`]); [`destroy`].
//!
//! *Invariants:* the AWS SDK for Rust with the standard credential chain (no AWS CLI); every AWS call can be
//! pointed at another endpoint (moto in the rehearsal, `infra/deploy/tests/rehearsal.rs`); nothing here reads or
//! prints a secret's value, only ARNs and version ids.

pub mod archive;
pub mod cfn;
pub mod changes;
pub mod deploy;
pub mod destroy;
pub mod elf;
pub mod env;
pub mod lambda;
pub mod preflight;
pub mod report;
pub mod site;
pub mod sitesync;
pub mod stacks;
pub mod template;
pub mod upload;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("ELF: {0}")]
    Elf(String),
    #[error("the binary is for {found}, not {expected}")]
    WrongMachine { expected: String, found: String },
    #[error("the binary needs {needed}, but provided.al2023 has {available}")]
    GlibcTooNew { needed: String, available: String },
    #[error("{function}: {source}")]
    Artifact { function: String, source: Box<DeployError> },
    #[error("zip: {0}")]
    Archive(String),
    #[error("manifest: {0}")]
    Manifest(String),
    #[error("git: {0}")]
    Git(String),
    #[error("site: {0}")]
    Site(String),
    #[error("environment {name}: {problem}")]
    Environment { name: String, problem: String },
    #[error("{file}: {problem}")]
    Template { file: String, problem: String },
    #[error(
        "no AWS credentials: {0}. Configure the standard chain (AWS_PROFILE, SSO login, environment variables or an \
         instance role) for the environment's account"
    )]
    NoCredentials(String),
    #[error("environment {environment} is account {expected}, but the credentials are for account {found}")]
    AccountMismatch { environment: String, expected: String, found: String },
    #[error("environment {environment} lives in {expected}, not {found}")]
    RegionMismatch { environment: String, expected: String, found: String },
    #[error("the policy gate refused the templates: {0}")]
    PolicyGate(String),
    #[error("the templates changed while the policy gate ran; deploy again")]
    TemplatesChanged,
    #[error("the artifacts are not from a clean tree ({0}); commit, `cargo xtask build`, or pass --allow-dirty")]
    DirtyArtifacts(String),
    #[error("stack {stack} is {status}: wait for it to finish, or resolve the failure in the console, then deploy again")]
    StackStuck { stack: String, status: String },
    #[error("stack {stack} failed to create (ROLLBACK_COMPLETE) and cannot be updated: delete it, then deploy again")]
    StackNeedsDeletion { stack: String },
    #[error("stack {stack} cannot be created: {advice}")]
    LeftoverRetained { stack: String, advice: String },
    #[error(
        "reserved concurrency needs an account limit of at least {needed} ({reserved} reserved + 100 Lambda keeps \
         unreserved), but the limit is {limit}: request an increase of quota L-B99A9384, or set \
         flags.reserved_concurrency = false"
    )]
    ConcurrencyTooLow { limit: u32, reserved: u32, needed: u32 },
    #[error(
        "SES has not verified {identity} ({status}) after {waited_minutes} min: the data stack wrote its DKIM records \
         into the hosted zone, and SES checks them for up to 72 hours. The identity stack sends Cognito's mail \
         through it, so deploy again once `aws sesv2 get-email-identity --email-identity {identity}` says SUCCESS \
         (the stacks already deployed are no-ops)"
    )]
    SendingIdentityUnverified { identity: String, status: String, waited_minutes: u64 },
    #[error("{needed_by} needs output {output} of stack {stack}")]
    MissingOutput { stack: &'static str, output: String, needed_by: &'static str },
    #[error("change set for {stack} failed: {reason}")]
    ChangeSetFailed { stack: String, reason: String },
    #[error("stack {stack} would replace retained data resources {resources:?}; pass --allow-replace if that is intended")]
    RetainedReplacement { stack: String, resources: Vec<String> },
    #[error("stack {stack} ended {status}:\n  {}", events.join("\n  "))]
    StackFailed { stack: String, status: String, events: Vec<String> },
    #[error("not confirmed: type the environment's name ({environment}) to destroy it")]
    NotConfirmed { environment: String },
    #[error("{operation}: {message}")]
    Aws { operation: &'static str, message: String },
}
