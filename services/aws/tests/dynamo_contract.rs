//! The shared store contract, run unchanged against the DynamoDB adapter over the real wire protocol (moto).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use booking_aws::DynamoStore;
use booking_aws::OutboxMarking;
use booking_local_aws::moto::MotoServer;
use booking_local_aws::{DynamoOutboxPoller, create_table};
use booking_ports::{BookingReader, BookingWriter, OutboxFeed};
use booking_store_contract::{StoreRef, held};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_store_honours_the_contract() {
    let moto = MotoServer::start().await.unwrap();
    let config = moto.sdk_config();
    let counter = AtomicUsize::new(0);
    booking_store_contract::run_all(|| {
        let table = format!("bookings-{}", counter.fetch_add(1, Ordering::SeqCst));
        let store = DynamoStore::new(&config, &table, OutboxMarking::StreamOnly);
        let config = config.clone();
        async move {
            create_table(&config, &table).await.unwrap();
            Arc::new(store) as StoreRef
        }
    })
    .await;
}

/// The outbox as the local stack reads it from DynamoDB (items marked pending, `DynamoOutboxPoller`); in AWS the
/// stream carries the same items.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_outbox_holds_exactly_the_written_changes() {
    let moto = MotoServer::start().await.unwrap();
    let config = moto.sdk_config();
    let counter = AtomicUsize::new(0);
    booking_store_contract::run_outbox_cases(|| {
        let table = format!("outbox-{}", counter.fetch_add(1, Ordering::SeqCst));
        let store = DynamoStore::new(&config, &table, OutboxMarking::MarkPending);
        let outbox = DynamoOutboxPoller::new(&config, &table);
        let config = config.clone();
        async move {
            create_table(&config, &table).await.unwrap();
            (Arc::new(store) as StoreRef, Arc::new(outbox) as Arc<dyn OutboxFeed>)
        }
    })
    .await;
}

/// 50 concurrent holds for the last room: exactly one wins. Moto serves requests one at a time (see
/// moto_single.py), so this checks that the adapter's conditions, not luck, keep the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_holds_for_the_last_room_admit_one() {
    let moto = MotoServer::start().await.unwrap();
    let store = Arc::new(DynamoStore::new(&moto.sdk_config(), "race", OutboxMarking::StreamOnly));
    create_table(&moto.sdk_config(), "race").await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let b = held(1000 + i, &format!("racer-{i}"), "garden-single", "2030-04-10", "2030-04-13", 1);
            store.place_hold(&b, 1).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    let nights: Vec<_> = ["2030-04-10", "2030-04-11", "2030-04-12"].iter().map(|d| d.parse().unwrap()).collect();
    let counts = store.night_counts(&booking_domain::RoomTypeId::parse("garden-single").unwrap(), &nights, 1).await.unwrap();
    assert!(counts.iter().all(|c| c.taken == 1), "{counts:?}");
}

/// The contract as a model-based property test (see `booking_store_contract::model`), over moto's DynamoDB.
#[test]
fn dynamodb_store_agrees_with_the_model() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let moto = Arc::new(runtime.block_on(MotoServer::start()).unwrap());
    let config = moto.sdk_config();
    let counter = Arc::new(AtomicUsize::new(0));
    let (sequences, steps) = booking_store_contract::model::run(
        move || {
            let table = format!("model-{}", counter.fetch_add(1, Ordering::SeqCst));
            let store = DynamoStore::new(&config, &table, OutboxMarking::StreamOnly);
            let config = config.clone();
            Box::pin(async move {
                create_table(&config, &table).await.unwrap();
                Arc::new(store) as StoreRef
            })
        },
        16,
    );
    drop(moto);
    eprintln!("store model (DynamoDB on moto): {sequences} sequences, {steps} steps");
}
