//! Where documents are written: one JSON text per line. In Lambda that is standard output, from which
//! CloudWatch Logs extracts the metrics; locally a JSON-lines file; in memory for whoever reads them back.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::Error;

pub trait Sink: Send + Sync + fmt::Debug {
    /// Writes one document as one line. A document is written whole or not at all as far as the sink can
    /// ensure it (one `write_all` of the line and its newline), so lines never interleave.
    fn write(&self, document: &str) -> Result<(), Error>;
}

impl<S: Sink + ?Sized> Sink for Arc<S> {
    fn write(&self, document: &str) -> Result<(), Error> {
        (**self).write(document)
    }
}

fn line(document: &str) -> Vec<u8> {
    let mut line = Vec::with_capacity(document.len() + 1);
    line.extend_from_slice(document.as_bytes());
    line.push(b'\n');
    line
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Standard output, as the Lambda runtime captures it into the function's log group.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdout;

impl Sink for Stdout {
    fn write(&self, document: &str) -> Result<(), Error> {
        std::io::stdout().lock().write_all(&line(document)).map_err(Error::Write)
    }
}

/// Appends to a JSON-lines file (created if missing), as the local stack keeps its metric stream.
#[derive(Debug)]
pub struct JsonLinesFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl JsonLinesFile {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_owned();
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(|source| Error::Open { path: path.clone(), source })?;
        Ok(JsonLinesFile { path, file: Mutex::new(file) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Sink for JsonLinesFile {
    fn write(&self, document: &str) -> Result<(), Error> {
        lock(&self.file).write_all(&line(document)).map_err(Error::Write)
    }
}

/// Keeps documents in memory, in the order written.
#[derive(Debug, Default)]
pub struct Memory {
    documents: Mutex<Vec<String>>,
}

impl Memory {
    pub fn new() -> Self {
        Memory::default()
    }

    /// Everything written so far.
    pub fn documents(&self) -> Vec<String> {
        lock(&self.documents).clone()
    }

    /// Everything written so far, leaving the sink empty.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.documents))
    }
}

impl Sink for Memory {
    fn write(&self, document: &str) -> Result<(), Error> {
        lock(&self.documents).push(document.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_sink_appends_one_line_per_document() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        std::fs::write(&path, "{\"earlier\":1}\n").unwrap();
        let sink = JsonLinesFile::open(&path).unwrap();
        sink.write("{\"a\":1}").unwrap();
        sink.write("{\"b\":2}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"earlier\":1}\n{\"a\":1}\n{\"b\":2}\n");
    }

    #[test]
    fn a_file_sink_names_a_path_it_cannot_open() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir/metrics.jsonl");
        assert!(matches!(JsonLinesFile::open(&missing), Err(Error::Open { path, .. }) if path == missing));
    }
}
