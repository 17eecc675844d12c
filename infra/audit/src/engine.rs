//! Applies the rules to records, one record at a time, and keeps only what becomes a finding: a record that
//! matches no rule leaves nothing behind. Bursts (`aggregate` rules) keep the times of the matching calls per
//! principal and are found when the stream ends, because log files of different regions interleave in time.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::catalogue::Catalogue;
use crate::records::{Principal, Record};
use crate::rules::{Condition, FieldPath, Rule, RuleSet, Severity, Test};

/// The time range an audit looks at. `since` is inclusive, `until` exclusive; either may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        self.since.is_none_or(|s| time >= s) && self.until.is_none_or(|u| time < u)
    }
}

/// Which findings the auditor wants to see.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Event names (exact); empty means all.
    pub events: Vec<String>,
    /// A substring of the principal's ARN, user name or session issuer.
    pub principal: Option<String>,
    pub min_severity: Option<Severity>,
}

impl Filter {
    fn admits(&self, finding: &Finding) -> bool {
        let event = self.events.is_empty() || finding.event_names.iter().any(|e| self.events.contains(e));
        let principal = self.principal.as_deref().is_none_or(|wanted| {
            let p = &finding.principal;
            [p.arn.as_deref(), p.user_name.as_deref(), p.session_issuer.as_deref()].into_iter().flatten().any(|v| v.contains(wanted))
        });
        let severity = self.min_severity.is_none_or(|min| finding.severity >= min);
        event && principal && severity
    }
}

/// One security-relevant change or event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    /// When the call was made (for a burst: its first call).
    pub time: DateTime<Utc>,
    /// For a burst: its last call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// For a burst: how many calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    pub event_source: String,
    /// The event name (for a burst, each distinct one, at most five).
    pub event_names: Vec<String>,
    pub region: String,
    pub principal: Principal,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The affected resource as the record names it.
    pub resource: Option<String>,
    /// The template resource it is (`edge/SiteBucket`), when the name matches one.
    pub component: Option<String>,
    /// `requestParameters`: the values the call set.
    pub changes: Option<Value>,
    pub error_code: Option<String>,
    pub event_id: Option<String>,
}

/// Counts of what the engine saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub records: u64,
    pub in_window: u64,
    /// Records without a valid `eventTime` (not evaluated).
    pub undated: u64,
}

struct Burst {
    principal: Principal,
    region: String,
    event_source: String,
    events: BTreeSet<String>,
    times: Vec<DateTime<Utc>>,
}

pub struct Engine<'r> {
    rules: &'r RuleSet,
    catalogue: &'r Catalogue,
    window: Window,
    filter: Filter,
    findings: Vec<Finding>,
    bursts: HashMap<(usize, String), Burst>,
    candidates: Vec<usize>,
    stats: Stats,
}

impl std::fmt::Debug for Engine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("stats", &self.stats).field("findings", &self.findings.len()).finish()
    }
}

impl<'r> Engine<'r> {
    pub fn new(rules: &'r RuleSet, catalogue: &'r Catalogue, window: Window, filter: Filter) -> Self {
        Engine {
            rules,
            catalogue,
            window,
            filter,
            findings: Vec::new(),
            bursts: HashMap::new(),
            candidates: Vec::new(),
            stats: Stats::default(),
        }
    }

    pub fn observe(&mut self, record: &Record<'_>) {
        self.stats.records += 1;
        let Some(time) = record.time() else {
            self.stats.undated += 1;
            return;
        };
        if !self.window.contains(time) {
            return;
        }
        self.stats.in_window += 1;
        let mut candidates = std::mem::take(&mut self.candidates);
        self.rules.candidates(&record.event_source, &record.event_name, &mut candidates);
        if !candidates.is_empty() {
            let view = View::new(record);
            for &index in &candidates {
                let rule = self.rules.rule(index);
                if rule.when.iter().all(|c| view.holds(c, self.catalogue)) && !rule.unless.iter().any(|c| view.holds(c, self.catalogue)) {
                    self.matched(index, rule, &view, time);
                }
            }
        }
        self.candidates = candidates;
    }

