//! The deploy plan agrees with the templates and the environment files: every stack gets exactly the parameters
//! its template declares (all required ones, nothing unknown), the outputs it reads exist in the stacks it reads
//! them from, and the environments parse.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeMap;
use std::path::Path;

use infra_check::template::{at, mapping};
use infra_deploy::deploy::read_templates;
use infra_deploy::env;
use infra_deploy::lambda::{Arch, FUNCTIONS};
use infra_deploy::stacks::{Lookups, Outputs, Release, StackKind, parameters};

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_stack_gets_what_its_template_declares() {
    let env = env::load(&root(), "rehearsal").unwrap();
    let templates = read_templates(&root().join("infra/cloudformation")).unwrap();
    let release =
        Release { arch: Arch::Arm64, code_keys: FUNCTIONS.iter().map(|f| (f.to_string(), format!("lambda/{f}/x.zip"))).collect() };
    let lookups = Lookups { origin_verify_version: "v".repeat(32) };
    // Each stack's outputs, as its template declares them: a parameter read from an undeclared output fails.
    let outputs: Outputs = templates
        .iter()
        .map(|(kind, t)| {
            let keys = mapping(t.doc(), "Outputs").unwrap().keys().map(|k| (k.as_str().unwrap().to_owned(), "x".to_owned())).collect();
            (*kind, keys)
        })
        .collect();
    for (kind, template) in &templates {
        let given = parameters(*kind, &env, &release, &lookups, &outputs).unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
        template.check_parameters(&given).unwrap_or_else(|e| panic!("{e}"));
        let earlier: Vec<StackKind> = StackKind::ORDER.iter().take_while(|k| *k != kind).copied().collect();
        assert!(kind.depends_on().iter().all(|d| earlier.contains(d)), "{} depends on a later stack", kind.name());
    }
    let api = &templates.iter().find(|(k, _)| *k == StackKind::Api).unwrap().1;
    assert_eq!(api.reserved_concurrency(), 66, "README and the error message say 66");
    // The edge stack reads the SSM parameter the api stack writes (no export ties their releases).
    let written = at(api.doc(), "Resources/ApiOriginDomainParameter/Properties/Name/Fn::Sub").and_then(|v| v.as_str()).unwrap();
    let edge = parameters(StackKind::Edge, &env, &release, &lookups, &outputs).unwrap();
    let passed = edge.iter().find(|(k, _)| k == "ApiOriginDomain").map(|(_, v)| v.as_str());
    assert_eq!(passed, Some(written.replace("${Environment}", env.stage.as_str()).as_str()));
}

/// Every `Fn::ImportValue` names an export of a stack that the importer depends on, so the deploy order (and a dry
/// run's "waiting for") follows the imports. Identity imports the SES identity from data since guest mail moved to
/// SES; a plan that deployed identity without data first would fail at create time.
#[test]
fn every_import_is_exported_by_a_stack_it_depends_on() {
    fn strings_under(value: &serde_yaml_ng::Value, key: &str, found: &mut Vec<String>) {
        match value {
            serde_yaml_ng::Value::Mapping(map) => {
                for (k, v) in map {
                    if k.as_str() == Some(key) {
                        match v {
                            serde_yaml_ng::Value::String(s) => found.push(s.clone()),
                            other => match other.get("Fn::Sub").and_then(|s| s.as_str()) {
                                Some(s) => found.push(s.to_owned()),
                                None => found.push(format!("{other:?}")),
                            },
                        }
                    }
                    strings_under(v, key, found);
                }
            }
            serde_yaml_ng::Value::Sequence(items) => items.iter().for_each(|v| strings_under(v, key, found)),
            serde_yaml_ng::Value::Tagged(tagged) => strings_under(&tagged.value, key, found),
            _ => {}
        }
    }
    let templates = read_templates(&root().join("infra/cloudformation")).unwrap();
    let exports: BTreeMap<StackKind, Vec<String>> = templates
        .iter()
        .map(|(kind, t)| {
            let outputs = mapping(t.doc(), "Outputs").cloned().unwrap_or_default();
            let names = outputs.values().filter_map(|o| at(o, "Export/Name/Fn::Sub").and_then(|n| n.as_str())).map(str::to_owned);
            (*kind, names.collect())
        })
        .collect();
    let mut checked = 0;
    for (kind, template) in &templates {
        let mut imports = Vec::new();
        strings_under(template.doc(), "Fn::ImportValue", &mut imports);
        for import in imports {
            let from = exports.iter().find(|(_, names)| names.contains(&import)).map(|(k, _)| *k);
            let from = from.unwrap_or_else(|| panic!("{} imports {import}, which no template exports", kind.name()));
            assert!(kind.depends_on().contains(&from), "{} imports {import} from {} but does not depend on it", kind.name(), from.name());
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} imports found: the walk lost its way");
}

#[test]
fn environments_parse_or_name_what_to_fill_in() {
    let names = env::names(&root());
    assert!(names.contains(&"rehearsal".to_owned()) && names.contains(&"prod".to_owned()), "{names:?}");
    for name in names {
        match env::load(&root(), &name) {
            Ok(env) => assert_eq!(env.name, name),
            Err(e) => {
                assert_eq!(name, "prod", "{e}");
                assert!(e.to_string().contains("account must be 12 digits"), "{e}");
            }
        }
    }
    assert!(env::load(&root(), "nope").unwrap_err().to_string().contains("rehearsal"), "lists the environments there are");
}

#[test]
fn retained_named_resources_are_found_in_the_templates() {
    let templates = read_templates(&root().join("infra/cloudformation")).unwrap();
    let retained: BTreeMap<String, String> =
        templates.iter().flat_map(|(_, t)| t.retained("prod", "111122223333", "eu-west-1")).map(|r| (r.logical_id, r.name)).collect();
    // The README's "Retained resources" table.
    assert_eq!(
        retained,
        BTreeMap::from([
            ("BookingTable".into(), "harbour-prod-bookings".into()),
            ("LogBucket".into(), "harbour-prod-edge-logs-111122223333".into()),
            ("NotificationsTopic".into(), "harbour-prod-notifications".into()),
            ("SiteBucket".into(), "harbour-prod-site-111122223333".into()),
            ("TrailBucket".into(), "harbour-prod-audit-111122223333".into()),
            ("TrailLogGroup".into(), "/harbour/prod/cloudtrail".into()),
        ])
    );
}
