//! Log integrity on a directory copy of the bucket (digest metadata in sidecar files): the intact trail passes,
//! and every falsification is reported precisely (which object, what is wrong) and fails with exit code 2, in
//! either region of the multi-region trail.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use infra_audit::engine::Window;
use infra_audit::integrity::{IntegrityReport, Notice, Problem};
use infra_audit::report::ExitCode;
use infra_audit::rules::Severity;
use infra_audit::store::Store;
use infra_audit_fixtures::scenario::{Case, REGIONS, Scenario, TAMPERED_HOUR, build};

async fn check(case: Case, region: &str) -> (Scenario, IntegrityReport, ExitCode) {
    let scenario = build(common::keys(), case, region);
    let dir = tempfile::tempdir().unwrap();
    scenario.write_dir(dir.path(), common::keys()).unwrap();
    let report = common::audit_store(Store::dir(dir.path()), common::INTEGRITY_ONLY, Window::default()).await;
    let exit = report.exit_code(Severity::Critical);
    (scenario, report.integrity.unwrap(), exit)
}

fn problems(report: &IntegrityReport) -> Vec<Problem> {
    report.problems.clone()
}

#[tokio::test]
async fn an_intact_multi_region_trail_passes() {
    let (scenario, report, exit) = check(Case::Intact, "eu-west-1").await;
    assert_eq!(report.problems, [], "{report:#?}");
    assert_eq!(report.notices, []);
    assert_eq!(exit, ExitCode::Clean);
    assert_eq!(report.chains.len(), 2, "one chain per region");
    for chain in &report.chains {
        assert_eq!((chain.digests, chain.digests_verified, chain.log_files_listed), (6, 6, 12), "{chain:?}");
        assert_eq!(chain.trail, "harbour-prod-audit_eu-west-1");
    }
    let logs = scenario.logs.values().map(Vec::len).sum::<usize>() as u64;
    assert_eq!((report.log_files_checked, report.log_files_verified), (logs, logs));
}

#[tokio::test]
async fn one_changed_byte_in_a_log_file_is_reported_as_altered() {
    for region in REGIONS {
        let (scenario, report, exit) = check(Case::LogByteChanged, region).await;
        let [Problem::LogFileAltered { log_file, digest, expected, actual }] = report.problems.as_slice() else {
            panic!("{region}: {report:#?}");
        };
        assert_eq!(log_file, scenario.log(region, TAMPERED_HOUR, 0));
        assert_eq!(digest, scenario.digest(region, TAMPERED_HOUR));
        assert_ne!(expected, actual);
        assert_eq!(exit, ExitCode::Integrity);
    }
}

#[tokio::test]
async fn a_corrupted_log_file_is_reported_as_unreadable() {
    let (scenario, report, exit) = check(Case::LogCorrupted, "us-east-1").await;
    let [Problem::LogFileUnreadable { log_file, .. }] = report.problems.as_slice() else { panic!("{report:#?}") };
    assert_eq!(log_file, scenario.log("us-east-1", TAMPERED_HOUR, 0));
    assert_eq!(exit, ExitCode::Integrity);
}

#[tokio::test]
async fn a_deleted_log_file_is_reported_as_missing() {
    for region in REGIONS {
        let (scenario, report, exit) = check(Case::LogDeleted, region).await;
        assert_eq!(
            problems(&report),
            [Problem::LogFileMissing {
                log_file: scenario.log(region, TAMPERED_HOUR, 1).to_owned(),
                digest: scenario.digest(region, TAMPERED_HOUR).to_owned()
            }],
            "{region}"
        );
        assert_eq!(exit, ExitCode::Integrity);
    }
}

#[tokio::test]
async fn a_deleted_digest_is_a_gap_and_its_log_files_lose_their_cover() {
    for region in REGIONS {
        let (scenario, report, exit) = check(Case::DigestDeleted, region).await;
        let mut expected = vec![Problem::DigestMissing {
            digest: scenario.digest(region, TAMPERED_HOUR).to_owned(),
            referenced_by: scenario.digest(region, TAMPERED_HOUR + 1).to_owned(),
        }];
        for i in 0..2 {
            expected.push(Problem::LogFileNotInDigest { log_file: scenario.log(region, TAMPERED_HOUR, i).to_owned() });
        }
        expected.sort();
        assert_eq!(problems(&report), expected, "{region}");
        let chain = report.chains.iter().find(|c| c.region == region).unwrap();
        assert_eq!((chain.digests, chain.digests_verified), (5, 5), "the walk continues past the gap");
        assert_eq!(exit, ExitCode::Integrity);
    }
}

