//! `cargo xtask deploy`: one environment, every stack through a change set, in dependency order.
//!
//! 1. Credentials of the environment's account, in its region; the exact template bytes pass the policy gate and
//!    are still those bytes afterwards; the artifacts come from a clean tree (unless allowed otherwise).
//! 2. Preflight: no stack stuck or failed, no retained leftover in the way of a new stack, enough concurrency.
//! 3. Artifacts to the artifacts bucket by content hash, skipping what is there.
//! 4. Per stack: a change set, printed (replacing retained data needs `--allow-replace`); unless a dry run,
//!    executed while its events print, retried when IAM had not yet propagated a new role; outputs feed the next
//!    stacks' parameters. A change set without changes is a no-op.
//! 5. The site: packaged with this environment's `config.json`, synced to its bucket, changed paths invalidated.
//! 6. URLs and a summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::SdkConfig;

use crate::cfn::{Cfn, ChangeSetState, StackInfo, is_iam_propagation};
use crate::changes::render;
use crate::env::Environment;
use crate::lambda::{Manifest, sha256_hex};
use crate::report::Printer;
use crate::site::{Package, SiteConfig};
use crate::stacks::{Lookups, Outputs, Release, StackKind, parameters};
use crate::template::Template;
use crate::{DeployError, preflight, sitesync, upload};

/// Switches of one deploy.
#[derive(Debug, Clone)]
pub struct Options {
    pub dry_run: bool,
    pub allow_replace: bool,
    pub allow_dirty: bool,
    /// `--region`: must be the environment's home region.
    pub region: Option<String>,
    pub poll: Duration,
    /// Waits before each retry of a step that failed on IAM propagation (their number is the retries).
    pub iam_retry_delays: Vec<Duration>,
    /// How long to wait, after the data stack, for SES to verify the guest mail domain before the identity stack.
    pub identity_wait: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dry_run: false,
            allow_replace: false,
            allow_dirty: false,
            region: None,
            poll: Duration::from_secs(3),
            iam_retry_delays: vec![Duration::from_secs(20), Duration::from_secs(60), Duration::from_secs(120)],
            // A first deploy's DKIM records usually verify within minutes; past this, deploying again later is
            // cheaper than holding a terminal.
            identity_wait: Duration::from_secs(30 * 60),
        }
    }
}

/// SDK configurations for the home region and us-east-1 (credentials and any endpoint override already set).
#[derive(Debug, Clone)]
pub struct Aws {
    pub home: SdkConfig,
    pub global: SdkConfig,
    /// Path-style S3 addressing (needed by local endpoints such as moto).
    pub path_style: bool,
}

impl Aws {
    /// The standard credential chain, optionally against another endpoint (`--endpoint-url`).
    pub async fn from_env(home_region: &str, endpoint_url: Option<&str>) -> Self {
        let load = |region: String| async move {
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).region(aws_config::Region::new(region));
            if let Some(url) = endpoint_url {
                loader = loader.endpoint_url(url);
            }
            loader.load().await
        };
        Aws {
            home: load(home_region.to_owned()).await,
            global: load(crate::env::GLOBAL_REGION.to_owned()).await,
            path_style: endpoint_url.is_some(),
        }
    }

    fn for_region(&self, kind: StackKind, env: &Environment) -> &SdkConfig {
        match kind.region(env) == env.home_region {
            true => &self.home,
            false => &self.global,
        }
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&self.home).force_path_style(self.path_style).build())
    }

    fn cfn(&self, kind: StackKind, env: &Environment, poll: Duration) -> Cfn {
        Cfn { client: aws_sdk_cloudformation::Client::new(self.for_region(kind, env)), poll }
    }
}

/// Everything a deploy ships.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub env: Environment,
    /// The directory of the templates to deploy (`infra/cloudformation`).
    pub templates_dir: PathBuf,
    pub manifest: Manifest,
    /// Function -> zip bytes (as listed in the manifest).
    pub zips: BTreeMap<String, Vec<u8>>,
    /// The packaged site, without `config.json`.
    pub site: Package,
    /// `git rev-parse HEAD` now, to refuse artifacts of another commit.
    pub head: Option<String>,
}

/// What happened to one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackOutcome {
    NoChanges,
    /// Executed (created or updated); the number of resource changes.
    Executed {
        changes: usize,
    },
    /// Dry run: the change set's rows were printed and the change set deleted.
    Planned {
        changes: usize,
    },
    /// Dry run: not planned, because a stack it reads from does not exist yet.
    Waiting {
        on: &'static str,
    },
}

/// What a deploy did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Object keys uploaded (or, in a dry run, that would be).
    pub uploaded_artifacts: Vec<String>,
    pub stacks: Vec<(String, StackOutcome)>,
    pub site: Option<sitesync::SyncReport>,
    pub urls: Vec<(String, String)>,
}

