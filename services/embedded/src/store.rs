use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use async_trait::async_trait;
use booking_domain::{Booking, BookingRef, GuestId, InventoryEffect, NightCount, RoomTypeId};
use booking_ports::{
    BookingEvent, BookingReader, BookingWriter, ChannelDelivery, DeliveryLog, DeliveryUpdate, GuestChannel, HoldClaimed, IdempotencyBegin,
    IdempotencyClaim, IdempotencyCompletion, IdempotencyStore, OutboxFeed, Resend, ResendQueued, StoreError, Transition, address_key,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, Table, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

/// reference -> Booking (JSON)
const BOOKINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("bookings");
/// "<room type>|<YYYY-MM-DD>" -> rooms taken that night
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("night_counters");
/// "<guest>|<check-in>|<reference>" -> () : the guest's bookings by check-in date
const BY_GUEST: TableDefinition<&str, ()> = TableDefinition::new("bookings_by_guest");
/// "<due time, ms, zero-padded>|<reference>" -> () : bookings with a `due_at` (holds, money still to move)
const DUE: TableDefinition<&str, ()> = TableDefinition::new("due_by_time");
/// key -> IdempotencyRecord (JSON)
const IDEMPOTENCY: TableDefinition<&str, &[u8]> = TableDefinition::new("idempotency");
/// sequence -> BookingEvent (JSON); deleted once dispatched
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// "<reference>|<channel>" -> ChannelDelivery (JSON): the latest message's state per guest channel
const DELIVERIES: TableDefinition<&str, &[u8]> = TableDefinition::new("deliveries");
/// address (`address_key`) -> when it bounced or complained
const UNDELIVERABLE: TableDefinition<&str, &str> = TableDefinition::new("undeliverable_addresses");
/// "<reference>|<YYYY-MM-DD>" -> the ids of the confirmations re-sent that day (JSON list): the daily limit, and
/// the hour's idempotency (the outbox forgets events once dispatched, this does not)
const RESENDS: TableDefinition<&str, &[u8]> = TableDefinition::new("confirmation_resends");

#[derive(Debug, Serialize, Deserialize)]
struct IdempotencyRecord {
    payload_hash: String,
    /// Who holds the claim; only they may complete or release it.
    owner: String,
    /// None while in progress.
    result: Option<serde_json::Value>,
    /// In progress: when the lease ends. Completed: when the record expires.
    until: DateTime<Utc>,
}

/// The booking store on redb. Cheap to clone; all clones share one database file.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn counter_key(room_type: &RoomTypeId, night: NaiveDate) -> String {
    format!("{room_type}|{night}")
}

fn guest_key(b: &Booking) -> String {
    format!("{}|{}|{}", b.guest().as_str(), b.quote().request.stay.check_in(), b.reference())
}

fn due_key(b: &Booking) -> Option<String> {
    b.due_at().map(|at| format!("{:020}|{}", at.timestamp_millis().max(0), b.reference()))
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(corrupt)
}

fn from_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(corrupt)
}

impl EmbeddedStore {
    /// Opens (or creates) the database file at `path`. A file this process has open already is shared, not
    /// opened twice (redb locks its file): the local stack wires each function on its own, all on one store, as
    /// each Lambda in AWS opens the one table.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        static OPEN: OnceLock<Mutex<HashMap<PathBuf, Weak<Database>>>> = OnceLock::new();
        let key = std::path::absolute(path).map_err(unavailable)?;
        let mut open = OPEN.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = open.get(&key).and_then(Weak::upgrade) {
            return Ok(EmbeddedStore { db });
        }
        let store = Self::create(path)?;
        open.retain(|_, db| db.strong_count() > 0);
        open.insert(key, Arc::downgrade(&store.db));
        Ok(store)
    }

    fn create(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(unavailable)?;
        let txn = db.begin_write().map_err(unavailable)?;
        {
            // Create every table up front so readers never see "table does not exist".
            txn.open_table(BOOKINGS).map_err(unavailable)?;
            txn.open_table(COUNTERS).map_err(unavailable)?;
            txn.open_table(BY_GUEST).map_err(unavailable)?;
            txn.open_table(DUE).map_err(unavailable)?;
            txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
            txn.open_table(OUTBOX).map_err(unavailable)?;
            txn.open_table(DELIVERIES).map_err(unavailable)?;
            txn.open_table(UNDELIVERABLE).map_err(unavailable)?;
            txn.open_table(RESENDS).map_err(unavailable)?;
        }
        txn.commit().map_err(unavailable)?;
        Ok(EmbeddedStore { db: Arc::new(db) })
    }

    /// Runs a blocking closure on the blocking pool: redb is synchronous and commits fsync.
    async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&db)).await.map_err(unavailable)?
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds: an error drops (aborts) it.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            let out = f(&txn)?;
            txn.commit().map_err(unavailable)?;
            Ok(out)
        })
        .await
    }
}

