//! The audit's result and its three renderings: a table for people at a terminal (grouped by severity, newest
//! first), JSON for CI and SIEMs (schema below, versioned by `schema_version`), and Markdown for an audit
//! ticket. The exit code is decided here too, from the same data.
//!
//! JSON schema 1: `{schema_version, generated_at, environment, rules_version, window: {since, until},
//! sources: [{kind: "lookup", region, pages, events, throttled, unparsable} | {kind: "logs", location,
//! log_files, compressed_bytes, bytes, records, unparsable, unparsable_examples}], findings: [{rule, severity,
//! title, why, time, until?, count?, event_source, event_names, region, principal: {type, arn, account,
//! user_name, session_issuer, invoked_by, mfa}, source_ip, user_agent, resource, component, changes,
//! error_code, event_id}], health: null | {trail, region, arn, checks: [{check, passed, severity, detail}]},
//! integrity: null | {chains: [...], log_files_checked, log_files_verified, problems: [{kind, ...}],
//! notices: [{kind, ...}]}, summary: {findings_by_severity, health_failures, integrity_problems, exit_code}}`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::engine::{Finding, Window};
use crate::health::TrailHealth;
use crate::integrity::IntegrityReport;
use crate::logs::ScanStats;
use crate::lookup::LookupStats;
use crate::rules::Severity;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    /// Nothing at or above the failure threshold, logs intact.
    Clean = 0,
    /// Findings (or failed health checks) at or above `--fail-on`.
    Findings = 1,
    /// A log integrity problem.
    Integrity = 2,
    /// The audit could not run: usage or access error.
    Error = 3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceSummary {
    Lookup(LookupStats),
    Logs {
        location: String,
        #[serde(flatten)]
        scan: ScanStats,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub generated_at: DateTime<Utc>,
    pub environment: String,
    pub rules_version: u32,
    pub window: Window,
    pub sources: Vec<SourceSummary>,
    /// Most severe first, then newest first.
    pub findings: Vec<Finding>,
    pub health: Option<TrailHealth>,
    pub integrity: Option<IntegrityReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Summary {
    findings_by_severity: BTreeMap<Severity, usize>,
    health_failures: usize,
    integrity_problems: usize,
    exit_code: u8,
}

#[derive(Serialize)]
struct JsonReport<'r> {
    #[serde(flatten)]
    report: &'r Report,
    summary: Summary,
}

/// Orders findings as every rendering shows them.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(b.time.cmp(&a.time)).then_with(|| a.rule.cmp(&b.rule)).then_with(|| a.event_id.cmp(&b.event_id))
    });
}

impl Report {
    pub fn exit_code(&self, fail_on: Severity) -> ExitCode {
        if self.integrity.as_ref().is_some_and(|i| !i.is_intact()) {
            return ExitCode::Integrity;
        }
        let findings = self.findings.iter().any(|f| f.severity >= fail_on);
        let health = self.health.as_ref().is_some_and(|h| h.failures().any(|c| c.severity >= fail_on));
        if findings || health { ExitCode::Findings } else { ExitCode::Clean }
    }

    fn summary(&self, fail_on: Severity) -> Summary {
        let mut by_severity = BTreeMap::new();
        for finding in &self.findings {
            *by_severity.entry(finding.severity).or_insert(0) += 1;
        }
        Summary {
            findings_by_severity: by_severity,
            health_failures: self.health.as_ref().map_or(0, |h| h.failures().count()),
            integrity_problems: self.integrity.as_ref().map_or(0, |i| i.problems.len()),
            exit_code: self.exit_code(fail_on) as u8,
        }
    }

    pub fn render(&self, format: Format, fail_on: Severity) -> String {
        match format {
            Format::Table => self.table(fail_on),
            Format::Json => {
                let json = JsonReport { report: self, summary: self.summary(fail_on) };
                let mut text = serde_json::to_string_pretty(&json).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
                text.push('\n');
                text
            }
            Format::Markdown => self.markdown(fail_on),
        }
    }

    fn window_text(&self) -> String {
        let end = |t: Option<DateTime<Utc>>, open: &str| t.map_or(open.to_owned(), stamp);
        format!("{} .. {}", end(self.window.since, "start"), end(self.window.until, "now"))
    }

