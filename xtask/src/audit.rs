//! `cargo xtask audit`: the auditor's command. Parses the flags, builds the AWS clients (never the AWS CLI) and
//! hands everything to `infra-audit`, which does the work. Exit codes: 0 clean, 1 findings or failed health
//! checks at or above `--fail-on`, 2 a log integrity failure, 3 a usage or access error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudtrail::config::ProvideCredentials;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use clap::ValueEnum;
use infra_audit::AuditError;
use infra_audit::audit::{KeySource, Options, Parts, Progress, Source, run};
use infra_audit::catalogue::Catalogue;
use infra_audit::engine::{Filter, Window};
use infra_audit::keys::PublicKeys;
use infra_audit::lookup::Pacing;
use infra_audit::report::{ExitCode, Format};
use infra_audit::rules::{RuleSet, Severity};
use infra_audit::store::Store;

/// `LookupEvents` looks back one day unless told otherwise (it keeps 90).
const DEFAULT_LOOKUP_WINDOW: TimeDelta = TimeDelta::days(1);
/// The region of the global services' events (IAM, CloudFront, sign-in) and of the edge stack.
const EDGE_REGION: &str = "us-east-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Grouped by severity, newest first, for a terminal.
    Table,
    /// The stable schema (infra/audit/src/report.rs), for CI and SIEMs.
    Json,
    /// A report to attach to an audit ticket.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// Security-control changes found by the rules.
    Changes,
    /// The trail's configuration and delivery (DescribeTrails, GetTrailStatus, GetEventSelectors).
    Health,
    /// The digest chains and the log files they list.
    Integrity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl From<Level> for Severity {
    fn from(level: Level) -> Self {
        match level {
            Level::Critical => Severity::Critical,
            Level::High => Severity::High,
            Level::Medium => Severity::Medium,
            Level::Low => Severity::Low,
            Level::Info => Severity::Info,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Exit codes: 0 clean, 1 findings or failed health checks at or above --fail-on, 2 log integrity \
                        failure, 3 usage or access error.\n\nExamples:\n  cargo xtask audit --since 7d\n  cargo xtask \
                        audit --logs ./bucket-copy --public-keys ./bucket-copy/keys.json --format markdown\n  cargo \
                        xtask audit --logs s3://harbour-prod-audit-111122223333 --since 2026-11-01 --format json")]
pub struct Args {
    /// Read management events with CloudTrail LookupEvents (the default when no --logs is given and AWS
    /// credentials are configured). Last 90 days at most, 2 requests/s per region.
    #[arg(long, conflicts_with = "logs")]
    lookup: bool,
    /// Read delivered log files: DIR (a copy of the trail's bucket, containing AWSLogs/, with each digest's
    /// metadata in <digest>.metadata.json) or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://bucket/prefix")]
    logs: Option<String>,
    /// CloudTrail's public keys as `aws cloudtrail list-public-keys` prints them (repeat for several regions).
    /// Without it, log integrity asks ListPublicKeys.
    #[arg(long, value_name = "FILE")]
    public_keys: Vec<PathBuf>,
    /// An AWS-compatible endpoint for every AWS call (S3 and CloudTrail), e.g. moto.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Regions to ask LookupEvents (repeatable). Default: the configured region and us-east-1. The first is the
    /// trail's home region for the health checks.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// The environment whose resources (harbour-<env>-...) the findings are tied to.
    #[arg(long, default_value = "prod")]
    env: String,
    /// Start of the window: RFC 3339 time, a date (UTC midnight) or an age such as 30m, 24h, 7d. Default: the
    /// last 24 h with --lookup, everything with --logs.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// End of the window (exclusive), in the same forms. Default: now.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only findings about this event name (repeatable). With exactly one and --lookup, CloudTrail filters.
    #[arg(long = "event", value_name = "NAME")]
    events: Vec<String>,
    /// Only findings whose principal ARN, user name or role contains TEXT.
    #[arg(long, value_name = "TEXT")]
    principal: Option<String>,
    /// Only findings at or above this severity.
    #[arg(long, value_enum, value_name = "LEVEL")]
    severity: Option<Level>,
    /// Exit with 1 when a finding or a failed health check is at or above this severity.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = Level::High)]
    fail_on: Level,
    /// Report format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Which parts to run, comma-separated. Default: changes,health with --lookup; changes,integrity with
    /// --logs DIR; all three with --logs s3://.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PART,...")]
    checks: Vec<Part>,
    /// Audit with another rules file (the schema of infra/audit/rules/security-controls.yaml).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long)]
    quiet: bool,
}

impl Args {
    /// Paths as the auditor typed them, relative to where they ran `cargo xtask` (xtask works from the root).
    pub fn relative_to(mut self: Box<Self>, dir: &Path) -> Box<Self> {
        if let Some(logs) = self.logs.as_mut().filter(|l| !l.starts_with("s3://")) {
            *logs = dir.join(&*logs).display().to_string();
        }
        for path in self.public_keys.iter_mut().chain(self.rules.as_mut()) {
            *path = dir.join(&*path);
        }
        self
    }
}

/// Runs the audit and returns the process exit code; the report goes to stdout, everything else to stderr.
pub fn audit(root: &Path, args: Box<Args>) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("audit: cannot start the async runtime: {e}");
            return ExitCode::Error as i32;
        }
    };
    match runtime.block_on(audit_async(root, args)) {
        Ok(code) => code as i32,
        Err(error) => {
            eprintln!("audit: {error}");
            ExitCode::Error as i32
        }
    }
}

