//! The state file: one JSON document, replaced atomically (write a temporary file, fsync, rename) so a crash
//! mid-write leaves the previous version rather than half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::LocalStripeError;
use crate::model::State;

pub(crate) const STATE_FILE: &str = "stripe.json";

pub(crate) async fn load(path: &Path) -> Result<State, LocalStripeError> {
    match tokio::fs::read(path).await {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| LocalStripeError::CorruptState { path: path.to_owned(), source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(source) => Err(LocalStripeError::Io { path: path.to_owned(), source }),
    }
}

pub(crate) async fn save(path: &Path, state: &State) -> Result<(), LocalStripeError> {
    let bytes = serde_json::to_vec_pretty(state).map_err(LocalStripeError::Serialize)?;
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || write_atomically(&path, &bytes)).await.map_err(|e| LocalStripeError::Task(e.to_string()))?
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LocalStripeError> {
    let tmp = tmp_path(path);
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| LocalStripeError::Io { path: p, source }
    };
    let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trips_and_reports_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        assert_eq!(load(&path).await.unwrap(), State::default());
        let mut state = State::default();
        state.idempotency.insert(
            "k".into(),
            crate::model::IdempotencyRecord {
                endpoint: "POST /v1/x".into(),
                fingerprint: "f".into(),
                status: 200,
                body: "{}".into(),
                created: 1,
            },
        );
        save(&path, &state).await.unwrap();
        assert_eq!(load(&path).await.unwrap(), state);
        assert!(!tmp_path(&path).exists());
        std::fs::write(&path, b"{ not json").unwrap();
        assert!(matches!(load(&path).await, Err(LocalStripeError::CorruptState { .. })));
    }
}
