//! Log files and digest chains as CloudTrail delivers them (CloudTrail user guide: "CloudTrail digest file
//! structure", "Custom implementations of CloudTrail log file integrity validation"):
//!
//! - a log file is gzip of `{"Records": [...]}` at
//!   `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz`;
//! - an hourly digest lists the log files delivered in its hour with the hex SHA-256 of their uncompressed
//!   content, names the previous digest with its hex SHA-256 and signature, and is signed `SHA256withRSA` over
//!   `<digestEndTime>\n<bucket>/<key>\n<hex SHA-256 of the uncompressed digest>\n<previous signature or null>`;
//!   the hex signature goes into the object's metadata (`signature`, `signature-algorithm`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use aws_lc_rs::digest::{SHA256, digest};
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::keys::TestKey;

/// Where a trail delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trail {
    pub bucket: String,
    /// The trail's S3 key prefix, empty or ending in `/`.
    pub prefix: String,
    pub account: String,
    pub name: String,
    pub home_region: String,
}

/// One S3 object: key, bytes and the user metadata CloudTrail sets (digests only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub key: String,
    pub body: Vec<u8>,
    pub metadata: BTreeMap<String, String>,
}

/// A delivered log file and what a digest says about it.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub object: Object,
    pub sha256: String,
    pub oldest: Option<DateTime<Utc>>,
    pub newest: Option<DateTime<Utc>>,
}

pub fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::fast());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(bytes), &mut out).expect("fixture is gzip");
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes))
}

impl Trail {
    pub fn log_key(&self, region: &str, at: DateTime<Utc>, id: &str) -> String {
        format!(
            "{}AWSLogs/{acct}/CloudTrail/{region}/{}/{acct}_CloudTrail_{region}_{}_{id}.json.gz",
            self.prefix,
            at.format("%Y/%m/%d"),
            at.format("%Y%m%dT%H%MZ"),
            acct = self.account,
        )
    }

    pub fn digest_key(&self, region: &str, end: DateTime<Utc>, backfill: bool) -> String {
        format!(
            "{}AWSLogs/{acct}/CloudTrail-Digest/{region}/{}/{acct}_CloudTrail-Digest_{region}_{}_{}_{}{}.json.gz",
            self.prefix,
            end.format("%Y/%m/%d"),
            self.name,
            self.home_region,
            end.format("%Y%m%dT%H%M%SZ"),
            if backfill { "_backfill" } else { "" },
            acct = self.account,
        )
    }

    /// A log file of `records` (JSON values), named for `at`.
    pub fn log_file(&self, region: &str, at: DateTime<Utc>, id: &str, records: &[Value]) -> LogFile {
        let content = serde_json::to_vec(&json!({ "Records": records })).expect("records serialize");
        let times: Vec<DateTime<Utc>> = records.iter().map(crate::records::event_time).collect();
        self.log_file_from_json(region, at, id, &content, times.iter().min().copied(), times.iter().max().copied())
    }

    /// A log file from its uncompressed JSON text.
    pub fn log_file_from_json(
        &self,
        region: &str,
        at: DateTime<Utc>,
        id: &str,
        content: &[u8],
        oldest: Option<DateTime<Utc>>,
        newest: Option<DateTime<Utc>>,
    ) -> LogFile {
        LogFile {
            object: Object { key: self.log_key(region, at, id), body: gzip(content), metadata: BTreeMap::new() },
            sha256: sha256_hex(content),
            oldest,
            newest,
        }
    }
}

/// How a digest is falsified, for the integrity cases. The chain after it stays consistent with what was
/// written, as it would if the forger had control of the bucket but not of CloudTrail's key.
#[derive(Debug, Clone, Copy)]
pub enum Tamper<'k> {
    None,
    /// Signed with another key, whose fingerprint the digest names.
    SignWith(&'k TestKey),
    /// Signed with another key, keeping the real key's fingerprint.
    SignWithKeepingFingerprint(&'k TestKey),
    /// `previousDigestSignature` is not the previous digest's signature; the digest is signed correctly.
    ForgePreviousSignature,
}

/// The previous digest, as the next one references it.
#[derive(Debug, Clone)]
struct Previous {
    key: String,
    sha256: String,
    signature: String,
}

/// Writes one region's hourly digests, each linked to the one before.
#[derive(Debug)]
pub struct ChainWriter<'k> {
    trail: Trail,
    region: String,
    key: &'k TestKey,
    previous: Option<Previous>,
}

impl<'k> ChainWriter<'k> {
    pub fn new(trail: &Trail, region: &str, key: &'k TestKey) -> Self {
        ChainWriter { trail: trail.clone(), region: region.to_owned(), key, previous: None }
    }

