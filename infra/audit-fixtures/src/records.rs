//! CloudTrail records in the documented record format.
//!
//! `records/security-events.json` is a log file's worth of hand-checked records (management and data events;
//! root, IAM user, assumed-role, service and web-identity callers; console sign-ins with and without MFA), one
//! or more for every rule of `infra/audit/rules/security-controls.yaml` and benign look-alikes that must not
//! match. [`background`] writes the ordinary traffic of the product (function data events, API Gateway
//! invocations, KMS decrypts) fast enough to fill a year of logs for the benchmark.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

pub const ACCOUNT: &str = "111122223333";

/// The records of `records/security-events.json`, in file order (record `n` is element `n - 1`).
pub fn security_events() -> Vec<Value> {
    let file: Value = serde_json::from_str(include_str!("../records/security-events.json")).expect("fixture is JSON");
    match file.get("Records") {
        Some(Value::Array(records)) => records.clone(),
        _ => Vec::new(),
    }
}

/// The `eventTime` of a record.
pub fn event_time(record: &Value) -> DateTime<Utc> {
    record
        .get("eventTime")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The `awsRegion` of a record.
pub fn region(record: &Value) -> &str {
    record.get("awsRegion").and_then(Value::as_str).unwrap_or("us-east-1")
}

const FUNCTIONS: [(&str, &str); 5] =
    [("payment", "PaymentRole"), ("record", "RecordRole"), ("query", "QueryRole"), ("notify", "NotifyRole"), ("sweeper", "SweeperRole")];

const TABLE_CALLS: [&str; 6] = ["GetItem", "Query", "TransactWriteItems", "UpdateItem", "Query", "GetItem"];

/// Appends background record `n` (deterministic in `n`) at `time` as compact JSON to `out`.
pub fn background(out: &mut Vec<u8>, n: u64, time: DateTime<Utc>, region: &str) {
    let time = time.to_rfc3339_opts(SecondsFormat::Secs, true);
    let (function, role) = FUNCTIONS[(n % 5) as usize];
    let id = format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", n as u32, (n >> 32) as u16, n % 4096, (n / 7) % 4096, n);
    let _ = match n % 4 {
        0 | 1 => write!(
            out,
            r#"{{"eventVersion":"1.11","userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLE{role_upper}:harbour-prod-{function}","arn":"arn:aws:sts::{ACCOUNT}:assumed-role/harbour-prod-api-{role}-1A2B3C4D5E6F/harbour-prod-{function}","accountId":"{ACCOUNT}","accessKeyId":"ASIAEXAMPLEFUNCTION1","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLE{role_upper}","arn":"arn:aws:iam::{ACCOUNT}:role/harbour-prod-api-{role}-1A2B3C4D5E6F","accountId":"{ACCOUNT}","userName":"harbour-prod-api-{role}-1A2B3C4D5E6F"}},"attributes":{{"creationDate":"{time}","mfaAuthenticated":"false"}}}}}},"eventTime":"{time}","eventSource":"dynamodb.amazonaws.com","eventName":"{call}","awsRegion":"{region}","sourceIPAddress":"lambda.amazonaws.com","userAgent":"aws-sdk-rust/1.3.9 os/linux lang/rust/1.95.0","requestParameters":{{"tableName":"harbour-prod-bookings","key":{{"pk":"HIDDEN_DUE_TO_SECURITY_REASONS","sk":"HIDDEN_DUE_TO_SECURITY_REASONS"}},"consistentRead":true}},"responseElements":null,"requestID":"{id}","eventID":"{id}","readOnly":{read_only},"resources":[{{"accountId":"{ACCOUNT}","type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:{region}:{ACCOUNT}:table/harbour-prod-bookings"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"{ACCOUNT}","eventCategory":"Data","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"dynamodb.{region}.amazonaws.com"}}}}"#,
            role_upper = &role.to_uppercase()[..8],
            call = TABLE_CALLS[(n % 6) as usize],
            read_only = n % 3 != 2,
        ),
        2 => write!(
            out,
            r#"{{"eventVersion":"1.11","userIdentity":{{"type":"AWSService","invokedBy":"apigateway.amazonaws.com"}},"eventTime":"{time}","eventSource":"lambda.amazonaws.com","eventName":"Invoke","awsRegion":"{region}","sourceIPAddress":"apigateway.amazonaws.com","userAgent":"apigateway.amazonaws.com","requestParameters":{{"functionName":"arn:aws:lambda:{region}:{ACCOUNT}:function:harbour-prod-{function}","sourceArn":"arn:aws:execute-api:{region}:{ACCOUNT}:a1b2c3d4e5/live/GET/api/rooms"}},"responseElements":null,"additionalEventData":{{"functionVersion":"arn:aws:lambda:{region}:{ACCOUNT}:function:harbour-prod-{function}:$LATEST"}},"requestID":"{id}","eventID":"{id}","readOnly":false,"resources":[{{"accountId":"{ACCOUNT}","type":"AWS::Lambda::Function","ARN":"arn:aws:lambda:{region}:{ACCOUNT}:function:harbour-prod-{function}"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"{ACCOUNT}","sharedEventID":"{id}","eventCategory":"Data"}}"#,
        ),
        _ => write!(
            out,
            r#"{{"eventVersion":"1.11","userIdentity":{{"type":"AWSService","invokedBy":"dynamodb.amazonaws.com"}},"eventTime":"{time}","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"{region}","sourceIPAddress":"dynamodb.amazonaws.com","userAgent":"dynamodb.amazonaws.com","requestParameters":{{"encryptionContext":{{"aws:dynamodb:tableName":"harbour-prod-bookings","aws:dynamodb:subscriberId":"{ACCOUNT}"}},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}},"responseElements":null,"requestID":"{id}","eventID":"{id}","readOnly":true,"resources":[{{"accountId":"{ACCOUNT}","type":"AWS::KMS::Key","ARN":"arn:aws:kms:{region}:{ACCOUNT}:key/1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"}}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{ACCOUNT}","eventCategory":"Management"}}"#,
        ),
    };
}
