//! The integrity cases' trail: `harbour-prod-audit`, home region eu-west-1, multi-region (eu-west-1 and
//! us-east-1, each with its own signing key), six hourly digests per region from 2026-11-20T08:01:31Z, two log
//! files per region and hour carrying the security-event records of that region and hour plus background
//! traffic. [`Case`] falsifies one thing in one region's fourth hour; everything else stays as delivered.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::keys::{TestKey, list_public_keys_json};
use crate::records::{ACCOUNT, background, event_time, region, security_events};
use crate::writer::{ChainWriter, LogFile, Object, Tamper, Trail, gzip, sha256_hex, write_dir};

pub const HOME_REGION: &str = "eu-west-1";
pub const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];
pub const HOURS: usize = 6;
/// The hour (0-based) a [`Case`] tampers with.
pub const TAMPERED_HOUR: usize = 3;
/// Background records in each log file.
const BACKGROUND_PER_FILE: u64 = 10;

pub fn first_digest_start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T08:01:31Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

pub fn trail() -> Trail {
    Trail {
        bucket: format!("harbour-prod-audit-{ACCOUNT}"),
        prefix: String::new(),
        account: ACCOUNT.to_owned(),
        name: "harbour-prod-audit".to_owned(),
        home_region: HOME_REGION.to_owned(),
    }
}

/// CloudTrail's key per region, and a forger's.
#[derive(Debug)]
pub struct Keys {
    pub eu_west_1: TestKey,
    pub us_east_1: TestKey,
    pub forger: TestKey,
}

impl Keys {
    pub fn generate() -> Self {
        Keys { eu_west_1: TestKey::generate(), us_east_1: TestKey::generate(), forger: TestKey::generate() }
    }

    pub fn for_region(&self, region: &str) -> &TestKey {
        if region == "us-east-1" { &self.us_east_1 } else { &self.eu_west_1 }
    }

    /// `list-public-keys` output of both regions, merged (the forger's key is not published).
    pub fn published(&self) -> Value {
        list_public_keys_json(&[&self.eu_west_1, &self.us_east_1])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Intact,
    /// One byte of a log file's JSON changed (and the file re-compressed, as a forger would).
    LogByteChanged,
    /// One byte of a log file's gzip stream flipped.
    LogCorrupted,
    LogDeleted,
    DigestDeleted,
    /// A digest rewritten without one of its log files and signed with the forger's key (its fingerprint).
    DigestResigned,
    /// The same, keeping CloudTrail's fingerprint.
    DigestResignedKeepingFingerprint,
    /// A digest correctly signed whose `previousDigestSignature` is not the previous digest's signature.
    PreviousSignatureForged,
    /// A log file added to the prefix, listed by no digest.
    ExtraLog,
    /// A log file delivered late, listed by a `_backfill` digest instead of the hourly one (intact).
    LateLogWithBackfill,
    /// A middle digest without its metadata (sidecar): the next digest carries its signature (intact).
    DigestMetadataMissing,
}

/// The objects of a scenario and where each case's object is.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub trail: Trail,
    pub objects: Vec<Object>,
    /// Log file keys per (region, hour).
    pub logs: BTreeMap<(String, usize), Vec<String>>,
    /// Digest keys per region, oldest first.
    pub digests: BTreeMap<String, Vec<String>>,
}

impl Scenario {
    pub fn log(&self, region: &str, hour: usize, index: usize) -> &str {
        &self.logs[&(region.to_owned(), hour)][index]
    }

    pub fn digest(&self, region: &str, hour: usize) -> &str {
        &self.digests[region][hour]
    }

    /// Writes the bucket copy under `root` (sidecar metadata files) and `keys.json` into `root`.
    pub fn write_dir(&self, root: &Path, keys: &Keys) -> Result<()> {
        write_dir(root, &self.objects)?;
        std::fs::write(root.join("keys.json"), serde_json::to_vec_pretty(&keys.published())?)?;
        Ok(())
    }
}