/// Reads the templates of `dir` in deploy order, exactly as they are on disk.
pub fn read_templates(dir: &Path) -> Result<Vec<(StackKind, Template)>, DeployError> {
    StackKind::ORDER
        .iter()
        .map(|kind| {
            let path = dir.join(kind.template_file());
            let body = std::fs::read_to_string(&path).map_err(|source| DeployError::Read { path: path.clone(), source })?;
            Ok((*kind, Template::parse(&kind.template_file(), body)?))
        })
        .collect()
}

/// Runs a deploy. `gate` is the policy gate over the template directory (cfn-lint and cfn-guard in xtask).
pub async fn deploy(
    inputs: &Inputs,
    options: &Options,
    aws: &Aws,
    gate: &mut dyn FnMut(&Path) -> Result<(), String>,
    out: &mut Printer,
) -> Result<Summary, DeployError> {
    let env = &inputs.env;
    out.step(&format!("environment {} ({}): account {}, home region {}", env.name, env.stage.as_str(), env.account, env.home_region));
    if let Some(region) = options.region.as_ref().filter(|r| **r != env.home_region) {
        return Err(DeployError::RegionMismatch {
            environment: env.name.clone(),
            expected: env.home_region.clone(),
            found: region.clone(),
        });
    }
    preflight::credentials(&aws.home).await?;
    let account = preflight::account(&aws.home, env).await?;
    out.line(&format!("    credentials are for account {account}"));

    out.step(&format!("policy gate over {}", inputs.templates_dir.display()));
    let templates = read_templates(&inputs.templates_dir)?;
    gate(&inputs.templates_dir).map_err(DeployError::PolicyGate)?;
    let after = read_templates(&inputs.templates_dir)?;
    if after.iter().zip(&templates).any(|((_, a), (_, b))| a.body != b.body) {
        return Err(DeployError::TemplatesChanged);
    }
    out.line(&format!("    {} templates passed; deploying exactly these bytes", templates.len()));

    check_artifacts(inputs, options)?;
    let release = Release {
        arch: inputs.manifest.artifacts.first().map(|a| a.arch).ok_or_else(|| DeployError::Manifest("no artifacts".into()))?,
        code_keys: inputs.manifest.artifacts.iter().map(|a| (a.function.clone(), upload::code_key(&a.function, &a.zip_sha256))).collect(),
    };

    out.step("preflight");
    let mut existing: BTreeMap<StackKind, StackInfo> = BTreeMap::new();
    for (kind, template) in &templates {
        let name = kind.stack_name(env);
        match aws.cfn(*kind, env, options.poll).describe(&name).await? {
            Some(info) if info.is_stuck() => return Err(DeployError::StackStuck { stack: name, status: info.status }),
            Some(info) if info.status == "ROLLBACK_COMPLETE" => return Err(DeployError::StackNeedsDeletion { stack: name }),
            Some(info) if info.status != "REVIEW_IN_PROGRESS" => {
                out.line(&format!("    {name}: {}", info.status));
                existing.insert(*kind, info);
            }
            _ => {
                let region = kind.region(env);
                let leftovers = preflight::leftovers(
                    aws.for_region(*kind, env),
                    &account,
                    &region,
                    &template.retained(env.stage.as_str(), &account, &region),
                )
                .await?;
                if !leftovers.is_empty() {
                    return Err(DeployError::LeftoverRetained {
                        stack: name.clone(),
                        advice: preflight::leftover_advice(&name, &region, &leftovers),
                    });
                }
                out.line(&format!("    {name}: new"));
            }
        }
    }
    let reserved = templates.iter().find(|(k, _)| *k == StackKind::Api).map(|(_, t)| t.reserved_concurrency()).unwrap_or_default();
    preflight::concurrency(&aws.home, env, reserved).await?;
    let lookups = Lookups { origin_verify_version: preflight::current_secret_version(&aws.home, &env.origin_verify_secret_arn).await? };

    let mut summary = Summary::default();
    out.step(&format!("artifacts to s3://{}", env.artifacts_bucket));
    let s3 = aws.s3();
    for artifact in &inputs.manifest.artifacts {
        let key = upload::code_key(&artifact.function, &artifact.zip_sha256);
        let bytes = inputs
            .zips
            .get(&artifact.function)
            .cloned()
            .ok_or_else(|| DeployError::Manifest(format!("no zip for {}", artifact.function)))?;
        let uploaded = match options.dry_run {
            true => s3.head_object().bucket(&env.artifacts_bucket).key(&key).send().await.is_err(),
            false => upload::put_if_absent(&s3, &env.artifacts_bucket, &key, bytes, "application/zip").await?,
        };
        let said = match (uploaded, options.dry_run) {
            (false, _) => "already there",
            (true, false) => "uploaded",
            (true, true) => "would upload",
        };
        out.line(&format!("    {key}: {said}"));
        if uploaded {
            summary.uploaded_artifacts.push(key);
        }
    }

    let mut outputs: Outputs = existing.iter().map(|(k, info)| (*k, info.outputs.clone())).collect();
    let mut new_in_plan: Vec<StackKind> = Vec::new();
    for (kind, template) in &templates {
        let name = kind.stack_name(env);
        out.step(&format!("stack {name} ({}, {})", kind.template_file(), kind.region(env)));
        if let Some(waiting) = kind.depends_on().iter().find(|d| new_in_plan.contains(d)) {
            out.line(&format!("    not planned: it reads {}, which this deploy would create first", waiting.name()));
            new_in_plan.push(*kind);
            summary.stacks.push((name, StackOutcome::Waiting { on: waiting.name() }));
            continue;
        }
        let params = parameters(*kind, env, &release, &lookups, &outputs)?;
        template.check_parameters(&params)?;
        let outcome =
            deploy_stack(aws.cfn(*kind, env, options.poll), &name, template, &params, existing.contains_key(kind), options, out).await?;
        match (&outcome, options.dry_run) {
            (StackOutcome::Planned { .. }, true) if !existing.contains_key(kind) => new_in_plan.push(*kind),
            _ => {
                let info = aws.cfn(*kind, env, options.poll).describe(&name).await?;
                outputs.insert(*kind, info.map(|i| i.outputs).unwrap_or_default());
            }
        }
        summary.stacks.push((name, outcome));
        if *kind == StackKind::Data && !options.dry_run {
            await_sending_identity(aws, env, options, out).await?;
        }
    }

    out.step("site");
    let edge = outputs.get(&StackKind::Edge).filter(|_| !new_in_plan.contains(&StackKind::Edge));
    let identity = outputs.get(&StackKind::Identity).filter(|_| !new_in_plan.contains(&StackKind::Identity));
    match (edge, identity) {
        (Some(edge), Some(identity)) => {
            let output = |map: &BTreeMap<String, String>, stack: &'static str, key: &str| {
                map.get(key).cloned().ok_or_else(|| DeployError::MissingOutput { stack, output: key.to_owned(), needed_by: "site" })
            };
            let config = SiteConfig {
                hotel: env.hotel_name.clone(),
                origin: env.origin(),
                issuer: output(identity, "identity", "Issuer")?,
                client_id: output(identity, "identity", "SiteClientId")?,
                hosted_ui: output(identity, "identity", "HostedUiBaseUrl")?,
                stripe_publishable_key: env.stripe_publishable_key.clone(),
            };
            let site = inputs.site.clone().with_config(&config.to_json());
            let bucket = output(edge, "edge", "SiteBucketName")?;
            let distribution = output(edge, "edge", "DistributionId")?;
            let cloudfront = aws_sdk_cloudfront::Client::new(&aws.global);
            let report = sitesync::sync(&s3, &cloudfront, &bucket, &distribution, &site, options.dry_run).await?;
            let verb = if options.dry_run { "would upload" } else { "uploaded" };
            out.line(&format!(
                "    s3://{bucket}: {verb} {}, {} unchanged, {} deleted; invalidated {:?}",
                report.uploaded.len(),
                report.unchanged,
                report.deleted.len(),
                report.invalidated
            ));
            summary.site = Some(report);
            summary.urls.push(("site".into(), edge.get("SiteUrl").cloned().unwrap_or_else(|| format!("{}/", env.origin()))));
            if let Some(domain) = edge.get("DistributionDomainName") {
                summary.urls.push(("cloudfront".into(), format!("https://{domain}/")));
            }
        }
        _ => out.line("    not synced: the edge and identity stacks do not exist yet"),
    }
    if let Some(api) = outputs.get(&StackKind::Api).and_then(|o| o.get("ApiOriginDomain")) {
        summary.urls.push(("api origin (only CloudFront may call it)".into(), format!("https://{api}/live/api/rooms")));
    }

    out.step(&format!("summary{}", if options.dry_run { " (dry run: nothing was changed)" } else { "" }));
    for (stack, outcome) in &summary.stacks {
        out.line(&format!("    {stack}: {outcome:?}"));
    }
    let artifacts = if options.dry_run { "artifacts to upload" } else { "artifacts uploaded" };
    out.line(&format!("    {artifacts}: {}", summary.uploaded_artifacts.len()));
    for (what, url) in &summary.urls {
        out.line(&format!("    {what}: {url}"));
    }
    Ok(summary)
}

