//! checkov, the third-party policy scanner auditors run, from the project venv (`.venv/bin/checkov`, pinned in
//! requirements-dev.txt). Run once over every template with `--skip-download` (no network: it neither fetches
//! guidelines nor uploads results). Its absence is an error, never a skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use crate::CheckError;

/// What checkov concluded for one check on one resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Passed,
    Failed,
    /// Skipped on the resource (`Metadata.checkov.skip`) with this comment.
    Skipped(String),
}

/// One row of checkov's report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckResult {
    pub check_id: String,
    pub check_name: String,
    /// Template file name, e.g. `api.yaml`.
    pub template: String,
    pub resource_type: String,
    pub logical_id: String,
    pub outcome: Outcome,
}

/// The checkov executable of the project venv.
pub fn executable(root: &Path) -> PathBuf {
    root.join(".venv").join("bin").join("checkov")
}

/// The CloudFormation templates checkov reads: `infra/cloudformation/*.yaml` and, once it holds templates,
/// `observability/` (`*.yaml`, `*.yml`, `*.json`).
pub fn template_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (dir, extensions) in [("infra/cloudformation", &["yaml"][..]), ("observability", &["yaml", "yml", "json"][..])] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        files.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| extensions.iter().any(|x| e == *x))),
        );
    }
    files.sort();
    files
}

/// Runs checkov once over `files` and returns every result (passed, failed, skipped).
pub fn run(root: &Path, files: &[PathBuf]) -> Result<Vec<CheckResult>, CheckError> {
    let path = executable(root);
    if !path.is_file() {
        return Err(CheckError::CheckovMissing { path });
    }
    let mut command = Command::new(&path);
    for file in files {
        command.arg("--file").arg(file);
    }
    command.args(["--framework", "cloudformation", "--skip-download", "--output", "json"]).current_dir(root);
    let rendered = format!("{command:?}");
    let output = command.output().map_err(|e| CheckError::Checkov { command: rendered.clone(), detail: e.to_string() })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Json = serde_json::from_str(&stdout).map_err(|e| CheckError::Checkov {
        command: rendered.clone(),
        detail: format!("{e}; status {}; stderr: {}", output.status, String::from_utf8_lossy(&output.stderr)),
    })?;
    parse(&report).ok_or_else(|| CheckError::Checkov { command: rendered, detail: "unexpected JSON report".into() })
}

/// Reads checkov's JSON report (one framework: an object with `results.{passed,failed,skipped}_checks`).
pub fn parse(report: &Json) -> Option<Vec<CheckResult>> {
    let results = report.get("results")?;
    let mut out = Vec::new();
    for (key, kind) in [("passed_checks", 0), ("failed_checks", 1), ("skipped_checks", 2)] {
        for check in results.get(key).and_then(Json::as_array).into_iter().flatten() {
            let text = |field: &str| check.get(field).and_then(Json::as_str).unwrap_or_default().to_owned();
            let (resource_type, logical_id) = text("resource").rsplit_once('.').map(|(t, id)| (t.to_owned(), id.to_owned()))?;
            let template = Path::new(&text("file_path")).file_name()?.to_string_lossy().into_owned();
            let outcome = match kind {
                0 => Outcome::Passed,
                1 => Outcome::Failed,
                _ => {
                    Outcome::Skipped(check.pointer("/check_result/suppress_comment").and_then(Json::as_str).unwrap_or_default().to_owned())
                }
            };
            out.push(CheckResult {
                check_id: text("check_id"),
                check_name: text("check_name"),
                template,
                resource_type,
                logical_id,
                outcome,
            });
        }
    }
    out.sort();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_passed_failed_and_skipped_checks() {
        let report: Json = serde_json::from_str(
            r#"{"check_type": "cloudformation", "results": {
                "passed_checks": [{"check_id": "CKV_AWS_7", "check_name": "rotation", "file_path": "/infra/cloudformation/data.yaml",
                                   "resource": "AWS::KMS::Key.DataKey", "check_result": {"result": "PASSED"}}],
                "failed_checks": [{"check_id": "CKV_AWS_18", "check_name": "logging", "file_path": "/edge.yaml",
                                   "resource": "AWS::S3::Bucket.SiteBucket", "check_result": {"result": "FAILED"}}],
                "skipped_checks": [{"check_id": "CKV_AWS_59", "check_name": "open", "file_path": "/api.yaml",
                                    "resource": "AWS::ApiGateway::Method.ApiRoomsGet",
                                    "check_result": {"result": "SKIPPED", "suppress_comment": "public catalogue"}}]},
              "summary": {"passed": 1, "failed": 1, "skipped": 1}}"#,
        )
        .unwrap();
        let results = parse(&report).unwrap();
        assert_eq!(results.len(), 3);
        let by_id = |id: &str| results.iter().find(|r| r.check_id == id).unwrap();
        assert_eq!(by_id("CKV_AWS_7").template, "data.yaml");
        assert_eq!(by_id("CKV_AWS_7").logical_id, "DataKey");
        assert_eq!(by_id("CKV_AWS_18").outcome, Outcome::Failed);
        assert_eq!(by_id("CKV_AWS_59").outcome, Outcome::Skipped("public catalogue".into()));
        assert_eq!(by_id("CKV_AWS_59").resource_type, "AWS::ApiGateway::Method");
    }
}
