//! `cargo xtask audit` end to end: the binary on a generated trail (a directory copy with sidecars, and the
//! same objects in moto's S3), its output formats and its exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use booking_local_aws::moto::MotoServer;
use infra_audit_fixtures::scenario::{Case, Keys, build};
use infra_audit_fixtures::writer::put_s3;
use serde_json::Value;

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(Keys::generate)
}

/// The binary with no AWS identity at all: no credentials, no profile, no instance metadata.
fn xtask(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.arg("audit").args(args);
    for variable in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"] {
        command.env_remove(variable);
    }
    command
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

fn fixtures(case: Case) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    build(keys(), case, "eu-west-1").write_dir(dir.path(), keys()).unwrap();
    dir
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn a_directory_copy_is_audited_offline_with_exit_codes_by_severity() {
    let dir = fixtures(Case::Intact);
    let logs = dir.path().display().to_string();
    let keys = path(dir.path(), "keys.json");
    let output = xtask(&["--logs", &logs, "--public-keys", &keys, "--format", "json", "--quiet"]);
    assert_eq!(output.status.code(), Some(1), "critical findings: {}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 55);
    assert_eq!(report["integrity"]["problems"], Value::Array(vec![]));
    assert_eq!(report["integrity"]["log_files_verified"], 24);
    assert_eq!(report["health"], Value::Null, "a directory audit is offline unless asked for health");
    assert_eq!(report["summary"]["exit_code"], 1);

    // Only StartLogging, which no rule reports: clean.
    let output = xtask(&["--logs", &logs, "--public-keys", &keys, "--event", "StartLogging", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("RESULT: no findings; logs intact (24 log files verified) (fail on high: exit 0)"),
        "{}",
        stdout(&output)
    );

    // Medium findings only, failing on critical: clean; failing on medium: 1.
    let medium = ["--logs", &logs, "--public-keys", &keys, "--severity", "medium", "--checks", "changes", "--quiet"];
    let only_medium = xtask(&[&medium[..], &["--fail-on", "critical", "--principal", "ci-legacy"]].concat());
    assert_eq!(only_medium.status.code(), Some(0), "{}", stdout(&only_medium));
    let only_medium = xtask(&[&medium[..], &["--fail-on", "medium", "--principal", "ci-legacy"]].concat());
    assert_eq!(only_medium.status.code(), Some(1), "{}", stdout(&only_medium));
    assert!(stdout(&only_medium).contains("access-denied-burst"), "{}", stdout(&only_medium));

    let markdown = xtask(&["--logs", &logs, "--public-keys", &keys, "--format", "markdown", "--quiet"]);
    assert!(stdout(&markdown).starts_with("# CloudTrail audit: harbour-prod\n"), "{}", stdout(&markdown));
}

#[test]
fn a_falsified_log_set_exits_2_naming_the_object() {
    let dir = fixtures(Case::PreviousSignatureForged);
    let output = xtask(&["--logs", &dir.path().display().to_string(), "--public-keys", &path(dir.path(), "keys.json"), "--quiet"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("chain broken: previousDigestSignature in AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/20/111122223333_CloudTrail-Digest_eu-west-1_harbour-prod-audit_eu-west-1_20261120T120131Z.json.gz is not this digest's signature"), "{table}");
    assert!(table.contains("FAIL  AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/20/111122223333_CloudTrail-Digest_eu-west-1_harbour-prod-audit_eu-west-1_20261120T110131Z.json.gz"), "{table}");
}

#[test]
fn usage_and_access_errors_exit_3_with_the_reason() {
    let check = |args: &[&str], reason: &str| {
        let output = xtask(args);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(reason), "{args:?}: expected `{reason}` in {}", stderr(&output));
    };
    let empty = tempfile::tempdir().unwrap();
    let empty = empty.path().display().to_string();
    check(&["--bogus"], "unexpected argument '--bogus'");
    check(&["--logs", "/no/such/dir", "--checks", "changes"], "--logs /no/such/dir: no such directory");
    check(&["--logs", &empty, "--since", "yesterday"], "`yesterday` is not a time");
    check(&["--logs", &empty, "--env", "qa"], "--env qa: the templates allow dev, prod, staging");
    check(&[], "nothing to audit: give --logs DIR");
    check(&["--logs", &empty], "log integrity needs CloudTrail's public keys");
    check(&["--logs", &empty, "--checks", "health"], "trail health needs AWS credentials");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keys.json"), "{\"PublicKeyList\": []}").unwrap();
    check(&["--logs", &empty, "--public-keys", &path(dir.path(), "keys.json")], "the file lists no keys");
}

#[tokio::test]
async fn the_same_trail_from_s3_on_moto() {
    let moto = MotoServer::start().await.unwrap();
    let config = aws_sdk_s3::config::Builder::from(&moto.sdk_config()).force_path_style(true).build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let scenario = build(keys(), Case::Intact, "eu-west-1");
    client.create_bucket().bucket(&scenario.trail.bucket).send().await.unwrap();
    put_s3(&client, &scenario.trail.bucket, &scenario.objects).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keys.json"), serde_json::to_vec(&keys().published()).unwrap()).unwrap();
    let url = format!("s3://{}", scenario.trail.bucket);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["audit", "--logs", &url, "--endpoint-url", &moto.endpoint, "--public-keys", &path(dir.path(), "keys.json")])
        .args(["--checks", "changes,integrity", "--format", "json"])
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["sources"][0]["location"], format!("{url}/"));
    assert_eq!(report["findings"].as_array().unwrap().len(), 55);
    assert_eq!(report["integrity"]["problems"], Value::Array(vec![]));
    assert_eq!(report["integrity"]["log_files_verified"], 24);
}
