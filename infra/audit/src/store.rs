//! Where delivered log and digest files are read from: a directory that is a copy of the trail's bucket (it
//! contains `AWSLogs/`), with each digest's S3 metadata in a sidecar `<digest file>.metadata.json`, or the bucket
//! itself (`s3://bucket/prefix`, any S3-compatible endpoint), where the metadata is the object's own.
//!
//! Keys named inside digests are untrusted input: a key that would leave the directory (`..`, absolute) is
//! treated as absent, never opened.

#[cfg(feature = "aws")]
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

#[cfg(feature = "aws")]
use aws_sdk_s3::error::ProvideErrorMetadata;
use serde::Deserialize;

use crate::AuditError;
use crate::layout::{ObjectKind, classify};

/// The S3 object metadata CloudTrail writes on a digest (`x-amz-meta-signature`, `x-amz-meta-signature-algorithm`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DigestMetadata {
    pub signature: Option<String>,
    #[serde(rename = "signature-algorithm")]
    pub signature_algorithm: Option<String>,
}

/// The suffix of a digest's sidecar metadata file in a directory copy.
pub const SIDECAR_SUFFIX: &str = ".metadata.json";

#[derive(Debug, Clone)]
pub struct Object {
    pub key: String,
    pub body: Vec<u8>,
    pub metadata: DigestMetadata,
}

#[derive(Debug, Clone)]
pub enum Store {
    Dir {
        root: PathBuf,
    },
    #[cfg(feature = "aws")]
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
}

impl Store {
    pub fn dir(root: impl Into<PathBuf>) -> Self {
        Store::Dir { root: root.into() }
    }

    /// `s3://bucket` or `s3://bucket/prefix`.
    #[cfg(feature = "aws")]
    pub fn s3(client: aws_sdk_s3::Client, url: &str) -> Result<Self, AuditError> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| AuditError::Usage(format!("{url} is not s3://bucket/prefix")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(AuditError::Usage(format!("{url} names no bucket")));
        }
        Ok(Store::S3 { client, bucket: bucket.to_owned(), prefix: prefix.to_owned() })
    }

    /// The bucket, when reading one (digests name theirs; a directory copy cannot be checked for it).
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Store::Dir { .. } => None,
            #[cfg(feature = "aws")]
            Store::S3 { bucket, .. } => Some(bucket),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Store::Dir { root } => root.display().to_string(),
            #[cfg(feature = "aws")]
            Store::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// Every key under the store, sorted, sidecars excluded.
    pub async fn list(&self) -> Result<Vec<String>, AuditError> {
        let mut keys = match self {
            Store::Dir { root } => {
                let mut keys = Vec::new();
                walk(root, root, &mut keys)?;
                keys
            }
            #[cfg(feature = "aws")]
            Store::S3 { client, bucket, prefix } => {
                let mut keys = Vec::new();
                let mut token = None;
                loop {
                    let page = client
                        .list_objects_v2()
                        .bucket(bucket)
                        .prefix(prefix)
                        .set_continuation_token(token)
                        .send()
                        .await
                        .map_err(|e| s3_error("s3:ListBucket", "ListObjectsV2", bucket, &e))?;
                    keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
                    token = page.next_continuation_token().map(str::to_owned);
                    if token.is_none() {
                        break;
                    }
                }
                keys
            }
        };
        keys.retain(|k| !k.ends_with(SIDECAR_SUFFIX));
        keys.sort_unstable();
        Ok(keys)
    }

    /// The object and its metadata, or `None` when it does not exist.
    pub async fn get(&self, key: &str) -> Result<Option<Object>, AuditError> {
        match self {
            Store::Dir { root } => {
                let Some(path) = inside(root, key) else { return Ok(None) };
                let body = match std::fs::read(&path) {
                    Ok(body) => body,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(source) => return Err(AuditError::Io { path, source }),
                };
                // Only digests carry metadata; not looking for the others' sidecars saves a failed open per log file.
                let metadata = if matches!(classify(key), ObjectKind::Digest(_)) {
                    let sidecar = PathBuf::from(format!("{}{SIDECAR_SUFFIX}", path.display()));
                    match std::fs::read(&sidecar) {
                        Ok(text) => serde_json::from_slice(&text).unwrap_or_default(),
                        Err(_) => DigestMetadata::default(),
                    }
                } else {
                    DigestMetadata::default()
                };
                Ok(Some(Object { key: key.to_owned(), body, metadata }))
            }
            #[cfg(feature = "aws")]
            Store::S3 { client, bucket, .. } => {
                let output = match client.get_object().bucket(bucket).key(key).send().await {
                    Ok(output) => output,
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
                    Err(e) => return Err(s3_error("s3:GetObject", "GetObject", &format!("s3://{bucket}/{key}"), &e)),
                };
                let metadata = metadata(output.metadata());
                let body = output.body.collect().await.map_err(|e| AuditError::Api {
                    operation: "GetObject",
                    target: format!("s3://{bucket}/{key}"),
                    detail: e.to_string(),
                })?;
                Ok(Some(Object { key: key.to_owned(), body: body.to_vec(), metadata }))
            }
        }
    }
}