    fn sources_text(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|s| match s {
                SourceSummary::Lookup(l) => format!(
                    "LookupEvents {}: {} events in {} pages ({} throttled requests retried)",
                    l.region, l.events, l.pages, l.throttled
                ),
                SourceSummary::Logs { location, scan } => format!(
                    "log files {location}: {} files, {} records{}",
                    scan.log_files,
                    scan.records,
                    if scan.unparsable > 0 { format!(", {} unparsable", scan.unparsable) } else { String::new() }
                ),
            })
            .collect()
    }

    fn verdict(&self, fail_on: Severity) -> String {
        let summary = self.summary(fail_on);
        let counts: Vec<String> =
            Severity::ALL.iter().filter_map(|s| summary.findings_by_severity.get(s).map(|n| format!("{n} {s}"))).collect();
        let findings = if counts.is_empty() { "no findings".to_owned() } else { counts.join(", ") };
        let health = match &self.health {
            None => String::new(),
            Some(_) if summary.health_failures == 0 => "; trail healthy".into(),
            Some(_) => format!("; {} trail health check(s) failed", summary.health_failures),
        };
        let integrity = match &self.integrity {
            None => String::new(),
            Some(i) if i.is_intact() => format!("; logs intact ({} log files verified)", i.log_files_verified),
            Some(i) => format!("; LOG INTEGRITY FAILED ({} problems)", i.problems.len()),
        };
        format!("{findings}{health}{integrity} (fail on {fail_on}: exit {})", summary.exit_code)
    }

    fn table(&self, fail_on: Severity) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "CloudTrail audit of harbour-{}, {}", self.environment, self.window_text());
        for source in self.sources_text() {
            let _ = writeln!(out, "  {source}");
        }
        let _ = writeln!(out, "\nFINDINGS ({})", self.findings.len());
        if self.findings.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for severity in Severity::ALL {
            let group: Vec<&Finding> = self.findings.iter().filter(|f| f.severity == severity).collect();
            if group.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{} ({})", severity.as_str().to_uppercase(), group.len());
            let rows: Vec<Vec<String>> = group
                .iter()
                .map(|f| {
                    vec![
                        stamp(f.time),
                        f.rule.clone(),
                        event_text(f),
                        resource_text(f),
                        short_principal(&f.principal.arn.clone().unwrap_or_else(|| f.principal.display().to_owned())),
                        f.principal.mfa.to_string(),
                        format!("{} {}", f.region, f.source_ip.as_deref().unwrap_or("")).trim().to_owned(),
                        truncate(&f.changes.as_ref().map(|c| c.to_string()).unwrap_or_default(), 60),
                    ]
                })
                .collect();
            table(&mut out, &["TIME", "RULE", "EVENT", "RESOURCE", "PRINCIPAL", "MFA", "WHERE", "CHANGES"], &rows);
        }
        let mut rules: Vec<&Finding> = self.findings.iter().collect();
        rules.sort_by(|a, b| a.rule.cmp(&b.rule));
        rules.dedup_by(|a, b| a.rule == b.rule);
        if !rules.is_empty() {
            let _ = writeln!(out, "\nWHY THESE MATTER");
            for f in rules {
                let _ = writeln!(out, "  {}: {}. {}", f.rule, f.title, f.why);
            }
        }
        if let Some(health) = &self.health {
            let _ = writeln!(out, "\nTRAIL HEALTH {} ({})", health.trail, health.region);
            let rows: Vec<Vec<String>> = health
                .checks
                .iter()
                .map(|c| {
                    vec![
                        if c.passed { "pass".into() } else { "FAIL".into() },
                        c.severity.to_string(),
                        c.check.as_str().into(),
                        c.detail.clone(),
                    ]
                })
                .collect();
            table(&mut out, &["", "SEVERITY", "CHECK", "DETAIL"], &rows);
        }
        if let Some(integrity) = &self.integrity {
            let _ = writeln!(out, "\nLOG INTEGRITY");
            let rows: Vec<Vec<String>> = integrity.chains.iter().map(chain_cells).collect();
            let headers = CHAIN_HEADERS.map(str::to_uppercase);
            table(&mut out, &headers.each_ref().map(String::as_str), &rows);
            let _ = writeln!(
                out,
                "  log files: {} checked, {} verified against their digest",
                integrity.log_files_checked, integrity.log_files_verified
            );
            for problem in &integrity.problems {
                let _ = writeln!(out, "  FAIL  {}\n        {}", problem.object(), problem.explain());
            }
            for notice in &integrity.notices {
                let _ = writeln!(out, "  note  {}", notice_text(notice));
            }
        }
        let _ = writeln!(out, "\nRESULT: {}", self.verdict(fail_on));
        out
    }

    fn markdown(&self, fail_on: Severity) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# CloudTrail audit: harbour-{}\n", self.environment);
        let _ = writeln!(out, "- **Window:** {}", self.window_text());
        let _ = writeln!(out, "- **Generated:** {}", stamp(self.generated_at));
        let _ = writeln!(out, "- **Rules:** version {}", self.rules_version);
        for source in self.sources_text() {
            let _ = writeln!(out, "- **Source:** {source}");
        }
        let _ = writeln!(out, "- **Result:** {}\n", self.verdict(fail_on));
        let _ = writeln!(out, "## Security-control changes ({})\n", self.findings.len());
        if self.findings.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            let _ = writeln!(out, "| Severity | Time (UTC) | Rule | Event | Resource | Principal | MFA | Region | Source IP |");
            let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
            for f in &self.findings {
                let _ = writeln!(
                    out,
                    "| {} | {} | `{}` | {} | {} | {} | {} | {} | {} |",
                    f.severity,
                    stamp(f.time),
                    f.rule,
                    md(&event_text(f)),
                    md(&resource_text(f)),
                    md(f.principal.arn.as_deref().unwrap_or(f.principal.display())),
                    f.principal.mfa,
                    f.region,
                    f.source_ip.as_deref().unwrap_or("")
                );
            }
            let _ = writeln!(out, "\n### Details\n");
            for (n, f) in self.findings.iter().enumerate() {
                let _ = writeln!(out, "{}. **{}** ({}, `{}`) at {}", n + 1, f.title, f.severity, f.rule, stamp(f.time));
                let _ = writeln!(out, "   - Why it matters: {}", f.why);
                let who = &f.principal;
                let _ = writeln!(
                    out,
                    "   - Who: `{}` ({}, MFA {}{})",
                    who.display(),
                    who.kind,
                    who.mfa,
                    who.session_issuer.as_deref().map(|i| format!(", role `{i}`")).unwrap_or_default()
                );
                if let Some(agent) = &f.user_agent {
                    let _ = writeln!(out, "   - From: {} with `{}`", f.source_ip.as_deref().unwrap_or("?"), md(agent));
                }
                if let Some(changes) = &f.changes {
                    let _ = writeln!(out, "   - Request: `{}`", md(&truncate(&changes.to_string(), 400)));
                }
                if let Some(id) = &f.event_id {
                    let _ = writeln!(out, "   - Event id: `{id}`");
                }
            }
            let _ = writeln!(out);
        }
        if let Some(health) = &self.health {
            let _ = writeln!(out, "## Trail health: {} ({})\n", health.trail, health.region);
            let _ = writeln!(out, "| Check | Result | Severity | Detail |\n|---|---|---|---|");
            for c in &health.checks {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    c.check.as_str(),
                    if c.passed { "pass" } else { "**FAIL**" },
                    c.severity,
                    md(&c.detail)
                );
            }
            let _ = writeln!(out);
        }
        if let Some(integrity) = &self.integrity {
            let _ = writeln!(out, "## Log integrity\n");
            let _ = writeln!(out, "| {} |\n|{}", CHAIN_HEADERS.join(" | "), "---|".repeat(CHAIN_HEADERS.len()));
            for cells in integrity.chains.iter().map(chain_cells) {
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            let _ = writeln!(
                out,
                "\n{} log files checked, {} verified against their digest.\n",
                integrity.log_files_checked, integrity.log_files_verified
            );
            if integrity.problems.is_empty() {
                let _ = writeln!(out, "No integrity problem.\n");
            } else {
                let _ = writeln!(out, "| Object | Problem |\n|---|---|");
                for p in &integrity.problems {
                    let _ = writeln!(out, "| `{}` | {} |", p.object(), md(&p.explain()));
                }
                let _ = writeln!(out);
            }
            for notice in &integrity.notices {
                let _ = writeln!(out, "- Note: {}", md(&notice_text(notice)));
            }
        }
        out
    }
}

