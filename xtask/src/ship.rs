//! `cargo xtask build | deploy | destroy`: the command-line front of `infra-deploy` (which holds the logic).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use infra_deploy::deploy::{Aws, Inputs, Options};
use infra_deploy::lambda::{self, Arch, FUNCTIONS, Manifest};
use infra_deploy::report::Printer;
use infra_deploy::{destroy, env, site};

use crate::{policy, pyenv, run};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ArchArg {
    Arm64,
    #[value(name = "x86_64")]
    X86_64,
}

impl From<ArchArg> for Arch {
    fn from(arch: ArchArg) -> Arch {
        match arch {
            ArchArg::Arm64 => Arch::Arm64,
            ArchArg::X86_64 => Arch::X86_64,
        }
    }
}

/// `cargo xtask build` options.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Instruction set of the zips.
    #[arg(long, value_enum, default_value_t = ArchArg::Arm64)]
    pub arch: ArchArg,
    /// Build only this function (repeatable); default: all five.
    #[arg(long = "function", value_parser = clap::builder::PossibleValuesParser::new(FUNCTIONS))]
    pub functions: Vec<String>,
    /// Only the bounded rehearsal `cargo xtask check` runs: the hello-world floor built twice for arm64, verified,
    /// the zips compared.
    #[arg(long, conflicts_with_all = ["arch", "functions"])]
    pub rehearsal: bool,
}

/// `cargo xtask deploy` options.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The environment: infra/env/<NAME>.toml.
    #[arg(long = "env")]
    pub env: String,
    /// Must be the environment's home region (a guard against a stray AWS_REGION).
    #[arg(long)]
    pub region: Option<String>,
    /// Create and print every change set, then delete it: nothing changes.
    #[arg(long)]
    pub dry_run: bool,
    /// Send every AWS call to this endpoint (e.g. a moto server).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Deploy artifacts built from a working tree with uncommitted changes, or from another commit.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Let a change set replace a retained data resource (its data stays behind in the old one).
    #[arg(long)]
    pub allow_replace: bool,
}

/// `cargo xtask destroy` options.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    #[arg(long = "env")]
    pub env: String,
    #[arg(long)]
    pub endpoint_url: Option<String>,
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

/// Builds, verifies and zips the functions; writes the manifest; packages the site under target/site.
pub fn build(root: &Path, args: &BuildArgs) -> Result<Manifest> {
    let started = Instant::now();
    let arch: Arch = args.arch.into();
    let functions: Vec<&str> = match args.functions.is_empty() {
        true => FUNCTIONS.to_vec(),
        false => args.functions.iter().map(String::as_str).collect(),
    };
    let target = target_dir(root);
    let (commit, dirty) = lambda::source_state(root)?;
    let artifacts = compile_functions(root, &functions, arch, |f| Ok(lambda::package(root, &target, f, arch)?))?;
    let manifest = Manifest { commit, dirty, profile: lambda::PROFILE.into(), artifacts }.write(&target)?;
    eprintln!("\n    {:<8}  {:>10}  {:>11}  {:<7}  {:<11}  sha256", "function", "zip", "binary", "arch", "max glibc");
    for a in &manifest.artifacts {
        eprintln!(
            "    {:<8}  {:>10}  {:>11}  {:<7}  {:<11}  {}",
            a.function,
            a.zip_bytes,
            a.binary_bytes,
            a.arch.lambda_name(),
            a.max_glibc.as_deref().unwrap_or("none"),
            &a.zip_sha256[..16]
        );
    }
    let site = site::package(&root.join("site"))?;
    site.write(&target.join("site"))?;
    eprintln!(
        "\n<== build: {} zips verified ({}, glibc <= 2.34) in {}; site packaged ({} files, {} renamed) in {}; {:.0?}",
        manifest.artifacts.len(),
        arch.lambda_name(),
        lambda::Manifest::path(&target).display(),
        site.files.len(),
        site.renamed.len(),
        target.join("site").display(),
        started.elapsed()
    );
    if manifest.dirty {
        eprintln!("    note: the working tree has uncommitted changes; deploy refuses these artifacts without --allow-dirty");
    }
    Ok(manifest)
}

/// The build rehearsal inside `cargo xtask check`, bounded to what CI can afford: the hello-world floor
/// (`infra/lambda-floor`), built for arm64 exactly as the functions are (cargo-lambda and Zig from .venv, the Rust
/// target, profile `lambda`, glibc 2.34), verified (ELF machine, newest glibc symbol) and zipped; then built again
/// from a clean state, which must give a byte-identical zip. It proves the toolchain a fresh machine installs and
/// the reproducibility of the whole path, source to zip. The five functions are not built here: a cold arm64
/// release build of the AWS SDK and async-stripe with fat LTO is ~20 min on 2 cores (README, "Deploying").
pub fn rehearse_build(root: &Path) -> Result<()> {
    let started = Instant::now();
    let arch = Arch::Arm64;
    let target = target_dir(root);
    let build = || -> Result<(lambda::Artifact, Vec<u8>)> {
        let path = lambda::binary_path(&target, FLOOR_BINARY);
        // Not the previous build's binary if this one failed to leave its own.
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
        compile(root, FLOOR_PACKAGE, &[FLOOR_BINARY], &[], arch)?;
        let binary = std::fs::read(&path)?;
        lambda::artifact("floor", &binary, arch).context("the floor does not run on provided.al2023 arm64")
    };
    let (artifact, first) = build()?;
    run(
        "forget the floor's build",
        crate::cargo().args(["clean", "--profile", lambda::PROFILE, "--target", arch.triple(), "--package", FLOOR_PACKAGE]),
    )?;
    let (_, second) = build()?;
    if first != second {
        bail!(
            "the floor built twice from the same source gave different zips ({} vs {}): the build is not reproducible",
            lambda::sha256_hex(&first),
            lambda::sha256_hex(&second)
        );
    }
    eprintln!(
        "<== lambda build rehearsal ok: floor arm64 zip {} bytes, max {}, sha256 {} twice, in {:.0?}",
        first.len(),
        artifact.max_glibc.as_deref().unwrap_or("no glibc symbol"),
        &lambda::sha256_hex(&first)[..16],
        started.elapsed()
    );
    Ok(())
}

