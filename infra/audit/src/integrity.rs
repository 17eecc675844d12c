//! Log file integrity: the algorithm of `aws cloudtrail validate-logs`, and stricter.
//!
//! Per chain (one per account, delivering region and trail; each region signs with its own key), walk the
//! digests backwards from the newest in the window along `previousDigestS3Object`. Each digest must sit where it
//! says it was delivered, be signed `SHA256withRSA` by the published key its `digestPublicKeyFingerprint` names,
//! over CloudTrail's signing string:
//!
//! ```text
//! <digestEndTime>\n<digestS3Bucket>/<digestS3Object>\n<hex SHA-256 of the uncompressed digest>\n<previousDigestSignature or null>
//! ```
//!
//! Beyond the CLI: each digest's `previousDigestSignature` and `previousDigestHashValue` must equal the previous
//! digest's signature and hash (the CLI trusts each digest's own metadata and never compares), a digest that
//! the chain never reaches is reported, `_backfill` digests are verified on their own and count for the log
//! files they list, and every log file present under the prefix must be listed by a verified digest, unless it
//! was delivered after the newest digest (not yet covered) or before the chain began.
//!
//! A digest's signature comes from its S3 metadata (`signature`, `signature-algorithm`; a sidecar file in a
//! directory copy) or, when that is missing, from the verified next digest's `previousDigestSignature`, as
//! CloudTrail's offline validation guide describes.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_lc_rs::digest::{SHA256, digest};
use chrono::{DateTime, Utc};
use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};
use std::io::Read;

use crate::AuditError;
use crate::engine::Window;
use crate::keys::{PublicKeys, Verification};
use crate::layout::{ChainId, DigestKey, LogKey, ObjectKind, classify};
use crate::store::{Object, Store};

/// The only signature algorithm CloudTrail uses.
pub const SIGNATURE_ALGORITHM: &str = "SHA256withRSA";

/// What makes a log set untrustworthy. Any of these fails the audit with exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A digest names this one as its previous digest, but it is not there: deleted.
    DigestMissing {
        digest: String,
        referenced_by: String,
    },
    /// The signature does not verify with the key its fingerprint names: the digest was altered or forged.
    DigestSignatureInvalid {
        digest: String,
    },
    /// Signed with a key CloudTrail did not publish for the window (a forger's own key).
    DigestKeyUnknown {
        digest: String,
        fingerprint: String,
    },
    /// No signature in the object's metadata and no verified next digest to take it from.
    DigestUnsigned {
        digest: String,
    },
    DigestAlgorithmUnsupported {
        digest: String,
        algorithm: String,
    },
    DigestMalformed {
        digest: String,
        reason: String,
    },
    /// The digest says it was delivered elsewhere: it was copied or moved here.
    DigestMoved {
        digest: String,
        claims: String,
    },
    /// The next digest's `previousDigestSignature` is not this digest's signature.
    ChainSignatureMismatch {
        digest: String,
        successor: String,
    },
    /// The next digest's `previousDigestHashValue` is not this digest's SHA-256.
    ChainHashMismatch {
        digest: String,
        successor: String,
    },
    /// A regular digest in the window that no later digest links to.
    DigestNotInChain {
        digest: String,
    },
    /// Listed (with its hash) in a verified digest, but not present: deleted.
    LogFileMissing {
        log_file: String,
        digest: String,
    },
    /// Its SHA-256 differs from the one the verified digest lists: altered.
    LogFileAltered {
        log_file: String,
        digest: String,
        expected: String,
        actual: String,
    },
    /// Not gzip, or not CloudTrail's record format.
    LogFileUnreadable {
        log_file: String,
        reason: String,
    },
    /// Present, inside the validated period, but listed in no verified digest: added, or its digest is gone.
    LogFileNotInDigest {
        log_file: String,
    },
}