    fn matched(&mut self, index: usize, rule: &Rule, view: &View<'_, '_>, time: DateTime<Utc>) {
        let record = view.record;
        if rule.aggregate.is_some() {
            let burst = self.bursts.entry((index, record.principal_key())).or_insert_with(|| Burst {
                principal: record.principal(),
                region: record.aws_region.to_string(),
                event_source: record.event_source.to_string(),
                events: BTreeSet::new(),
                times: Vec::new(),
            });
            if burst.events.len() < 5 {
                burst.events.insert(record.event_name.to_string());
            }
            burst.times.push(time);
            return;
        }
        let names: Vec<String> =
            rule.resource.iter().flat_map(|spec| spec.paths.iter().filter_map(|p| view.lookup(p)).map(|v| v.text())).collect();
        let resource = names.first().cloned();
        let component = names.iter().find_map(|n| self.catalogue.named_by(n, &record.event_source)).map(|c| c.reference.clone());
        let finding = Finding {
            rule: rule.id.clone(),
            severity: rule.severity,
            title: rule.title.clone(),
            why: rule.why.clone(),
            time,
            until: None,
            count: None,
            event_source: record.event_source.to_string(),
            event_names: vec![record.event_name.to_string()],
            region: record.aws_region.to_string(),
            principal: record.principal(),
            source_ip: record.source_ip_address.as_deref().map(str::to_owned),
            user_agent: record.user_agent.as_deref().map(str::to_owned),
            resource,
            component,
            changes: view.request().cloned(),
            error_code: record.error_code.as_deref().map(str::to_owned),
            event_id: record.event_id.as_deref().map(str::to_owned),
        };
        if self.filter.admits(&finding) {
            self.findings.push(finding);
        }
    }

    /// The findings, bursts included, in no particular order, and what was seen.
    pub fn finish(mut self) -> (Vec<Finding>, Stats) {
        let mut bursts: Vec<_> = self.bursts.into_iter().collect();
        bursts.sort_by(|a, b| a.0.cmp(&b.0));
        for ((index, _), mut burst) in bursts {
            let rule = self.rules.rule(index);
            let Some(aggregate) = rule.aggregate else { continue };
            burst.times.sort_unstable();
            for (first, last, count) in clusters(&burst.times, aggregate.threshold, TimeDelta::minutes(i64::from(aggregate.window_minutes)))
            {
                let finding = Finding {
                    rule: rule.id.clone(),
                    severity: rule.severity,
                    title: rule.title.clone(),
                    why: rule.why.clone(),
                    time: first,
                    until: Some(last),
                    count: Some(count),
                    event_source: burst.event_source.clone(),
                    event_names: burst.events.iter().cloned().collect(),
                    region: burst.region.clone(),
                    principal: burst.principal.clone(),
                    source_ip: None,
                    user_agent: None,
                    resource: None,
                    component: None,
                    changes: None,
                    error_code: None,
                    event_id: None,
                };
                if self.filter.admits(&finding) {
                    self.findings.push(finding);
                }
            }
        }
        (self.findings, self.stats)
    }
}

/// Maximal runs of sorted times in which every call lies in some window of `width` holding at least
/// `threshold` calls: (first, last, calls in the run).
fn clusters(times: &[DateTime<Utc>], threshold: u32, width: TimeDelta) -> Vec<(DateTime<Utc>, DateTime<Utc>, u64)> {
    let threshold = threshold.max(1) as usize;
    let mut in_burst = vec![false; times.len()];
    let mut end = 0;
    for start in 0..times.len() {
        end = end.max(start);
        while end + 1 < times.len() && times[end + 1] - times[start] <= width {
            end += 1;
        }
        if end + 1 - start >= threshold {
            in_burst[start..=end].iter_mut().for_each(|b| *b = true);
        }
    }
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for (i, burst) in in_burst.iter().enumerate() {
        match (burst, current) {
            (true, None) => current = Some((i, i)),
            (true, Some((first, last))) if times[i] - times[last] <= width => current = Some((first, i)),
            (true, Some((first, last))) => {
                out.push((times[first], times[last], (last - first + 1) as u64));
                current = Some((i, i));
            }
            (false, Some((first, last))) => {
                out.push((times[first], times[last], (last - first + 1) as u64));
                current = None;
            }
            (false, None) => {}
        }
    }
    if let Some((first, last)) = current {
        out.push((times[first], times[last], (last - first + 1) as u64));
    }
    out
}

/// A record with its request documents parsed on first use.
struct View<'r, 'a> {
    record: &'r Record<'a>,
    request: OnceCell<Option<Value>>,
    response: OnceCell<Option<Value>>,
    additional: OnceCell<Option<Value>>,
}

enum Found<'v> {
    Text(&'v str),
    Bool(bool),
    Json(&'v Value),
}

impl Found<'_> {
    fn text(&self) -> String {
        match self {
            Found::Text(s) => (*s).to_owned(),
            Found::Bool(b) => b.to_string(),
            Found::Json(Value::String(s)) => s.clone(),
            Found::Json(v) => v.to_string(),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Found::Text(s) => s.is_empty(),
            Found::Bool(_) => false,
            Found::Json(Value::String(s)) => s.is_empty(),
            Found::Json(Value::Array(a)) => a.is_empty(),
            Found::Json(Value::Object(o)) => o.is_empty(),
            Found::Json(_) => false,
        }
    }
}