#[tokio::test]
async fn a_digest_re_signed_with_another_key_is_refused() {
    for region in REGIONS {
        let (scenario, report, _) = check(Case::DigestResigned, region).await;
        let digest = scenario.digest(region, TAMPERED_HOUR).to_owned();
        let dropped = scenario.log(region, TAMPERED_HOUR, 1).to_owned();
        let kept = scenario.log(region, TAMPERED_HOUR, 0).to_owned();
        let mut expected = vec![
            Problem::DigestKeyUnknown { digest, fingerprint: common::keys().forger.fingerprint().to_owned() },
            Problem::LogFileNotInDigest { log_file: dropped },
            Problem::LogFileNotInDigest { log_file: kept },
        ];
        expected.sort();
        assert_eq!(problems(&report), expected, "{region}");
    }
    // Keeping CloudTrail's fingerprint does not help: the signature does not verify.
    let (scenario, report, exit) = check(Case::DigestResignedKeepingFingerprint, "eu-west-1").await;
    assert!(
        report.problems.contains(&Problem::DigestSignatureInvalid { digest: scenario.digest("eu-west-1", TAMPERED_HOUR).to_owned() }),
        "{report:#?}"
    );
    assert_eq!(exit, ExitCode::Integrity);
}

#[tokio::test]
async fn a_forged_previous_digest_signature_is_caught_although_the_digest_verifies() {
    for region in REGIONS {
        let (scenario, report, exit) = check(Case::PreviousSignatureForged, region).await;
        assert_eq!(
            problems(&report),
            [Problem::ChainSignatureMismatch {
                digest: scenario.digest(region, TAMPERED_HOUR - 1).to_owned(),
                successor: scenario.digest(region, TAMPERED_HOUR).to_owned(),
            }],
            "{region}: the CLI accepts this chain; each digest's own signature is valid"
        );
        let chain = report.chains.iter().find(|c| c.region == region).unwrap();
        assert_eq!(chain.digests_verified, 6);
        assert_eq!(exit, ExitCode::Integrity);
    }
}

#[tokio::test]
async fn a_log_file_in_no_digest_is_reported() {
    for region in REGIONS {
        let (scenario, report, exit) = check(Case::ExtraLog, region).await;
        assert_eq!(
            problems(&report),
            [Problem::LogFileNotInDigest { log_file: scenario.log(region, TAMPERED_HOUR, 2).to_owned() }],
            "{region}"
        );
        assert_eq!(exit, ExitCode::Integrity);
    }
}

#[tokio::test]
async fn a_late_log_file_listed_by_a_backfill_digest_is_covered() {
    let (_, report, exit) = check(Case::LateLogWithBackfill, "eu-west-1").await;
    assert_eq!(report.problems, [], "{report:#?}");
    let chain = report.chains.iter().find(|c| c.region == "eu-west-1").unwrap();
    assert_eq!((chain.backfill_digests, chain.log_files_listed), (1, 13));
    assert_eq!(exit, ExitCode::Clean);
}

#[tokio::test]
async fn a_digest_without_metadata_is_verified_with_the_signature_its_successor_carries() {
    let (_, report, exit) = check(Case::DigestMetadataMissing, "us-east-1").await;
    assert_eq!(report.problems, [], "{report:#?}");
    assert_eq!(exit, ExitCode::Clean);
}

#[tokio::test]
async fn the_newest_digest_without_metadata_is_unsigned() {
    let scenario = build(common::keys(), Case::Intact, "eu-west-1");
    let dir = tempfile::tempdir().unwrap();
    scenario.write_dir(dir.path(), common::keys()).unwrap();
    let newest = scenario.digest("eu-west-1", 5);
    std::fs::remove_file(dir.path().join(format!("{newest}.metadata.json"))).unwrap();
    let report = common::audit_store(Store::dir(dir.path()), common::INTEGRITY_ONLY, Window::default()).await;
    let integrity = report.integrity.unwrap();
    // Nothing vouches for the newest digest (the offline case the CloudTrail guide describes), so neither for
    // its log files; the older digests still verify with their own metadata.
    let mut expected = vec![Problem::DigestUnsigned { digest: newest.to_owned() }];
    for i in 0..2 {
        expected.push(Problem::LogFileNotInDigest { log_file: scenario.log("eu-west-1", 5, i).to_owned() });
    }
    expected.sort();
    assert_eq!(integrity.problems, expected);
}

#[tokio::test]
async fn a_window_checks_only_its_digests_and_log_files() {
    let scenario = build(common::keys(), Case::LogByteChanged, "eu-west-1");
    let dir = tempfile::tempdir().unwrap();
    scenario.write_dir(dir.path(), common::keys()).unwrap();
    let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc));
    // The last two hours only: the altered file (fourth hour) is outside.
    let window = Window { since: at("2026-11-20T12:30:00Z"), until: None };
    let report = common::audit_store(Store::dir(dir.path()), common::INTEGRITY_ONLY, window).await.integrity.unwrap();
    assert_eq!(report.problems, [], "{report:#?}");
    assert!(report.chains.iter().all(|c| c.digests == 2), "{:#?}", report.chains);
    assert!(report.notices.iter().all(|n| matches!(n, Notice::LogFileBeforeChain { .. })), "{:#?}", report.notices);
}
