//! CloudFormation through change sets: create one, wait until it is ready, read its rows, execute it and follow
//! the stack's events until it settles. A change set with nothing to do is reported as such, not as a failure.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime};

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType, Parameter, StackEvent};

use crate::DeployError;
use crate::changes::Row;
use crate::report::Printer;

/// A stack as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackInfo {
    pub status: String,
    pub outputs: BTreeMap<String, String>,
}

impl StackInfo {
    /// Still moving, or failed in a way only an operator can sort out.
    pub fn is_stuck(&self) -> bool {
        (self.status.ends_with("_IN_PROGRESS") && self.status != "REVIEW_IN_PROGRESS") || self.status.ends_with("_FAILED")
    }
}

/// A change set once CloudFormation has computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSetState {
    Ready(Vec<Row>),
    /// "The submitted information didn't contain changes": nothing to do.
    NoChanges,
    Failed(String),
}

/// How a stack settled after executing a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub status: String,
    /// `LogicalId ResourceStatus: reason` of every failed resource event of this execution.
    pub failures: Vec<String>,
}

impl Settled {
    pub fn succeeded(&self) -> bool {
        matches!(self.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE")
    }
}

#[derive(Debug, Clone)]
pub struct Cfn {
    pub client: Client,
    /// Between two polls (3 s against AWS; moto executes synchronously).
    pub poll: Duration,
}

fn aws(operation: &'static str) -> impl Fn(String) -> DeployError {
    move |message| DeployError::Aws { operation, message }
}

impl Cfn {
    pub async fn describe(&self, name: &str) -> Result<Option<StackInfo>, DeployError> {
        match self.client.describe_stacks().stack_name(name).send().await {
            Ok(out) => Ok(out.stacks().first().map(|s| StackInfo {
                status: s.stack_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                outputs: s.outputs().iter().filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned()))).collect(),
            })),
            Err(e) if e.as_service_error().and_then(|s| s.message()).is_some_and(|m| m.contains("does not exist")) => Ok(None),
            Err(e) => Err(aws("DescribeStacks")(DisplayErrorContext(&e).to_string())),
        }
    }

    pub async fn create_change_set(
        &self,
        stack: &str,
        body: &str,
        parameters: &[(String, String)],
        create: bool,
    ) -> Result<String, DeployError> {
        let name =
            format!("deploy-{}", SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default());
        let out = self
            .client
            .create_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .change_set_type(if create { ChangeSetType::Create } else { ChangeSetType::Update })
            .template_body(body)
            .set_parameters(Some(
                parameters.iter().map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build()).collect(),
            ))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .map_err(|e| aws("CreateChangeSet")(DisplayErrorContext(&e).to_string()))?;
        out.id().map(str::to_owned).ok_or_else(|| aws("CreateChangeSet")("no change set id".into()))
    }

    pub async fn wait_change_set(&self, stack: &str, id: &str) -> Result<ChangeSetState, DeployError> {
        loop {
            let mut rows = Vec::new();
            let mut token = None;
            let (status, reason) = loop {
                let page = self
                    .client
                    .describe_change_set()
                    .stack_name(stack)
                    .change_set_name(id)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| aws("DescribeChangeSet")(DisplayErrorContext(&e).to_string()))?;
                rows.extend(page.changes().iter().filter_map(Row::from_change));
                token = page.next_token().map(str::to_owned);
                if token.is_none() {
                    break (page.status().cloned(), page.status_reason().unwrap_or_default().to_owned());
                }
            };
            match status {
                Some(ChangeSetStatus::CreateComplete) => return Ok(ChangeSetState::Ready(rows)),
                Some(ChangeSetStatus::Failed) if no_changes(&reason) => return Ok(ChangeSetState::NoChanges),
                Some(ChangeSetStatus::Failed) => return Ok(ChangeSetState::Failed(reason)),
                _ => tokio::time::sleep(self.poll).await,
            }
        }
    }

    pub async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), DeployError> {
        self.client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .send()
            .await
            .map_err(|e| aws("DeleteChangeSet")(DisplayErrorContext(&e).to_string()))?;
        Ok(())
    }

    /// Executes the change set and follows the stack's events until it settles.
    pub async fn execute(&self, stack: &str, id: &str, out: &mut Printer) -> Result<Settled, DeployError> {
        let mut seen: HashSet<String> = self.events(stack).await?.into_iter().filter_map(|e| e.event_id().map(str::to_owned)).collect();
        self.client
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(id)
            .send()
            .await
            .map_err(|e| aws("ExecuteChangeSet")(DisplayErrorContext(&e).to_string()))?;
        let mut failures = Vec::new();
        loop {
            let mut new: Vec<StackEvent> =
                self.events(stack).await?.into_iter().filter(|e| e.event_id().is_some_and(|id| !seen.contains(id))).collect();
            new.reverse();
            for event in &new {
                seen.extend(event.event_id().map(str::to_owned));
                let status = event.resource_status().map(|s| s.as_str()).unwrap_or_default();
                let reason = event.resource_status_reason().unwrap_or_default();
                let line = format!(
                    "{} {} {status} {reason}",
                    event.logical_resource_id().unwrap_or_default(),
                    event.resource_type().unwrap_or_default()
                );
                if status.ends_with("_FAILED") {
                    failures.push(format!("{} {status}: {reason}", event.logical_resource_id().unwrap_or_default()));
                    out.error(line.trim_end());
                } else {
                    out.event(line.trim_end());
                }
            }
            let status = self.describe(stack).await?.map(|s| s.status).unwrap_or_else(|| "DELETE_COMPLETE".into());
            if !status.ends_with("_IN_PROGRESS") {
                return Ok(Settled { status, failures });
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// The stack's most recent events, newest first (the first page: enough to follow one execution).
    async fn events(&self, stack: &str) -> Result<Vec<StackEvent>, DeployError> {
        let out = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| aws("DescribeStackEvents")(DisplayErrorContext(&e).to_string()))?;
        Ok(out.stack_events().to_vec())
    }

    /// Deletes a stack and waits until it is gone (retained resources stay in the account).
    pub async fn delete_stack(&self, stack: &str, out: &mut Printer) -> Result<String, DeployError> {
        self.client.delete_stack().stack_name(stack).send().await.map_err(|e| aws("DeleteStack")(DisplayErrorContext(&e).to_string()))?;
        loop {
            match self.describe(stack).await? {
                None => return Ok("DELETE_COMPLETE".into()),
                Some(info) if !info.status.ends_with("_IN_PROGRESS") => return Ok(info.status),
                Some(info) => out.event(&format!("{stack} {}", info.status)),
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

/// CloudFormation's (and moto's) reasons for a change set with nothing to do.
pub fn no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Failures that IAM's eventual consistency causes on a first deploy: a role created moments ago is not yet
/// usable by API Gateway (its account-level CloudWatch role) or CloudTrail (its log delivery role). The same step
/// succeeds a little later.
pub fn is_iam_propagation(failures: &[String]) -> bool {
    const SIGNS: [&str; 4] = [
        "does not have required permissions",
        "role ARN does not have required permissions",
        "Access denied. Verify in IAM that the role has adequate permissions",
        "The role defined for the function cannot be assumed by Lambda",
    ];
    !failures.is_empty() && failures.iter().any(|f| SIGNS.iter().any(|s| f.contains(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_no_op_change_sets() {
        assert!(no_changes("The submitted information didn't contain changes. Submit different information to create a change set."));
        assert!(no_changes("No updates are to be performed."));
        assert!(!no_changes("Template format error: Unresolved resource dependencies [X]"));
    }

    #[test]
    fn recognises_iam_propagation_failures() {
        let api = "ApiGatewayAccount CREATE_FAILED: The role ARN does not have required permissions set to API Gateway (Service: ApiGateway, Status Code: 400)".to_owned();
        let trail =
            "Trail CREATE_FAILED: Access denied. Verify in IAM that the role has adequate permissions. (Service: CloudTrail)".to_owned();
        assert!(is_iam_propagation(std::slice::from_ref(&api)));
        assert!(is_iam_propagation(&[trail, "Other CREATE_FAILED: Resource creation cancelled".into()]));
        assert!(!is_iam_propagation(&["BookingTable CREATE_FAILED: harbour-prod-bookings already exists".into()]));
        assert!(!is_iam_propagation(&[]));
    }

    #[test]
    fn stuck_states() {
        let info = |status: &str| StackInfo { status: status.into(), outputs: BTreeMap::new() };
        assert!(info("UPDATE_ROLLBACK_FAILED").is_stuck());
        assert!(info("CREATE_IN_PROGRESS").is_stuck());
        assert!(!info("REVIEW_IN_PROGRESS").is_stuck());
        assert!(!info("UPDATE_ROLLBACK_COMPLETE").is_stuck());
    }
}
