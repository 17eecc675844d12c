//! The controls matrix for auditors: each security promise of `policies/controls.yaml`, the framework controls it
//! serves (each mapping with its source), the cfn-guard rules and checkov checks that enforce it, and per resource
//! today's outcome: pass, fail, or suppressed with the reason written on the resource.
//!
//! Which resources a guard rule covers is measured, not assumed: for each resource of the types the rule reports
//! on, cfn-guard runs on a copy of the template where every *other* such resource suppresses the rule; the rule
//! then passes or fails only if it selects that resource (every rule's selection honours suppression, which
//! `tests/conventions.rs` enforces). checkov reports per resource itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value as Json, json};
use serde_yaml_ng::{Mapping, Value};

use crate::CheckError;
use crate::checkov::{self, CheckResult};
use crate::guard::Guard;
use crate::template::{Template, at, checkov_skips, get, guard_suppressions, long_form};

/// `policies/controls.yaml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    pub frameworks: Vec<String>,
    pub promises: Vec<Promise>,
    pub third_party: Vec<ThirdPartyCheck>,
    pub saq_a: String,
}

/// One security promise of the templates.
#[derive(Debug, Clone, Deserialize)]
pub struct Promise {
    pub id: String,
    /// One of the four the owner named (OAC only, SSE-KMS, WAF attached, Cognito authorizer required).
    #[serde(default)]
    pub owner: bool,
    pub promise: String,
    pub guard: Vec<String>,
    pub checkov: Vec<String>,
    pub controls: Vec<ControlMapping>,
}

/// The ids of one framework a promise serves, and where that mapping comes from.
#[derive(Debug, Clone, Deserialize)]
pub struct ControlMapping {
    pub framework: String,
    pub ids: Vec<String>,
    pub source: String,
}

/// A check of another rule set (checkov, the AWS Guard Rules Registry) named here or explained on a resource.
#[derive(Debug, Clone, Deserialize)]
pub struct ThirdPartyCheck {
    pub id: String,
    pub tool: String,
    pub title: String,
    pub types: Vec<String>,
    pub source: String,
}

pub fn catalog_path(root: &Path) -> PathBuf {
    root.join("policies").join("controls.yaml")
}

pub fn load(root: &Path) -> Result<Catalog, CheckError> {
    let path = catalog_path(root);
    let text = std::fs::read_to_string(&path).map_err(|source| CheckError::Read { path: path.clone(), source })?;
    serde_yaml_ng::from_str(&text).map_err(|e| CheckError::Catalog { path, detail: e.to_string() })
}

/// The tool a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    Guard,
    Checkov,
    /// A rule set this gate does not run (the AWS Guard Rules Registry): only its suppressions are known.
    NotRun,
}

/// How one check came out on one resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Pass,
    Fail,
    Suppressed(String),
}

/// One check on one resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub check: String,
    pub tool: Tool,
    pub template: String,
    pub resource: String,
    pub resource_type: String,
    pub outcome: Outcome,
}

/// The resource types a rule reports on, read from its `# Reports on:` header.
pub fn reported_types(rule_text: &str) -> Vec<String> {
    let section = rule_text.split("# Reports on:").nth(1).and_then(|rest| rest.split("# Evaluates:").next()).unwrap_or_default();
    let mut types: Vec<String> = section
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .filter(|token| token.starts_with("AWS::") && token.matches("::").count() == 2)
        .map(str::to_owned)
        .collect();
    types.sort();
    types.dedup();
    types
}

