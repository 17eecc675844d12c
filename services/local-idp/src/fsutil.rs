//! File writes for secrets and user data: readable by the owner only, and atomic (temp file + rename) so a crash
//! mid-write leaves the previous version rather than a truncated file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::IdpError;

/// Creates `dir` (owner-only on Unix) if it does not exist.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), IdpError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(IdpError::io("create directory", dir))
}

/// Replaces `path` with `bytes`, mode 0600 on Unix.
pub(crate) fn write_private_atomically(path: &Path, bytes: &[u8]) -> Result<(), IdpError> {
    let dir = path.parent().ok_or_else(|| IdpError::Config(format!("{} has no parent directory", path.display())))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("data");
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result = write_new_private(&temp, bytes).and_then(|()| fs::rename(&temp, path).map_err(IdpError::io("replace", path)));
    if result.is_err() {
        // Best effort: a leftover temp file is harmless, the error that matters is the one returned.
        let _ = fs::remove_file(&temp);
    }
    result?;
    // Persist the rename itself; directories cannot be opened for sync on every platform, hence best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), IdpError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(IdpError::io("create", path))?;
    file.write_all(bytes).map_err(IdpError::io("write", path))?;
    file.sync_all().map_err(IdpError::io("sync", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        write_private_atomically(&path, b"one").unwrap();
        write_private_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("users.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