const CHAIN_HEADERS: [&str; 9] = ["Region", "Trail", "Account", "Digests", "Verified", "Backfill", "Log files listed", "From", "To"];

/// One digest chain as the table and the Markdown show it.
fn chain_cells(c: &crate::integrity::ChainSummary) -> Vec<String> {
    vec![
        c.region.clone(),
        c.trail.clone(),
        c.account.clone(),
        c.digests.to_string(),
        c.digests_verified.to_string(),
        c.backfill_digests.to_string(),
        c.log_files_listed.to_string(),
        c.first.map_or("-".into(), stamp),
        c.last.map_or("-".into(), stamp),
    ]
}

fn notice_text(notice: &crate::integrity::Notice) -> String {
    use crate::integrity::Notice;
    match notice {
        Notice::ChainRestarted { digest, older } => {
            format!("{digest} starts a new chain (validation or logging was off since {older})")
        }
        Notice::LogFilePending { log_file } => format!("{log_file} was delivered after the newest digest (not yet covered)"),
        Notice::LogFileBeforeChain { log_file } => format!("{log_file} was delivered before the oldest digest checked"),
    }
}

fn event_text(f: &Finding) -> String {
    match f.count {
        Some(count) => format!(
            "{count} calls until {} ({})",
            f.until.map_or_else(String::new, |u| u.format("%H:%M:%SZ").to_string()),
            f.event_names.join(", ")
        ),
        None => f.event_names.join(", "),
    }
}

fn resource_text(f: &Finding) -> String {
    match (&f.resource, &f.component) {
        (Some(r), Some(c)) => format!("{r} [{c}]"),
        (Some(r), None) => r.clone(),
        (None, Some(c)) => format!("[{c}]"),
        (None, None) => String::new(),
    }
}

/// `arn:aws:sts::111122223333:assumed-role/Admin/alice` → `111122223333:assumed-role/Admin/alice`.
fn short_principal(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, _, _, account, resource] => format!("{account}:{resource}"),
        _ => arn.to_owned(),
    }
}

pub fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Escapes the characters that would break a Markdown table cell.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("  {}", padded.join("  ").trim_end())
    };
    let _ = writeln!(out, "{}", line(headers.to_vec()));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}
