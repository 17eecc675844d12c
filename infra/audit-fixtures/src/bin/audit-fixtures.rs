//! Writes the test trail to a directory, as a copy of its bucket with sidecar metadata and `keys.json`, so that
//! `cargo xtask audit` can be tried without an AWS account:
//!
//! `cargo run -p infra-audit-fixtures --bin audit-fixtures -- DIR [CASE]`, CASE one of intact (default),
//! log-byte-changed, log-corrupted, log-deleted, digest-deleted, digest-resigned, previous-signature-forged,
//! extra-log, late-log-with-backfill, digest-metadata-missing (applied in eu-west-1). The keys are generated
//! afresh on each run.

use std::path::Path;

use anyhow::{Context, Result, bail};
use infra_audit_fixtures::scenario::{Case, Keys, build};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().context("usage: audit-fixtures DIR [CASE]")?;
    let case = match args.next().as_deref().unwrap_or("intact") {
        "intact" => Case::Intact,
        "log-byte-changed" => Case::LogByteChanged,
        "log-corrupted" => Case::LogCorrupted,
        "log-deleted" => Case::LogDeleted,
        "digest-deleted" => Case::DigestDeleted,
        "digest-resigned" => Case::DigestResigned,
        "previous-signature-forged" => Case::PreviousSignatureForged,
        "extra-log" => Case::ExtraLog,
        "late-log-with-backfill" => Case::LateLogWithBackfill,
        "digest-metadata-missing" => Case::DigestMetadataMissing,
        other => bail!("unknown case {other}"),
    };
    let keys = Keys::generate();
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    build(&keys, case, "eu-west-1").write_dir(dir, &keys)?;
    eprintln!("{case:?} trail written to {}; audit it with:", dir.display());
    eprintln!("  cargo xtask audit --logs {0} --public-keys {0}/keys.json", dir.display());
    Ok(())
}