/// What every guard rule in `policies/` concludes on every resource it selects, measured by probing (see the
/// module docs). A template the rule skips covers none of its resources, and one with a single unsuppressed
/// candidate needs no probe; the others get one probe template per candidate, written under `work_dir`. Rules
/// are probed on two threads.
pub fn guard_findings(guard: &Guard, templates: &[Template], root: &Path, work_dir: &Path) -> Result<Vec<Finding>, CheckError> {
    std::fs::create_dir_all(work_dir).map_err(|source| CheckError::Write { path: work_dir.to_owned(), source })?;
    let rules = crate::template::rule_files(root)?;
    let even: Vec<&PathBuf> = rules.iter().step_by(2).collect();
    let odd: Vec<&PathBuf> = rules.iter().skip(1).step_by(2).collect();
    let probe_all = |group: Vec<&PathBuf>| -> Result<Vec<Finding>, CheckError> {
        let mut out = Vec::new();
        for rule_path in group {
            out.extend(rule_findings(guard, templates, rule_path, work_dir)?);
        }
        Ok(out)
    };
    let (a, b) = std::thread::scope(|scope| {
        let other = scope.spawn(|| probe_all(odd));
        let mine = probe_all(even);
        (mine, other.join())
    });
    let mut findings = a?;
    findings.extend(b.map_err(|_| CheckError::Guard { command: "probe thread".into(), detail: "panicked".into() })??);
    findings.sort();
    Ok(findings)
}

/// The findings of one rule on every template.
fn rule_findings(guard: &Guard, templates: &[Template], rule_path: &Path, work_dir: &Path) -> Result<Vec<Finding>, CheckError> {
    let rule = rule_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let text = std::fs::read_to_string(rule_path).map_err(|source| CheckError::Read { path: rule_path.to_owned(), source })?;
    let types = reported_types(&text);
    let paths: Vec<PathBuf> = templates.iter().map(|t| t.path.clone()).collect();
    let verdicts: BTreeMap<String, Outcome> = guard
        .validate(rule_path, &paths)?
        .into_iter()
        .filter_map(|report| {
            let outcome = if report.failed.contains(&rule) {
                Outcome::Fail
            } else if report.passed.contains(&rule) {
                Outcome::Pass
            } else {
                return None;
            };
            Some((report.file_name(), outcome))
        })
        .collect();
    let mut findings = Vec::new();
    let mut probes: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    let mut files = Vec::new();
    for template in templates {
        let candidates: Vec<(&str, &str)> = template
            .resources()
            .filter_map(|(id, r)| Some((id, get(r, "Type")?.as_str()?)))
            .filter(|(_, ty)| types.iter().any(|t| t == ty))
            .collect();
        let mut open = Vec::new();
        for (id, ty) in &candidates {
            let resource = template.resource(id).unwrap_or(&Value::Null);
            match guard_suppressions(resource).into_iter().find(|(r, _)| *r == rule) {
                Some((_, reason)) => findings.push(finding(&rule, Tool::Guard, template, id, ty, Outcome::Suppressed(reason))),
                None => open.push((*id, *ty)),
            }
        }
        let Some(verdict) = verdicts.get(&template.name) else { continue };
        if let [(id, ty)] = open.as_slice() {
            findings.push(finding(&rule, Tool::Guard, template, id, ty, verdict.clone()));
            continue;
        }
        for (id, ty) in &open {
            let mut doc = template.doc.clone();
            for (other, _) in candidates.iter().filter(|(other, _)| other != id) {
                suppress(&mut doc, other, &rule);
            }
            let name = format!("probe-{rule}-{}-{id}.yaml", template.name.trim_end_matches(".yaml"));
            let path = work_dir.join(&name);
            let yaml = serde_yaml_ng::to_string(&long_form(doc))
                .map_err(|e| CheckError::Write { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
            std::fs::write(&path, yaml).map_err(|source| CheckError::Write { path: path.clone(), source })?;
            probes.insert(name, (template.name.clone(), (*id).to_owned(), (*ty).to_owned()));
            files.push(path);
        }
    }
    if files.is_empty() {
        return Ok(findings);
    }
    for report in guard.validate(rule_path, &files)? {
        let Some((template, id, ty)) = probes.get(&report.file_name()) else { continue };
        let outcome = if report.failed.contains(&rule) {
            Outcome::Fail
        } else if report.passed.contains(&rule) {
            Outcome::Pass
        } else {
            continue;
        };
        findings.push(Finding {
            check: rule.clone(),
            tool: Tool::Guard,
            template: template.clone(),
            resource: id.clone(),
            resource_type: ty.clone(),
            outcome,
        });
    }
    Ok(findings)
}

fn finding(check: &str, tool: Tool, template: &Template, id: &str, ty: &str, outcome: Outcome) -> Finding {
    Finding {
        check: check.to_owned(),
        tool,
        template: template.name.clone(),
        resource: id.to_owned(),
        resource_type: ty.to_owned(),
        outcome,
    }
}

/// Adds `rule` to `Resources.<id>.Metadata.guard.SuppressedRules`.
fn suppress(doc: &mut Value, id: &str, rule: &str) {
    let list = doc
        .get_mut("Resources")
        .and_then(|r| r.get_mut(id))
        .and_then(Value::as_mapping_mut)
        .and_then(|resource| entry(resource, "Metadata"))
        .and_then(|metadata| entry(metadata, "guard"))
        .map(|guard| guard.entry(Value::from("SuppressedRules")).or_insert_with(|| Value::Sequence(Vec::new())));
    if let Some(Value::Sequence(items)) = list {
        items.push(Value::from(rule));
    }
}

/// `map[key]` as a mapping, created (or replacing a non-mapping value) if needed.
fn entry<'a>(map: &'a mut Mapping, key: &str) -> Option<&'a mut Mapping> {
    let value = map.entry(Value::from(key)).or_insert_with(|| Value::Mapping(Mapping::new()));
    if !value.is_mapping() {
        *value = Value::Mapping(Mapping::new());
    }
    value.as_mapping_mut()
}

