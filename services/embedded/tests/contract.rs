//! The shared store contract, run against the embedded (redb) adapter.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;

use booking_embedded::EmbeddedStore;
use booking_store_contract::StoreRef;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_store_honours_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let root = dir.path().to_owned();
    booking_store_contract::run_all(|| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = root.join(format!("store-{n}.redb"));
        async move { Arc::new(EmbeddedStore::open(&path).unwrap()) as StoreRef }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_outbox_holds_exactly_the_written_changes() {
    let dir = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let root = dir.path().to_owned();
    booking_store_contract::run_outbox_cases(|| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = root.join(format!("outbox-{n}.redb"));
        async move {
            let store = Arc::new(EmbeddedStore::open(&path).unwrap());
            (store.clone() as StoreRef, store as Arc<dyn booking_ports::OutboxFeed>)
        }
    })
    .await;
}

/// The contract as a model-based property test (see `booking_store_contract::model`).
#[test]
fn embedded_store_agrees_with_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (sequences, steps) = booking_store_contract::model::run(
        move || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let path = root.join(format!("model-{n}.redb"));
            Box::pin(async move { Arc::new(EmbeddedStore::open(&path).unwrap()) as StoreRef })
        },
        48,
    );
    eprintln!("store model (embedded): {sequences} sequences, {steps} steps");
}
