//! Where CloudTrail delivers, read back from object keys:
//! `[prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz`
//! for log files and
//! `.../CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz`
//! for digests. Anything else under the prefix (Insights files, sidecars, stray objects) is [`ObjectKind::Other`].

use chrono::{DateTime, NaiveDateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKind {
    LogFile(LogKey),
    Digest(DigestKey),
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    pub account: String,
    pub region: String,
    /// The time in the file name: about when its newest event happened.
    pub time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChainId {
    pub account: String,
    /// The region the digests are delivered from (one key pair per region).
    pub region: String,
    /// `<trail name>_<home region>` as the file name carries it.
    pub trail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestKey {
    pub chain: ChainId,
    /// `digestEndTime`, from the file name.
    pub end: DateTime<Utc>,
    /// A backfill digest lists log files that a regular digest missed; it is not a link of the hourly chain.
    pub backfill: bool,
}

pub fn classify(key: &str) -> ObjectKind {
    parse(key).unwrap_or(ObjectKind::Other)
}

fn parse(key: &str) -> Option<ObjectKind> {
    let segments: Vec<&str> = key.split('/').collect();
    let logs = segments.iter().rposition(|s| *s == "AWSLogs")?;
    let mut rest = &segments[logs + 1..];
    if rest.first().is_some_and(|s| s.starts_with("o-")) {
        rest = &rest[1..];
    }
    let [account, kind, region, year, month, day, file] = rest else { return None };
    let numeric = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(account, 12) || !numeric(year, 4) || !numeric(month, 2) || !numeric(day, 2) {
        return None;
    }
    let name = file.strip_suffix(".json.gz")?;
    match *kind {
        "CloudTrail" => {
            let rest = name.strip_prefix(&format!("{account}_CloudTrail_{region}_"))?;
            let time = parse_time(rest.get(..14)?, "%Y%m%dT%H%MZ")?;
            Some(ObjectKind::LogFile(LogKey { account: (*account).to_owned(), region: (*region).to_owned(), time }))
        }
        "CloudTrail-Digest" => {
            let (name, backfill) = match name.strip_suffix("_backfill") {
                Some(name) => (name, true),
                None => (name, false),
            };
            let rest = name.strip_prefix(&format!("{account}_CloudTrail-Digest_{region}_"))?;
            let stamp_at = rest.len().checked_sub(16)?;
            let trail = rest.get(..stamp_at)?.strip_suffix('_')?;
            let end = parse_time(rest.get(stamp_at..)?, "%Y%m%dT%H%M%SZ")?;
            Some(ObjectKind::Digest(DigestKey {
                chain: ChainId { account: (*account).to_owned(), region: (*region).to_owned(), trail: trail.to_owned() },
                end,
                backfill,
            }))
        }
        _ => None,
    }
}

fn parse_time(text: &str, format: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, format).ok().map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn keys_are_read_as_cloudtrail_writes_them() {
        let log = "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz";
        assert_eq!(
            classify(log),
            ObjectKind::LogFile(LogKey { account: "111122223333".into(), region: "us-east-2".into(), time: time("2015-08-17T14:45:00Z") })
        );
        let digest = "prefix/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_my_trail_us-east-1_20150817T150131Z.json.gz";
        let chain = ChainId { account: "111122223333".into(), region: "us-east-2".into(), trail: "my_trail_us-east-1".into() };
        assert_eq!(
            classify(digest),
            ObjectKind::Digest(DigestKey { chain: chain.clone(), end: time("2015-08-17T15:01:31Z"), backfill: false })
        );
        let backfill = digest.replace("150131Z.json.gz", "150131Z_backfill.json.gz");
        assert_eq!(classify(&backfill), ObjectKind::Digest(DigestKey { chain, end: time("2015-08-17T15:01:31Z"), backfill: true }));
        let org =
            "AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/01/02/111122223333_CloudTrail_eu-west-1_20260102T0305Z_x.json.gz";
        assert!(matches!(classify(org), ObjectKind::LogFile(_)));
    }

    #[test]
    fn anything_else_is_other() {
        for key in [
            "AWSLogs/111122223333/CloudTrail-Insight/us-east-2/2015/08/17/111122223333_CloudTrail-Insight_us-east-2_20150817T1445Z_x.json.gz",
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/x.json.gz.metadata.json",
            "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_garbage.json.gz",
            "AWSLogs/1111/CloudTrail/us-east-2/2015/08/17/1111_CloudTrail_us-east-2_20150817T1445Z_x.json.gz",
            "README.txt",
        ] {
            assert_eq!(classify(key), ObjectKind::Other, "{key}");
        }
    }
}
