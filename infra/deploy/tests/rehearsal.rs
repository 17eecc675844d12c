//! The deploy rehearsed offline, against moto's server: the whole workflow of `cargo xtask deploy` (policy gate,
//! preflight, artifacts by content hash, change sets in order with outputs passed on, the site sync) on the
//! environment `infra/env/rehearsal.toml`, then what moto built checked through the SDK against the templates.
//!
//! moto builds only part of the templates; the copy it deploys and why are in `support::moto_copy`, and README
//! ("Deploying", "What the rehearsal proves") lists what only cfn-lint and cfn-guard prove.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use infra_check::template::{at, get, long_form, mapping};
use infra_deploy::deploy::{Aws, Inputs, Options, StackOutcome, Summary, deploy};
use infra_deploy::lambda::{Arch, Artifact, FUNCTIONS, Manifest, bootstrap_zip, sha256_hex};
use infra_deploy::report::Printer;
use infra_deploy::{DeployError, destroy, env, site};
use serde_yaml_ng::Value;
use support::{Moto, moto_copy, root};

/// A small zip per function; `version` changes one function's code.
fn release(versions: &BTreeMap<&str, u32>) -> (Manifest, BTreeMap<String, Vec<u8>>) {
    let mut zips = BTreeMap::new();
    let mut artifacts = Vec::new();
    for function in FUNCTIONS {
        let zip = bootstrap_zip(format!("#!/bin/sh\n# {function} v{}\n", versions.get(function).copied().unwrap_or(1)).as_bytes()).unwrap();
        artifacts.push(Artifact {
            function: function.into(),
            zip: format!("target/lambda/{function}/bootstrap.zip"),
            zip_bytes: zip.len() as u64,
            zip_sha256: sha256_hex(&zip),
            binary_bytes: 0,
            arch: Arch::Arm64,
            max_glibc: None,
        });
        zips.insert(function.to_owned(), zip);
    }
    (Manifest { commit: "rehearsal".into(), dirty: false, profile: "lambda".into(), artifacts }, zips)
}

struct Rehearsal {
    /// Kept alive for the rehearsal: dropping it stops moto.
    _moto: Moto,
    aws: Aws,
    env: env::Environment,
    templates: tempfile::TempDir,
    site: site::Package,
}

impl Rehearsal {
    /// Fresh moto state: the account's prerequisites (artifacts bucket, the two secrets, the hosted zone, a
    /// CloudFront distribution), and the moto copy of the templates.
    async fn prepare(moto: Moto) -> Rehearsal {
        let home = moto.config("eu-west-1").await;
        let global = moto.config("us-east-1").await;
        let mut env = env::load(&root(), "rehearsal").unwrap();
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&home).force_path_style(true).build());
        s3.create_bucket()
            .bucket(&env.artifacts_bucket)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let secrets = aws_sdk_secretsmanager::Client::new(&home);
        for (name, value, field) in [
            ("harbour/dev/stripe", r#"{"secret_key":"sk_test_x","webhook_secret":"whsec_x"}"#, &mut env.stripe_secret_arn),
            ("harbour/dev/origin-verify", r#"{"current":"a","previous":"b"}"#, &mut env.origin_verify_secret_arn),
        ] {
            *field = secrets.create_secret().name(name).secret_string(value).send().await.unwrap().arn().unwrap().to_owned();
        }
        let zone = hosted_zone(&global, &env.domain).await;
        env.hosted_zone_id = zone;
        let (distribution_id, distribution_domain) = distribution(&global).await;
        let templates = tempfile::tempdir().unwrap();
        moto_copy(&root().join("infra/cloudformation"), templates.path(), (&distribution_id, &distribution_domain));
        let site = site::package(&root().join("site")).unwrap();
        Rehearsal { aws: Aws { home, global, path_style: true }, _moto: moto, env, templates, site }
    }

    fn inputs(&self, versions: &BTreeMap<&str, u32>) -> Inputs {
        let (manifest, zips) = release(versions);
        Inputs {
            env: self.env.clone(),
            templates_dir: self.templates.path().to_owned(),
            manifest,
            zips,
            site: self.site.clone(),
            head: None,
        }
    }

    async fn deploy(&self, inputs: &Inputs, dry_run: bool) -> (Result<Summary, DeployError>, String, usize) {
        self.deploy_waiting(inputs, dry_run, Duration::from_secs(5)).await
    }

    async fn deploy_waiting(
        &self,
        inputs: &Inputs,
        dry_run: bool,
        identity_wait: Duration,
    ) -> (Result<Summary, DeployError>, String, usize) {
        let options = Options {
            dry_run,
            poll: Duration::from_millis(20),
            iam_retry_delays: vec![Duration::ZERO],
            identity_wait,
            ..Options::default()
        };
        let (mut printer, printed) = Printer::captured();
        let mut gated = 0;
        let mut gate = |dir: &std::path::Path| {
            gated += 1;
            assert_eq!(dir, self.templates.path(), "the gate sees the directory that is deployed");
            Ok(())
        };
        let result = deploy(inputs, &options, &self.aws, &mut gate, &mut printer).await;
        (result, printed.text(), gated)
    }
}