fn now() -> DateTime<Utc> {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    DateTime::from_timestamp(i64::try_from(seconds).unwrap_or(0), 0).unwrap_or_default()
}

/// `2026-11-20T08:00:00Z`, `2026-11-20`, or an age before `now`: `30m`, `24h`, `7d`.
fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AuditError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let amount: i64 = number.parse().map_err(|_| bad_time(text))?;
    let age = match unit {
        "m" => TimeDelta::try_minutes(amount),
        "h" => TimeDelta::try_hours(amount),
        "d" => TimeDelta::try_days(amount),
        _ => None,
    };
    age.map(|age| now - age).ok_or_else(|| bad_time(text))
}

fn bad_time(text: &str) -> AuditError {
    AuditError::Usage(format!("`{text}` is not a time: write 2026-11-20T08:00:00Z, 2026-11-20, or an age like 30m, 24h, 7d"))
}

async fn audit_async(root: &Path, args: Box<Args>) -> Result<ExitCode, AuditError> {
    let now = now();
    let catalogue = Catalogue::load(root, &args.env)?;
    let rules = match &args.rules {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| AuditError::Io { path: path.clone(), source })?;
            RuleSet::parse(&text, &catalogue)?
        }
        None => RuleSet::built_in(&catalogue)?,
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = args.regions.first() {
        loader = loader.region(Region::new(region.clone()));
    }
    let sdk = loader.load().await;
    let mut regions: Vec<String> = args.regions.clone();
    if regions.is_empty() {
        regions.extend(sdk.region().map(|r| r.to_string()));
        if !regions.iter().any(|r| r == EDGE_REGION) {
            regions.push(EDGE_REGION.to_owned());
        }
    }
    let cloudtrail_for = |region: &str| {
        let config = aws_sdk_cloudtrail::config::Builder::from(&sdk).region(Region::new(region.to_owned())).build();
        aws_sdk_cloudtrail::Client::from_conf(config)
    };

    let logs = args.logs.as_deref();
    let lookup = args.lookup || logs.is_none();
    let parts = if args.checks.is_empty() {
        match logs {
            None => Parts { changes: true, health: true, integrity: false },
            Some(l) if l.starts_with("s3://") => Parts { changes: true, health: true, integrity: true },
            Some(_) => Parts { changes: true, health: false, integrity: true },
        }
    } else {
        Parts {
            changes: args.checks.contains(&Part::Changes),
            health: args.checks.contains(&Part::Health),
            integrity: args.checks.contains(&Part::Integrity),
        }
    };
    // Credentials are looked up only when an AWS call is coming: a directory audit with --public-keys is offline.
    let needs_api =
        lookup || parts.health || logs.is_some_and(|l| l.starts_with("s3://")) || (parts.integrity && args.public_keys.is_empty());
    let has_credentials = needs_api
        && match sdk.credentials_provider() {
            Some(provider) => provider.provide_credentials().await.is_ok(),
            None => false,
        };
    if lookup && !has_credentials {
        return Err(AuditError::Usage(
            "nothing to audit: give --logs DIR (or s3://bucket/prefix), or configure AWS credentials for LookupEvents".into(),
        ));
    }
    let since = args.since.as_deref().map(|t| parse_time(t, now)).transpose()?;
    let until = args.until.as_deref().map(|t| parse_time(t, now)).transpose()?;
    let since = if lookup { since.or(Some(now - DEFAULT_LOOKUP_WINDOW)) } else { since };
    let options = Options {
        parts,
        window: Window { since, until },
        filter: Filter { events: args.events.clone(), principal: args.principal.clone(), min_severity: args.severity.map(Into::into) },
        now,
    };

    let source = match logs {
        None => Source::Lookup { regions: regions.iter().map(|r| (r.clone(), cloudtrail_for(r))).collect(), pacing: Pacing::default() },
        Some(url) if url.starts_with("s3://") => {
            let mut s3 = aws_sdk_s3::config::Builder::from(&sdk);
            if args.endpoint_url.is_some() {
                s3 = s3.force_path_style(true);
            }
            Source::Logs(Store::s3(aws_sdk_s3::Client::from_conf(s3.build()), url)?)
        }
        Some(dir) => {
            if !Path::new(dir).is_dir() {
                return Err(AuditError::Usage(format!("--logs {dir}: no such directory")));
            }
            Source::Logs(Store::dir(dir))
        }
    };
    let keys = if args.public_keys.is_empty() {
        has_credentials.then_some(KeySource::Api(&cloudtrail_for))
    } else {
        let mut keys = PublicKeys::default();
        for path in &args.public_keys {
            keys.add_file(path)?;
        }
        Some(KeySource::Loaded(keys))
    };
    let home = regions.first().cloned().unwrap_or_else(|| EDGE_REGION.to_owned());
    let health_client = cloudtrail_for(&home);
    let health = (parts.health && has_credentials).then_some((home.as_str(), &health_client));

    let mut progress = ProgressLine::new(args.quiet);
    let report = run(&catalogue, &rules, source, keys, health, &options, &mut |p| progress.show(p)).await?;
    progress.done();
    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Markdown => Format::Markdown,
    };
    let fail_on = Severity::from(args.fail_on);
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not the audit's failure; the exit code still tells the result.
    let _ = stdout.write_all(report.render(format, fail_on).as_bytes());
    let _ = stdout.flush();
    Ok(report.exit_code(fail_on))
}

