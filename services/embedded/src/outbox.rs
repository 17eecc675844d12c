use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use booking_ports::{Channel, Clock, Notifier, NotifyError, OutboundMessage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

/// One line of `outbox.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub sent_at: DateTime<Utc>,
    #[serde(flatten)]
    pub message: OutboundMessage,
}

/// The local stand-in for SNS: appends every message to a JSON-lines file (fsynced) and refuses a repeated
/// `dedup_key`, so the outbox page shows exactly what a guest would have received.
#[derive(Clone)]
pub struct FileOutbox {
    path: PathBuf,
    clock: Arc<dyn Clock>,
    seen: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for FileOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileOutbox").field("path", &self.path).finish_non_exhaustive()
    }
}

impl FileOutbox {
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, std::io::Error> {
        let seen = Self::read(path)?.into_iter().map(|m| m.message.dedup_key).collect();
        Ok(FileOutbox { path: path.to_owned(), clock, seen: Arc::new(Mutex::new(seen)) })
    }

    /// Every message sent so far, oldest first. A torn last line (a crash mid-write) is skipped.
    pub fn read(path: &Path) -> Result<Vec<SentMessage>, std::io::Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl Notifier for FileOutbox {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        match &message.channel {
            Channel::Email { to, .. } | Channel::Sms { to } if to.is_empty() => {
                return Err(NotifyError::Rejected("empty recipient".into()));
            }
            _ => {}
        }
        let mut seen = self.seen.lock().await;
        if seen.contains(&message.dedup_key) {
            return Ok(());
        }
        let line = serde_json::to_string(&SentMessage { sent_at: self.clock.now(), message: message.clone() })
            .map_err(|e| NotifyError::Rejected(e.to_string()))?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            writeln!(file, "{line}")?;
            file.sync_data()
        })
        .await
        .map_err(|e| NotifyError::Unavailable(e.to_string()))?
        .map_err(|e| NotifyError::Unavailable(e.to_string()))?;
        seen.insert(message.dedup_key.clone());
        Ok(())
    }
}
