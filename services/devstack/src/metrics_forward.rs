//! In AWS mode the local stack does what CloudWatch Logs' EMF extraction does in AWS: every document the
//! functions append to the metric stream is sent to CloudWatch as `PutMetricData` (`booking_ops::forward`), so
//! `cargo xtask ops --endpoint-url` reads the run's real numbers. The stream stays the record: the forwarder only
//! remembers how far it has read, and a document CloudWatch refused is logged and not retried.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{Mutex, watch};

pub struct Forwarder {
    client: aws_sdk_cloudwatch::Client,
    path: PathBuf,
    /// Bytes of the stream already forwarded (always at a line's end).
    offset: Mutex<u64>,
}

impl Forwarder {
    /// Forwards what is appended from now on: documents of an earlier run of the stack (the file persists in
    /// the data directory) were forwarded then, and sending them again would count them twice.
    pub fn new(endpoint: &str, path: PathBuf) -> Self {
        let client = aws_sdk_cloudwatch::Client::new(&booking_aws::emulator_config(endpoint));
        let offset = std::fs::metadata(&path).map_or(0, |m| m.len());
        Forwarder { client, path, offset: Mutex::new(offset) }
    }

    /// Sends every complete line written since the last call; returns how many documents were forwarded.
    pub async fn forward_new(&self) -> usize {
        let mut offset = self.offset.lock().await;
        let text = match read_from(&self.path, *offset) {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!(%error, "metric stream unreadable");
                return 0;
            }
        };
        // Only whole lines: a document being appended right now is picked up next time.
        let Some(end) = text.rfind('\n') else { return 0 };
        let mut forwarded = 0;
        for line in text[..=end].lines().filter(|l| !l.trim().is_empty()) {
            match booking_ops::forward::forward(&self.client, line).await {
                Ok(_) => forwarded += 1,
                Err(error) => tracing::error!(%error, "could not forward an EMF document to CloudWatch"),
            }
        }
        *offset += end as u64 + 1;
        forwarded
    }
}

fn read_from(path: &PathBuf, offset: u64) -> std::io::Result<String> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) => return Err(e),
    };
    file.seek(SeekFrom::Start(offset))?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

pub fn spawn(forwarder: std::sync::Arc<Forwarder>, every: Duration, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
            forwarder.forward_new().await;
        }
        // What the last invocations wrote before shutdown.
        forwarder.forward_new().await;
    })
}