/// The scenario with `case` applied in `tampered_region` (the other region stays intact).
pub fn build(keys: &Keys, case: Case, tampered_region: &str) -> Scenario {
    let trail = trail();
    let events = security_events();
    let mut objects = Vec::new();
    let mut logs = BTreeMap::new();
    let mut digests = BTreeMap::new();
    let mut serial = 0u64;
    for region_name in REGIONS {
        let tampered = region_name == tampered_region;
        let mut chain = ChainWriter::new(&trail, region_name, keys.for_region(region_name));
        let mut digest_keys = Vec::new();
        for hour in 0..HOURS {
            let start = first_digest_start() + TimeDelta::hours(hour as i64);
            let end = start + TimeDelta::hours(1);
            let halves = [(start, start + TimeDelta::minutes(30)), (start + TimeDelta::minutes(30), end)];
            let mut files: Vec<LogFile> = halves
                .iter()
                .enumerate()
                .map(|(i, (from, to))| {
                    let mut records: Vec<Value> =
                        events.iter().filter(|r| region(r) == region_name && (*from..*to).contains(&event_time(r))).cloned().collect();
                    for b in 0..BACKGROUND_PER_FILE {
                        serial += 1;
                        let mut text = Vec::new();
                        background(&mut text, serial, *from + TimeDelta::seconds(b as i64 * 60), region_name);
                        records.push(serde_json::from_slice(&text).expect("background record is JSON"));
                    }
                    let id = format!("{}{hour}{i}", &region_name[..2]).to_uppercase() + "x7Kq2Lm9Pz";
                    trail.log_file(region_name, *to - TimeDelta::minutes(1), &id, &records)
                })
                .collect();
            let here = tampered && hour == TAMPERED_HOUR;
            let mut late: Option<LogFile> = None;
            if here && case == Case::LateLogWithBackfill {
                late = Some(trail.log_file(region_name, start + TimeDelta::minutes(45), "LATEx7Kq2Lm9Pz", &[]));
            }
            let tamper = match case {
                Case::DigestResigned if here => Tamper::SignWith(&keys.forger),
                Case::DigestResignedKeepingFingerprint if here => Tamper::SignWithKeepingFingerprint(&keys.forger),
                Case::PreviousSignatureForged if here => Tamper::ForgePreviousSignature,
                _ => Tamper::None,
            };
            // A forger who re-signs a digest does it to drop a log file from it.
            let listed: Vec<&LogFile> = match tamper {
                Tamper::SignWith(_) | Tamper::SignWithKeepingFingerprint(_) => files.iter().take(1).collect(),
                _ => files.iter().collect(),
            };
            let mut digest = chain.digest(start, end, &listed, tamper);
            digest_keys.push(digest.key.clone());
            if here && case == Case::DigestMetadataMissing {
                digest.metadata.clear();
            }
            if let Some(late) = late {
                objects.push(chain.backfill(start, end + TimeDelta::minutes(20), &[&late]));
                files.push(late);
            }
            if here && case == Case::ExtraLog {
                files.push(trail.log_file(region_name, start + TimeDelta::minutes(40), "EXTRAx7Kq2Lm9Pz", &[]));
            }
            if here {
                match case {
                    Case::LogByteChanged => {
                        let file = &mut files[0];
                        let mut content = crate::writer::gunzip(&file.object.body);
                        let at = find(&content, b"\"sourceIPAddress\":\"").map(|i| i + 19).unwrap_or(0);
                        content[at] = if content[at] == b'1' { b'2' } else { b'1' };
                        file.object.body = gzip(&content);
                        assert_ne!(sha256_hex(&content), file.sha256, "the change must alter the hash");
                    }
                    Case::LogCorrupted => {
                        let body = &mut files[0].object.body;
                        let middle = body.len() / 2;
                        body[middle] ^= 0x01;
                    }
                    _ => {}
                }
            }
            logs.insert((region_name.to_owned(), hour), files.iter().map(|f| f.object.key.clone()).collect::<Vec<_>>());
            for (i, file) in files.into_iter().enumerate() {
                let deleted = here && case == Case::LogDeleted && i == 1;
                if !deleted {
                    objects.push(file.object);
                }
            }
            let deleted = here && case == Case::DigestDeleted;
            if !deleted {
                objects.push(digest);
            }
        }
        digests.insert(region_name.to_owned(), digest_keys);
    }
    Scenario { trail, objects, logs, digests }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