/// A progress line on stderr at most every two seconds, so that long runs show they are alive.
struct ProgressLine {
    quiet: bool,
    started: Instant,
    last: Option<Instant>,
}

impl ProgressLine {
    fn new(quiet: bool) -> Self {
        ProgressLine { quiet, started: Instant::now(), last: None }
    }

    fn show(&mut self, progress: Progress) {
        if self.quiet || self.last.is_some_and(|l| l.elapsed() < Duration::from_secs(2)) && !matches!(progress, Progress::Health { .. }) {
            return;
        }
        self.last = Some(Instant::now());
        let line = match progress {
            Progress::LookupPage { region, pages, events } => format!("LookupEvents {region}: {events} events in {pages} pages"),
            Progress::Listed { objects } => format!("{objects} objects listed"),
            Progress::Digests { done, total } => format!("digests {done}/{total}"),
            Progress::LogFiles { done, total, records } => format!("log files {done}/{total}, {records} records"),
            Progress::Health { trail } => format!("trail health of {trail}"),
        };
        eprintln!("audit [{:>4.0?}] {line}", self.started.elapsed());
    }

    fn done(&self) {
        if !self.quiet && self.last.is_some() {
            eprintln!("audit [{:>4.0?}] done", self.started.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// `--help` explains every flag, and the README's "For auditors" section names each of them.
    #[test]
    fn every_flag_is_documented() {
        let command = crate::Cli::command();
        let audit = command.find_subcommand("audit").cloned().unwrap_or_default();
        let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap_or_default();
        let section = readme.split("\n## For auditors").nth(1).unwrap_or_default().split("\n## ").next().unwrap_or_default();
        let mut flags = 0;
        for arg in audit.get_arguments().filter(|a| a.get_id() != "help") {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            assert!(help.trim().len() > 10, "--{} has no help", arg.get_id());
            let long = format!("--{}", arg.get_long().unwrap_or_default());
            assert!(section.contains(&long), "README's For auditors section does not mention {long}");
            flags += 1;
        }
        assert!(flags >= 16, "the loop saw the audit flags: {flags}");
    }

    #[test]
    fn times_are_instants_dates_or_ages() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T15:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        let check = |text: &str, expected: &str| {
            assert_eq!(parse_time(text, now).map(|t| t.to_rfc3339()).ok().as_deref(), Some(expected), "{text}");
        };
        check("2026-11-20T08:00:00Z", "2026-11-20T08:00:00+00:00");
        check("2026-11-20T10:00:00+02:00", "2026-11-20T08:00:00+00:00");
        check("2026-11-19", "2026-11-19T00:00:00+00:00");
        check("30m", "2026-11-20T14:30:00+00:00");
        check("24h", "2026-11-19T15:00:00+00:00");
        check("7d", "2026-11-13T15:00:00+00:00");
        for bad in ["", "yesterday", "7w", "h", "2026-13-01"] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
    }
}