impl Problem {
    /// The object the problem is about.
    pub fn object(&self) -> &str {
        match self {
            Problem::DigestMissing { digest, .. }
            | Problem::DigestSignatureInvalid { digest }
            | Problem::DigestKeyUnknown { digest, .. }
            | Problem::DigestUnsigned { digest }
            | Problem::DigestAlgorithmUnsupported { digest, .. }
            | Problem::DigestMalformed { digest, .. }
            | Problem::DigestMoved { digest, .. }
            | Problem::ChainSignatureMismatch { digest, .. }
            | Problem::ChainHashMismatch { digest, .. }
            | Problem::DigestNotInChain { digest } => digest,
            Problem::LogFileMissing { log_file, .. }
            | Problem::LogFileAltered { log_file, .. }
            | Problem::LogFileUnreadable { log_file, .. }
            | Problem::LogFileNotInDigest { log_file } => log_file,
        }
    }

    /// What is wrong, in a sentence.
    pub fn explain(&self) -> String {
        match self {
            Problem::DigestMissing { referenced_by, .. } => {
                format!("digest missing (deleted?): {referenced_by} names it as its previous digest")
            }
            Problem::DigestSignatureInvalid { .. } => "signature does not verify: the digest was altered or forged".into(),
            Problem::DigestKeyUnknown { fingerprint, .. } => format!("signed with key {fingerprint}, which CloudTrail did not publish"),
            Problem::DigestUnsigned { .. } => "no signature: neither object metadata nor a verified next digest carries it".into(),
            Problem::DigestAlgorithmUnsupported { algorithm, .. } => format!("signature algorithm {algorithm}, not {SIGNATURE_ALGORITHM}"),
            Problem::DigestMalformed { reason, .. } => format!("not a CloudTrail digest: {reason}"),
            Problem::DigestMoved { claims, .. } => format!("moved: the digest says it was delivered to {claims}"),
            Problem::ChainSignatureMismatch { successor, .. } => {
                format!("chain broken: previousDigestSignature in {successor} is not this digest's signature")
            }
            Problem::ChainHashMismatch { successor, .. } => {
                format!("chain broken: previousDigestHashValue in {successor} is not this digest's SHA-256")
            }
            Problem::DigestNotInChain { .. } => "no later digest links to this digest".into(),
            Problem::LogFileMissing { digest, .. } => format!("log file missing (deleted?): listed in {digest}"),
            Problem::LogFileAltered { digest, expected, actual, .. } => {
                format!("log file altered: SHA-256 {actual}, {digest} lists {expected}")
            }
            Problem::LogFileUnreadable { reason, .. } => format!("log file unreadable: {reason}"),
            Problem::LogFileNotInDigest { .. } => "log file listed in no verified digest (added, or its digest is gone)".into(),
        }
    }
}

/// Facts worth knowing that are not failures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A digest without a previous one while older digests exist: validation or logging was off in between
    /// (CloudTrail starts a new chain; the `StopLogging` or `UpdateTrail` call shows up among the findings).
    ChainRestarted { digest: String, older: String },
    /// Delivered after the newest digest: the next hourly digest will list it.
    LogFilePending { log_file: String },
    /// Delivered before the oldest digest walked (before the window or before validation was turned on).
    LogFileBeforeChain { log_file: String },
}

/// One walked chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainSummary {
    pub account: String,
    pub region: String,
    pub trail: String,
    pub digests: u64,
    pub digests_verified: u64,
    pub backfill_digests: u64,
    pub log_files_listed: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    pub chains: Vec<ChainSummary>,
    pub log_files_checked: u64,
    pub log_files_verified: u64,
    pub problems: Vec<Problem>,
    pub notices: Vec<Notice>,
}

