//! Starts moto's AWS emulator (server mode, single-threaded, see `moto_single.py`) on a free loopback port for
//! tests, from the project's `.venv` (`cargo xtask pyenv` creates it; `cargo xtask check` does so first).
//! The process is killed when the handle drops.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error("moto is not installed at {0}: run `cargo xtask pyenv` (cargo xtask check does it for you)")]
    NotInstalled(PathBuf),
    #[error("could not start moto: {0}")]
    Spawn(std::io::Error),
    #[error("moto did not answer on {0} within 30 s")]
    NotReady(String),
}

#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    pub endpoint: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> Result<u16, MotoError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(MotoError::Spawn)?;
    Ok(listener.local_addr().map_err(MotoError::Spawn)?.port())
}

impl MotoServer {
    /// Starts a fresh moto and waits until it answers.
    pub async fn start() -> Result<Self, MotoError> {
        let root = workspace_root();
        let python = root.join(".venv/bin/python");
        if !python.exists() {
            return Err(MotoError::NotInstalled(python));
        }
        let port = free_port()?;
        let child = Command::new(&python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("moto_single.py"))
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(MotoError::Spawn)?;
        let server = MotoServer { child, endpoint: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if client.get(format!("{}/moto-api/data.json", server.endpoint)).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(MotoError::NotReady(server.endpoint.clone()))
    }

    /// Everything moto recorded (sent SNS messages under `sns`), as its inspection endpoint shows it.
    pub async fn data(&self) -> Result<serde_json::Value, reqwest::Error> {
        reqwest::Client::new().get(format!("{}/moto-api/data.json", self.endpoint)).send().await?.json().await
    }

    /// An SDK config for this server with dummy static credentials (moto accepts any).
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        booking_aws::emulator_config(&self.endpoint)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
