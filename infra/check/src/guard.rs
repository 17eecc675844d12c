//! The `cfn-guard` CLI. Found at `$CFN_GUARD`, else on `$PATH`, else in `$CARGO_HOME/bin` (where
//! `cargo install --locked cfn-guard` puts it). Missing or of another minor version, it is an error: a policy
//! check that silently does not run would pass everything.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use crate::CheckError;

/// The release CI installs (`.ci/run` reads the same file): the one pin.
pub const INSTALL_VERSION: &str = include_str!("../../../policies/cfn-guard.version").trim_ascii();

/// The minor version the rules and their tests are written for: the pin's.
pub fn expected_minor() -> &'static str {
    INSTALL_VERSION.rsplit_once('.').map_or(INSTALL_VERSION, |(minor, _)| minor)
}

#[derive(Debug, Clone)]
pub struct Guard {
    path: PathBuf,
    version: String,
}

/// `cfn-guard test`'s result for one rule file: its test cases and the names of those whose outcome was not
/// the expected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTests {
    pub rule: String,
    pub cases: usize,
    pub failed: Vec<String>,
}

/// How one rule came out on one data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

/// `cfn-guard validate`'s verdict on one data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub file: PathBuf,
    pub status: Status,
    pub failed: BTreeSet<String>,
    pub passed: BTreeSet<String>,
    pub skipped: BTreeSet<String>,
}