/// The environment's hosted zone, made with a one-resource stack (no Route 53 crate for one call).
async fn hosted_zone(config: &aws_config::SdkConfig, domain: &str) -> String {
    let cfn = aws_sdk_cloudformation::Client::new(config);
    let body = format!(
        r#"{{"Resources":{{"Zone":{{"Type":"AWS::Route53::HostedZone","Properties":{{"Name":"{domain}"}}}}}},"Outputs":{{"Id":{{"Value":{{"Ref":"Zone"}}}}}}}}"#
    );
    cfn.create_stack().stack_name("rehearsal-zone").template_body(body).send().await.unwrap();
    let stack = cfn.describe_stacks().stack_name("rehearsal-zone").send().await.unwrap();
    let id = stack.stacks()[0].outputs()[0].output_value().unwrap().to_owned();
    id.rsplit('/').next().unwrap().to_owned()
}

/// A distribution made through moto's CloudFront API (moto's CloudFormation does not build one).
async fn distribution(config: &aws_config::SdkConfig) -> (String, String) {
    use aws_sdk_cloudfront::types::*;
    let client = aws_sdk_cloudfront::Client::new(config);
    let origin = Origin::builder()
        .id("site")
        .domain_name("harbour-dev-site-123456789012.s3.eu-west-1.amazonaws.com")
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id("site")
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference("rehearsal")
        .comment("rehearsal")
        .enabled(true)
        .origins(Origins::builder().quantity(1).items(origin).build().unwrap())
        .default_cache_behavior(behavior)
        .build()
        .unwrap();
    let out = client.create_distribution().distribution_config(config).send().await.unwrap();
    let d = out.distribution().unwrap();
    (d.id().to_owned(), d.domain_name().to_owned())
}

/// The long-form template as committed.
fn template(file: &str) -> Value {
    long_form(serde_yaml_ng::from_str(&std::fs::read_to_string(root().join("infra/cloudformation").join(file)).unwrap()).unwrap())
}

fn outcome(summary: &Summary, suffix: &str) -> StackOutcome {
    summary.stacks.iter().find(|(name, _)| name.ends_with(&format!("-{suffix}"))).map(|(_, o)| o.clone()).unwrap()
}