/// The hello-world Lambda the benchmark and the build rehearsal measure against.
pub const FLOOR_PACKAGE: &str = "lambda-floor";
pub const FLOOR_BINARY: &str = "hello";

/// The functions' binaries, one `cargo lambda build` per dependency set (`lambda::build_groups`), each handed to
/// `take` as soon as its group is built (`lambda::binary_path`: a later build of the same binary for the other
/// architecture would replace it).
pub fn compile_functions<T>(root: &Path, functions: &[&str], arch: Arch, mut take: impl FnMut(&str) -> Result<T>) -> Result<Vec<T>> {
    let mut taken = Vec::new();
    for (features, binaries) in lambda::build_groups(functions) {
        compile(root, lambda::PACKAGE, &binaries, &features, arch)?;
        for binary in binaries {
            taken.push((binary, take(binary)?));
        }
    }
    // In the order asked for, not the order built.
    taken.sort_by_key(|(f, _)| functions.iter().position(|g| g == f));
    Ok(taken.into_iter().map(|(_, t)| t).collect())
}

/// `cargo lambda build` of `binaries` with the project's cargo-lambda and Zig (.venv) and the Rust target.
pub fn compile(root: &Path, package: &str, binaries: &[&str], features: &[&str], arch: Arch) -> Result<()> {
    pyenv::ensure(root)?;
    if Command::new("rustup").arg("--version").output().is_ok_and(|o| o.status.success()) {
        run("rust target", Command::new("rustup").args(["target", "add", arch.triple()]))?;
    }
    let venv_bin = pyenv::bin(root, "");
    let path = std::env::join_paths(
        std::iter::once(venv_bin.clone()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )?;
    let mut command = lambda::build_command(&pyenv::bin(root, "cargo-lambda"), root, package, binaries, features, arch);
    command.env("PATH", path);
    run(
        &format!("cargo lambda build ({}, profile {}, features [{}])", arch.zig_target(), lambda::PROFILE, features.join(",")),
        &mut command,
    )
}

pub fn deploy(root: &Path, args: &DeployArgs) -> Result<()> {
    let env = env::load(root, &args.env)?;
    let target = target_dir(root);
    let manifest = Manifest::load(&target).context("no build to deploy: run `cargo xtask build` first")?;
    let mut zips = std::collections::BTreeMap::new();
    for artifact in &manifest.artifacts {
        let path = root.join(&artifact.zip);
        zips.insert(artifact.function.clone(), std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?);
    }
    let inputs = Inputs {
        templates_dir: root.join("infra/cloudformation"),
        site: site::package(&root.join("site"))?,
        head: Some(lambda::source_state(root)?.0),
        manifest,
        zips,
        env,
    };
    let options = Options {
        dry_run: args.dry_run,
        allow_replace: args.allow_replace,
        allow_dirty: args.allow_dirty,
        region: args.region.clone(),
        poll: if args.endpoint_url.is_some() { Duration::from_millis(200) } else { Duration::from_secs(3) },
        ..Options::default()
    };
    let expected_dir = root.join("infra/cloudformation");
    let mut gate = |dir: &Path| -> Result<(), String> {
        if dir != expected_dir {
            return Err(format!("{} is not the gated template directory", dir.display()));
        }
        policy::check(root, policy::Scope::Everything).map_err(|e| format!("{e:#}"))
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let mut printer = Printer::stderr();
    let summary = runtime.block_on(async {
        let aws = Aws::from_env(&inputs.env.home_region, args.endpoint_url.as_deref()).await;
        infra_deploy::deploy::deploy(&inputs, &options, &aws, &mut gate, &mut printer).await
    });
    match summary {
        Ok(_) => Ok(()),
        Err(e) => bail!("deploy of {} failed: {e}", args.env),
    }
}

pub fn destroy(root: &Path, args: &DestroyArgs) -> Result<()> {
    let env = env::load(root, &args.env)?;
    eprintln!(
        "This deletes every stack of environment {} (account {}, {} and us-east-1). Retained resources (tables, \
         buckets, user pool, keys, topics, the trail's log group) stay, with their data.\nType the environment's name to confirm:",
        env.name, env.account, env.home_region
    );
    let mut typed = String::new();
    std::io::stdin().lock().read_line(&mut typed)?;
    destroy::confirm(&env, &typed)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let mut printer = Printer::stderr();
    runtime.block_on(async {
        let aws = Aws::from_env(&env.home_region, args.endpoint_url.as_deref()).await;
        infra_deploy::preflight::credentials(&aws.home).await?;
        infra_deploy::preflight::account(&aws.home, &env).await?;
        destroy::destroy(&env, &root.join("infra/cloudformation"), &aws, Duration::from_secs(3), &mut printer).await
    })?;
    Ok(())
}