/// Adds `rooms` to every night, refusing (before any write is kept) if one would exceed `capacity`.
fn take_nights(counters: &mut Table<&str, u64>, booking: &Booking, capacity: u32) -> Result<(), StoreError> {
    let request = &booking.quote().request;
    let rooms = u64::from(request.rooms);
    for night in request.stay.each_night() {
        let key = counter_key(&request.room_type, night);
        let taken = counters.get(key.as_str()).map_err(unavailable)?.map(|v| v.value()).unwrap_or(0);
        if taken + rooms > u64::from(capacity) {
            return Err(StoreError::SoldOut { night });
        }
        counters.insert(key.as_str(), taken + rooms).map_err(unavailable)?;
    }
    Ok(())
}

fn release_nights(counters: &mut Table<&str, u64>, booking: &Booking) -> Result<(), StoreError> {
    let request = &booking.quote().request;
    let rooms = u64::from(request.rooms);
    for night in request.stay.each_night() {
        let key = counter_key(&request.room_type, night);
        let taken = counters.get(key.as_str()).map_err(unavailable)?.map(|v| v.value()).unwrap_or(0);
        let left = taken.checked_sub(rooms).ok_or_else(|| corrupt(format!("counter underflow on {key}")))?;
        counters.insert(key.as_str(), left).map_err(unavailable)?;
    }
    Ok(())
}

fn append_event(txn: &WriteTransaction, event: &BookingEvent) -> Result<(), StoreError> {
    let mut outbox = txn.open_table(OUTBOX).map_err(unavailable)?;
    let next = outbox.last().map_err(unavailable)?.map(|(k, _)| k.value() + 1).unwrap_or(1);
    outbox.insert(next, to_json(event)?.as_slice()).map_err(unavailable)?;
    Ok(())
}