impl IntegrityReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DigestFile {
    digest_start_time: String,
    digest_end_time: String,
    digest_s3_bucket: String,
    digest_s3_object: String,
    digest_public_key_fingerprint: String,
    #[serde(default)]
    digest_signature_algorithm: Option<String>,
    #[serde(default)]
    previous_digest_s3_object: Option<String>,
    #[serde(default)]
    previous_digest_hash_value: Option<String>,
    #[serde(default)]
    previous_digest_signature: Option<String>,
    #[serde(default)]
    log_files: Vec<DigestLogFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DigestLogFile {
    s3_object: String,
    hash_value: String,
}

/// A digest read and checked on its own (the link to its successor is checked by the walk).
struct Loaded {
    file: DigestFile,
    sha256: String,
    /// The signature used, hex (from metadata or the successor).
    signature: Option<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    verified: bool,
}

/// The expectations the digests set for the log files, filled by [`verify_digests`] and checked by the log scan.
#[derive(Debug, Default)]
pub struct Expectations {
    digests: Vec<String>,
    /// Log file key → what the verified digest listing it says.
    listed: HashMap<String, Listed>,
    /// Per (account, region): the delivery period the verified digests cover.
    coverage: HashMap<(String, String), (DateTime<Utc>, DateTime<Utc>)>,
    /// Per (account, region): the end of the newest digest delivered, verified or not. A log file delivered
    /// before it should be listed; one delivered after it waits for the next digest.
    newest: HashMap<(String, String), DateTime<Utc>>,
    report: IntegrityReport,
}

/// A log file as a verified digest lists it.
#[derive(Debug)]
struct Listed {
    /// Hex SHA-256 of the uncompressed content, lowercase.
    sha256: String,
    /// Index into `Expectations::digests`.
    digest: u32,
    /// Seen by the log scan (a listed file never seen is missing).
    seen: bool,
}

impl Expectations {
    /// The log files verified digests list (they are read even outside the window).
    pub fn listed_log_files(&self) -> impl Iterator<Item = &str> {
        self.listed.keys().map(String::as_str)
    }

    /// Checks one log file's SHA-256 (of its uncompressed content) against the digests.
    pub fn check_log_file(&mut self, key: &str, log: &LogKey, sha256: &str) {
        self.report.log_files_checked += 1;
        if let Some(listed) = self.listed.get_mut(key) {
            listed.seen = true;
            if listed.sha256.eq_ignore_ascii_case(sha256) {
                self.report.log_files_verified += 1;
            } else {
                self.report.problems.push(Problem::LogFileAltered {
                    log_file: key.to_owned(),
                    digest: self.digests[listed.digest as usize].clone(),
                    expected: listed.sha256.clone(),
                    actual: sha256.to_owned(),
                });
            }
            return;
        }
        let region = (log.account.clone(), log.region.clone());
        let newest = self.newest.get(&region).into_iter().chain(self.coverage.get(&region).map(|(_, end)| end)).max();
        let oldest = self.coverage.get(&region).map(|(start, _)| *start);
        if newest.is_some_and(|end| log.time > *end) {
            self.report.notices.push(Notice::LogFilePending { log_file: key.to_owned() });
        } else if oldest.is_some_and(|start| log.time < start) {
            self.report.notices.push(Notice::LogFileBeforeChain { log_file: key.to_owned() });
        } else {
            self.report.problems.push(Problem::LogFileNotInDigest { log_file: key.to_owned() });
        }
    }

    /// A log file that could not be read counts as checked and failed.
    pub fn unreadable_log_file(&mut self, key: &str, reason: String) {
        self.report.log_files_checked += 1;
        if let Some(listed) = self.listed.get_mut(key) {
            listed.seen = true;
        }
        self.report.problems.push(Problem::LogFileUnreadable { log_file: key.to_owned(), reason });
    }

