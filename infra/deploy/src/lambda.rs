//! The Lambda artifacts: one `bootstrap` zip per function for `provided.al2023`, built by cargo-lambda (Zig as the
//! linker, so the glibc the binary links against is chosen, not the build machine's), then verified and zipped
//! reproducibly. `target/lambda/manifest.json` lists what was built from which commit.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use booking_functions::FunctionName;

use crate::elf::{self, GlibcVersion, Machine};
use crate::{DeployError, archive};

/// The package whose binaries are the functions, and the functions (binary names = template names).
pub const PACKAGE: &str = "booking-functions";
pub const FUNCTIONS: [&str; 5] = ["payment", "record", "query", "notify", "sweeper"];
/// The Cargo profile of every Lambda build (`[profile.lambda]` in the workspace manifest says why).
pub const PROFILE: &str = "lambda";

/// Lambda's instruction set architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// Graviton: cheaper per millisecond, and the faster Rust cold starts.
    Arm64,
    X86_64,
}

impl Arch {
    /// The Rust target.
    pub fn triple(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
        }
    }

    /// The target with the glibc to link against, in cargo-zigbuild's notation.
    pub fn zig_target(self) -> String {
        let GlibcVersion(major, minor, _) = GlibcVersion::AL2023;
        format!("{}.{major}.{minor}", self.triple())
    }

    /// The name in a function's `Architectures`.
    pub fn lambda_name(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86_64 => "x86_64",
        }
    }

    pub fn machine(self) -> Machine {
        match self {
            Arch::Arm64 => Machine::Aarch64,
            Arch::X86_64 => Machine::X86_64,
        }
    }
}

/// The Cargo features of a function's build: `stripe` only for a function its `FunctionSpec` wires with the
/// payment provider, and never the local stack's `local`. So query and notify do not link async-stripe, and no zip
/// links the embedded store (see `[features]` in services/functions/Cargo.toml).
pub fn features(function: &str) -> Vec<&'static str> {
    let pays = FunctionName::ALL.iter().any(|f| f.as_str() == function && f.spec().payments);
    if pays { vec!["stripe"] } else { Vec::new() }
}

/// `functions` grouped by their feature set, in first-seen order: one cargo invocation per group, since one
/// invocation unifies the features of every binary it builds.
pub fn build_groups<'a>(functions: &[&'a str]) -> Vec<(Vec<&'static str>, Vec<&'a str>)> {
    let mut groups: Vec<(Vec<&'static str>, Vec<&'a str>)> = Vec::new();
    for function in functions {
        let features = features(function);
        match groups.iter_mut().find(|(f, _)| *f == features) {
            Some((_, members)) => members.push(function),
            None => groups.push((features, vec![function])),
        }
    }
    groups
}

/// The cargo-lambda invocation that builds `binaries` of `package` for `arch` with the Lambda profile and exactly
/// `features` (no defaults). The profile's settings are the workspace's (`--disable-optimizations` stops
/// cargo-lambda from adding its own).
pub fn build_command(cargo_lambda: &Path, root: &Path, package: &str, binaries: &[&str], features: &[&str], arch: Arch) -> Command {
    let mut command = Command::new(cargo_lambda);
    command
        .args(["lambda", "build", "--locked", "--profile", PROFILE, "--disable-optimizations", "--output-format", "binary"])
        .args(["--target", &arch.zig_target(), "--package", package, "--no-default-features"])
        .current_dir(root);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    for binary in binaries {
        command.args(["--bin", binary]);
    }
    command
}

/// Where cargo-lambda leaves a binary it built: it moves it out of cargo's directory to
/// `target/lambda/<binary>/bootstrap`, whatever the architecture. So the next build of the same binary (the other
/// architecture) replaces it: take it (zip it, copy it) right after its build, and check its ELF machine.
pub fn binary_path(target_dir: &Path, binary: &str) -> PathBuf {
    target_dir.join("lambda").join(binary).join("bootstrap")
}

/// One built function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub function: String,
    /// Relative to the workspace root.
    pub zip: String,
    pub zip_bytes: u64,
    pub zip_sha256: String,
    pub binary_bytes: u64,
    pub arch: Arch,
    /// The newest glibc symbol version the binary needs (`None`: it needs none).
    pub max_glibc: Option<String>,
}

/// Checks a binary against what `provided.al2023` on `arch` runs, returning the newest glibc it needs.
pub fn verify(binary: &[u8], arch: Arch) -> Result<Option<GlibcVersion>, DeployError> {
    let requirements = elf::read(binary)?;
    if requirements.machine != arch.machine() {
        return Err(DeployError::WrongMachine { expected: arch.machine().to_string(), found: requirements.machine.to_string() });
    }
    let max = requirements.max_glibc()?;
    if let Some(version) = max.filter(|v| *v > GlibcVersion::AL2023) {
        return Err(DeployError::GlibcTooNew { needed: version.to_string(), available: GlibcVersion::AL2023.to_string() });
    }
    Ok(max)
}

/// The zip Lambda runs: the binary as an executable `bootstrap`.
pub fn bootstrap_zip(binary: &[u8]) -> Result<Vec<u8>, DeployError> {
    archive::zip(&[archive::Entry { name: "bootstrap".into(), mode: 0o755, data: binary.to_vec() }])
}