/// checkov's results as findings.
pub fn checkov_findings(results: &[CheckResult]) -> Vec<Finding> {
    let mut out: Vec<Finding> = results
        .iter()
        .map(|r| Finding {
            check: r.check_id.clone(),
            tool: Tool::Checkov,
            template: r.template.clone(),
            resource: r.logical_id.clone(),
            resource_type: r.resource_type.clone(),
            outcome: match &r.outcome {
                checkov::Outcome::Passed => Outcome::Pass,
                checkov::Outcome::Failed => Outcome::Fail,
                checkov::Outcome::Skipped(comment) => Outcome::Suppressed(comment.split_whitespace().collect::<Vec<_>>().join(" ")),
            },
        })
        .collect();
    out.sort();
    out
}

/// Suppressions of rules this gate does not run (the AWS Guard Rules Registry's), read from the templates.
pub fn not_run_findings(catalog: &Catalog, templates: &[Template], project_rules: &BTreeSet<String>) -> Vec<Finding> {
    let mut out = Vec::new();
    for template in templates {
        for (id, resource) in template.resources() {
            let ty = get(resource, "Type").and_then(Value::as_str).unwrap_or_default();
            for (rule, reason) in guard_suppressions(resource) {
                if !project_rules.contains(&rule) && catalog.third_party.iter().any(|c| c.id == rule && c.tool != "checkov") {
                    out.push(finding(&rule, Tool::NotRun, template, id, ty, Outcome::Suppressed(reason)));
                }
            }
        }
    }
    out.sort();
    out
}

/// Every exception written on a resource: guard suppressions (project and registry rules) and checkov skips.
pub fn exceptions(templates: &[Template]) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for template in templates {
        for (id, resource) in template.resources() {
            for (check, reason) in guard_suppressions(resource).into_iter().chain(checkov_skips(resource)) {
                out.push((template.name.clone(), id.to_owned(), check, reason));
            }
        }
    }
    out.sort();
    out
}

