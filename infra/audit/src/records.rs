//! CloudTrail records as the documented record format has them, borrowed from the bytes of one log file (or
//! one `LookupEvents` event) so that a year of logs is parsed without holding more than one file.
//!
//! Only the fields the rules and the report read are typed; `requestParameters`, `responseElements` and
//! `additionalEventData` stay raw JSON until a rule looks inside them, because most records (data events) are
//! never looked at twice.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One record (one API call, sign-in or service event).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    #[serde(borrow)]
    pub event_time: Cow<'a, str>,
    #[serde(borrow)]
    pub event_source: Cow<'a, str>,
    #[serde(borrow)]
    pub event_name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub aws_region: Cow<'a, str>,
    #[serde(borrow, default, rename = "sourceIPAddress")]
    pub source_ip_address: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub error_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "eventID")]
    pub event_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub recipient_account_id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub read_only: Option<bool>,
    #[serde(borrow, default)]
    pub user_identity: Identity<'a>,
    #[serde(borrow, default)]
    pub request_parameters: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub response_elements: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub additional_event_data: Option<&'a RawValue>,
}

/// `userIdentity`: who made the call.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub principal_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub invoked_by: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub session_context: Option<SessionContext<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow, default)]
    pub session_issuer: Option<SessionIssuer<'a>>,
    #[serde(borrow, default)]
    pub attributes: Option<SessionAttributes<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_name: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes<'a> {
    /// `"true"` or `"false"`, a string in the record format.
    #[serde(borrow, default)]
    pub mfa_authenticated: Option<Cow<'a, str>>,
}

impl Record<'_> {
    /// `eventTime` as a time; `None` for a record that does not carry a valid one (it cannot be placed in a
    /// window, so it is counted and skipped).
    pub fn time(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.event_time).ok().map(|t| t.with_timezone(&Utc))
    }

    pub fn issuer(&self) -> Option<&SessionIssuer<'_>> {
        self.user_identity.session_context.as_ref()?.session_issuer.as_ref()
    }

    /// Who made the call, as the report shows it.
    pub fn principal(&self) -> Principal {
        let identity = &self.user_identity;
        let issuer = self.issuer();
        let mfa = if self.event_name == "ConsoleLogin" {
            match raw_field(self.additional_event_data, "MFAUsed").as_deref() {
                Some("Yes") => Mfa::Yes,
                Some("No") => Mfa::No,
                _ => Mfa::Unknown,
            }
        } else {
            let attributes = identity.session_context.as_ref().and_then(|c| c.attributes.as_ref());
            match attributes.and_then(|a| a.mfa_authenticated.as_deref()) {
                Some("true") => Mfa::Yes,
                Some("false") => Mfa::No,
                _ => Mfa::Unknown,
            }
        };
        Principal {
            kind: identity.kind.as_deref().unwrap_or("Unknown").to_owned(),
            arn: identity.arn.as_deref().map(str::to_owned),
            account: identity.account_id.as_deref().map(str::to_owned),
            user_name: identity.user_name.as_deref().map(str::to_owned),
            session_issuer: issuer.and_then(|i| i.arn.as_deref()).map(str::to_owned),
            invoked_by: identity.invoked_by.as_deref().map(str::to_owned),
            mfa,
        }
    }

    /// The key the report groups a principal's calls by: the role (not the session) for assumed roles.
    pub fn principal_key(&self) -> String {
        if let Some(issuer) = self.issuer().and_then(|i| i.arn.as_deref()) {
            return issuer.to_owned();
        }
        let identity = &self.user_identity;
        identity.arn.as_deref().or(identity.principal_id.as_deref()).or(identity.invoked_by.as_deref()).unwrap_or("unknown").to_owned()
    }
}

/// A top-level string field of a raw JSON object (`additionalEventData.MFAUsed`).
fn raw_field(raw: Option<&RawValue>, field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(raw?.get()).ok()?;
    value.get(field)?.as_str().map(str::to_owned)
}

/// Who made a call, owned, for findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// `userIdentity.type`: `Root`, `IAMUser`, `AssumedRole`, `AWSService`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub arn: Option<String>,
    pub account: Option<String>,
    pub user_name: Option<String>,
    /// The role behind an assumed-role session.
    pub session_issuer: Option<String>,
    /// The AWS service that made the call on the principal's behalf.
    pub invoked_by: Option<String>,
    pub mfa: Mfa,
}

