//! CloudTrail digest files as the audit's integrity walk reads them (`verify_digests` over a directory copy of
//! the trail's bucket): gzip, the digest JSON, its sidecar S3 metadata, the keys it names (its predecessor's,
//! its log files'). Input: the sidecar metadata JSON on the first line, the digest JSON after it (gzipped here,
//! as CloudTrail delivers it).
//!
//! Asserts, beyond not panicking: with no public key known, nothing is ever reported intact (a digest counts
//! only when a published key verifies it).
#![no_main]

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use infra_audit::engine::Window;
use infra_audit::integrity::verify_digests;
use infra_audit::keys::PublicKeys;
use infra_audit::store::{SIDECAR_SUFFIX, Store};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2030/06/01/\
    123456789012_CloudTrail-Digest_eu-west-1_audit_eu-west-1_20300601T010000Z.json.gz";

struct Place {
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

static PLACE: OnceLock<Place> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let place = PLACE.get_or_init(|| Place {
        runtime: tokio::runtime::Builder::new_current_thread().build().unwrap(),
        dir: tempfile::tempdir().unwrap(),
    });
    let (metadata, digest) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b""[..], data),
    };
    let path: PathBuf = place.dir.path().join(KEY);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(digest).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    std::fs::write(format!("{}{SIDECAR_SUFFIX}", path.display()), metadata).unwrap();

    let store = Store::dir(place.dir.path());
    let keys = vec![KEY.to_owned()];
    let window = Window { since: None, until: None };
    let expectations = place.runtime.block_on(verify_digests(&store, &keys, &PublicKeys::default(), window, &mut |_: u64, _: u64| {}));
    if let Ok(expectations) = expectations {
        let listed: Vec<String> = expectations.listed_log_files().map(str::to_owned).collect();
        let report = expectations.finish();
        assert!(!report.is_intact(), "intact with no public key; lists {listed:?}");
    }
});
