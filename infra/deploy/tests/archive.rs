//! The Lambda zips are byte-for-byte reproducible and read back correctly by an independent reader (Python's
//! `zipfile`, from the project venv): contents, the executable bit, the fixed timestamp.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::Path;
use std::process::Command;

use infra_deploy::archive::{Entry, zip};
use infra_deploy::lambda::bootstrap_zip;

fn python() -> std::path::PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(python.exists(), "run `cargo xtask pyenv` first");
    python
}

/// (name, mode, date_time, crc, content) per entry, as Python's zipfile reads them.
fn read_with_python(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.zip");
    std::fs::write(&path, bytes).unwrap();
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n\
                  for i in z.infolist():\n    print(i.filename, oct(i.external_attr >> 16), i.date_time, i.compress_type, z.read(i).decode())";
    let out = Command::new(python()).args(["-c", script]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_bootstrap_zip_is_an_executable_bootstrap() {
    let bytes = bootstrap_zip(b"#!/bin/sh\necho hello\n").unwrap();
    assert_eq!(read_with_python(&bytes), "bootstrap 0o100755 (1980, 1, 1, 0, 0, 0) 8 #!/bin/sh\necho hello\n\n");
}

#[test]
fn the_same_files_give_the_same_bytes_in_any_order() {
    let a = Entry { name: "a.txt".into(), mode: 0o644, data: b"first".to_vec() };
    let b = Entry { name: "dir/b.txt".into(), mode: 0o600, data: vec![7; 100_000] };
    let one = zip(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(one, zip(&[b.clone(), a.clone()]).unwrap());
    let listing = read_with_python(&one);
    assert!(listing.starts_with("a.txt 0o100644 (1980, 1, 1, 0, 0, 0) 8 first\ndir/b.txt 0o100600"), "{listing}");
    let changed = zip(&[a.clone(), Entry { data: vec![8; 100_000], ..b }]).unwrap();
    assert_ne!(one, changed);
    assert!(zip(&[a.clone(), a]).is_err(), "duplicate names are refused");
}