    /// The digest for `[start, end]` listing `logs`, linked to the previous one (a starting digest when none).
    pub fn digest(&mut self, start: DateTime<Utc>, end: DateTime<Utc>, logs: &[&LogFile], tamper: Tamper<'_>) -> Object {
        let key = self.trail.digest_key(&self.region, end, false);
        let previous = self.previous.clone();
        let previous_signature = match (tamper, &previous) {
            (Tamper::ForgePreviousSignature, Some(_)) => Some(hex::encode(self.key.sign(b"not the previous digest"))),
            (_, p) => p.as_ref().map(|p| p.signature.clone()),
        };
        let (object, sha256, signature) = self.write(&key, start, end, logs, previous.as_ref(), previous_signature, tamper);
        self.previous = Some(Previous { key, sha256, signature });
        object
    }

    /// A `_backfill` digest for log files a regular digest missed. It does not advance the chain.
    pub fn backfill(&self, start: DateTime<Utc>, end: DateTime<Utc>, logs: &[&LogFile]) -> Object {
        let key = self.trail.digest_key(&self.region, end, true);
        self.write(&key, start, end, logs, None, None, Tamper::None).0
    }

    /// Starts a new chain (validation or logging was off): the next digest has no previous one.
    pub fn restart(&mut self) {
        self.previous = None;
    }

    #[allow(clippy::too_many_arguments, reason = "each field of the digest")]
    fn write(
        &self,
        key: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        logs: &[&LogFile],
        previous: Option<&Previous>,
        previous_signature: Option<String>,
        tamper: Tamper<'_>,
    ) -> (Object, String, String) {
        let signer = match tamper {
            Tamper::SignWith(k) | Tamper::SignWithKeepingFingerprint(k) => k,
            Tamper::None | Tamper::ForgePreviousSignature => self.key,
        };
        let fingerprint = match tamper {
            Tamper::SignWith(k) => k.fingerprint(),
            _ => self.key.fingerprint(),
        };
        let newest = logs.iter().filter_map(|l| l.newest).max();
        let oldest = logs.iter().filter_map(|l| l.oldest).min();
        let document = json!({
            "awsAccountId": self.trail.account,
            "digestStartTime": stamp(start),
            "digestEndTime": stamp(end),
            "digestS3Bucket": self.trail.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": newest.map(stamp),
            "oldestEventTime": oldest.map(stamp),
            "previousDigestS3Bucket": previous.map(|_| self.trail.bucket.clone()),
            "previousDigestS3Object": previous.map(|p| p.key.clone()),
            "previousDigestHashValue": previous.map(|p| p.sha256.clone()),
            "previousDigestHashAlgorithm": previous.map(|_| "SHA-256"),
            "previousDigestSignature": previous_signature,
            "logFiles": logs.iter().map(|l| json!({
                "s3Bucket": self.trail.bucket,
                "s3Object": l.object.key,
                "hashValue": l.sha256,
                "hashAlgorithm": "SHA-256",
                "newestEventTime": l.newest.map(stamp),
                "oldestEventTime": l.oldest.map(stamp),
            })).collect::<Vec<_>>(),
        });
        let content = serde_json::to_vec(&document).expect("digest serializes");
        let sha256 = sha256_hex(&content);
        let signing_string = format!(
            "{}\n{}/{}\n{}\n{}",
            stamp(end),
            self.trail.bucket,
            key,
            sha256,
            document["previousDigestSignature"].as_str().unwrap_or("null")
        );
        let signature = hex::encode(signer.sign(signing_string.as_bytes()));
        let metadata =
            BTreeMap::from([("signature".to_owned(), signature.clone()), ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned())]);
        (Object { key: key.to_owned(), body: gzip(&content), metadata }, sha256, signature)
    }
}

/// Writes objects under `root` as a copy of the bucket; a digest's metadata goes to `<key>.metadata.json`.
pub fn write_dir(root: &Path, objects: &[Object]) -> Result<()> {
    for object in objects {
        let path = root.join(&object.key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, &object.body).with_context(|| format!("writing {}", path.display()))?;
        if !object.metadata.is_empty() {
            let sidecar = format!("{}.metadata.json", path.display());
            std::fs::write(&sidecar, serde_json::to_vec_pretty(&object.metadata)?).with_context(|| format!("writing {sidecar}"))?;
        }
    }
    Ok(())
}

/// Puts objects into an S3 bucket with their metadata, as CloudTrail does.
pub async fn put_s3(client: &aws_sdk_s3::Client, bucket: &str, objects: &[Object]) -> Result<()> {
    for object in objects {
        client
            .put_object()
            .bucket(bucket)
            .key(&object.key)
            .body(object.body.clone().into())
            .set_metadata(Some(object.metadata.clone().into_iter().collect()))
            .send()
            .await
            .with_context(|| format!("putting s3://{bucket}/{}", object.key))?;
    }
    Ok(())
}
