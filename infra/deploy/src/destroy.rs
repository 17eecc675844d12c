//! `cargo xtask destroy`: deletes an environment's stacks in reverse deploy order, after the operator has typed
//! the environment's name back. Retained resources (tables, buckets, user pool, keys, the notifications topic,
//! the trail's log group) stay in the account with their data; the output lists them.

use crate::DeployError;
use crate::cfn::Cfn;
use crate::deploy::{Aws, read_templates};
use crate::env::Environment;
use crate::report::Printer;

/// The operator's confirmation: the environment's name, typed back exactly.
pub fn confirm(env: &Environment, typed: &str) -> Result<(), DeployError> {
    match typed.trim() == env.name {
        true => Ok(()),
        false => Err(DeployError::NotConfirmed { environment: env.name.clone() }),
    }
}

/// Deletes every stack of `env` that exists; returns the retained resources left behind (stack, logical id, name).
pub async fn destroy(
    env: &Environment,
    templates_dir: &std::path::Path,
    aws: &Aws,
    poll: std::time::Duration,
    out: &mut Printer,
) -> Result<Vec<(String, String, String)>, DeployError> {
    let templates = read_templates(templates_dir)?;
    let mut kept = Vec::new();
    for (kind, template) in templates.iter().rev() {
        let name = kind.stack_name(env);
        let config = match kind.region(env) == env.home_region {
            true => &aws.home,
            false => &aws.global,
        };
        let cfn = Cfn { client: aws_sdk_cloudformation::Client::new(config), poll };
        out.step(&format!("stack {name}"));
        if cfn.describe(&name).await?.is_none() {
            out.line("    does not exist");
            continue;
        }
        let status = cfn.delete_stack(&name, out).await?;
        if status != "DELETE_COMPLETE" {
            return Err(DeployError::StackFailed { stack: name, status, events: Vec::new() });
        }
        out.line("    deleted");
        let named = template.retained(env.stage.as_str(), &env.account, &kind.region(env));
        for id in template.retained_ids() {
            let physical = named.iter().find(|r| r.logical_id == id).map(|r| r.name.clone()).unwrap_or_else(|| "(generated name)".into());
            out.line(&format!("    kept with its data (retained): {id} {physical}"));
            kept.push((name.clone(), id, physical));
        }
    }
    out.step(
        "retained resources stay in the account: delete them by hand once their data is no longer needed (README, \"Retained resources\")",
    );
    Ok(kept)
}
