//! Reproducible zip archives: the same files give the same bytes. Entries are sorted by name, every timestamp is
//! the zip epoch (1980-01-01 00:00), permissions are exactly what the caller asks (a Lambda `bootstrap` must be
//! executable), there are no extra fields or comments, and deflate runs at a fixed level. A content hash of a
//! zip then names its source, so an unchanged function is never uploaded or updated again.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;

use crate::DeployError;

/// One file in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// Unix permission bits, e.g. `0o755`.
    pub mode: u32,
    pub data: Vec<u8>,
}

const VERSION: u16 = 20;
const MADE_BY_UNIX: u16 = (3 << 8) | VERSION;
const DEFLATE: u16 = 8;
const DOS_TIME: u16 = 0;
/// 1980-01-01: day 1, month 1, year 0 (= 1980).
const DOS_DATE: u16 = (1 << 5) | 1;
const REGULAR_FILE: u32 = 0o100_000;

/// The zip bytes of `entries`.
pub fn zip(entries: &[Entry]) -> Result<Vec<u8>, DeployError> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    if sorted.windows(2).any(|w| w[0].name == w[1].name) {
        return Err(DeployError::Archive("two entries with the same name".into()));
    }
    let too_big = |what: &str| DeployError::Archive(format!("{what} exceeds 4 GiB (zip64 is not written)"));
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in &sorted {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(9));
        encoder.write_all(&entry.data).map_err(|e| DeployError::Archive(e.to_string()))?;
        let compressed = encoder.finish().map_err(|e| DeployError::Archive(e.to_string()))?;
        let crc = crc32fast::hash(&entry.data);
        let size = u32::try_from(entry.data.len()).map_err(|_| too_big(&entry.name))?;
        let compressed_size = u32::try_from(compressed.len()).map_err(|_| too_big(&entry.name))?;
        let offset = u32::try_from(out.len()).map_err(|_| too_big("the archive"))?;
        let name = entry.name.as_bytes();
        let name_len = u16::try_from(name.len()).map_err(|_| DeployError::Archive("entry name too long".into()))?;

        put32(&mut out, 0x0403_4b50);
        for v in [VERSION, 0, DEFLATE, DOS_TIME, DOS_DATE] {
            put16(&mut out, v);
        }
        for v in [crc, compressed_size, size] {
            put32(&mut out, v);
        }
        put16(&mut out, name_len);
        put16(&mut out, 0);
        out.extend_from_slice(name);
        out.extend_from_slice(&compressed);

        put32(&mut central, 0x0201_4b50);
        for v in [MADE_BY_UNIX, VERSION, 0, DEFLATE, DOS_TIME, DOS_DATE] {
            put16(&mut central, v);
        }
        for v in [crc, compressed_size, size] {
            put32(&mut central, v);
        }
        for v in [name_len, 0, 0, 0, 0] {
            put16(&mut central, v);
        }
        put32(&mut central, (REGULAR_FILE | (entry.mode & 0o7777)) << 16);
        put32(&mut central, offset);
        central.extend_from_slice(name);
    }
    let count = u16::try_from(sorted.len()).map_err(|_| DeployError::Archive("too many entries".into()))?;
    let central_offset = u32::try_from(out.len()).map_err(|_| too_big("the archive"))?;
    let central_size = u32::try_from(central.len()).map_err(|_| too_big("the central directory"))?;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    for v in [0, 0, count, count] {
        put16(&mut out, v);
    }
    put32(&mut out, central_size);
    put32(&mut out, central_offset);
    put16(&mut out, 0);
    Ok(out)
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}
