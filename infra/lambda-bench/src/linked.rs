//! Which crates a stripped binary carries code from. Symbols are gone, but every panic location the optimizer kept
//! is a string with its source path (`.../index.crates.io-*/async-stripe-core-1.0.0-rc.10/src/...` for a
//! dependency, `services/stripe/src/...` for a workspace crate): a crate whose path appears has code in the binary.
//! A lower bound (code that cannot panic leaves no path), but enough to see which function links Stripe.

use std::collections::BTreeSet;

/// Crate names (with the version for dependencies) whose source paths appear in `binary`.
pub fn linked_crates(binary: &[u8]) -> BTreeSet<String> {
    let mut crates = BTreeSet::new();
    let marker = b"index.crates.io-";
    let mut at = 0;
    while let Some(found) = find(&binary[at..], marker) {
        let start = at + found + marker.len();
        // Skip the registry hash, then take "<name>-<version>" up to the next '/'.
        let rest = &binary[start..binary.len().min(start + 200)];
        if let Some(slash) = rest.iter().position(|b| *b == b'/') {
            let tail = &rest[slash + 1..];
            if let Some(end) = tail.iter().position(|b| *b == b'/')
                && let Ok(name) = std::str::from_utf8(&tail[..end])
            {
                crates.insert(name.to_owned());
            }
        }
        at = start;
    }
    for workspace in [b"services/".as_slice(), b"infra/".as_slice()] {
        let mut at = 0;
        while let Some(found) = find(&binary[at..], workspace) {
            let start = at + found;
            let rest = &binary[start..binary.len().min(start + 100)];
            let parts: Vec<&[u8]> = rest.splitn(4, |b| *b == b'/').collect();
            if parts.len() == 4
                && parts[2] == b"src"
                && let Ok(dir) = std::str::from_utf8(parts[1])
                && dir.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                crates.insert(format!("{}{dir}", String::from_utf8_lossy(workspace)));
            }
            at = start + workspace.len();
        }
    }
    crates
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_dependency_and_workspace_paths() {
        let binary = b"\0/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/async-stripe-core-1.0.0-rc.10/src/lib.rs\0xx\
                       services/stripe/src/gateway.rs\0services/functions/src/bin/query.rs\0";
        let crates = linked_crates(binary);
        assert_eq!(
            crates,
            BTreeSet::from(["async-stripe-core-1.0.0-rc.10".to_owned(), "services/stripe".to_owned(), "services/functions".to_owned()])
        );
    }
}
