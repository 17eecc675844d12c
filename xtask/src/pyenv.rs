//! The project-local Python virtualenv (`.venv`) for the tools that only exist on PyPI: moto (the AWS API
//! emulator the adapters are tested against) and cfn-lint. Created on first use from `requirements-dev.txt`;
//! reinstalled when that file changes.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::run;

pub fn venv_dir(root: &Path) -> PathBuf {
    root.join(".venv")
}

/// The path of an executable inside the venv (`moto_server`, `cfn-lint`, `python`).
pub fn bin(root: &Path, name: &str) -> PathBuf {
    venv_dir(root).join("bin").join(name)
}

/// Makes sure `.venv` exists and holds exactly what `requirements-dev.txt` pins.
pub fn ensure(root: &Path) -> Result<()> {
    let requirements = root.join("requirements-dev.txt");
    let wanted = std::fs::read_to_string(&requirements).context("reading requirements-dev.txt")?;
    let stamp = venv_dir(root).join(".requirements-installed");
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == wanted) && bin(root, "python").exists() {
        return Ok(());
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run("python venv", Command::new(python).args(["-m", "venv"]).arg(venv_dir(root)))?;
    run(
        "pip install",
        Command::new(bin(root, "pip")).args(["install", "--quiet", "--disable-pip-version-check", "-r"]).arg(&requirements),
    )?;
    std::fs::write(&stamp, wanted).context("writing the venv stamp")?;
    Ok(())
}