fn text(value: Option<&str>) -> Option<Found<'_>> {
    value.map(Found::Text)
}

fn walk<'v>(doc: Option<&'v Value>, keys: &[String]) -> Option<Found<'v>> {
    let value = keys.iter().try_fold(doc?, |v, k| v.get(k.as_str()))?;
    (!value.is_null()).then_some(Found::Json(value))
}

fn parse(raw: Option<&RawValue>) -> Option<Value> {
    serde_json::from_str(raw?.get()).ok()
}

impl<'r, 'a> View<'r, 'a> {
    fn new(record: &'r Record<'a>) -> Self {
        View { record, request: OnceCell::new(), response: OnceCell::new(), additional: OnceCell::new() }
    }

    fn request(&self) -> Option<&Value> {
        self.request.get_or_init(|| parse(self.record.request_parameters)).as_ref()
    }

    fn lookup(&self, path: &FieldPath) -> Option<Found<'_>> {
        let r = self.record;
        let identity = &r.user_identity;
        let issuer = r.issuer();
        match path {
            FieldPath::EventSource => text(Some(&r.event_source)),
            FieldPath::EventName => text(Some(&r.event_name)),
            FieldPath::EventType => text(r.event_type.as_deref()),
            FieldPath::ErrorCode => text(r.error_code.as_deref()),
            FieldPath::AwsRegion => text(Some(&r.aws_region)),
            FieldPath::SourceIp => text(r.source_ip_address.as_deref()),
            FieldPath::UserAgent => text(r.user_agent.as_deref()),
            FieldPath::ReadOnly => r.read_only.map(Found::Bool),
            FieldPath::IdentityType => text(identity.kind.as_deref()),
            FieldPath::IdentityArn => text(identity.arn.as_deref()),
            FieldPath::IdentityAccount => text(identity.account_id.as_deref()),
            FieldPath::IdentityUserName => text(identity.user_name.as_deref()),
            FieldPath::IdentityInvokedBy => text(identity.invoked_by.as_deref()),
            FieldPath::SessionIssuerName => text(issuer.and_then(|i| i.user_name.as_deref())),
            FieldPath::SessionIssuerArn => text(issuer.and_then(|i| i.arn.as_deref())),
            FieldPath::SessionMfa => {
                text(identity.session_context.as_ref().and_then(|c| c.attributes.as_ref()).and_then(|a| a.mfa_authenticated.as_deref()))
            }
            FieldPath::Request(keys) => walk(self.request.get_or_init(|| parse(r.request_parameters)).as_ref(), keys),
            FieldPath::Response(keys) => walk(self.response.get_or_init(|| parse(r.response_elements)).as_ref(), keys),
            FieldPath::AdditionalData(keys) => walk(self.additional.get_or_init(|| parse(r.additional_event_data)).as_ref(), keys),
        }
    }

    fn holds(&self, condition: &Condition, catalogue: &Catalogue) -> bool {
        let found = self.lookup(&condition.path);
        match &condition.test {
            Test::Exists(wanted) => found.is_some() == *wanted,
            Test::Empty(wanted) => found.is_some_and(|f| f.is_empty() == *wanted),
            Test::Equals(expected) => found.is_some_and(|f| f.text() == *expected),
            Test::OneOf(options) => found.is_some_and(|f| options.contains(&f.text())),
            Test::Prefix(prefix) => found.is_some_and(|f| f.text().starts_with(prefix.as_str())),
            Test::Contains(part) => found.is_some_and(|f| f.text().contains(part.as_str())),
            Test::Names(references) => found.is_some_and(|f| catalogue.named_among(&f.text(), references).is_some()),
            Test::Project(wanted) => found.is_some_and(|f| catalogue.named_by(&f.text(), &self.record.event_source).is_some() == *wanted),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn at(minute: i64, second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + minute * 60 + second, 0).unwrap()
    }

    #[test]
    fn clusters_need_the_threshold_inside_one_window() {
        let check = |times: &[DateTime<Utc>], expected: &[(DateTime<Utc>, DateTime<Utc>, u64)]| {
            assert_eq!(clusters(times, 3, TimeDelta::minutes(5)), expected);
        };
        check(&[at(0, 0), at(1, 0)], &[]);
        check(&[at(0, 0), at(1, 0), at(4, 59)], &[(at(0, 0), at(4, 59), 3)]);
        check(&[at(0, 0), at(3, 0), at(6, 0), at(9, 0)], &[]);
        // Two bursts far apart stay two findings; a lone call between them joins neither.
        check(
            &[at(0, 0), at(0, 1), at(0, 2), at(30, 0), at(60, 0), at(60, 1), at(60, 2), at(60, 3)],
            &[(at(0, 0), at(0, 2), 3), (at(60, 0), at(60, 3), 4)],
        );
    }
}