#[async_trait]
impl BookingReader for EmbeddedStore {
    async fn night_counts(&self, room_type: &RoomTypeId, nights: &[NaiveDate], capacity: u32) -> Result<Vec<NightCount>, StoreError> {
        let room_type = room_type.clone();
        let nights = nights.to_vec();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let counters = txn.open_table(COUNTERS).map_err(unavailable)?;
            nights
                .into_iter()
                .map(|date| {
                    let taken = counters.get(counter_key(&room_type, date).as_str()).map_err(unavailable)?.map(|v| v.value()).unwrap_or(0);
                    Ok(NightCount { date, capacity, taken: u32::try_from(taken).map_err(corrupt)? })
                })
                .collect()
        })
        .await
    }

    async fn booking_with_deliveries(&self, reference: &BookingRef) -> Result<Option<(Booking, Vec<ChannelDelivery>)>, StoreError> {
        let reference = reference.clone();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let Some(bytes) = txn.open_table(BOOKINGS).map_err(unavailable)?.get(reference.as_str()).map_err(unavailable)? else {
                return Ok(None);
            };
            let booking: Booking = from_json(bytes.value())?;
            Ok(Some((booking, deliveries_in(&txn, &reference)?)))
        })
        .await
    }

    async fn get_booking(&self, reference: &BookingRef) -> Result<Option<Booking>, StoreError> {
        let reference = reference.clone();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let bookings = txn.open_table(BOOKINGS).map_err(unavailable)?;
            bookings.get(reference.as_str()).map_err(unavailable)?.map(|b| from_json(b.value())).transpose()
        })
        .await
    }

    async fn bookings_for_guest(&self, guest: &GuestId) -> Result<Vec<Booking>, StoreError> {
        let prefix = format!("{}|", guest.as_str());
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let index = txn.open_table(BY_GUEST).map_err(unavailable)?;
            let bookings = txn.open_table(BOOKINGS).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in index.range(prefix.as_str()..).map_err(unavailable)? {
                let (key, _) = entry.map_err(unavailable)?;
                let key = key.value();
                if !key.starts_with(prefix.as_str()) {
                    break;
                }
                let reference = key.rsplit('|').next().unwrap_or_default();
                if let Some(bytes) = bookings.get(reference).map_err(unavailable)? {
                    out.push(from_json(bytes.value())?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn due_bookings(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Booking>, StoreError> {
        let upper = format!("{:020}|~", now.timestamp_millis().max(0));
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let due = txn.open_table(DUE).map_err(unavailable)?;
            let bookings = txn.open_table(BOOKINGS).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in due.range(..upper.as_str()).map_err(unavailable)?.take(limit) {
                let (key, _) = entry.map_err(unavailable)?;
                let reference = key.value().rsplit('|').next().unwrap_or_default().to_owned();
                if let Some(bytes) = bookings.get(reference.as_str()).map_err(unavailable)? {
                    let booking: Booking = from_json(bytes.value())?;
                    if booking.due_at().is_some_and(|at| at <= now) {
                        out.push(booking);
                    }
                }
            }
            Ok(out)
        })
        .await
    }
}

/// Writes a new Held booking and takes its rooms, inside `txn`.
fn hold_in(txn: &WriteTransaction, booking: &Booking, capacity: u32) -> Result<(), StoreError> {
    let mut bookings = txn.open_table(BOOKINGS).map_err(unavailable)?;
    if bookings.get(booking.reference().as_str()).map_err(unavailable)?.is_some() {
        return Err(StoreError::Conflict);
    }
    take_nights(&mut txn.open_table(COUNTERS).map_err(unavailable)?, booking, capacity)?;
    bookings.insert(booking.reference().as_str(), to_json(booking)?.as_slice()).map_err(unavailable)?;
    txn.open_table(BY_GUEST).map_err(unavailable)?.insert(guest_key(booking).as_str(), ()).map_err(unavailable)?;
    if let Some(key) = due_key(booking) {
        txn.open_table(DUE).map_err(unavailable)?.insert(key.as_str(), ()).map_err(unavailable)?;
    }
    Ok(())
}

/// One booking change, inside `txn`.
fn transition_in(txn: &WriteTransaction, change: &OwnedTransition) -> Result<(), StoreError> {
    let OwnedTransition { previous, next, effect, capacity, event } = change;
    let mut bookings = txn.open_table(BOOKINGS).map_err(unavailable)?;
    let current: Booking = match bookings.get(previous.reference().as_str()).map_err(unavailable)? {
        Some(bytes) => from_json(bytes.value())?,
        None => return Err(StoreError::Conflict),
    };
    if current.version() != previous.version() || next.version() <= current.version() {
        return Err(StoreError::Conflict);
    }
    let mut counters = txn.open_table(COUNTERS).map_err(unavailable)?;
    match effect {
        InventoryEffect::Take => take_nights(&mut counters, next, *capacity)?,
        InventoryEffect::Release => release_nights(&mut counters, &current)?,
        InventoryEffect::None => {}
    }
    bookings.insert(next.reference().as_str(), to_json(next)?.as_slice()).map_err(unavailable)?;
    let mut due = txn.open_table(DUE).map_err(unavailable)?;
    if let Some(key) = due_key(&current) {
        due.remove(key.as_str()).map_err(unavailable)?;
    }
    if let Some(key) = due_key(next) {
        due.insert(key.as_str(), ()).map_err(unavailable)?;
    }
    if let Some(event) = event {
        append_event(txn, event)?;
    }
    Ok(())
}

/// A [`Transition`] the write closure can own.
struct OwnedTransition {
    previous: Booking,
    next: Booking,
    effect: InventoryEffect,
    capacity: u32,
    event: Option<BookingEvent>,
}

impl From<Transition<'_>> for OwnedTransition {
    fn from(change: Transition<'_>) -> Self {
        OwnedTransition {
            previous: change.previous.clone(),
            next: change.next.clone(),
            effect: change.effect,
            capacity: change.capacity,
            event: change.event.cloned(),
        }
    }
}

/// Claims `key` for `owner` inside `txn` when it is free (absent, or its lease or retention over), and says what
/// the key was.
fn claim_in(
    txn: &WriteTransaction,
    key: &str,
    payload_hash: &str,
    owner: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<IdempotencyBegin, StoreError> {
    let mut table = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
    let existing: Option<IdempotencyRecord> = table.get(key).map_err(unavailable)?.map(|v| from_json(v.value())).transpose()?;
    match existing {
        Some(record) if record.until > now && record.payload_hash != payload_hash => return Ok(IdempotencyBegin::PayloadMismatch),
        Some(IdempotencyRecord { result: Some(result), until, .. }) if until > now => return Ok(IdempotencyBegin::Completed(result)),
        Some(IdempotencyRecord { result: None, until, .. }) if until > now => return Ok(IdempotencyBegin::InProgress),
        _ => {}
    }
    let record = IdempotencyRecord { payload_hash: payload_hash.to_owned(), owner: owner.to_owned(), result: None, until: now + lease };
    table.insert(key, to_json(&record)?.as_slice()).map_err(unavailable)?;
    Ok(IdempotencyBegin::Started)
}

/// Records `result` for `key` inside `txn` if `owner` still holds the claim; `false` (nothing written) otherwise.
fn complete_in(
    txn: &WriteTransaction,
    key: &str,
    owner: &str,
    result: serde_json::Value,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<bool, StoreError> {
    let mut table = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
    let record: IdempotencyRecord = match table.get(key).map_err(unavailable)? {
        Some(v) => from_json(v.value())?,
        None => return Ok(false),
    };
    if record.owner != owner || record.result.is_some() {
        return Ok(false);
    }
    let done = IdempotencyRecord { payload_hash: record.payload_hash, owner: owner.to_owned(), result: Some(result), until: now + ttl };
    table.insert(key, to_json(&done)?.as_slice()).map_err(unavailable)?;
    Ok(true)
}

#[async_trait]
impl BookingWriter for EmbeddedStore {
    async fn place_hold(&self, booking: &Booking, capacity: u32) -> Result<(), StoreError> {
        let booking = booking.clone();
        self.write(move |txn| hold_in(txn, &booking, capacity)).await
    }

    async fn transition(&self, change: Transition<'_>) -> Result<(), StoreError> {
        let change = OwnedTransition::from(change);
        self.write(move |txn| transition_in(txn, &change)).await
    }

    async fn place_hold_claiming(&self, booking: &Booking, capacity: u32, claim: IdempotencyClaim<'_>) -> Result<HoldClaimed, StoreError> {
        let booking = booking.clone();
        let (key, payload_hash, owner) = (claim.key.to_owned(), claim.payload_hash.to_owned(), claim.owner.to_owned());
        let (now, lease) = (claim.now, claim.lease);
        self.write(move |txn| match claim_in(txn, &key, &payload_hash, &owner, now, lease)? {
            // A failed hold drops the transaction, and the claim with it.
            IdempotencyBegin::Started => hold_in(txn, &booking, capacity).map(|()| HoldClaimed::Placed),
            taken => Ok(HoldClaimed::KeyTaken(taken)),
        })
        .await
    }

    async fn transition_completing(&self, change: Transition<'_>, completion: IdempotencyCompletion<'_>) -> Result<(), StoreError> {
        let change = OwnedTransition::from(change);
        let (key, owner, result) = (completion.key.to_owned(), completion.owner.to_owned(), completion.result.clone());
        let (now, ttl) = (completion.now, completion.ttl);
        self.write(move |txn| {
            transition_in(txn, &change)?;
            // A claim taken over is the new owner's to complete: the transition stands without it.
            complete_in(txn, &key, &owner, result, now, ttl)?;
            Ok(())
        })
        .await
    }

    async fn queue_resend(&self, resend: Resend<'_>) -> Result<ResendQueued, StoreError> {
        let event = resend.event.clone();
        let key = format!("{}|{}", event.reference, resend.day);
        let limit = usize::try_from(resend.daily_limit).unwrap_or(usize::MAX);
        self.write(move |txn| {
            let mut resends = txn.open_table(RESENDS).map_err(unavailable)?;
            let mut sent: Vec<String> = match resends.get(key.as_str()).map_err(unavailable)? {
                Some(bytes) => from_json(bytes.value())?,
                None => Vec::new(),
            };
            if sent.contains(&event.id) {
                return Ok(ResendQueued::AlreadyQueued);
            }
            if sent.len() >= limit {
                return Ok(ResendQueued::LimitReached);
            }
            sent.push(event.id.clone());
            resends.insert(key.as_str(), to_json(&sent)?.as_slice()).map_err(unavailable)?;
            append_event(txn, &event)?;
            Ok(ResendQueued::Queued)
        })
        .await
    }
}

#[async_trait]
impl IdempotencyStore for EmbeddedStore {
    async fn begin_idempotent(
        &self,
        key: &str,
        payload_hash: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        let (key, payload_hash, owner) = (key.to_owned(), payload_hash.to_owned(), owner.to_owned());
        self.write(move |txn| claim_in(txn, &key, &payload_hash, &owner, now, lease)).await
    }

    async fn complete_idempotent(
        &self,
        key: &str,
        owner: &str,
        result: &serde_json::Value,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let (key, owner, result) = (key.to_owned(), owner.to_owned(), result.clone());
        self.write(move |txn| if complete_in(txn, &key, &owner, result, now, ttl)? { Ok(()) } else { Err(StoreError::Conflict) }).await
    }

    async fn abandon_idempotent(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        let owner = owner.to_owned();
        self.write(move |txn| {
            let mut table = txn.open_table(IDEMPOTENCY).map_err(unavailable)?;
            let mine = match table.get(key.as_str()).map_err(unavailable)? {
                Some(v) => {
                    let record: IdempotencyRecord = from_json(v.value())?;
                    record.owner == owner && record.result.is_none()
                }
                None => false,
            };
            if mine {
                table.remove(key.as_str()).map_err(unavailable)?;
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl OutboxFeed for EmbeddedStore {
    async fn pending_events(&self, limit: usize) -> Result<Vec<BookingEvent>, StoreError> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let outbox = txn.open_table(OUTBOX).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in outbox.iter().map_err(unavailable)?.take(limit) {
                let (_, value) = entry.map_err(unavailable)?;
                out.push(from_json(value.value())?);
            }
            Ok(out)
        })
        .await
    }

    async fn mark_dispatched(&self, event_id: &str) -> Result<(), StoreError> {
        let event_id = event_id.to_owned();
        self.write(move |txn| {
            let mut outbox = txn.open_table(OUTBOX).map_err(unavailable)?;
            let mut found = None;
            for entry in outbox.iter().map_err(unavailable)? {
                let (seq, value) = entry.map_err(unavailable)?;
                let event: BookingEvent = from_json(value.value())?;
                if event.id == event_id {
                    found = Some(seq.value());
                    break;
                }
            }
            if let Some(seq) = found {
                outbox.remove(seq).map_err(unavailable)?;
            }
            Ok(())
        })
        .await
    }
}

fn delivery_key(reference: &BookingRef, channel: GuestChannel) -> String {
    format!("{reference}|{}", channel.as_str())
}

/// The booking's channels that have a record, in `GuestChannel::ALL`'s order (email before SMS).
fn deliveries_in(txn: &ReadTransaction, reference: &BookingRef) -> Result<Vec<ChannelDelivery>, StoreError> {
    let table = txn.open_table(DELIVERIES).map_err(unavailable)?;
    let mut out = Vec::new();
    for channel in GuestChannel::ALL {
        if let Some(bytes) = table.get(delivery_key(reference, channel).as_str()).map_err(unavailable)? {
            out.push(from_json(bytes.value())?);
        }
    }
    Ok(out)
}

#[async_trait]
impl DeliveryLog for EmbeddedStore {
    async fn record_delivery(&self, reference: &BookingRef, delivery: &ChannelDelivery, update: DeliveryUpdate) -> Result<(), StoreError> {
        let key = delivery_key(reference, delivery.channel);
        let delivery = delivery.clone();
        self.write(move |txn| {
            let mut table = txn.open_table(DELIVERIES).map_err(unavailable)?;
            let current: Option<ChannelDelivery> =
                table.get(key.as_str()).map_err(unavailable)?.map(|v| from_json(v.value())).transpose()?;
            let same_event = current.as_ref().is_some_and(|c| c.event_id == delivery.event_id);
            let apply = match update {
                DeliveryUpdate::Message => !same_event,
                DeliveryUpdate::Report => same_event,
            };
            if apply {
                table.insert(key.as_str(), to_json(&delivery)?.as_slice()).map_err(unavailable)?;
            }
            Ok(())
        })
        .await
    }

    async fn deliveries(&self, reference: &BookingRef) -> Result<Vec<ChannelDelivery>, StoreError> {
        let reference = reference.clone();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            deliveries_in(&txn, &reference)
        })
        .await
    }

    async fn mark_undeliverable(&self, address: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let key = address_key(address);
        self.write(move |txn| {
            let mut table = txn.open_table(UNDELIVERABLE).map_err(unavailable)?;
            if table.get(key.as_str()).map_err(unavailable)?.is_none() {
                table.insert(key.as_str(), at.to_rfc3339().as_str()).map_err(unavailable)?;
            }
            Ok(())
        })
        .await
    }

    async fn is_undeliverable(&self, address: &str) -> Result<bool, StoreError> {
        let key = address_key(address);
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let table = txn.open_table(UNDELIVERABLE).map_err(unavailable)?;
            Ok(table.get(key.as_str()).map_err(unavailable)?.is_some())
        })
        .await
    }
}
