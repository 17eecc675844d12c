//! Reads delivered log files one at a time: inflate, hash for the integrity check, stream the records to the
//! rule engine, drop the buffer, next. Memory is one inflated file (plus a few compressed ones in flight from
//! S3), whatever the number of files.

use std::io::Read;

use aws_lc_rs::digest::{Context, SHA256};
use flate2::read::MultiGzDecoder;
use futures_util::StreamExt;
use futures_util::stream;
use serde::Serialize;

use crate::AuditError;
use crate::engine::Engine;
use crate::integrity::Expectations;
use crate::layout::LogKey;
use crate::records::for_each_record;
use crate::store::Store;

/// Compressed objects fetched ahead of the one being parsed (they overlap S3 round trips).
pub const PREFETCH: usize = 8;

/// Most log files a report names as unparsable; the count is always exact.
const UNPARSABLE_NAMED: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    pub log_files: u64,
    pub compressed_bytes: u64,
    pub bytes: u64,
    pub records: u64,
    /// Log files that inflate but are not CloudTrail's record format (their hash is still checked).
    pub unparsable: u64,
    pub unparsable_examples: Vec<String>,
}

pub trait ScanProgress {
    fn file_done(&mut self, done: u64, total: u64, records: u64);
}

impl<F: FnMut(u64, u64, u64)> ScanProgress for F {
    fn file_done(&mut self, done: u64, total: u64, records: u64) {
        self(done, total, records)
    }
}

/// Scans `files` (sorted keys with their parsed names) from `store`. With an engine, records go through the
/// rules; with expectations, each file's SHA-256 is checked against the digests.
pub async fn scan(
    store: &Store,
    files: &[(String, LogKey)],
    mut engine: Option<&mut Engine<'_>>,
    mut expectations: Option<&mut Expectations>,
    progress: &mut dyn ScanProgress,
) -> Result<ScanStats, AuditError> {
    let mut stats = ScanStats::default();
    let mut inflated = Vec::new();
    let total = files.len() as u64;
    let mut fetched = stream::iter(files).map(|(key, log)| async move { (store.get(key).await, key, log) }).buffered(PREFETCH);
    let mut done = 0;
    while let Some((object, key, log)) = fetched.next().await {
        done += 1;
        let Some(object) = object? else { continue };
        stats.log_files += 1;
        stats.compressed_bytes += object.body.len() as u64;
        inflated.clear();
        if let Err(e) = MultiGzDecoder::new(object.body.as_slice()).read_to_end(&mut inflated) {
            if let Some(expectations) = expectations.as_deref_mut() {
                expectations.unreadable_log_file(key, format!("not gzip: {e}"));
            }
            stats.unparsable += 1;
            remember(&mut stats, key);
            progress.file_done(done, total, stats.records);
            continue;
        }
        stats.bytes += inflated.len() as u64;
        if let Some(expectations) = expectations.as_deref_mut() {
            let mut hash = Context::new(&SHA256);
            hash.update(&inflated);
            expectations.check_log_file(key, log, &hex::encode(hash.finish()));
        }
        if let Some(engine) = engine.as_deref_mut() {
            match for_each_record(&inflated, |record| engine.observe(&record)) {
                Ok(count) => stats.records += count,
                Err(_) => {
                    stats.unparsable += 1;
                    remember(&mut stats, key);
                }
            }
        }
        progress.file_done(done, total, stats.records);
    }
    Ok(stats)
}

fn remember(stats: &mut ScanStats, key: &str) {
    if stats.unparsable_examples.len() < UNPARSABLE_NAMED {
        stats.unparsable_examples.push(key.to_owned());
    }
}