    /// Listed log files that were never seen are missing. Sorted problems and notices make the report stable.
    pub fn finish(mut self) -> IntegrityReport {
        let mut missing: Vec<Problem> = self
            .listed
            .iter()
            .filter(|(_, listed)| !listed.seen)
            .map(|(key, listed)| Problem::LogFileMissing { log_file: key.clone(), digest: self.digests[listed.digest as usize].clone() })
            .collect();
        self.report.problems.append(&mut missing);
        self.report.problems.sort();
        self.report.notices.sort();
        self.report
    }
}

/// Progress of a long integrity check, for the caller to show.
pub trait DigestProgress {
    fn digest_done(&mut self, done: u64, total: u64);
}

impl<F: FnMut(u64, u64)> DigestProgress for F {
    fn digest_done(&mut self, done: u64, total: u64) {
        self(done, total)
    }
}

/// One chain's digests in the window: the hourly links and the backfill digests beside them.
#[derive(Debug, Default)]
struct ChainDigests {
    hourly: Vec<(String, DigestKey)>,
    backfill: Vec<(String, DigestKey)>,
}

/// Walks every chain found among `keys` (a sorted listing of `store`) and returns the expectations for the
/// log files.
pub async fn verify_digests(
    store: &Store,
    keys: &[String],
    public_keys: &PublicKeys,
    window: Window,
    progress: &mut dyn DigestProgress,
) -> Result<Expectations, AuditError> {
    let mut chains: BTreeMap<ChainId, ChainDigests> = BTreeMap::new();
    for key in keys {
        if let ObjectKind::Digest(digest) = classify(key) {
            let in_window =
                window.since.is_none_or(|s| digest.end >= s) && window.until.is_none_or(|u| digest.end <= u + chrono::TimeDelta::hours(1));
            if in_window {
                let entry = chains.entry(digest.chain.clone()).or_default();
                if digest.backfill { entry.backfill.push((key.clone(), digest)) } else { entry.hourly.push((key.clone(), digest)) }
            }
        }
    }
    let total: u64 = chains.values().map(|c| (c.hourly.len() + c.backfill.len()) as u64).sum();
    let mut walker = Walker { store, public_keys, expectations: Expectations::default(), done: 0, total, progress };
    for (chain, ChainDigests { mut hourly, backfill }) in chains {
        hourly.sort_by(|a, b| a.1.end.cmp(&b.1.end).then_with(|| a.0.cmp(&b.0)));
        walker.walk(&chain, &hourly, &backfill, window).await?;
    }
    Ok(walker.expectations)
}

struct Walker<'a> {
    store: &'a Store,
    public_keys: &'a PublicKeys,
    expectations: Expectations,
    done: u64,
    total: u64,
    progress: &'a mut dyn DigestProgress,
}

/// What the digest that linked to the current one claims about it.
struct Link {
    successor: String,
    previous_signature: Option<String>,
    previous_hash: Option<String>,
    trusted: bool,
}

