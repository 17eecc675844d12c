//! The HTTP API against its contract: schemathesis (PyPI, pinned in `requirements-dev.txt`) reads the committed
//! `services/functions/openapi.yaml` and drives the local stack with every check it has (status codes and
//! response schemas as documented, no 5xx, `Allow` on 405, negative data refused, auth enforced, ...), signed in
//! with a real ID token from the local identity provider, through all four phases, the stateful one following
//! the document's links (create a booking, read it, cancel it). A bounded example count and a fixed seed keep it
//! repeatable and well under a minute. The document's examples book in June 2030, so the stack's clock is set to
//! 1 May 2030 first: the examples stay valid whatever today's date. What the checks cannot know is configured,
//! with reasons, in `tests/e2e/schemathesis.toml`; the run's NDJSON report lands in `target/contract/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use booking_e2e::*;
use serde_json::Value;

/// Examples per operation and phase: enough to reach every documented answer, small enough for CI.
const MAX_EXAMPLES: &str = "30";
const SEED: &str = "20261201";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keeps_its_openapi_contract_under_schemathesis() {
    let st = root().join(".venv/bin/schemathesis");
    assert!(st.exists(), "schemathesis is not installed at {}: run `cargo xtask pyenv`", st.display());
    let t = spawn().await;
    t.move_clock(serde_json::json!({"set": "2030-05-01T10:00:00Z"})).await;
    let token = t.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let report = root().join("target/contract/schemathesis.ndjson");
    let _ = std::fs::remove_file(&report);
    let started = Instant::now();
    let base = t.base.clone();
    let data_dir = t.data_dir.clone();
    let report_path = report.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(st)
            // Its cache (`.schemathesis/`) goes with the stack's throwaway data, not into the work tree.
            .current_dir(&data_dir)
            .arg("--config-file")
            .arg(root().join("tests/e2e/schemathesis.toml"))
            .arg("run")
            .arg(root().join("services/functions/openapi.yaml"))
            .args(["--url", &base])
            .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED, "--workers", "1"])
            .args(["--phases", "examples,coverage,fuzzing,stateful", "--request-timeout", "10"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--report", "ndjson", "--report-ndjson-path"])
            .arg(&report_path)
            .args(["--no-color", "--output-sanitize", "true", "--suppress-health-check", "too_slow"])
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("schemathesis ran in {:.1?}\n{stdout}\n{stderr}", started.elapsed());
    assert!(output.status.success(), "schemathesis found contract failures (see above)");
    let run = Tally::read(&report);
    eprintln!("schemathesis checks: {:?}\nstatuses: {:?}", run.checks, run.statuses);
    for check in CHECKS {
        assert!(run.checks.get(check).is_some_and(|n| *n > 0), "{check} never ran: {:?}", run.checks);
    }
    assert!(run.statuses.keys().all(|s| *s < 500), "a 5xx: {:?}", run.statuses);
    for status in [200, 201, 400, 401, 404, 405, 422] {
        assert!(run.statuses.contains_key(&status), "no {status} was reached: {:?}", run.statuses);
    }
    t.shutdown().await;
}

/// Every check schemathesis 4.32 has; each must have judged at least one response (a renamed or disabled check
/// fails here instead of passing silently).
const CHECKS: [&str; 14] = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
];

/// What the run's NDJSON report says happened: check verdicts by name, responses by status.
#[derive(Debug, Default)]
struct Tally {
    checks: BTreeMap<String, usize>,
    statuses: BTreeMap<u64, usize>,
}

impl Tally {
    fn read(path: &Path) -> Self {
        let mut tally = Tally::default();
        for line in std::fs::read_to_string(path).unwrap().lines() {
            tally.walk(&serde_json::from_str(line).unwrap());
        }
        tally
    }

    fn walk(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(name)), Some(Value::String(status))) = (map.get("name"), map.get("status"))
                    && matches!(status.as_str(), "success" | "failure")
                {
                    *self.checks.entry(name.clone()).or_default() += 1;
                }
                if let Some(code) = map.get("status_code").and_then(Value::as_u64) {
                    *self.statuses.entry(code).or_default() += 1;
                }
                map.values().for_each(|v| self.walk(v));
            }
            Value::Array(items) => items.iter().for_each(|v| self.walk(v)),
            _ => {}
        }
    }
}