#[cfg(feature = "aws")]
fn metadata(map: Option<&HashMap<String, String>>) -> DigestMetadata {
    let get = |name: &str| map.and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))).map(|(_, v)| v.clone());
    DigestMetadata { signature: get("signature"), signature_algorithm: get("signature-algorithm") }
}

/// `root/key` if `key` is a plain relative path.
fn inside(root: &Path, key: &str) -> Option<PathBuf> {
    let relative = Path::new(key);
    relative.components().all(|c| matches!(c, Component::Normal(_))).then(|| root.join(relative))
}

fn walk(root: &Path, dir: &Path, keys: &mut Vec<String>) -> Result<(), AuditError> {
    let entries = std::fs::read_dir(dir).map_err(|source| AuditError::Io { path: dir.to_owned(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| AuditError::Io { path: dir.to_owned(), source })?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|source| AuditError::Io { path: path.clone(), source })?;
        if kind.is_dir() {
            walk(root, &path, keys)?;
        } else if kind.is_file()
            && let Ok(relative) = path.strip_prefix(root)
        {
            let key: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            keys.push(key.join("/"));
        }
    }
    Ok(())
}

#[cfg(feature = "aws")]
fn s3_error<E, R>(permission: &'static str, operation: &'static str, target: &str, error: &aws_sdk_s3::error::SdkError<E, R>) -> AuditError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().unwrap_or_default();
    let detail = error.message().map(str::to_owned).unwrap_or_else(|| format!("{error:?}"));
    if matches!(code, "AccessDenied" | "AllAccessDisabled" | "InvalidAccessKeyId" | "SignatureDoesNotMatch") {
        AuditError::AccessDenied { permission, target: target.to_owned(), detail: format!("{code}: {detail}") }
    } else {
        AuditError::Api { operation, target: target.to_owned(), detail: format!("{code} {detail}").trim().to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_outside_the_directory_are_never_opened() {
        let root = Path::new("/data/copy");
        assert_eq!(inside(root, "AWSLogs/1/x.json.gz"), Some(PathBuf::from("/data/copy/AWSLogs/1/x.json.gz")));
        assert_eq!(inside(root, "../etc/passwd"), None);
        assert_eq!(inside(root, "AWSLogs/../../x"), None);
        assert_eq!(inside(root, "/etc/passwd"), None);
    }

    #[test]
    #[cfg(feature = "aws")]
    fn metadata_names_are_case_insensitive() {
        let map =
            HashMap::from([("Signature".to_owned(), "ab".to_owned()), ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned())]);
        assert_eq!(
            metadata(Some(&map)),
            DigestMetadata { signature: Some("ab".into()), signature_algorithm: Some("SHA256withRSA".into()) }
        );
    }
}
