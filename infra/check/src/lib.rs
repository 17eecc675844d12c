//! Checks of the CloudFormation templates (`infra/cloudformation/`) and their cfn-guard policies (`policies/`)
//! that cfn-lint and `cfn-guard test` cannot make on their own:
//!
//! - the **mutation check** ([`mutation`]): every security promise is weakened in a copy of the real templates,
//!   one at a time, and the named policy must fail on it, while the unmodified templates pass every policy;
//! - the **resource inventory** ([`inventory`]): type, logical id and key security properties of every resource,
//!   snapshotted so that a review sees what an infrastructure change does;
//! - the **controls matrix** ([`controls`]): each security promise with the framework controls it serves, the
//!   checks that enforce it and, per resource, today's outcome (pass, fail, or suppressed with the reason);
//! - template access ([`template`]), the `cfn-guard` CLI ([`guard`]) and checkov from the project venv ([`checkov`]).
//!
//! The tests in `tests/` also hold the templates to the route table (`services/functions/src/functions.rs`) and
//! the local stack's security headers (`services/devstack/src/site.rs`).
//!
//! *Invariants:* no network and no AWS account; the external programs are the `cfn-guard` CLI (3.2.x) and checkov
//! (pinned in requirements-dev.txt, run with `--skip-download`), whose absence is an error, never a skip.

pub mod checkov;
pub mod controls;
pub mod guard;
pub mod inventory;
pub mod mutation;
pub mod template;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid YAML: {source}")]
    Yaml { path: PathBuf, source: serde_yaml_ng::Error },
    #[error(
        "cfn-guard was not found (looked at $CFN_GUARD, $PATH and $CARGO_HOME/bin). The policy checks cannot run \
         without it: install it with `cargo install --locked cfn-guard@{}` (about 1.5 minutes)",
        guard::INSTALL_VERSION
    )]
    GuardMissing,
    #[error("{path} is cfn-guard {found}; the policies are written and tested for {}.x", guard::expected_minor())]
    GuardVersion { path: PathBuf, found: String },
    #[error("cfn-guard {command} failed: {detail}")]
    Guard { command: String, detail: String },
    #[error("mutation `{mutation}` does not apply to the template any more: {reason}")]
    Mutation { mutation: &'static str, reason: String },
    #[error("checkov was not found at {path}: it comes from requirements-dev.txt into .venv (`cargo xtask pyenv`)")]
    CheckovMissing { path: PathBuf },
    #[error("checkov {command} failed: {detail}")]
    Checkov { command: String, detail: String },
    #[error("{path}: {detail}")]
    Catalog { path: PathBuf, detail: String },
}

/// The repository root (this crate lives in `infra/check`).
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().and_then(|p| p.parent()).map(PathBuf::from).unwrap_or(manifest)
}
