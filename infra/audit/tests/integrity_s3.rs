//! Log integrity read from S3 (moto's S3 keeps object metadata, where CloudTrail puts each digest's signature):
//! the intact trail passes; falsifications in either region are reported as on a directory copy.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use booking_local_aws::moto::MotoServer;
use infra_audit::engine::Window;
use infra_audit::integrity::Problem;
use infra_audit::report::ExitCode;
use infra_audit::rules::Severity;
use infra_audit::store::Store;
use infra_audit_fixtures::scenario::{Case, TAMPERED_HOUR, build};
use infra_audit_fixtures::writer::put_s3;

fn s3(moto: &MotoServer) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&moto.sdk_config()).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(config)
}

#[tokio::test]
async fn digests_and_log_files_are_validated_in_an_s3_bucket_with_their_metadata_and_location() {
    let moto = MotoServer::start().await.unwrap();
    let client = s3(&moto);
    let keys = common::keys();
    // Every case also runs on a directory copy (tests/integrity.rs); here, the metadata path and one forgery
    // per region, kept few because moto answers one request at a time.
    let cases = [(Case::Intact, "eu-west-1"), (Case::PreviousSignatureForged, "us-east-1"), (Case::LogByteChanged, "eu-west-1")];
    for (n, (case, region)) in cases.into_iter().enumerate() {
        // The digests name the trail's bucket, so every case uses it, emptied in between.
        let scenario = build(keys, case, region);
        let bucket = scenario.trail.bucket.clone();
        if n == 0 {
            client.create_bucket().bucket(&bucket).send().await.unwrap();
        } else {
            let listed = client.list_objects_v2().bucket(&bucket).send().await.unwrap();
            for object in listed.contents() {
                client.delete_object().bucket(&bucket).key(object.key().unwrap()).send().await.unwrap();
            }
        }
        put_s3(&client, &bucket, &scenario.objects).await.unwrap();
        let store = Store::s3(client.clone(), &format!("s3://{bucket}")).unwrap();
        let report = common::audit_store(store, common::INTEGRITY_ONLY, Window::default()).await;
        let exit = report.exit_code(Severity::Critical);
        let integrity = report.integrity.unwrap();
        match case {
            Case::Intact => {
                assert_eq!(integrity.problems, [], "{integrity:#?}");
                assert_eq!(integrity.log_files_verified, 24);
                assert_eq!(exit, ExitCode::Clean);
            }
            Case::PreviousSignatureForged => {
                assert_eq!(
                    integrity.problems,
                    [Problem::ChainSignatureMismatch {
                        digest: scenario.digest(region, TAMPERED_HOUR - 1).to_owned(),
                        successor: scenario.digest(region, TAMPERED_HOUR).to_owned(),
                    }]
                );
                assert_eq!(exit, ExitCode::Integrity);
            }
            Case::LogByteChanged => {
                let [Problem::LogFileAltered { log_file, .. }] = integrity.problems.as_slice() else { panic!("{integrity:#?}") };
                assert_eq!(log_file, scenario.log(region, TAMPERED_HOUR, 0));
                assert_eq!(exit, ExitCode::Integrity);
            }
            _ => unreachable!(),
        }
    }

    // A copy of the bucket under another name: every digest says where it was delivered.
    let scenario = build(keys, Case::Intact, "eu-west-1");
    client.create_bucket().bucket("copy-of-the-audit-bucket").send().await.unwrap();
    put_s3(&client, "copy-of-the-audit-bucket", &scenario.objects).await.unwrap();
    let store = Store::s3(client, "s3://copy-of-the-audit-bucket").unwrap();
    let report = common::audit_store(store, common::INTEGRITY_ONLY, Window::default()).await.integrity.unwrap();
    let moved = report.problems.iter().filter(|p| matches!(p, Problem::DigestMoved { .. })).count();
    assert_eq!(moved, 12, "every digest names harbour-prod-audit-111122223333: {report:#?}");
}