impl Walker<'_> {
    async fn walk(
        &mut self,
        chain: &ChainId,
        hourly: &[(String, DigestKey)],
        backfill: &[(String, DigestKey)],
        window: Window,
    ) -> Result<(), AuditError> {
        let mut summary = ChainSummary {
            account: chain.account.clone(),
            region: chain.region.clone(),
            trail: chain.trail.clone(),
            digests: 0,
            digests_verified: 0,
            backfill_digests: backfill.len() as u64,
            log_files_listed: 0,
            first: None,
            last: None,
        };
        if let Some((_, newest)) = hourly.last() {
            self.expectations.newest.insert((chain.account.clone(), chain.region.clone()), newest.end);
        }
        let in_listing: HashSet<&str> = hourly.iter().map(|(k, _)| k.as_str()).collect();
        let mut visited: HashSet<String> = HashSet::new();
        let mut next: Option<String> = hourly.last().map(|(k, _)| k.clone());
        let mut link: Option<Link> = None;
        while let Some(key) = next.take() {
            if !visited.insert(key.clone()) {
                break;
            }
            let Some(object) = self.store.get(&key).await? else {
                let referenced_by = link.as_ref().map(|l| l.successor.clone()).unwrap_or_default();
                self.expectations.report.problems.push(Problem::DigestMissing { digest: key.clone(), referenced_by });
                let before = match classify(&key) {
                    ObjectKind::Digest(d) => Some(d.end),
                    _ => None,
                };
                next = older_than(hourly, before, &visited);
                link = None;
                continue;
            };
            self.tick();
            summary.digests += 1;
            let loaded = self.load(&object, link.as_ref());
            let Some(loaded) = loaded else {
                next = older_than(hourly, classify_end(&key), &visited);
                link = None;
                continue;
            };
            if let Some(l) = &link
                && l.trusted
            {
                if l.previous_hash.as_deref().is_some_and(|h| !h.eq_ignore_ascii_case(&loaded.sha256)) {
                    self.expectations
                        .report
                        .problems
                        .push(Problem::ChainHashMismatch { digest: key.clone(), successor: l.successor.clone() });
                }
                if l.previous_signature
                    .as_deref()
                    .is_some_and(|s| Some(s.to_ascii_lowercase()) != loaded.signature.as_ref().map(|x| x.to_ascii_lowercase()))
                {
                    self.expectations
                        .report
                        .problems
                        .push(Problem::ChainSignatureMismatch { digest: key.clone(), successor: l.successor.clone() });
                }
            }
            if loaded.verified {
                summary.digests_verified += 1;
                summary.log_files_listed += loaded.file.log_files.len() as u64;
                summary.first = min_time(summary.first, loaded.start);
                summary.last = max_time(summary.last, loaded.end);
                self.cover(&key, &loaded);
            }
            match loaded.file.previous_digest_s3_object.clone() {
                Some(previous) => {
                    // A link out of the window ends the walk; without a window every link must resolve.
                    let before_window = !in_listing.contains(previous.as_str())
                        && window.since.zip(classify_end(&previous)).is_some_and(|(since, end)| end < since);
                    link = Some(Link {
                        successor: key.clone(),
                        previous_signature: loaded.file.previous_digest_signature.clone(),
                        previous_hash: loaded.file.previous_digest_hash_value.clone(),
                        trusted: loaded.verified,
                    });
                    next = (!before_window).then_some(previous);
                }
                None => {
                    link = None;
                    next = older_than(hourly, loaded.end.or(classify_end(&key)), &visited);
                    if let Some(older) = &next {
                        self.expectations.report.notices.push(Notice::ChainRestarted { digest: key.clone(), older: older.clone() });
                    }
                }
            }
        }
        for (key, _) in hourly.iter().filter(|(k, _)| !visited.contains(k)) {
            self.expectations.report.problems.push(Problem::DigestNotInChain { digest: key.clone() });
            self.tick();
        }
        for (key, _) in backfill {
            self.tick();
            let Some(object) = self.store.get(key).await? else { continue };
            if let Some(loaded) = self.load(&object, None)
                && loaded.verified
            {
                summary.log_files_listed += loaded.file.log_files.len() as u64;
                self.cover(key, &loaded);
            }
        }
        self.expectations.report.chains.push(summary);
        Ok(())
    }

    fn tick(&mut self) {
        self.done += 1;
        self.progress.digest_done(self.done, self.total);
    }

    /// Records what a verified digest vouches for.
    fn cover(&mut self, key: &str, loaded: &Loaded) {
        let index = u32::try_from(self.expectations.digests.len()).unwrap_or(u32::MAX);
        self.expectations.digests.push(key.to_owned());
        for log in &loaded.file.log_files {
            self.expectations.listed.entry(log.s3_object.clone()).or_insert_with(|| Listed {
                sha256: log.hash_value.to_ascii_lowercase(),
                digest: index,
                seen: false,
            });
            if let (ObjectKind::LogFile(l), Some(start), Some(end)) = (classify(&log.s3_object), loaded.start, loaded.end) {
                let span = self.expectations.coverage.entry((l.account, l.region)).or_insert((start, end));
                span.0 = span.0.min(start);
                span.1 = span.1.max(end);
            }
        }
        if let (ObjectKind::Digest(d), Some(start), Some(end)) = (classify(key), loaded.start, loaded.end) {
            let span = self.expectations.coverage.entry((d.chain.account, d.chain.region)).or_insert((start, end));
            span.0 = span.0.min(start);
            span.1 = span.1.max(end);
        }
    }

    /// Reads and checks one digest; problems go to the report. `None` when it cannot be parsed at all.
    fn load(&mut self, object: &Object, link: Option<&Link>) -> Option<Loaded> {
        let problems = &mut self.expectations.report.problems;
        let key = object.key.clone();
        let inflated = match gunzip(&object.body) {
            Ok(bytes) => bytes,
            Err(reason) => {
                problems.push(Problem::DigestMalformed { digest: key, reason });
                return None;
            }
        };
        let file: DigestFile = match serde_json::from_slice(&inflated) {
            Ok(file) => file,
            Err(e) => {
                problems.push(Problem::DigestMalformed { digest: key, reason: e.to_string() });
                return None;
            }
        };
        let sha256 = hex::encode(digest(&SHA256, &inflated));
        let signature = object.metadata.signature.clone().or_else(|| link.filter(|l| l.trusted).and_then(|l| l.previous_signature.clone()));
        let start = parse_time(&file.digest_start_time);
        let end = parse_time(&file.digest_end_time);
        let mut loaded = Loaded { file, sha256, signature, start, end, verified: false };
        let file = &loaded.file;
        let bucket_ok = self.store.bucket().is_none_or(|b| b == file.digest_s3_bucket);
        if file.digest_s3_object != key || !bucket_ok {
            problems.push(Problem::DigestMoved { digest: key, claims: format!("{}/{}", file.digest_s3_bucket, file.digest_s3_object) });
            return Some(loaded);
        }
        let algorithm = object.metadata.signature_algorithm.clone().or_else(|| file.digest_signature_algorithm.clone()).unwrap_or_default();
        if algorithm != SIGNATURE_ALGORITHM {
            problems.push(Problem::DigestAlgorithmUnsupported { digest: key, algorithm });
            return Some(loaded);
        }
        let Some(signature) = loaded.signature.as_deref() else {
            problems.push(Problem::DigestUnsigned { digest: key });
            return Some(loaded);
        };
        let Ok(signature) = hex::decode(signature.trim()) else {
            problems.push(Problem::DigestSignatureInvalid { digest: key });
            return Some(loaded);
        };
        let message = format!(
            "{}\n{}/{}\n{}\n{}",
            file.digest_end_time,
            file.digest_s3_bucket,
            file.digest_s3_object,
            loaded.sha256,
            file.previous_digest_signature.as_deref().unwrap_or("null")
        );
        match self.public_keys.verify(&file.digest_public_key_fingerprint, message.as_bytes(), &signature) {
            Verification::Valid => loaded.verified = true,
            Verification::UnknownKey => {
                problems.push(Problem::DigestKeyUnknown { digest: key, fingerprint: file.digest_public_key_fingerprint.clone() })
            }
            Verification::Invalid => problems.push(Problem::DigestSignatureInvalid { digest: key }),
        }
        Some(loaded)
    }
}

fn classify_end(key: &str) -> Option<DateTime<Utc>> {
    match classify(key) {
        ObjectKind::Digest(d) => Some(d.end),
        _ => None,
    }
}

/// The newest unvisited regular digest older than `before` (all of them when `before` is unknown).
fn older_than(hourly: &[(String, DigestKey)], before: Option<DateTime<Utc>>, visited: &HashSet<String>) -> Option<String> {
    hourly.iter().rev().find(|(key, d)| before.is_none_or(|b| d.end < b) && !visited.contains(key)).map(|(key, _)| key.clone())
}

fn min_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// Inflates a gzip member (or several: CloudTrail writes one, concatenation is legal gzip).
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(bytes.len() * 8);
    MultiGzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| format!("not gzip: {e}"))?;
    Ok(out)
}
