//! The booking store on a single DynamoDB table.
//!
//! Layout (keys `pk`/`sk`, all strings; see ARCHITECTURE.md, "DynamoDB single table"):
//!
//! | item              | pk                          | sk            | other attributes                                        |
//! |-------------------|-----------------------------|---------------|---------------------------------------------------------|
//! | night counter     | `NIGHT#<room type>#<date>`  | `NIGHT`       | `taken` (N)                                             |
//! | booking           | `BOOKING#<ref>`             | `BOOKING`     | `version`, `state`, `payload` (JSON), GSI keys below    |
//! | idempotency       | `IDEMPOTENCY#<key>`         | `IDEMPOTENCY` | `payload_hash`, `result`, `until` (ms), `expires_at` TTL|
//! | outbox event      | `EVENT#<event id>`          | `EVENT`       | `entity`=`event`, `payload` (JSON), `expires_at` TTL    |
//! | delivery state    | `BOOKING#<ref>`             | `DELIVERY#<channel>` | `event_id`, `payload` (ChannelDelivery JSON)     |
//! | undeliverable     | `ADDRESS#<address>`         | `UNDELIVERABLE` | `at` (RFC 3339)                                       |
//! | re-sends per day  | `BOOKING#<ref>`             | `RESEND#<date>` | `sent` (N), `expires_at` TTL                          |
//!
//! GSI `by-guest` (`gsi1pk` = `GUEST#<sub>`, `gsi1sk` = `<check-in>#<ref>`) lists a guest's bookings by date;
//! the sparse GSI `due-by-time` (`gsi2pk` = `DUE`, `gsi2sk` = `<due ms, padded>#<ref>`, present only while the
//! booking has a `due_at`: a hold, or money still to move) feeds the scheduled reconciliation. The stream
//! (NEW_IMAGE) carries outbox inserts to `notify`.
//!
//! Every change is one `TransactWriteItems`: the booking's conditional update (`version = :old`), one counter
//! update per night (`taken <= capacity - rooms` to take, `taken >= rooms` to release) and the outbox put; a hold
//! can carry its request's idempotency claim and a change a claim's completion, as one more item. A cancelled
//! transaction is read item by item to say which night sold out, or that the key was taken. The booking's delivery
//! states share its partition, so the booking page is one `Query`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use booking_domain::{Booking, BookingRef, GuestId, InventoryEffect, NightCount, RoomTypeId};
use booking_ports::{
    BookingEvent, BookingReader, BookingWriter, ChannelDelivery, DeliveryLog, DeliveryUpdate, GuestChannel, HoldClaimed, IdempotencyBegin,
    IdempotencyClaim, IdempotencyCompletion, IdempotencyStore, Resend, ResendQueued, StoreCall, StoreError, Transition, address_key,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

const BY_GUEST: &str = "by-guest";
const DUE_BY_TIME: &str = "due-by-time";
/// How long outbox items stay on the table after the stream delivered them (TTL).
const EVENT_RETENTION_DAYS: i64 = 7;

type Item = HashMap<String, AttributeValue>;

/// The table's key schema and indexes: used to create it locally and checked against the CloudFormation template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLayout;

impl TableLayout {
    pub const PARTITION_KEY: &'static str = "pk";
    pub const SORT_KEY: &'static str = "sk";
    pub const INDEXES: [(&'static str, &'static str, &'static str); 2] =
        [(BY_GUEST, "gsi1pk", "gsi1sk"), (DUE_BY_TIME, "gsi2pk", "gsi2sk")];
    pub const TTL_ATTRIBUTE: &'static str = "expires_at";
    /// On outbox items a poller has yet to deliver (`OutboxMarking::MarkPending`).
    pub const OUTBOX_PENDING: &'static str = "pending";
}

/// The DynamoDB API actions each store call makes, for IAM: a function's role allows exactly the actions of the
/// calls it declares (`infra/check/tests/parity.rs`). A transaction needs the actions of the items inside it.
pub fn dynamodb_actions(call: StoreCall) -> &'static [&'static str] {
    match call {
        StoreCall::NightCounts => &["dynamodb:BatchGetItem"],
        StoreCall::GetBooking => &["dynamodb:GetItem"],
        // The booking's partition: the booking and its delivery states.
        StoreCall::BookingWithDeliveries => &["dynamodb:Query"],
        StoreCall::BookingsForGuest | StoreCall::DueBookings => &["dynamodb:Query"],
        // TransactWriteItems of counter updates, the booking put or update, and the outbox put; with a claim folded
        // in (`place_hold_claiming`, `transition_completing`) the claim's put or update and the read of a refused
        // claim, which the calls `BeginIdempotent` and `CompleteIdempotent` declare too.
        StoreCall::PlaceHold | StoreCall::Transition => &["dynamodb:UpdateItem", "dynamodb:PutItem"],
        // TransactWriteItems of the outbox put and the day's counter update.
        StoreCall::QueueResend => &["dynamodb:PutItem", "dynamodb:UpdateItem"],
        // A conditional put, and a read of the record that refused it.
        StoreCall::BeginIdempotent => &["dynamodb:PutItem", "dynamodb:GetItem"],
        StoreCall::CompleteIdempotent => &["dynamodb:UpdateItem"],
        StoreCall::AbandonIdempotent => &["dynamodb:DeleteItem"],
        // Conditional puts (on the event the record is about; first report wins for an address).
        StoreCall::RecordDelivery | StoreCall::MarkUndeliverable => &["dynamodb:PutItem"],
        StoreCall::Deliveries | StoreCall::IsUndeliverable => &["dynamodb:GetItem"],
    }
}

/// Whether outbox items are also marked for a poller, besides going out on the table's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxMarking {
    /// AWS: the stream invokes `notify`; nothing else reads the outbox.
    StreamOnly,
    /// The local stack on moto, which has no stream-triggered Lambda: items carry `TableLayout::OUTBOX_PENDING`
    /// until the dev stack's poller has delivered them.
    MarkPending,
}

/// The DynamoDB adapter. Cheap to clone (the SDK client is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    outbox: OutboxMarking,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn unavailable<E: std::error::Error + 'static>(e: E) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

fn build<T>(r: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Unavailable(format!("request build: {e}")))
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn night_key(room_type: &RoomTypeId, night: NaiveDate) -> Item {
    key(format!("NIGHT#{room_type}#{night}"), "NIGHT")
}

fn booking_key(reference: &BookingRef) -> Item {
    key(format!("BOOKING#{reference}"), "BOOKING")
}

fn due_sort_key(b: &Booking) -> Option<String> {
    b.due_at().map(|at| format!("{:020}#{}", at.timestamp_millis().max(0), b.reference()))
}

fn str_attr<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!("attribute {name} missing or not a string"))),
    }
}