/// Verifies a built binary and zips it: the artifact (with `zip` left empty: it is not written anywhere) and the
/// zip's bytes.
pub fn artifact(function: &str, binary: &[u8], arch: Arch) -> Result<(Artifact, Vec<u8>), DeployError> {
    let max_glibc = verify(binary, arch).map_err(|e| DeployError::Artifact { function: function.to_owned(), source: Box::new(e) })?;
    let zip = bootstrap_zip(binary)?;
    let artifact = Artifact {
        function: function.to_owned(),
        zip: String::new(),
        zip_bytes: zip.len() as u64,
        zip_sha256: sha256_hex(&zip),
        binary_bytes: binary.len() as u64,
        arch,
        max_glibc: max_glibc.map(|v| v.to_string()),
    };
    Ok((artifact, zip))
}

/// Verifies a built binary and writes `target/lambda/<function>/bootstrap.zip`.
pub fn package(root: &Path, target_dir: &Path, function: &str, arch: Arch) -> Result<Artifact, DeployError> {
    let binary_path = binary_path(target_dir, function);
    let binary = std::fs::read(&binary_path).map_err(|source| DeployError::Read { path: binary_path.clone(), source })?;
    let (artifact, zip) = artifact(function, &binary, arch)?;
    let dir = target_dir.join("lambda").join(function);
    std::fs::create_dir_all(&dir).map_err(|source| DeployError::Write { path: dir.clone(), source })?;
    let zip_path = dir.join("bootstrap.zip");
    std::fs::write(&zip_path, &zip).map_err(|source| DeployError::Write { path: zip_path.clone(), source })?;
    Ok(Artifact { zip: relative(root, &zip_path), ..artifact })
}

/// `target/lambda/manifest.json`: what was built, from which commit. No timestamps, so that it is reproducible too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `git rev-parse HEAD` at build time.
    pub commit: String,
    /// Whether the working tree had uncommitted changes (then `commit` does not name the source).
    pub dirty: bool,
    pub profile: String,
    pub artifacts: Vec<Artifact>,
}

impl Manifest {
    pub fn path(target_dir: &Path) -> PathBuf {
        target_dir.join("lambda").join("manifest.json")
    }

    pub fn load(target_dir: &Path) -> Result<Self, DeployError> {
        let path = Self::path(target_dir);
        let text = std::fs::read_to_string(&path).map_err(|source| DeployError::Read { path: path.clone(), source })?;
        serde_json::from_str(&text).map_err(|e| DeployError::Manifest(format!("{}: {e}", path.display())))
    }

    /// Writes the manifest, keeping the entries of functions not rebuilt this time when they are of the same
    /// commit and architecture (a `--function` build refreshes one entry).
    pub fn write(mut self, target_dir: &Path) -> Result<Self, DeployError> {
        if let Ok(previous) = Self::load(target_dir)
            && previous.commit == self.commit
            && previous.dirty == self.dirty
        {
            for old in previous.artifacts {
                if !self.artifacts.iter().any(|a| a.function == old.function) && self.artifacts.first().is_none_or(|a| a.arch == old.arch) {
                    self.artifacts.push(old);
                }
            }
        }
        self.artifacts.sort_by_key(|a| FUNCTIONS.iter().position(|f| *f == a.function).unwrap_or(usize::MAX));
        let path = Self::path(target_dir);
        let text = serde_json::to_string_pretty(&self).map_err(|e| DeployError::Manifest(e.to_string()))?;
        std::fs::write(&path, text + "\n").map_err(|source| DeployError::Write { path, source })?;
        Ok(self)
    }

    pub fn artifact(&self, function: &str) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.function == function)
    }
}

/// The source commit and whether the tree is clean, from git.
pub fn source_state(root: &Path) -> Result<(String, bool), DeployError> {
    let git = |args: &[&str]| -> Result<String, DeployError> {
        let output = Command::new("git").args(args).current_dir(root).output().map_err(|e| DeployError::Git(e.to_string()))?;
        if !output.status.success() {
            return Err(DeployError::Git(String::from_utf8_lossy(&output.stderr).trim().to_owned()));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "HEAD"])?;
    let dirty = !git(&["status", "--porcelain", "--untracked-files=no"])?.is_empty();
    Ok((commit, dirty))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_al2023_glibc() {
        assert_eq!(Arch::Arm64.zig_target(), "aarch64-unknown-linux-gnu.2.34");
        assert_eq!(Arch::X86_64.zig_target(), "x86_64-unknown-linux-gnu.2.34");
    }

    #[test]
    fn only_the_functions_that_pay_build_with_stripe() {
        assert_eq!(FUNCTIONS.to_vec(), FunctionName::ALL.map(FunctionName::as_str).to_vec());
        assert_eq!(build_groups(&FUNCTIONS), [(vec!["stripe"], vec!["payment", "record", "sweeper"]), (vec![], vec!["query", "notify"])]);
    }

    #[test]
    fn verification_checks_machine_and_glibc() {
        let this = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let other = if cfg!(target_arch = "x86_64") { Arch::Arm64 } else { Arch::X86_64 };
        assert!(matches!(verify(&this, other), Err(DeployError::WrongMachine { .. })));
    }
}