/// Known first-deploy hazard: the identity stack's user pool mails through the SES domain identity the data stack
/// just created, and CloudFormation fails the pool until SES has seen the DKIM records. Polls `GetEmailIdentity`
/// until it says SUCCESS, or stops with what to do.
async fn await_sending_identity(aws: &Aws, env: &Environment, options: &Options, out: &mut Printer) -> Result<(), DeployError> {
    let started = std::time::Instant::now();
    let every = (options.poll * 10).max(Duration::from_millis(100));
    loop {
        let status = match preflight::sending_identity(&aws.home, &env.domain).await? {
            preflight::SendingIdentity::Verified => {
                out.line(&format!("    SES identity {}: verified", env.domain));
                return Ok(());
            }
            preflight::SendingIdentity::Unverified(status) => status,
            preflight::SendingIdentity::Missing => "not created".to_owned(),
        };
        if started.elapsed() >= options.identity_wait {
            return Err(DeployError::SendingIdentityUnverified {
                identity: env.domain.clone(),
                status,
                waited_minutes: started.elapsed().as_secs() / 60,
            });
        }
        out.line(&format!("    SES identity {}: {status}, waiting ({:.0?} so far)", env.domain, started.elapsed()));
        tokio::time::sleep(every).await;
    }
}

fn check_artifacts(inputs: &Inputs, options: &Options) -> Result<(), DeployError> {
    if options.allow_dirty {
        return Ok(());
    }
    if inputs.manifest.dirty {
        return Err(DeployError::DirtyArtifacts("built from a working tree with uncommitted changes".into()));
    }
    if let Some(head) = inputs.head.as_ref().filter(|h| **h != inputs.manifest.commit) {
        return Err(DeployError::DirtyArtifacts(format!(
            "built from {}, but HEAD is {head}: run `cargo xtask build`",
            inputs.manifest.commit
        )));
    }
    for artifact in &inputs.manifest.artifacts {
        let bytes = inputs.zips.get(&artifact.function).map(|z| sha256_hex(z));
        if bytes.as_deref() != Some(artifact.zip_sha256.as_str()) {
            return Err(DeployError::DirtyArtifacts(format!("{} differs from the manifest: run `cargo xtask build`", artifact.zip)));
        }
    }
    Ok(())
}