async fn function_code(config: &aws_config::SdkConfig) -> BTreeMap<String, String> {
    let lambda = aws_sdk_lambda::Client::new(config);
    let mut code = BTreeMap::new();
    for function in FUNCTIONS {
        let out = lambda.get_function().function_name(format!("harbour-dev-{function}")).send().await.unwrap();
        code.insert(function.to_owned(), out.configuration().unwrap().code_sha256().unwrap().to_owned());
    }
    code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_rehearsal_on_moto() {
    let rehearsal = Rehearsal::prepare(Moto::start()).await;
    let v1 = BTreeMap::new();

    // A dry run on an empty account plans the stacks that read nothing new, creates nothing, uploads nothing.
    let (planned, printed, _) = rehearsal.deploy(&rehearsal.inputs(&v1), true).await;
    let planned = planned.unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(outcome(&planned, "data"), StackOutcome::Planned { changes: 15 }, "{printed}");
    assert_eq!(outcome(&planned, "api"), StackOutcome::Waiting { on: "data" }, "{printed}");
    assert!(printed.contains("BookingTable") && printed.contains("AWS::DynamoDB::Table") && printed.contains("add"), "{printed}");
    assert!(harbour_stacks(&rehearsal.aws).await.is_empty(), "a dry run leaves no stack behind");
    let s3 = rehearsal.aws.s3();
    let artifacts = s3.list_objects_v2().bucket(&rehearsal.env.artifacts_bucket).send().await.unwrap();
    assert_eq!(artifacts.key_count(), Some(0), "a dry run uploads nothing");
    // ... and says so: the operator reads what would happen, never that it happened.
    assert!(printed.contains(": would upload") && printed.contains("artifacts to upload: 5"), "{printed}");
    assert!(!printed.contains(": uploaded") && !printed.contains("artifacts uploaded"), "{printed}");
    eprintln!("---- deploy --dry-run against moto (empty account) ----\n{printed}");

    // The first deploy stops after the data stack while SES has not verified the guest mail domain (the identity
    // stack's user pool mails through it), saying what to do, and leaves the identity stack uncreated.
    let (unverified, printed, _) = rehearsal.deploy_waiting(&rehearsal.inputs(&v1), false, Duration::from_millis(300)).await;
    match unverified {
        Err(DeployError::SendingIdentityUnverified { identity, .. }) => assert_eq!(identity, rehearsal.env.domain, "{printed}"),
        other => panic!("{other:?}\n{printed}"),
    }
    assert!(printed.contains("waiting"), "it polled before giving up:\n{printed}");
    assert_eq!(harbour_stacks(&rehearsal.aws).await.len(), 2, "edge-global and data only");
    // moto's CloudFormation does not create `AWS::SES::EmailIdentity` (README: what the rehearsal proves); in an
    // account the data stack creates it and SES verifies it once its DKIM records resolve. Creating it through the
    // SES v2 API stands in for both: moto answers SUCCESS at once.
    aws_sdk_sesv2::Client::new(&rehearsal.aws.home).create_email_identity().email_identity(&rehearsal.env.domain).send().await.unwrap();

    // Deploying again goes on from there: the two stacks are no-ops, the rest are created in order, the site synced.
    let (first, printed, gated) = rehearsal.deploy(&rehearsal.inputs(&v1), false).await;
    let first = first.unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(gated, 1);
    assert!(printed.contains("verified"), "{printed}");
    assert!(first.uploaded_artifacts.is_empty(), "the stopped deploy uploaded them");
    for (name, outcome) in &first.stacks {
        let done_before = name.ends_with("-edge-global") || name.ends_with("-data");
        assert_eq!(done_before, *outcome == StackOutcome::NoChanges, "{name}: {outcome:?}");
        assert!(done_before || matches!(outcome, StackOutcome::Executed { .. }), "{name}: {outcome:?}");
    }
    let order: Vec<&str> = first.stacks.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        order,
        [
            "harbour-dev-edge-global",
            "harbour-dev-data",
            "harbour-dev-identity",
            "harbour-dev-api",
            "harbour-dev-edge",
            "harbour-dev-edge-logs",
            "harbour-dev-monitoring"
        ]
    );
    let site_report = first.site.clone().unwrap();
    assert_eq!(site_report.uploaded.len(), rehearsal.site.files.len() + 1, "every file and config.json");
    assert!(site_report.invalidated.is_empty(), "nothing was cached before");

    // What moto built is what the templates say.
    check_table(&rehearsal.aws.home).await;
    check_functions(&rehearsal.aws.home).await;
    check_topics_queues_roles(&rehearsal.aws.home).await;
    let bucket = "harbour-dev-site-123456789012";
    let config = s3.get_object().bucket(bucket).key("config.json").send().await.unwrap();
    assert_eq!(config.cache_control(), Some("no-cache"));
    let config: serde_json::Value = serde_json::from_slice(&config.body.collect().await.unwrap().into_bytes()).unwrap();
    assert_eq!(config["identity"]["redirectUri"], "https://rehearsal.example.com/callback.html");
    assert_eq!(config["payments"]["publishableKey"], "pk_test_rehearsal");
    for file in &rehearsal.site.files {
        let head = s3.head_object().bucket(bucket).key(&file.key).send().await.unwrap();
        assert_eq!((head.content_type(), head.cache_control()), (Some(file.content_type), Some(file.cache_control)), "{}", file.key);
    }

    // A second deploy of the same release uploads nothing and executes nothing.
    let before = function_code(&rehearsal.aws.home).await;
    let (second, printed, _) = rehearsal.deploy(&rehearsal.inputs(&v1), false).await;
    let second = second.unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert!(second.uploaded_artifacts.is_empty());
    assert!(second.stacks.iter().all(|(_, o)| *o == StackOutcome::NoChanges), "{:?}", second.stacks);
    let site_report = second.site.unwrap();
    assert!(site_report.uploaded.is_empty() && site_report.deleted.is_empty() && site_report.invalidated.is_empty(), "{site_report:?}");

    // One function's new code: only its zip is uploaded, only the api stack changes, only that function updates.
    let (third, printed, _) = rehearsal.deploy(&rehearsal.inputs(&BTreeMap::from([("payment", 2)])), false).await;
    let third = third.unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(third.uploaded_artifacts.len(), 1);
    assert!(third.uploaded_artifacts[0].starts_with("lambda/payment/"));
    for (name, outcome) in &third.stacks {
        let expected = if name.ends_with("-api") { StackOutcome::Executed { changes: 1 } } else { StackOutcome::NoChanges };
        assert_eq!(*outcome, expected, "{name}\n{printed}");
    }
    assert!(printed.contains("PaymentFunction") && printed.contains("modify"), "{printed}");
    let after = function_code(&rehearsal.aws.home).await;
    let changed: Vec<&String> = after.keys().filter(|f| after[*f] != before[*f]).collect();
    assert_eq!(changed, ["payment"]);

    // A changed page is uploaded and invalidated by path; a stale object is deleted.
    s3.put_object().bucket(bucket).key("old.html").body(b"old".to_vec().into()).send().await.unwrap();
    let mut changed_site = rehearsal.inputs(&BTreeMap::from([("payment", 2)]));
    changed_site.site = site_with(&rehearsal.site, "index.html", b"<!doctype html><title>new</title>");
    let (fourth, printed, _) = rehearsal.deploy(&changed_site, false).await;
    let report = fourth.unwrap_or_else(|e| panic!("{e}\n{printed}")).site.unwrap();
    assert_eq!(report.uploaded, ["index.html"]);
    assert_eq!(report.deleted, ["old.html"]);
    assert_eq!(report.invalidated, ["/index.html", "/old.html"]);

    // Refusals, each before anything changes.
    let mut other_account = rehearsal.inputs(&v1);
    other_account.env.account = "111122223333".into();
    let (refused, _, gated) = rehearsal.deploy(&other_account, false).await;
    assert!(matches!(refused, Err(DeployError::AccountMismatch { .. })), "{refused:?}");
    assert_eq!(gated, 0);
    let mut dirty = rehearsal.inputs(&v1);
    dirty.manifest.dirty = true;
    assert!(matches!(rehearsal.deploy(&dirty, false).await.0, Err(DeployError::DirtyArtifacts(_))));

    // Destroy: refused unless the name is typed back; then every stack goes and the retained data stays.
    assert!(matches!(destroy::confirm(&rehearsal.env, "prod\n"), Err(DeployError::NotConfirmed { .. })));
    destroy::confirm(&rehearsal.env, "rehearsal\n").unwrap();
    let (mut printer, printed) = Printer::captured();
    let kept = destroy::destroy(&rehearsal.env, rehearsal.templates.path(), &rehearsal.aws, Duration::from_millis(20), &mut printer)
        .await
        .unwrap();
    let printed = printed.text();
    let live = harbour_stacks(&rehearsal.aws).await;
    assert!(live.is_empty(), "{live:?}\n{printed}");
    let kept_names: Vec<&str> = kept.iter().map(|(_, _, name)| name.as_str()).collect();
    assert!(kept_names.contains(&"harbour-dev-bookings") && kept_names.contains(&"harbour-dev-site-123456789012"), "{kept:?}");
    assert!(printed.contains("kept with its data (retained): BookingTable harbour-dev-bookings"), "{printed}");
    let dynamodb = aws_sdk_dynamodb::Client::new(&rehearsal.aws.home);
    dynamodb.describe_table().table_name("harbour-dev-bookings").send().await.expect("the retained table outlives its stack");

    // Deploying again now meets the retained table and topic: refused before anything is created, with the import.
    let (refused, printed, _) = rehearsal.deploy(&rehearsal.inputs(&v1), false).await;
    match refused {
        Err(DeployError::LeftoverRetained { stack, advice }) => {
            assert_eq!(stack, "harbour-dev-data");
            assert!(
                advice.contains("harbour-dev-bookings") && advice.contains("harbour-dev-notifications") && advice.contains("IMPORT"),
                "{advice}"
            );
        }
        other => panic!("{other:?}\n{printed}"),
    }
    let edge_global =
        aws_sdk_cloudformation::Client::new(&rehearsal.aws.global).describe_stacks().stack_name("harbour-dev-edge-global").send().await;
    assert!(edge_global.is_err(), "refused before any stack was created");
}

