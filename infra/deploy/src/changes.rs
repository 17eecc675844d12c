//! A change set as the operator reads it: one row per resource (action, replacement), with the replacement of a
//! retained data resource marked in red and refused without `--allow-replace`. Replacing a retained resource
//! leaves the old one (and its data) behind and starts an empty one: a booking table, bucket or user pool would
//! lose its contents from the product's point of view.

use std::fmt::Write;

use aws_sdk_cloudformation::types::{Change, ChangeAction, Replacement};

/// What CloudFormation will do to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub logical_id: String,
    pub resource_type: String,
    pub action: Action,
    pub replacement: Replace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Add,
    Modify,
    Remove,
    Import,
    Dynamic,
}

/// Whether a modification replaces the resource (`Conditional`: depends on a value known only at execution).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    Yes,
    No,
    Conditional,
    /// Not a modification (add, remove), or the service did not say.
    NotApplicable,
}

impl Row {
    pub fn from_change(change: &Change) -> Option<Row> {
        let rc = change.resource_change()?;
        let action = match rc.action()? {
            ChangeAction::Add => Action::Add,
            ChangeAction::Modify => Action::Modify,
            ChangeAction::Remove => Action::Remove,
            ChangeAction::Import => Action::Import,
            _ => Action::Dynamic,
        };
        let replacement = match rc.replacement() {
            Some(Replacement::True) => Replace::Yes,
            Some(Replacement::False) => Replace::No,
            Some(Replacement::Conditional) => Replace::Conditional,
            _ => Replace::NotApplicable,
        };
        Some(Row {
            logical_id: rc.logical_resource_id().unwrap_or_default().to_owned(),
            resource_type: rc.resource_type().unwrap_or_default().to_owned(),
            action,
            replacement,
        })
    }

    /// A retained resource that would (or might) be replaced.
    pub fn replaces_retained(&self, retained: &[String]) -> bool {
        self.action == Action::Modify
            && matches!(self.replacement, Replace::Yes | Replace::Conditional)
            && retained.contains(&self.logical_id)
    }
}

/// The rows as a table; replacements of retained resources in red when `color`.
pub fn render(rows: &[Row], retained: &[String], color: bool) -> String {
    let width = rows.iter().map(|r| r.logical_id.len()).max().unwrap_or(8).max(8);
    let type_width = rows.iter().map(|r| r.resource_type.len()).max().unwrap_or(4).max(4);
    let mut out = String::new();
    let _ = writeln!(out, "    {:<width$}  {:<type_width$}  {:<7}  replacement", "resource", "type", "action");
    for row in rows {
        let action = match row.action {
            Action::Add => "add",
            Action::Modify => "modify",
            Action::Remove => "remove",
            Action::Import => "import",
            Action::Dynamic => "dynamic",
        };
        let replacement = match row.replacement {
            Replace::Yes => "yes",
            Replace::No => "no",
            Replace::Conditional => "conditional",
            Replace::NotApplicable => "-",
        };
        let mut line = format!("    {:<width$}  {:<type_width$}  {action:<7}  {replacement}", row.logical_id, row.resource_type);
        if row.replaces_retained(retained) {
            line.push_str("  RETAINED DATA: the old resource and its data stay behind");
            if color {
                line = format!("\x1b[31m{line}\x1b[0m");
            }
        } else if row.action == Action::Remove && retained.contains(&row.logical_id) {
            line.push_str("  (retained: removed from the stack, kept in the account)");
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, action: Action, replacement: Replace) -> Row {
        Row { logical_id: id.into(), resource_type: "AWS::DynamoDB::Table".into(), action, replacement }
    }

    #[test]
    fn marks_replacements_of_retained_resources() {
        let retained = vec!["BookingTable".to_owned()];
        let rows = [
            row("BookingTable", Action::Modify, Replace::Conditional),
            row("Other", Action::Modify, Replace::Yes),
            row("BookingTable2", Action::Add, Replace::NotApplicable),
        ];
        assert!(rows[0].replaces_retained(&retained));
        assert!(!rows[1].replaces_retained(&retained));
        let text = render(&rows, &retained, true);
        assert!(text.contains("\x1b[31m    BookingTable "), "{text}");
        assert_eq!(text.matches("RETAINED DATA").count(), 1);
        assert!(!render(&rows, &retained, false).contains('\x1b'));
        let no_replace = [row("BookingTable", Action::Modify, Replace::No)];
        assert!(!no_replace[0].replaces_retained(&retained));
    }
}
