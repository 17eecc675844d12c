//! The stacks of one environment, in deploy order, and where each parameter comes from: the environment file,
//! the release (zip keys, architecture), a secret's current version, or an earlier stack's outputs. Exports do not
//! cross regions, so us-east-1 outputs travel as parameters.

use std::collections::BTreeMap;

use crate::DeployError;
use crate::env::{Environment, GLOBAL_REGION};
use crate::lambda::Arch;

/// The templates of `infra/cloudformation`, in the order they deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StackKind {
    EdgeGlobal,
    Data,
    Identity,
    Api,
    Edge,
    EdgeLogs,
    Monitoring,
}

impl StackKind {
    pub const ORDER: [StackKind; 7] = [
        StackKind::EdgeGlobal,
        StackKind::Data,
        StackKind::Identity,
        StackKind::Api,
        StackKind::Edge,
        StackKind::EdgeLogs,
        StackKind::Monitoring,
    ];

    /// The template file and the stack name's suffix.
    pub fn name(self) -> &'static str {
        match self {
            StackKind::EdgeGlobal => "edge-global",
            StackKind::Data => "data",
            StackKind::Identity => "identity",
            StackKind::Api => "api",
            StackKind::Edge => "edge",
            StackKind::EdgeLogs => "edge-logs",
            StackKind::Monitoring => "monitoring",
        }
    }

    pub fn template_file(self) -> String {
        format!("{}.yaml", self.name())
    }

    pub fn stack_name(self, env: &Environment) -> String {
        format!("harbour-{}-{}", env.stage.as_str(), self.name())
    }

    pub fn region(self, env: &Environment) -> String {
        match self {
            StackKind::EdgeGlobal | StackKind::EdgeLogs => GLOBAL_REGION.to_owned(),
            _ => env.home_region.clone(),
        }
    }

    /// Stacks whose outputs or exports this one reads.
    pub fn depends_on(self) -> &'static [StackKind] {
        match self {
            StackKind::EdgeGlobal | StackKind::Data => &[],
            // Cognito mails through the SES identity the data stack creates (`Fn::ImportValue`).
            StackKind::Identity => &[StackKind::Data],
            StackKind::Api => &[StackKind::Data, StackKind::Identity],
            StackKind::Edge => &[StackKind::EdgeGlobal, StackKind::Api],
            StackKind::EdgeLogs => &[StackKind::Edge],
            StackKind::Monitoring => &[StackKind::Data, StackKind::Api, StackKind::Edge],
        }
    }
}

/// What a release brings to the api stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub arch: Arch,
    /// Function -> object key of its zip in the artifacts bucket.
    pub code_keys: BTreeMap<String, String>,
}

/// Values looked up at deploy time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lookups {
    /// The origin-verify secret's `AWSCURRENT` version: a new one after a rotation makes CloudFormation read it again.
    pub origin_verify_version: String,
}

/// Outputs of the stacks deployed so far.
pub type Outputs = BTreeMap<StackKind, BTreeMap<String, String>>;

/// The parameters of `kind`, as (key, value), from everything known at its turn.
pub fn parameters(
    kind: StackKind,
    env: &Environment,
    release: &Release,
    lookups: &Lookups,
    outputs: &Outputs,
) -> Result<Vec<(String, String)>, DeployError> {
    let output = |stack: StackKind, key: &str| -> Result<String, DeployError> {
        outputs.get(&stack).and_then(|o| o.get(key)).cloned().ok_or_else(|| DeployError::MissingOutput {
            stack: stack.name(),
            output: key.to_owned(),
            needed_by: kind.name(),
        })
    };
    let stage = env.stage.as_str().to_owned();
    let mut params: Vec<(&str, String)> = vec![("Environment", stage.clone())];
    match kind {
        StackKind::EdgeGlobal => {
            params.push(("DomainName", env.domain.clone()));
            params.push(("HostedZoneId", env.hosted_zone_id.clone()));
        }
        // The guest mail identity (SES), its DKIM, MAIL FROM and DMARC records live in the hosted zone.
        StackKind::Data => {
            params.push(("DomainName", env.domain.clone()));
            params.push(("HostedZoneId", env.hosted_zone_id.clone()));
        }
        StackKind::Identity => {
            params.push(("AuthDomainPrefix", env.auth_domain_prefix.clone()));
            params.push(("CallbackUrls", format!("{}/callback.html", env.origin())));
            params.push(("LogoutUrls", format!("{}/", env.origin())));
            params.push(("MfaMode", env.flags.mfa.clone()));
        }
        StackKind::Api => {
            params.push(("ArtifactsBucket", env.artifacts_bucket.clone()));
            params.push(("LambdaArchitecture", release.arch.lambda_name().to_owned()));
            for (function, parameter) in [
                ("payment", "PaymentCodeKey"),
                ("record", "RecordCodeKey"),
                ("query", "QueryCodeKey"),
                ("notify", "NotifyCodeKey"),
                ("sweeper", "SweeperCodeKey"),
            ] {
                let key =
                    release.code_keys.get(function).cloned().ok_or_else(|| DeployError::Manifest(format!("no artifact for {function}")))?;
                params.push((parameter, key));
            }
            params.push(("StripeSecretArn", env.stripe_secret_arn.clone()));
            params.push(("OriginVerifySecretArn", env.origin_verify_secret_arn.clone()));
            params.push(("OriginVerifySecretVersion", lookups.origin_verify_version.clone()));
            params.push(("ReservedConcurrency", env.flags.reserved_concurrency.to_string()));
        }
        StackKind::Edge => {
            params.push(("DomainName", env.domain.clone()));
            params.push(("HostedZoneId", env.hosted_zone_id.clone()));
            params.push(("CertificateArn", output(StackKind::EdgeGlobal, "CertificateArn")?));
            params.push(("WebAclArn", output(StackKind::EdgeGlobal, "WebAclArn")?));
            params.push(("PriceClass", env.flags.price_class.clone()));
            params.push(("EnableShieldAdvanced", env.flags.shield_advanced.to_string()));
            // The api stack writes this SSM parameter; the edge stack resolves it at its own deploy.
            params.push(("ApiOriginDomain", format!("/harbour/{stage}/api/origin-domain")));
            params.push(("OriginVerifySecretArn", env.origin_verify_secret_arn.clone()));
            params.push(("OriginVerifySecretVersion", lookups.origin_verify_version.clone()));
        }
        StackKind::EdgeLogs => {
            params.push(("DistributionArn", output(StackKind::Edge, "DistributionArn")?));
            params.push(("AccessLogBucketArn", output(StackKind::Edge, "AccessLogBucketArn")?));
        }
        StackKind::Monitoring => {
            params.push(("AlertEmail", env.alert_email.clone()));
            params.push(("ArtifactsBucket", env.artifacts_bucket.clone()));
        }
    }
    Ok(params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
