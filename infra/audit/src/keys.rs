//! CloudTrail's public keys, chosen by fingerprint: from `ListPublicKeys` (per region: each region signs with
//! its own key pair) or, for auditors without API access, from the JSON that `aws cloudtrail list-public-keys`
//! prints (`--public-keys FILE`, one file per region or one merged file).
//!
//! A key is the DER `RSAPublicKey` (PKCS #1) CloudTrail documents; a `SubjectPublicKeyInfo` is accepted too.
//! Signatures are RSASSA-PKCS1-v1_5 with SHA-256 (`SHA256withRSA`), verified with aws-lc-rs.

use std::collections::BTreeMap;
use std::path::Path;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
#[cfg(feature = "aws")]
use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
#[cfg(feature = "aws")]
use aws_sdk_cloudtrail::primitives::DateTime as SdkTime;
use base64::Engine as _;
#[cfg(feature = "aws")]
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::AuditError;

#[derive(Debug, Clone, Default)]
pub struct PublicKeys {
    by_fingerprint: BTreeMap<String, Vec<u8>>,
}

/// Why a signature could not be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Valid,
    /// No key with this fingerprint was published for the window.
    UnknownKey,
    /// The key does not verify the signature over the signing string.
    Invalid,
}

#[derive(Debug, Deserialize)]
struct KeyFile {
    #[serde(alias = "publicKeyList")]
    #[serde(rename = "PublicKeyList")]
    keys: Vec<KeyEntry>,
}

#[derive(Debug, Deserialize)]
struct KeyEntry {
    #[serde(rename = "Value")]
    value: String,
    #[serde(rename = "Fingerprint")]
    fingerprint: String,
}

impl PublicKeys {
    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    pub fn insert(&mut self, fingerprint: &str, der: Vec<u8>) {
        self.by_fingerprint.insert(fingerprint.to_ascii_lowercase(), der);
    }

    /// Adds the keys of one `list-public-keys` output (values base64, as the CLI prints blobs).
    pub fn add_file(&mut self, path: &Path) -> Result<(), AuditError> {
        let text = std::fs::read(path).map_err(|source| AuditError::Io { path: path.to_owned(), source })?;
        let problem = |reason: String| AuditError::PublicKeys { path: path.to_owned(), reason };
        let file: KeyFile = serde_json::from_slice(&text).map_err(|e| problem(format!("not list-public-keys output: {e}")))?;
        if file.keys.is_empty() {
            return Err(problem("the file lists no keys".into()));
        }
        for entry in file.keys {
            let der = base64::engine::general_purpose::STANDARD
                .decode(entry.value.trim())
                .map_err(|e| problem(format!("key {} is not base64: {e}", entry.fingerprint)))?;
            self.insert(&entry.fingerprint, der);
        }
        Ok(())
    }

    /// Adds the keys one region published for the window (`ListPublicKeys`, every page).
    #[cfg(feature = "aws")]
    pub async fn add_from_api(
        &mut self,
        client: &aws_sdk_cloudtrail::Client,
        region: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), AuditError> {
        let mut token = None;
        loop {
            let page = client
                .list_public_keys()
                .start_time(SdkTime::from_secs(since.timestamp()))
                .end_time(SdkTime::from_secs(until.timestamp()))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    let code = e.code().unwrap_or_default().to_owned();
                    let detail = format!("{code} {}", e.message().unwrap_or_default()).trim().to_owned();
                    if code.contains("AccessDenied") || code == "UnrecognizedClientException" {
                        AuditError::AccessDenied { permission: "cloudtrail:ListPublicKeys", target: region.to_owned(), detail }
                    } else {
                        AuditError::Api { operation: "ListPublicKeys", target: region.to_owned(), detail }
                    }
                })?;
            for key in page.public_key_list() {
                if let (Some(value), Some(fingerprint)) = (key.value(), key.fingerprint()) {
                    self.insert(fingerprint, value.as_ref().to_vec());
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(());
            }
        }
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.by_fingerprint.contains_key(&fingerprint.to_ascii_lowercase())
    }

    /// Checks a `SHA256withRSA` signature over `message` with the key of this fingerprint.
    pub fn verify(&self, fingerprint: &str, message: &[u8], signature: &[u8]) -> Verification {
        let Some(der) = self.by_fingerprint.get(&fingerprint.to_ascii_lowercase()) else {
            return Verification::UnknownKey;
        };
        match UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).verify(message, signature) {
            Ok(()) => Verification::Valid,
            Err(_) => Verification::Invalid,
        }
    }
}