/// Stacks of the environment that exist, in both regions.
async fn harbour_stacks(aws: &Aws) -> Vec<String> {
    let mut live = Vec::new();
    for config in [&aws.global, &aws.home] {
        let stacks = aws_sdk_cloudformation::Client::new(config).list_stacks().send().await.unwrap();
        live.extend(
            stacks
                .stack_summaries()
                .iter()
                .filter(|s| s.stack_status().is_some_and(|s| s.as_str() != "DELETE_COMPLETE"))
                .filter_map(|s| s.stack_name().filter(|n| n.starts_with("harbour-")).map(str::to_owned)),
        );
    }
    live
}

fn site_with(site: &site::Package, key: &str, bytes: &[u8]) -> site::Package {
    let mut site = site.clone();
    site.files.iter_mut().find(|f| f.key == key).unwrap().bytes = bytes.to_vec();
    site
}

async fn check_table(config: &aws_config::SdkConfig) {
    let expected = at(&template("data.yaml"), "Resources/BookingTable/Properties").unwrap().clone();
    let table = aws_sdk_dynamodb::Client::new(config).describe_table().table_name("harbour-dev-bookings").send().await.unwrap();
    let table = table.table().unwrap();
    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        schema.iter().map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned())).collect()
    };
    let template_keys = |path: &str| -> Vec<(String, String)> {
        at(&expected, path)
            .and_then(Value::as_sequence)
            .unwrap()
            .iter()
            .map(|k| {
                (
                    get(k, "AttributeName").and_then(Value::as_str).unwrap().to_owned(),
                    get(k, "KeyType").and_then(Value::as_str).unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(keys(table.key_schema()), template_keys("KeySchema"));
    let indexes = at(&expected, "GlobalSecondaryIndexes").and_then(Value::as_sequence).unwrap();
    assert_eq!(table.global_secondary_indexes().len(), indexes.len());
    for (i, index) in indexes.iter().enumerate() {
        let name = get(index, "IndexName").and_then(Value::as_str).unwrap();
        let built =
            table.global_secondary_indexes().iter().find(|g| g.index_name() == Some(name)).unwrap_or_else(|| panic!("index {name}"));
        assert_eq!(keys(built.key_schema()), template_keys(&format!("GlobalSecondaryIndexes/{i}/KeySchema")), "{name}");
        let projection = at(index, "Projection/ProjectionType").and_then(Value::as_str);
        assert_eq!(built.projection().and_then(|p| p.projection_type()).map(|p| p.as_str()), projection, "{name}");
    }
    let stream = table.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(stream.stream_view_type().map(|v| v.as_str()), at(&expected, "StreamSpecification/StreamViewType").and_then(Value::as_str));
    assert_eq!(
        table.billing_mode_summary().and_then(|b| b.billing_mode()).map(|b| b.as_str()),
        at(&expected, "BillingMode").and_then(Value::as_str)
    );
}

async fn check_functions(config: &aws_config::SdkConfig) {
    let api = template("api.yaml");
    let lambda = aws_sdk_lambda::Client::new(config);
    let mut checked = 0;
    for (id, resource) in mapping(&api, "Resources").unwrap() {
        let id = id.as_str().unwrap();
        if get(resource, "Type").and_then(Value::as_str) != Some("AWS::Lambda::Function") {
            continue;
        }
        let properties = get(resource, "Properties").unwrap();
        let name = at(properties, "FunctionName/Fn::Sub").and_then(Value::as_str).unwrap().replace("${Environment}", "dev");
        let function = lambda.get_function_configuration().function_name(&name).send().await.unwrap();
        let text = |key: &str| get(properties, key).and_then(Value::as_str).map(str::to_owned);
        let number = |key: &str| get(properties, key).and_then(Value::as_i64).map(|n| n as i32);
        assert_eq!(function.runtime().map(|r| r.as_str().to_owned()), text("Runtime"), "{id}");
        assert_eq!(function.handler().map(str::to_owned), text("Handler"), "{id}");
        assert_eq!(function.memory_size(), number("MemorySize"), "{id}");
        assert_eq!(function.timeout(), number("Timeout"), "{id}");
        let architectures: Vec<&str> = function.architectures().iter().map(|a| a.as_str()).collect();
        assert_eq!(architectures, ["arm64"], "{id}: the release's architecture (LambdaArchitecture)");
        let mut expected_vars: Vec<String> = mapping(properties, "Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
            .unwrap()
            .iter()
            .filter(|(_, v)| get(v, "Fn::If").is_none())
            .filter_map(|(k, _)| k.as_str().map(str::to_owned))
            .collect();
        expected_vars.sort();
        let mut vars: Vec<String> =
            function.environment().and_then(|e| e.variables()).map(|v| v.keys().cloned().collect()).unwrap_or_default();
        vars.sort();
        assert_eq!(vars, expected_vars, "{id}: environment variable names");
        checked += 1;
    }
    assert_eq!(checked, FUNCTIONS.len());
}

async fn check_topics_queues_roles(config: &aws_config::SdkConfig) {
    let sns = aws_sdk_sns::Client::new(config);
    let topics: Vec<String> =
        sns.list_topics().send().await.unwrap().topics().iter().filter_map(|t| t.topic_arn().map(str::to_owned)).collect();
    for name in ["harbour-dev-notifications", "harbour-dev-alerts"] {
        assert!(topics.iter().any(|t| t.ends_with(&format!(":{name}"))), "{name} in {topics:?}");
    }
    let sqs = aws_sdk_sqs::Client::new(config);
    for (id, resource) in mapping(&template("api.yaml"), "Resources").unwrap() {
        let id = id.as_str().unwrap();
        if get(resource, "Type").and_then(Value::as_str) != Some("AWS::SQS::Queue") {
            continue;
        }
        let name = at(resource, "Properties/QueueName/Fn::Sub").and_then(Value::as_str).unwrap().replace("${Environment}", "dev");
        let url = sqs.get_queue_url().queue_name(&name).send().await.unwrap_or_else(|e| panic!("{id}: {e:?}"));
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url.queue_url().unwrap())
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::MessageRetentionPeriod)
            .send()
            .await
            .unwrap();
        let retention = at(resource, "Properties/MessageRetentionPeriod").and_then(Value::as_i64).map(|n| n.to_string());
        assert_eq!(
            attributes.attributes().and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::MessageRetentionPeriod)).cloned(),
            retention,
            "{id}"
        );
    }
    let iam = aws_sdk_iam::Client::new(config);
    let roles: Vec<String> = iam.list_roles().send().await.unwrap().roles().iter().map(|r| r.role_name().to_owned()).collect();
    for function in ["Payment", "Record", "Query", "Notify", "Sweeper"] {
        let role = roles
            .iter()
            .find(|r| r.starts_with(&format!("harbour-dev-api-{function}Role")))
            .unwrap_or_else(|| panic!("{function} role in {roles:?}"));
        let policies = iam.list_role_policies().role_name(role).send().await.unwrap();
        assert!(!policies.policy_names().is_empty(), "{role} carries its inline policy");
        let trust = iam.get_role().role_name(role).send().await.unwrap();
        let document = trust.role().and_then(|r| r.assume_role_policy_document()).unwrap_or_default();
        assert!(document.contains("lambda.amazonaws.com"), "{role}: {document}");
    }
}