fn num_attr(item: &Item, name: &str) -> Result<i64, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| StoreError::Corrupt(format!("attribute {name} is not a number"))),
        None => Ok(0),
        _ => Err(StoreError::Corrupt(format!("attribute {name} not a number"))),
    }
}

fn booking_of(item: &Item) -> Result<Booking, StoreError> {
    serde_json::from_str(str_attr(item, "payload")?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn delivery_of(item: &Item) -> Result<ChannelDelivery, StoreError> {
    serde_json::from_str(str_attr(item, "payload")?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl DynamoStore {
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>, outbox: OutboxMarking) -> Self {
        DynamoStore { client: Client::new(config), table: table.into(), outbox }
    }

    fn counter_updates(&self, booking: &Booking, effect: InventoryEffect, capacity: u32) -> Result<Vec<TransactWriteItem>, StoreError> {
        let request = &booking.quote().request;
        let rooms = i64::from(request.rooms);
        let mut items = Vec::new();
        for night in request.stay.each_night() {
            let update = match effect {
                InventoryEffect::Take => {
                    let limit = i64::from(capacity) - rooms;
                    // A night nobody booked yet has no counter; a missing counter means 0 taken, which admits the
                    // hold exactly when `rooms` fit in `capacity`. The `attribute_not_exists` branch is only part
                    // of the condition then, so the condition alone says `taken + rooms <= capacity`.
                    let condition = if limit >= 0 { "attribute_not_exists(#taken) OR #taken <= :limit" } else { "#taken <= :limit" };
                    Update::builder()
                        .update_expression("ADD #taken :rooms")
                        .condition_expression(condition)
                        .expression_attribute_values(":rooms", n(rooms))
                        .expression_attribute_values(":limit", n(limit))
                }
                InventoryEffect::Release => Update::builder()
                    .update_expression("ADD #taken :minus")
                    .condition_expression("#taken >= :rooms")
                    .expression_attribute_values(":minus", n(-rooms))
                    .expression_attribute_values(":rooms", n(rooms)),
                InventoryEffect::None => return Ok(Vec::new()),
            };
            let update = update
                .table_name(&self.table)
                .set_key(Some(night_key(&request.room_type, night)))
                .expression_attribute_names("#taken", "taken");
            items.push(TransactWriteItem::builder().update(build(update.build())?).build());
        }
        Ok(items)
    }

    fn booking_put(&self, booking: &Booking) -> Result<TransactWriteItem, StoreError> {
        let mut item = booking_key(booking.reference());
        item.insert("entity".into(), s("booking"));
        item.insert("version".into(), n(booking.version()));
        item.insert("state".into(), s(booking.state().as_str()));
        item.insert("payload".into(), s(json(booking)?));
        item.insert("gsi1pk".into(), s(format!("GUEST#{}", booking.guest().as_str())));
        item.insert("gsi1sk".into(), s(format!("{}#{}", booking.quote().request.stay.check_in(), booking.reference())));
        if let Some(due) = due_sort_key(booking) {
            item.insert("gsi2pk".into(), s("DUE"));
            item.insert("gsi2sk".into(), s(due));
        }
        let put = Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression("attribute_not_exists(pk)");
        Ok(TransactWriteItem::builder().put(build(put.build())?).build())
    }

    fn booking_update(&self, previous: &Booking, next: &Booking) -> Result<TransactWriteItem, StoreError> {
        let mut expression = "SET #version = :new, #state = :state, payload = :payload".to_owned();
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(booking_key(next.reference())))
            .condition_expression("#version = :old")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":old", n(previous.version()))
            .expression_attribute_values(":new", n(next.version()))
            .expression_attribute_values(":state", s(next.state().as_str()))
            .expression_attribute_values(":payload", s(json(next)?));
        if let Some(due) = due_sort_key(next) {
            expression.push_str(", gsi2pk = :due, gsi2sk = :due_at");
            update = update.expression_attribute_values(":due", s("DUE")).expression_attribute_values(":due_at", s(due));
        } else {
            expression.push_str(" REMOVE gsi2pk, gsi2sk");
        }
        Ok(TransactWriteItem::builder().update(build(update.update_expression(expression).build())?).build())
    }

    fn event_put(&self, event: &BookingEvent, pending: bool) -> Result<TransactWriteItem, StoreError> {
        let mut item = key(format!("EVENT#{}", event.id), "EVENT");
        item.insert("entity".into(), s("event"));
        item.insert("payload".into(), s(json(event)?));
        item.insert("occurred_at".into(), s(event.occurred_at.to_rfc3339()));
        item.insert(TableLayout::TTL_ATTRIBUTE.into(), n((event.occurred_at + Duration::days(EVENT_RETENTION_DAYS)).timestamp()));
        if pending {
            item.insert(TableLayout::OUTBOX_PENDING.into(), s("1"));
        }
        let put = Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression("attribute_not_exists(pk)");
        Ok(TransactWriteItem::builder().put(build(put.build())?).build())
    }

    /// Runs one transaction; `explain(failed)` turns the indexes of the items whose condition failed into a domain
    /// error.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        token: &str,
        explain: impl Fn(&[usize]) -> StoreError,
    ) -> Result<(), StoreError> {
        let result = self.client.transact_write_items().set_transact_items(Some(items)).client_request_token(token).send().await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons();
                    let failed: Vec<usize> =
                        reasons.iter().enumerate().filter(|(_, r)| r.code() == Some("ConditionalCheckFailed")).map(|(i, _)| i).collect();
                    if !failed.is_empty() {
                        return Err(explain(&failed));
                    }
                    if reasons.iter().any(|r| matches!(r.code(), Some("TransactionConflict"))) {
                        return Err(StoreError::Conflict);
                    }
                    Err(StoreError::Unavailable(format!(
                        "transaction cancelled: {:?}",
                        reasons.iter().map(|r| r.code()).collect::<Vec<_>>()
                    )))
                }
                TransactWriteItemsError::TransactionInProgressException(_)
                | TransactWriteItemsError::IdempotentParameterMismatchException(_) => Err(StoreError::Conflict),
                other => Err(StoreError::Unavailable(format!("{}: {}", other.code().unwrap_or("error"), other.message().unwrap_or("")))),
            },
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The claim's conditional put: the key absent, or its lease (or retention) over.
    fn claim_put(&self, key_name: &str, payload_hash: &str, owner: &str, now: DateTime<Utc>, lease: Duration) -> Result<Put, StoreError> {
        let mut item = key(format!("IDEMPOTENCY#{key_name}"), "IDEMPOTENCY");
        item.insert("payload_hash".into(), s(payload_hash));
        item.insert("owner".into(), s(owner));
        item.insert("status".into(), s("in_progress"));
        item.insert("until".into(), n((now + lease).timestamp_millis()));
        item.insert(TableLayout::TTL_ATTRIBUTE.into(), n((now + lease).timestamp() + 60));
        build(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk) OR #until <= :now")
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":now", n(now.timestamp_millis()))
                .build(),
        )
    }

    /// What a key whose claim was refused holds: read it back and say so.
    async fn taken_key(&self, key_name: &str, payload_hash: &str) -> Result<IdempotencyBegin, StoreError> {
        let Some(existing) = self.get(key(format!("IDEMPOTENCY#{key_name}"), "IDEMPOTENCY")).await? else {
            // Expired and deleted between the refusal and the read: the caller retries.
            return Err(StoreError::Conflict);
        };
        if str_attr(&existing, "payload_hash")? != payload_hash {
            return Ok(IdempotencyBegin::PayloadMismatch);
        }
        match str_attr(&existing, "status")? {
            "completed" => {
                let result = serde_json::from_str(str_attr(&existing, "result")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(IdempotencyBegin::Completed(result))
            }
            _ => Ok(IdempotencyBegin::InProgress),
        }
    }

    /// The completion's conditional update: only the owner of a claim still in progress records its result.
    fn completion_update(&self, completion: &IdempotencyCompletion<'_>) -> Result<Update, StoreError> {
        let IdempotencyCompletion { key: key_name, owner, result, now, ttl } = *completion;
        build(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(format!("IDEMPOTENCY#{key_name}"), "IDEMPOTENCY")))
                .update_expression("SET #status = :completed, #result = :result, #until = :until, #ttl = :ttl")
                .condition_expression("#owner = :owner AND #status = :in_progress")
                .expression_attribute_names("#owner", "owner")
                .expression_attribute_values(":owner", s(owner))
                .expression_attribute_values(":in_progress", s("in_progress"))
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#result", "result")
                .expression_attribute_names("#until", "until")
                .expression_attribute_names("#ttl", TableLayout::TTL_ATTRIBUTE)
                .expression_attribute_values(":completed", s("completed"))
                .expression_attribute_values(":result", s(json(result)?))
                .expression_attribute_values(":until", n((now + ttl).timestamp_millis()))
                .expression_attribute_values(":ttl", n((now + ttl).timestamp()))
                .build(),
        )
    }

    /// A transition's items: item 0 the booking, 1..=nights the counters, then the event.
    fn transition_items(&self, change: &Transition<'_>) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = vec![self.booking_update(change.previous, change.next)?];
        items.extend(self.counter_updates(change.next, change.effect, change.capacity)?);
        if let Some(event) = change.event {
            items.push(self.event_put(event, self.mark_pending())?);
        }
        Ok(items)
    }

    /// Every item `query` matches, page after page (DynamoDB stops a page at 1 MB).
    async fn query_all(&self, query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = query.clone().set_exclusive_start_key(start).send().await.map_err(unavailable)?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out =
            self.client.get_item().table_name(&self.table).set_key(Some(key)).consistent_read(true).send().await.map_err(unavailable)?;
        Ok(out.item)
    }

    fn mark_pending(&self) -> bool {
        self.outbox == OutboxMarking::MarkPending
    }
}

