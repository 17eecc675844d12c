//! Environments: `infra/env/<name>.toml`, versioned with the code. Each says where an environment lives (account,
//! home region), what it is called on the internet (domain, hosted zone, sign-in prefix), who hears about alarms,
//! where the release artifacts go, which secrets (by ARN, never their values) the stacks read, and its flags. A
//! deploy refuses credentials of another account and a region other than the file's.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::DeployError;

/// One environment, validated.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The file's stem (`prod` for `infra/env/prod.toml`); not in the file.
    #[serde(skip)]
    pub name: String,
    /// The templates' `Environment` parameter (`prod`, `staging` or `dev`): stack names and resource names.
    pub stage: Stage,
    /// The 12-digit AWS account.
    pub account: String,
    /// Where every stack but the us-east-1 ones lives.
    pub home_region: String,
    /// Apex domain of the site (www is served too).
    pub domain: String,
    pub hosted_zone_id: String,
    /// Cognito hosted UI prefix (`<prefix>.auth.<region>.amazoncognito.com`).
    pub auth_domain_prefix: String,
    pub alert_email: String,
    /// Bucket for Lambda zips, created once per account (see README, "Deploying").
    pub artifacts_bucket: String,
    /// Secrets Manager secret with the Stripe keys (`secret_key`, `webhook_secret`).
    pub stripe_secret_arn: String,
    /// Secrets Manager secret with the origin-verify values (`current`, `previous`).
    pub origin_verify_secret_arn: String,
    /// Stripe's publishable key for the site's `config.json` (public by design).
    pub stripe_publishable_key: String,
    /// The name the site shows.
    pub hotel_name: String,
    #[serde(default)]
    pub flags: Flags,
}

/// The templates' `Environment` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Prod,
    Staging,
    Dev,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Prod => "prod",
            Stage::Staging => "staging",
            Stage::Dev => "dev",
        }
    }
}

/// Switches that differ between environments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Flags {
    /// Reserve concurrency per function (needs an account concurrency limit of at least 166; checked first).
    pub reserved_concurrency: bool,
    pub shield_advanced: bool,
    /// `OPTIONAL` or `ON`.
    pub mfa: String,
    /// `PriceClass_100`, `PriceClass_200` or `PriceClass_All`.
    pub price_class: String,
}

impl Default for Flags {
    fn default() -> Self {
        Flags { reserved_concurrency: false, shield_advanced: false, mfa: "OPTIONAL".into(), price_class: "PriceClass_100".into() }
    }
}

/// The us-east-1 region, where CloudFront's certificate, web ACL and log delivery live.
pub const GLOBAL_REGION: &str = "us-east-1";

pub fn dir(root: &Path) -> PathBuf {
    root.join("infra").join("env")
}

/// Loads and validates `infra/env/<name>.toml`.
pub fn load(root: &Path, name: &str) -> Result<Environment, DeployError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(DeployError::Environment { name: name.to_owned(), problem: "names are letters, digits and '-'".into() });
    }
    let path = dir(root).join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).map_err(|_| DeployError::Environment {
        name: name.to_owned(),
        problem: format!("{} does not exist (environments: {})", path.display(), names(root).join(", ")),
    })?;
    parse(name, &text)
}

pub fn parse(name: &str, text: &str) -> Result<Environment, DeployError> {
    let problem = |problem: String| DeployError::Environment { name: name.to_owned(), problem };
    let mut env: Environment = toml::from_str(text).map_err(|e| problem(e.to_string()))?;
    env.name = name.to_owned();
    let field_problem = env.problems().into_iter().next();
    match field_problem {
        Some(p) => Err(problem(p)),
        None => Ok(env),
    }
}

/// The environment files there are.
pub fn names(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir(root))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.path().file_name()?.to_str()?.strip_suffix(".toml").map(str::to_owned))
        .collect();
    names.sort();
    names
}

impl Environment {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, field: &str, want: &str| {
            if !ok {
                problems.push(format!("{field} must be {want}"));
            }
        };
        check(self.account.len() == 12 && self.account.chars().all(|c| c.is_ascii_digit()), "account", "12 digits");
        check(is_region(&self.home_region), "home_region", "a region like eu-west-1");
        check(self.domain.contains('.') && !self.domain.contains(['/', ':', ' ']), "domain", "a domain name like hotel.example");
        check(self.hosted_zone_id.starts_with('Z') && self.hosted_zone_id.len() > 4, "hosted_zone_id", "a Route 53 zone id (Z...)");
        check(!self.auth_domain_prefix.is_empty(), "auth_domain_prefix", "set");
        check(self.alert_email.contains('@'), "alert_email", "an email address");
        check(self.artifacts_bucket.len() >= 3, "artifacts_bucket", "a bucket name");
        for (field, arn) in [("stripe_secret_arn", &self.stripe_secret_arn), ("origin_verify_secret_arn", &self.origin_verify_secret_arn)] {
            check(
                arn.starts_with("arn:aws") && arn.contains(":secretsmanager:") && arn.contains(&self.account),
                field,
                "a secret ARN in the account",
            );
        }
        check(self.stripe_publishable_key.starts_with("pk_"), "stripe_publishable_key", "a publishable key (pk_...), never a secret key");
        check(matches!(self.flags.mfa.as_str(), "OPTIONAL" | "ON"), "flags.mfa", "OPTIONAL or ON");
        check(
            matches!(self.flags.price_class.as_str(), "PriceClass_100" | "PriceClass_200" | "PriceClass_All"),
            "flags.price_class",
            "a price class",
        );
        problems
    }

    /// `https://<domain>`.
    pub fn origin(&self) -> String {
        format!("https://{}", self.domain)
    }
}

fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
stage = "prod"
account = "111122223333"
home_region = "eu-west-1"
domain = "hotel.example"
hosted_zone_id = "Z0123456789"
auth_domain_prefix = "hotel-prod"
alert_email = "ops@hotel.example"
artifacts_bucket = "hotel-artifacts"
stripe_secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:harbour/prod/stripe-AbCdEf"
origin_verify_secret_arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:harbour/prod/origin-verify-AbCdEf"
stripe_publishable_key = "pk_live_123"
hotel_name = "Harbour View Hotel"
"#;

    #[test]
    fn parses_and_defaults_flags() {
        let env = parse("prod", GOOD).unwrap();
        assert_eq!(env.stage, Stage::Prod);
        assert_eq!(env.name, "prod");
        assert!(!env.flags.reserved_concurrency);
        assert_eq!(env.origin(), "https://hotel.example");
    }

    #[test]
    fn names_the_bad_field() {
        let check = |from: &str, to: &str, field: &str| {
            let err = parse("prod", &GOOD.replace(from, to)).unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        };
        check("111122223333\"", "1234\"", "account");
        check("pk_live_123", "sk_live_123", "stripe_publishable_key");
        check("eu-west-1\"\ndomain", "europe\"\ndomain", "home_region");
        check("hotel_name", "hotel_nmae", "hotel_nmae");
    }
}