/// The directives of the site's Content-Security-Policy (edge.yaml's response headers policy) that keep card data
/// in Stripe's frames: (directive, sources).
pub fn payment_csp(templates: &[Template]) -> Vec<(String, String)> {
    let csp = templates
        .iter()
        .flat_map(|t| t.resources().map(|(_, r)| r).collect::<Vec<_>>())
        .filter(|r| get(r, "Type").and_then(Value::as_str) == Some("AWS::CloudFront::ResponseHeadersPolicy"))
        .find_map(|r| {
            at(r, "Properties/ResponseHeadersPolicyConfig/SecurityHeadersConfig/ContentSecurityPolicy/ContentSecurityPolicy")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default();
    csp.split(';')
        .filter_map(|d| {
            let mut parts = d.split_whitespace();
            let name = parts.next()?;
            Some((name.to_owned(), parts.collect::<Vec<_>>().join(" ")))
        })
        .filter(|(name, _)| {
            ["default-src", "script-src", "frame-src", "connect-src", "form-action", "frame-ancestors"].contains(&name.as_str())
        })
        .collect()
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Pass => "pass".into(),
        Outcome::Fail => "**FAIL**".into(),
        Outcome::Suppressed(reason) => format!("suppressed: {reason}"),
    }
}

fn tool_text(tool: Tool) -> &'static str {
    match tool {
        Tool::Guard => "cfn-guard",
        Tool::Checkov => "checkov",
        Tool::NotRun => "Guard Rules Registry (not run here)",
    }
}

/// (pass, suppressed, fail) counts.
fn tally<'a>(findings: impl Iterator<Item = &'a Finding>) -> (usize, usize, usize) {
    findings.fold((0, 0, 0), |(p, s, f), finding| match finding.outcome {
        Outcome::Pass => (p + 1, s, f),
        Outcome::Suppressed(_) => (p, s + 1, f),
        Outcome::Fail => (p, s, f + 1),
    })
}

fn status_text((pass, suppressed, fail): (usize, usize, usize)) -> String {
    let head = if fail > 0 { format!("**fail** ({fail})") } else { "pass".to_owned() };
    let mut parts = vec![format!("{head}: {pass} checks pass")];
    if suppressed > 0 {
        parts.push(format!("{suppressed} suppressed with a reason"));
    }
    parts.join(", ")
}

fn promise_findings<'a>(promise: &'a Promise, findings: &'a [Finding]) -> impl Iterator<Item = &'a Finding> + 'a {
    findings.iter().filter(move |f| match f.tool {
        Tool::Guard => promise.guard.contains(&f.check),
        Tool::Checkov => promise.checkov.contains(&f.check),
        Tool::NotRun => false,
    })
}

fn ids_for(promise: &Promise, framework: &str) -> String {
    let ids: Vec<&str> =
        promise.controls.iter().filter(|c| c.framework == framework).flat_map(|c| c.ids.iter().map(String::as_str)).collect();
    if ids.is_empty() { "—".to_owned() } else { ids.join(", ") }
}