impl FileReport {
    pub fn file_name(&self) -> String {
        self.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

impl Guard {
    pub fn locate() -> Result<Guard, CheckError> {
        let path = candidates().into_iter().find(|p| p.is_file()).ok_or(CheckError::GuardMissing)?;
        let output = Command::new(&path).arg("--version").output().map_err(|_| CheckError::GuardMissing)?;
        let text = String::from_utf8_lossy(&output.stdout);
        let version = text.trim().trim_start_matches("cfn-guard").trim().to_owned();
        if !version.starts_with(&format!("{}.", expected_minor())) {
            return Err(CheckError::GuardVersion { path, found: version });
        }
        Ok(Guard { path, version })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// `cfn-guard test` of every rule in `dir` against its `tests/<rule>_tests.yaml`.
    pub fn test(&self, dir: &Path) -> Result<Vec<RuleTests>, CheckError> {
        let mut command = Command::new(&self.path);
        command.args(["test", "--output-format", "json", "--dir"]).arg(dir);
        let rendered = format!("{command:?}");
        let output = command.output().map_err(|e| CheckError::Guard { command: rendered.clone(), detail: e.to_string() })?;
        let parsed: Json = serde_json::from_slice(&output.stdout).map_err(|e| CheckError::Guard {
            command: rendered.clone(),
            detail: format!("{e}; status {}; stderr: {}", output.status, String::from_utf8_lossy(&output.stderr)),
        })?;
        parse_tests(&parsed).ok_or_else(|| CheckError::Guard { command: rendered, detail: format!("unexpected report {parsed}") })
    }

    /// `cfn-guard validate` of every data file against every rule in `rules` (a file or directory).
    pub fn validate(&self, rules: &Path, data: &[PathBuf]) -> Result<Vec<FileReport>, CheckError> {
        let mut command = Command::new(&self.path);
        command.args(["validate", "--structured", "--show-summary", "none", "--output-format", "json", "--rules"]).arg(rules);
        for file in data {
            command.arg("--data").arg(file);
        }
        let rendered = format!("{command:?}");
        let output = command.output().map_err(|e| CheckError::Guard { command: rendered.clone(), detail: e.to_string() })?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let parsed: Json = serde_json::from_str(&stdout).map_err(|e| CheckError::Guard {
            command: rendered.clone(),
            detail: format!("{e}; status {}; stderr: {}", output.status, String::from_utf8_lossy(&output.stderr)),
        })?;
        let files = parsed.as_array().ok_or_else(|| CheckError::Guard { command: rendered.clone(), detail: "not a JSON array".into() })?;
        files
            .iter()
            .map(|f| {
                file_report(f).ok_or_else(|| CheckError::Guard { command: rendered.clone(), detail: format!("unexpected report {f}") })
            })
            .collect()
    }
}

fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(explicit) = std::env::var_os("CFN_GUARD") {
        out.push(PathBuf::from(explicit));
    }
    if let Some(path) = std::env::var_os("PATH") {
        out.extend(std::env::split_paths(&path).map(|dir| dir.join("cfn-guard")));
    }
    let cargo_home =
        std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        out.push(home.join("bin").join("cfn-guard"));
    }
    out
}

fn parse_tests(report: &Json) -> Option<Vec<RuleTests>> {
    report
        .as_array()?
        .iter()
        .map(|file| {
            let rule = Path::new(file.get("rule_file")?.as_str()?).file_stem()?.to_string_lossy().into_owned();
            let cases = file.get("test_cases")?.as_array()?;
            let failed = cases
                .iter()
                .filter(|case| case.get("failed_rules").and_then(Json::as_array).is_some_and(|f| !f.is_empty()))
                .filter_map(|case| case.get("name").and_then(Json::as_str).map(str::to_owned))
                .collect();
            Some(RuleTests { rule, cases: cases.len(), failed })
        })
        .collect()
}

fn file_report(file: &Json) -> Option<FileReport> {
    let names = |key: &str| -> BTreeSet<String> {
        file.get(key)
            .and_then(Json::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().or_else(|| item.pointer("/Rule/name").and_then(Json::as_str)).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let status = match file.get("status")?.as_str()? {
        "PASS" => Status::Pass,
        "FAIL" => Status::Fail,
        "SKIP" => Status::Skip,
        _ => return None,
    };
    Some(FileReport {
        file: PathBuf::from(file.get("name")?.as_str()?),
        status,
        failed: names("not_compliant"),
        passed: names("compliant"),
        skipped: names("not_applicable"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_test_report() {
        let report = serde_json::json!([
            {"rule_file": "policies/a.guard", "test_cases": [
                {"name": "empty, SKIP", "passed_rules": [{"name": "a", "evaluated": "SKIP"}], "failed_rules": []},
                {"name": "bad, FAIL", "passed_rules": [], "failed_rules": [{"name": "a", "evaluated": "PASS"}]}]},
            {"rule_file": "policies/b.guard", "test_cases": [{"name": "ok, PASS", "passed_rules": [], "failed_rules": []}]}
        ]);
        let tests = parse_tests(&report).unwrap();
        assert_eq!(tests[0], RuleTests { rule: "a".into(), cases: 2, failed: vec!["bad, FAIL".into()] });
        assert_eq!(tests[1], RuleTests { rule: "b".into(), cases: 1, failed: vec![] });
        assert!(parse_tests(&serde_json::json!({"not": "a list"})).is_none());
    }

    #[test]
    fn the_pin_is_a_version() {
        assert_eq!(INSTALL_VERSION.split('.').count(), 3, "{INSTALL_VERSION}");
        assert!(INSTALL_VERSION.starts_with(expected_minor()));
    }

    #[test]
    fn reads_the_structured_json_report() {
        let json: Json = serde_json::from_str(
            r#"{"name": "/t/edge.yaml", "metadata": {}, "status": "FAIL",
                "not_compliant": [{"Rule": {"name": "cloudfront_web_acl_attached", "metadata": {}, "messages": {}, "checks": []}}],
                "not_applicable": ["sns_topic_kms_encrypted"], "compliant": ["s3_bucket_sse_kms_cmk"]}"#,
        )
        .unwrap();
        let report = file_report(&json).unwrap();
        assert_eq!(report.file_name(), "edge.yaml");
        assert_eq!(report.status, Status::Fail);
        assert_eq!(report.failed.iter().collect::<Vec<_>>(), ["cloudfront_web_acl_attached"]);
        assert_eq!(report.skipped.iter().collect::<Vec<_>>(), ["sns_topic_kms_encrypted"]);
        assert_eq!(report.passed.iter().collect::<Vec<_>>(), ["s3_bucket_sse_kms_cmk"]);
    }
}