impl Principal {
    /// The most specific name: the ARN, else the user name, else the invoking service.
    pub fn display(&self) -> &str {
        self.arn.as_deref().or(self.user_name.as_deref()).or(self.invoked_by.as_deref()).unwrap_or(&self.kind)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mfa {
    Yes,
    No,
    Unknown,
}

impl fmt::Display for Mfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mfa::Yes => "yes",
            Mfa::No => "no",
            Mfa::Unknown => "?",
        })
    }
}

/// Calls `visit` for every record of a log file (`{"Records": [...]}`, uncompressed) without collecting them.
/// Returns the number of records. A record that does not match the record format fails the whole file: a log
/// file is written by CloudTrail in one piece, so a malformed one is an integrity question, not noise.
pub fn for_each_record<'de, F>(bytes: &'de [u8], visit: F) -> Result<u64, serde_json::Error>
where
    F: FnMut(Record<'de>),
{
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut visit = visit;
    let count = LogFileSeed { visit: &mut visit }.deserialize(&mut de)?;
    de.end()?;
    Ok(count)
}

/// Parses one record as `LookupEvents` returns it (`CloudTrailEvent`, a JSON string).
pub fn parse_record(json: &str) -> Result<Record<'_>, serde_json::Error> {
    serde_json::from_str(json)
}

struct LogFileSeed<'v, F> {
    visit: &'v mut F,
}

impl<'de, F: FnMut(Record<'de>)> DeserializeSeed<'de> for LogFileSeed<'_, F> {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Record<'de>)> Visitor<'de> for LogFileSeed<'_, F> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a CloudTrail log file: {"Records": [...]}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut count = 0;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "Records" {
                count += map.next_value_seed(RecordsSeed { visit: &mut *self.visit })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(count)
    }
}

struct RecordsSeed<'v, F> {
    visit: &'v mut F,
}

impl<'de, F: FnMut(Record<'de>)> DeserializeSeed<'de> for RecordsSeed<'_, F> {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Record<'de>)> Visitor<'de> for RecordsSeed<'_, F> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut count = 0;
        while let Some(record) = seq.next_element::<Record<'de>>()? {
            (self.visit)(record);
            count += 1;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn records_are_visited_in_order_and_other_keys_ignored() {
        let file = br#"{"Other": {"x": [1]}, "Records": [
            {"eventTime": "2026-01-02T03:04:05Z", "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
             "awsRegion": "eu-west-1", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
             "requestParameters": {"bucketName": "b"}},
            {"eventTime": "2026-01-02T03:04:06Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
             "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a\"b"},
             "additionalEventData": {"MFAUsed": "No"}, "requestParameters": null}
        ]}"#;
        let mut seen = Vec::new();
        let count = for_each_record(file, |r| seen.push((r.event_name.to_string(), r.principal()))).unwrap();
        assert_eq!(count, 2);
        assert_eq!(seen[0].0, "PutBucketPolicy");
        assert_eq!(seen[0].1.kind, "Root");
        assert_eq!(seen[1].1.arn.as_deref(), Some("arn:aws:iam::111122223333:user/a\"b"), "escaped strings are owned");
        assert_eq!(seen[1].1.mfa, Mfa::No);
    }

    #[test]
    fn a_malformed_log_file_is_an_error() {
        assert!(for_each_record(br#"{"Records": [{"eventName": 1}]}"#, |_| {}).is_err());
        assert!(for_each_record(br#"{"Records": []} trailing"#, |_| {}).is_err());
        assert_eq!(for_each_record(br#"{"Records": []}"#, |_| {}).unwrap(), 0);
    }

    #[test]
    fn assumed_roles_group_by_their_role_and_carry_session_mfa() {
        let json = r#"{"eventTime": "2026-01-02T03:04:05Z", "eventSource": "iam.amazonaws.com", "eventName": "PutRolePolicy",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
              "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Admin", "userName": "Admin"},
                                 "attributes": {"mfaAuthenticated": "true"}}}}"#;
        let record = parse_record(json).unwrap();
        assert_eq!(record.principal_key(), "arn:aws:iam::111122223333:role/Admin");
        assert_eq!(record.principal().mfa, Mfa::Yes);
        assert_eq!(record.time().unwrap().to_rfc3339(), "2026-01-02T03:04:05+00:00");
    }
}