/// The matrix as Markdown.
pub fn render_markdown(catalog: &Catalog, templates: &[Template], findings: &[Finding]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Controls matrix\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask policy --report` from `policies/controls.yaml` (the promises and their mappings, each with \
         its source), the templates in `infra/cloudformation/`, and what cfn-guard and checkov concluded on each resource. \
         A suppressed check carries the reason written on the resource (`Metadata.guard.Reasons`, `Metadata.checkov.skip`).\n"
    );
    let (pass, suppressed, fail) = tally(findings.iter().filter(|f| f.tool != Tool::NotRun));
    let _ = writeln!(
        out,
        "{} promises; {} resource checks: {pass} pass, {suppressed} suppressed with a reason, {fail} fail.\n",
        catalog.promises.len(),
        pass + suppressed + fail
    );
    let _ = writeln!(out, "## Summary\n");
    let mut header = vec!["promise".to_owned()];
    header.extend(catalog.frameworks.iter().cloned());
    header.extend(["enforced by".to_owned(), "status".to_owned()]);
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for promise in &catalog.promises {
        let owner = if promise.owner { " (owner)" } else { "" };
        let mut cells = vec![format!("[{}](#{}){owner}", promise.id, promise.id)];
        cells.extend(catalog.frameworks.iter().map(|fw| ids_for(promise, fw)));
        let enforced: Vec<String> = promise.guard.iter().map(|r| format!("`{r}`")).chain(promise.checkov.iter().cloned()).collect();
        cells.push(enforced.join(", "));
        cells.push(status_text(tally(promise_findings(promise, findings))));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    for promise in &catalog.promises {
        let _ = writeln!(out, "\n## {}\n", promise.id);
        let _ = writeln!(out, "{}{}\n", promise.promise, if promise.owner { " *(One of the owner's four promises.)*" } else { "" });
        for control in &promise.controls {
            let _ = writeln!(out, "- {}: {} — source: {}", control.framework, control.ids.join(", "), control.source);
        }
        let rows: Vec<&Finding> = promise_findings(promise, findings).collect();
        let _ = writeln!(out, "\n| check | tool | template | resource | status |\n|---|---|---|---|---|");
        for f in &rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} ({}) | {} |",
                f.check,
                tool_text(f.tool),
                f.template,
                f.resource,
                f.resource_type,
                outcome_text(&f.outcome)
            );
        }
        let silent: Vec<&String> =
            promise.guard.iter().chain(&promise.checkov).filter(|check| !rows.iter().any(|f| &f.check == *check)).collect();
        if !silent.is_empty() {
            let names: Vec<&str> = silent.iter().map(|s| s.as_str()).collect();
            let _ = writeln!(out, "\nNo resource today for: {}.", names.join(", "));
        }
    }
    let _ = writeln!(out, "\n## Exceptions\n\nEvery check suppressed on a resource, with the reason written there.\n");
    let _ = writeln!(out, "| template | resource | check | tool | reason |\n|---|---|---|---|---|");
    let mut suppressed: Vec<&Finding> = findings.iter().filter(|f| matches!(f.outcome, Outcome::Suppressed(_))).collect();
    suppressed.sort_by(|a, b| (&a.template, &a.resource, &a.check).cmp(&(&b.template, &b.resource, &b.check)));
    for f in suppressed {
        let Outcome::Suppressed(reason) = &f.outcome else { continue };
        let _ = writeln!(out, "| {} | {} | {} | {} | {} |", f.template, f.resource, f.check, tool_text(f.tool), reason);
    }
    let _ = writeln!(out, "\n## Payment data flow (PCI DSS SAQ A)\n\n{}", catalog.saq_a.trim());
    let _ = writeln!(out, "\nThe Content-Security-Policy CloudFront sends with every page (edge.yaml, `SecurityHeadersPolicy`):\n");
    for (directive, sources) in payment_csp(templates) {
        let _ = writeln!(out, "- `{directive}` {sources}");
    }
    out
}

/// The matrix as JSON (same content as the Markdown).
pub fn render_json(catalog: &Catalog, templates: &[Template], findings: &[Finding]) -> Json {
    let finding_json = |f: &Finding| {
        let (status, reason) = match &f.outcome {
            Outcome::Pass => ("pass", None),
            Outcome::Fail => ("fail", None),
            Outcome::Suppressed(r) => ("suppressed", Some(r.clone())),
        };
        json!({"check": f.check, "tool": tool_text(f.tool), "template": f.template, "resource": f.resource,
               "type": f.resource_type, "status": status, "reason": reason})
    };
    let promises: Vec<Json> = catalog
        .promises
        .iter()
        .map(|p| {
            let (pass, suppressed, fail) = tally(promise_findings(p, findings));
            json!({
                "id": p.id, "owner": p.owner, "promise": p.promise,
                "controls": p.controls.iter().map(|c| json!({"framework": c.framework, "ids": c.ids, "source": c.source})).collect::<Vec<_>>(),
                "guard": p.guard, "checkov": p.checkov,
                "status": {"pass": pass, "suppressed": suppressed, "fail": fail},
                "findings": promise_findings(p, findings).map(finding_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "frameworks": catalog.frameworks,
        "promises": promises,
        "exceptions": findings.iter().filter(|f| matches!(f.outcome, Outcome::Suppressed(_))).map(finding_json).collect::<Vec<_>>(),
        "saq_a": {"data_flow": catalog.saq_a.trim(), "csp": payment_csp(templates).into_iter().map(|(d, s)| json!({"directive": d, "sources": s})).collect::<Vec<_>>()},
    })
}

/// Problems that make the catalogue incomplete or wrong: a rule serving no promise, a promise naming an unknown
/// rule or check, an empty mapping source, a third-party id suppressed on a resource but not listed.
pub fn problems(catalog: &Catalog, rules: &BTreeSet<String>, templates: &[Template]) -> Vec<String> {
    let mut out = Vec::new();
    let named: BTreeSet<&String> = catalog.promises.iter().flat_map(|p| &p.guard).collect();
    for rule in rules {
        if !named.contains(rule) {
            out.push(format!("rule {rule} serves no promise in policies/controls.yaml"));
        }
    }
    let known: BTreeSet<&str> = catalog.third_party.iter().map(|c| c.id.as_str()).collect();
    for promise in &catalog.promises {
        for rule in promise.guard.iter().filter(|r| !rules.contains(*r)) {
            out.push(format!("{}: unknown rule {rule}", promise.id));
        }
        for check in promise.checkov.iter().filter(|c| !known.contains(c.as_str())) {
            out.push(format!("{}: checkov check {check} is not listed under third_party", promise.id));
        }
        for control in &promise.controls {
            if !catalog.frameworks.contains(&control.framework) {
                out.push(format!("{}: unknown framework {}", promise.id, control.framework));
            }
            if control.source.trim().len() < 12 || control.ids.is_empty() {
                out.push(format!("{}: {} mapping needs ids and a source", promise.id, control.framework));
            }
        }
    }
    for template in templates {
        for (id, resource) in template.resources() {
            let suppressed = guard_suppressions(resource).into_iter().map(|(r, _)| r).filter(|r| !rules.contains(r));
            for check in suppressed.chain(checkov_skips(resource).into_iter().map(|(c, _)| c)) {
                if !known.contains(check.as_str()) {
                    out.push(format!("{}: {id} suppresses {check}, which policies/controls.yaml does not list", template.name));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_reported_types_from_a_rule_header() {
        let text = "# Why:\n#    x\n#\n# Reports on:\n#    AWS::CloudFront::Distribution, AWS::Logs::DeliverySource\n#    AWS::IAM::Role (trusted by lambda.amazonaws.com)\n#\n# Evaluates:\n#    AWS CloudFormation\n";
        assert_eq!(reported_types(text), ["AWS::CloudFront::Distribution", "AWS::IAM::Role", "AWS::Logs::DeliverySource"]);
        assert!(reported_types("no header").is_empty());
    }

    #[test]
    fn a_probe_suppresses_the_rule_on_the_named_resource_only() {
        let mut doc: Value = serde_yaml_ng::from_str(
            "Resources: {A: {Type: T, Metadata: {guard: {SuppressedRules: [other]}}}, B: {Type: T}, C: {Type: T, Metadata: 3}}",
        )
        .unwrap();
        suppress(&mut doc, "A", "r");
        suppress(&mut doc, "C", "r");
        let rules = |id: &str| at(&doc, &format!("Resources/{id}/Metadata/guard/SuppressedRules")).cloned();
        assert_eq!(rules("A"), Some(serde_yaml_ng::from_str("[other, r]").unwrap()));
        assert_eq!(rules("B"), None);
        assert_eq!(rules("C"), Some(serde_yaml_ng::from_str("[r]").unwrap()));
    }
}
