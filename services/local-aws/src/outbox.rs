//! Outbox items for the local stack in AWS mode: moto has no stream-triggered Lambda, so the dev stack polls the
//! table for outbox items the adapter marked pending (`OutboxMarking::MarkPending`) and feeds them to `notify`,
//! as the DynamoDB stream does in AWS.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use booking_aws::TableLayout;
use booking_ports::{BookingEvent, OutboxFeed, StoreError};

#[derive(Debug, Clone)]
pub struct DynamoOutboxPoller {
    client: Client,
    table: String,
}

impl DynamoOutboxPoller {
    pub fn new(config: &SdkConfig, table: impl Into<String>) -> Self {
        DynamoOutboxPoller { client: Client::new(config), table: table.into() }
    }
}

fn unavailable(e: impl std::error::Error + 'static) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

#[async_trait]
impl OutboxFeed for DynamoOutboxPoller {
    async fn pending_events(&self, limit: usize) -> Result<Vec<BookingEvent>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("entity = :event AND attribute_exists(#pending)")
                .expression_attribute_names("#pending", TableLayout::OUTBOX_PENDING)
                .expression_attribute_values(":event", AttributeValue::S("event".into()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                let Some(AttributeValue::S(payload)) = item.get("payload") else {
                    return Err(StoreError::Corrupt("outbox item without a payload".into()));
                };
                out.push(serde_json::from_str::<BookingEvent>(payload).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            }
            start = page.last_evaluated_key;
            if start.is_none() || out.len() >= limit {
                out.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));
                out.truncate(limit);
                return Ok(out);
            }
        }
    }

    async fn mark_dispatched(&self, event_id: &str) -> Result<(), StoreError> {
        let key = HashMap::from([
            (TableLayout::PARTITION_KEY.to_owned(), AttributeValue::S(format!("EVENT#{event_id}"))),
            (TableLayout::SORT_KEY.to_owned(), AttributeValue::S("EVENT".into())),
        ]);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("REMOVE #pending")
            .expression_attribute_names("#pending", TableLayout::OUTBOX_PENDING)
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