/// What refused a transition's transaction (item 0 the booking, then a counter per night, then anything else).
fn transition_refused(change: &Transition<'_>, failed: &[usize]) -> StoreError {
    let counter_count = if change.effect == InventoryEffect::None { 0 } else { change.next.quote().request.stay.each_night().count() };
    let first = failed.first().copied().unwrap_or(0);
    let night = change.next.quote().request.stay.each_night().nth(first.wrapping_sub(1));
    match (first, night) {
        (0, _) => StoreError::Conflict,
        (i, Some(night)) if i <= counter_count && change.effect == InventoryEffect::Take => StoreError::SoldOut { night },
        (i, Some(night)) if i <= counter_count => StoreError::Corrupt(format!("release below zero on {night}")),
        _ => StoreError::Conflict,
    }
}

/// Unique, ≤ 36 characters, and the same for a retry of the same change: what `ClientRequestToken` wants.
fn request_token(reference: &BookingRef, version: u64) -> String {
    format!("{}-v{version}", reference.as_str())
}

#[async_trait]
impl BookingReader for DynamoStore {
    async fn night_counts(&self, room_type: &RoomTypeId, nights: &[NaiveDate], capacity: u32) -> Result<Vec<NightCount>, StoreError> {
        let mut taken: HashMap<String, i64> = HashMap::new();
        for chunk in nights.chunks(100) {
            let keys: Vec<Item> = chunk.iter().map(|night| night_key(room_type, *night)).collect();
            let mut request = Some(build(KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build())?);
            let mut rounds = 0;
            while let Some(batch) = request.take() {
                rounds += 1;
                let out = self.client.batch_get_item().request_items(&self.table, batch).send().await.map_err(unavailable)?;
                for item in out.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                    taken.insert(str_attr(&item, "pk")?.to_owned(), num_attr(&item, "taken")?);
                }
                request = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys().is_empty());
                if request.is_some() && rounds > 10 {
                    return Err(StoreError::Unavailable("batch get kept returning unprocessed keys".into()));
                }
            }
        }
        nights
            .iter()
            .map(|night| {
                let t = taken.get(&format!("NIGHT#{room_type}#{night}")).copied().unwrap_or(0);
                Ok(NightCount {
                    date: *night,
                    capacity,
                    taken: u32::try_from(t).map_err(|_| StoreError::Corrupt(format!("taken {t} on {night}")))?,
                })
            })
            .collect()
    }

    async fn get_booking(&self, reference: &BookingRef) -> Result<Option<Booking>, StoreError> {
        self.get(booking_key(reference)).await?.as_ref().map(booking_of).transpose()
    }

    async fn booking_with_deliveries(&self, reference: &BookingRef) -> Result<Option<(Booking, Vec<ChannelDelivery>)>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(format!("BOOKING#{reference}")))
            .consistent_read(true);
        let mut booking = None;
        let mut by_channel = Vec::new();
        for item in self.query_all(query).await? {
            let sk = str_attr(&item, "sk")?;
            if sk == "BOOKING" {
                booking = Some(booking_of(&item)?);
            } else if let Some(channel) = sk.strip_prefix("DELIVERY#") {
                by_channel.push((GuestChannel::ALL.iter().position(|c| c.as_str() == channel), delivery_of(&item)?));
            }
        }
        // In `GuestChannel::ALL`'s order, as `deliveries` answers.
        by_channel.sort_by_key(|(order, _)| *order);
        Ok(booking.map(|b| (b, by_channel.into_iter().map(|(_, d)| d).collect())))
    }

    async fn bookings_for_guest(&self, guest: &GuestId) -> Result<Vec<Booking>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_GUEST)
            .key_condition_expression("gsi1pk = :guest")
            .expression_attribute_values(":guest", s(format!("GUEST#{}", guest.as_str())));
        self.query_all(query).await?.iter().map(booking_of).collect()
    }

    async fn due_bookings(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Booking>, StoreError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_BY_TIME)
            .key_condition_expression("gsi2pk = :due AND gsi2sk <= :now")
            .expression_attribute_values(":due", s("DUE"))
            .expression_attribute_values(":now", s(format!("{:020}#~", now.timestamp_millis().max(0))))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        let mut out = Vec::new();
        for item in page.items() {
            // The index is eventually consistent: keep only what the booking itself says is due.
            let booking = booking_of(item)?;
            if booking.due_at().is_some_and(|at| at <= now) {
                out.push(booking);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl BookingWriter for DynamoStore {
    async fn place_hold(&self, booking: &Booking, capacity: u32) -> Result<(), StoreError> {
        let nights: Vec<NaiveDate> = booking.quote().request.stay.each_night().collect();
        let mut items = self.counter_updates(booking, InventoryEffect::Take, capacity)?;
        items.push(self.booking_put(booking)?);
        let last = items.len() - 1;
        // A reference that exists already is a conflict whatever the nights say (as the embedded store decides).
        self.transact(items, &request_token(booking.reference(), booking.version()), |failed| {
            if failed.contains(&last) {
                StoreError::Conflict
            } else {
                failed.first().and_then(|i| nights.get(*i)).map_or(StoreError::Conflict, |night| StoreError::SoldOut { night: *night })
            }
        })
        .await
    }

    async fn transition(&self, change: Transition<'_>) -> Result<(), StoreError> {
        let items = self.transition_items(&change)?;
        self.transact(items, &request_token(change.next.reference(), change.next.version()), |failed| transition_refused(&change, failed))
            .await
    }

    async fn place_hold_claiming(&self, booking: &Booking, capacity: u32, claim: IdempotencyClaim<'_>) -> Result<HoldClaimed, StoreError> {
        let nights: Vec<NaiveDate> = booking.quote().request.stay.each_night().collect();
        let mut items = self.counter_updates(booking, InventoryEffect::Take, capacity)?;
        items.push(self.booking_put(booking)?);
        let booking_at = items.len() - 1;
        let claim_put = self.claim_put(claim.key, claim.payload_hash, claim.owner, claim.now, claim.lease)?;
        items.push(TransactWriteItem::builder().put(claim_put).build());
        let claim_at = items.len() - 1;
        // The key's state wins over everything else (begin_idempotent's answer), then an existing reference, then
        // the first night that sold out.
        let key_taken = std::sync::atomic::AtomicBool::new(false);
        let placed = self
            .transact(items, &format!("{}-c", request_token(booking.reference(), booking.version())), |failed| {
                if failed.contains(&claim_at) {
                    key_taken.store(true, std::sync::atomic::Ordering::Relaxed);
                    StoreError::Conflict
                } else if failed.contains(&booking_at) {
                    StoreError::Conflict
                } else {
                    failed.first().and_then(|i| nights.get(*i)).map_or(StoreError::Conflict, |night| StoreError::SoldOut { night: *night })
                }
            })
            .await;
        match placed {
            Ok(()) => Ok(HoldClaimed::Placed),
            Err(_) if key_taken.load(std::sync::atomic::Ordering::Relaxed) => {
                self.taken_key(claim.key, claim.payload_hash).await.map(HoldClaimed::KeyTaken)
            }
            Err(e) => Err(e),
        }
    }

    async fn transition_completing(&self, change: Transition<'_>, completion: IdempotencyCompletion<'_>) -> Result<(), StoreError> {
        let mut items = self.transition_items(&change)?;
        items.push(TransactWriteItem::builder().update(self.completion_update(&completion)?).build());
        let completion_at = items.len() - 1;
        let claim_lost = std::sync::atomic::AtomicBool::new(false);
        let done = self
            .transact(items, &format!("{}-c", request_token(change.next.reference(), change.next.version())), |failed| {
                if failed == [completion_at] {
                    claim_lost.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                transition_refused(&change, failed)
            })
            .await;
        match done {
            // Someone took the claim over (a lease ran out): theirs to complete. The change itself still stands,
            // as it would after a refused `complete_idempotent`: one more transaction, on this rare path only.
            Err(_) if claim_lost.load(std::sync::atomic::Ordering::Relaxed) => self.transition(change).await,
            other => other,
        }
    }

    async fn queue_resend(&self, resend: Resend<'_>) -> Result<ResendQueued, StoreError> {
        let Resend { event, day, daily_limit } = resend;
        let counter = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("BOOKING#{}", event.reference), &format!("RESEND#{day}"))))
            .update_expression("ADD #sent :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#sent) OR #sent < :limit")
            .expression_attribute_names("#sent", "sent")
            .expression_attribute_names("#ttl", TableLayout::TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(daily_limit))
            .expression_attribute_values(":ttl", n((event.occurred_at + Duration::days(2)).timestamp()));
        let items = vec![self.event_put(event, self.mark_pending())?, TransactWriteItem::builder().update(build(counter.build())?).build()];
        // Item 0 is the event (there already: the same hour), 1 the day's count (at the limit). The hour wins.
        let refused = std::sync::OnceLock::new();
        let explain = |failed: &[usize]| {
            let _ = refused.set(if failed.contains(&0) { ResendQueued::AlreadyQueued } else { ResendQueued::LimitReached });
            StoreError::Conflict
        };
        match self.transact(items, &event.id.replace('#', "-"), explain).await {
            Ok(()) => Ok(ResendQueued::Queued),
            Err(e) => refused.get().copied().ok_or(e),
        }
    }
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn begin_idempotent(
        &self,
        key_name: &str,
        payload_hash: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        let put = self.claim_put(key_name, payload_hash, owner, now, lease)?;
        let claimed = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(put.item().clone()))
            .set_condition_expression(put.condition_expression().map(str::to_owned))
            .set_expression_attribute_names(put.expression_attribute_names().cloned())
            .set_expression_attribute_values(put.expression_attribute_values().cloned())
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(IdempotencyBegin::Started),
            // Someone holds a live record: report what it is.
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                self.taken_key(key_name, payload_hash).await
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn complete_idempotent(
        &self,
        key_name: &str,
        owner: &str,
        result: &serde_json::Value,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let update = self.completion_update(&IdempotencyCompletion { key: key_name, owner, result, now, ttl })?;
        let done = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(update.key().clone()))
            .update_expression(update.update_expression())
            .set_condition_expression(update.condition_expression().map(str::to_owned))
            .set_expression_attribute_names(update.expression_attribute_names().cloned())
            .set_expression_attribute_values(update.expression_attribute_values().cloned())
            .send()
            .await;
        match done {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn abandon_idempotent(&self, key_name: &str, owner: &str) -> Result<(), StoreError> {
        let released = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("IDEMPOTENCY#{key_name}"), "IDEMPOTENCY")))
            .condition_expression("#owner = :owner AND #status = :in_progress")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":in_progress", s("in_progress"))
            .send()
            .await;
        // Taken over or completed by someone else: their record stands.
        refused_is_done(released)
    }
}