/// One stack's change set: create, print, check, then execute (or, in a dry run, delete).
#[allow(clippy::too_many_arguments)]
async fn deploy_stack(
    cfn: Cfn,
    name: &str,
    template: &Template,
    params: &[(String, String)],
    exists: bool,
    options: &Options,
    out: &mut Printer,
) -> Result<StackOutcome, DeployError> {
    let retained = template.retained_ids();
    let mut delays = options.iam_retry_delays.iter();
    loop {
        let create = !exists && cfn.describe(name).await?.is_none_or(|s| s.status == "REVIEW_IN_PROGRESS");
        let id = cfn.create_change_set(name, &template.body, params, create).await?;
        let rows = match cfn.wait_change_set(name, &id).await? {
            ChangeSetState::NoChanges => {
                cfn.delete_change_set(name, &id).await?;
                out.line("    no changes");
                return Ok(StackOutcome::NoChanges);
            }
            ChangeSetState::Failed(reason) => {
                discard(&cfn, name, &id, create, out).await?;
                return Err(DeployError::ChangeSetFailed { stack: name.to_owned(), reason });
            }
            ChangeSetState::Ready(rows) => rows,
        };
        out.line(&render(&rows, &retained, out.color));
        let replaced: Vec<String> = rows.iter().filter(|r| r.replaces_retained(&retained)).map(|r| r.logical_id.clone()).collect();
        if !replaced.is_empty() && !options.allow_replace {
            discard(&cfn, name, &id, create, out).await?;
            return Err(DeployError::RetainedReplacement { stack: name.to_owned(), resources: replaced });
        }
        if options.dry_run {
            discard(&cfn, name, &id, create, out).await?;
            return Ok(StackOutcome::Planned { changes: rows.len() });
        }
        let settled = cfn.execute(name, &id, out).await?;
        if settled.succeeded() {
            out.line(&format!("    {}", settled.status));
            return Ok(StackOutcome::Executed { changes: rows.len() });
        }
        match delays.next() {
            Some(delay) if is_iam_propagation(&settled.failures) => {
                out.error(&format!("{name}: {}; IAM has not propagated a new role yet, retrying in {delay:?}", settled.status));
                if settled.status == "ROLLBACK_COMPLETE" {
                    cfn.delete_stack(name, out).await?;
                }
                tokio::time::sleep(*delay).await;
            }
            _ => return Err(DeployError::StackFailed { stack: name.to_owned(), status: settled.status, events: settled.failures }),
        }
    }
}

/// Deletes an unexecuted change set, and the empty stack a CREATE change set made.
async fn discard(cfn: &Cfn, name: &str, id: &str, created: bool, out: &mut Printer) -> Result<(), DeployError> {
    cfn.delete_change_set(name, id).await?;
    if created {
        cfn.delete_stack(name, out).await?;
    }
    Ok(())
}
