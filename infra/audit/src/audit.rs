//! One audit run: the parts the auditor asked for, over the source they gave, into one [`Report`].

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};

use crate::AuditError;
use crate::catalogue::Catalogue;
use crate::engine::{Engine, Filter, Window};
use crate::health::trail_health;
use crate::integrity::{Expectations, verify_digests};
use crate::keys::PublicKeys;
use crate::layout::{ObjectKind, classify};
use crate::logs::scan;
use crate::lookup::{Pacing, lookup_events};
use crate::report::{Report, SCHEMA_VERSION, SourceSummary, sort_findings};
use crate::rules::RuleSet;
use crate::store::Store;

/// How far back `LookupEvents` reaches.
pub const LOOKUP_RETENTION: TimeDelta = TimeDelta::days(90);

/// Which of the three questions to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub changes: bool,
    pub health: bool,
    pub integrity: bool,
}

/// Where the records come from.
#[derive(Debug)]
pub enum Source {
    /// `LookupEvents` in each region.
    Lookup { regions: Vec<(String, aws_sdk_cloudtrail::Client)>, pacing: Pacing },
    /// Delivered log files.
    Logs(Store),
}

/// Where the public keys for the digests come from.
pub enum KeySource<'a> {
    Loaded(PublicKeys),
    /// `ListPublicKeys` through a client for the given region.
    Api(&'a dyn Fn(&str) -> aws_sdk_cloudtrail::Client),
}

impl std::fmt::Debug for KeySource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Loaded(keys) => write!(f, "KeySource::Loaded({} keys)", keys.len()),
            KeySource::Api(_) => f.write_str("KeySource::Api"),
        }
    }
}

#[derive(Debug)]
pub struct Options {
    pub parts: Parts,
    pub window: Window,
    pub filter: Filter,
    pub now: DateTime<Utc>,
}

/// What a long run is doing, for a progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    LookupPage { region: String, pages: u64, events: u64 },
    Listed { objects: u64 },
    Digests { done: u64, total: u64 },
    LogFiles { done: u64, total: u64, records: u64 },
    Health { trail: String },
}

/// Runs the audit. `health` is the trail's home-region client when trail health is wanted.
pub async fn run(
    catalogue: &Catalogue,
    rules: &RuleSet,
    source: Source,
    keys: Option<KeySource<'_>>,
    health: Option<(&str, &aws_sdk_cloudtrail::Client)>,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, AuditError> {
    let mut engine = Engine::new(rules, catalogue, options.window, options.filter.clone());
    let mut sources = Vec::new();
    let mut integrity = None;
    match source {
        Source::Lookup { regions, pacing } => {
            if options.parts.integrity {
                return Err(AuditError::Usage(
                    "log integrity needs the delivered files: give --logs DIR or --logs s3://bucket/prefix".into(),
                ));
            }
            if options.parts.changes {
                let since = options.window.since.unwrap_or(options.now - LOOKUP_RETENTION);
                let until = options.window.until.unwrap_or(options.now);
                let event = match options.filter.events.as_slice() {
                    [one] => Some(one.as_str()),
                    _ => None,
                };
                for (region, client) in &regions {
                    let mut page =
                        |region: &str, pages, events| progress(Progress::LookupPage { region: region.to_owned(), pages, events });
                    let stats = lookup_events(client, region, since, until, event, pacing, &mut engine, &mut page).await?;
                    sources.push(SourceSummary::Lookup(stats));
                }
            }
        }
        Source::Logs(store) => {
            if options.parts.integrity && keys.is_none() {
                return Err(AuditError::Usage(
                    "log integrity needs CloudTrail's public keys: give --public-keys FILE (the output of `aws \
                     cloudtrail list-public-keys`) or AWS credentials"
                        .into(),
                ));
            }
            let listing = store.list().await?;
            progress(Progress::Listed { objects: listing.len() as u64 });
            let mut expectations: Option<Expectations> = None;
            if options.parts.integrity {
                let public_keys = match keys {
                    Some(KeySource::Loaded(keys)) => keys,
                    Some(KeySource::Api(client_for)) => keys_from_api(client_for, &listing, options).await?,
                    None => PublicKeys::default(),
                };
                let mut tick = |done, total| progress(Progress::Digests { done, total });
                expectations = Some(verify_digests(&store, &listing, &public_keys, options.window, &mut tick).await?);
            }
            let margin = TimeDelta::hours(1);
            let listed: BTreeSet<&str> = expectations.iter().flat_map(|e| e.listed_log_files()).collect();
            // The listing is moved into the scan list: a year of keys is held once.
            let files: Vec<_> = listing
                .into_iter()
                .filter_map(|key| match classify(&key) {
                    ObjectKind::LogFile(log) => {
                        let near = options.window.since.is_none_or(|s| log.time >= s - margin)
                            && options.window.until.is_none_or(|u| log.time < u + margin);
                        (near || listed.contains(key.as_str())).then_some((key, log))
                    }
                    _ => None,
                })
                .collect();
            drop(listed);
            let changes = options.parts.changes.then_some(&mut engine);
            let mut tick = |done, total, records| progress(Progress::LogFiles { done, total, records });
            let stats = scan(&store, &files, changes, expectations.as_mut(), &mut tick).await?;
            sources.push(SourceSummary::Logs { location: store.describe(), scan: stats });
            integrity = expectations.map(Expectations::finish);
        }
    }
    let health = match (options.parts.health, health, catalogue.trail()) {
        (true, Some((region, client)), Some(spec)) => {
            progress(Progress::Health { trail: spec.name.clone() });
            Some(trail_health(client, region, spec, options.now).await?)
        }
        (true, None, _) => {
            return Err(AuditError::Usage("trail health needs AWS credentials and a region (or leave out `health`)".into()));
        }
        _ => None,
    };
    let (mut findings, _) = engine.finish();
    sort_findings(&mut findings);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        generated_at: options.now,
        environment: catalogue.env().as_str().to_owned(),
        rules_version: rules.version(),
        window: options.window,
        sources,
        findings,
        health,
        integrity,
    })
}

/// The keys of every region that delivered digests, for the window the digests span.
async fn keys_from_api(
    client_for: &dyn Fn(&str) -> aws_sdk_cloudtrail::Client,
    listing: &[String],
    options: &Options,
) -> Result<PublicKeys, AuditError> {
    let mut regions = BTreeSet::new();
    let mut oldest: Option<DateTime<Utc>> = None;
    for key in listing {
        if let ObjectKind::Digest(d) = classify(key) {
            regions.insert(d.chain.region);
            oldest = Some(oldest.map_or(d.end, |o| o.min(d.end)));
        }
    }
    let since = options.window.since.or(oldest).unwrap_or(options.now) - TimeDelta::hours(1);
    let until = options.window.until.unwrap_or(options.now);
    let mut keys = PublicKeys::default();
    for region in regions {
        keys.add_from_api(&client_for(&region), &region, since, until).await?;
    }
    Ok(keys)
}