/// A conditional write its condition refused is, for the callers here, a write with nothing left to do.
fn refused_is_done<O, E, R>(result: Result<O, SdkError<E, R>>) -> Result<(), StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ConditionalCheckFailedException") => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

fn delivery_key(reference: &BookingRef, channel: GuestChannel) -> Item {
    key(format!("BOOKING#{reference}"), &format!("DELIVERY#{}", channel.as_str()))
}

fn address_item_key(address: &str) -> Item {
    key(format!("ADDRESS#{}", address_key(address)), "UNDELIVERABLE")
}

#[async_trait]
impl DeliveryLog for DynamoStore {
    async fn record_delivery(&self, reference: &BookingRef, delivery: &ChannelDelivery, update: DeliveryUpdate) -> Result<(), StoreError> {
        let condition = match update {
            DeliveryUpdate::Message => "attribute_not_exists(pk) OR event_id <> :event",
            DeliveryUpdate::Report => "event_id = :event",
        };
        let mut item = delivery_key(reference, delivery.channel);
        item.insert("event_id".into(), s(&delivery.event_id));
        item.insert("payload".into(), s(json(delivery)?));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .expression_attribute_values(":event", s(&delivery.event_id))
            .send()
            .await;
        // Refused: not this record's business (see `DeliveryUpdate`), nothing to write.
        refused_is_done(put)
    }

    async fn deliveries(&self, reference: &BookingRef) -> Result<Vec<ChannelDelivery>, StoreError> {
        let mut out = Vec::new();
        for channel in GuestChannel::ALL {
            if let Some(item) = self.get(delivery_key(reference, channel)).await? {
                out.push(delivery_of(&item)?);
            }
        }
        Ok(out)
    }

    async fn mark_undeliverable(&self, address: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = address_item_key(address);
        item.insert("at".into(), s(at.to_rfc3339()));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        // Refused: marked before; the first mark stands.
        refused_is_done(put)
    }

    async fn is_undeliverable(&self, address: &str) -> Result<bool, StoreError> {
        Ok(self.get(address_item_key(address)).await?.is_some())
    }
}
