//! Webhook delivery, like Stripe's: signed (`Stripe-Signature`), asynchronous (the API answers first), retried
//! with exponential backoff on non-2xx answers and connection errors, and ordered per payment intent.
//!
//! Each ordering key (an intent id) gets its own queue and worker task, so a receiver failing on one intent's
//! events delays only that intent's later events. A worker ends after a quiet period; the queue map's lock makes
//! "is anything left?" and "remove me" one step, so an event enqueued meanwhile is never stranded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, watch};

use crate::ids;
use crate::model::API_VERSION;
use crate::ops::Event;
use crate::{LocalStripeError, UnixClock, WebhookTarget};

/// How long an idle per-intent worker waits for more events before it ends.
const IDLE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub attempts: u32,
}

impl RetryPolicy {
    /// 0.2 s doubling to at most 5 s, 8 attempts (about 16 s in all): Stripe's schedule, compressed to suit a
    /// development machine.
    pub(crate) const DEFAULT: RetryPolicy =
        RetryPolicy { first_delay: Duration::from_millis(200), max_delay: Duration::from_secs(5), attempts: 8 };
}

struct Delivery {
    id: String,
    event_type: &'static str,
    payload: String,
}

/// A webhook kept for the owner to deliver (`WebhookTarget::Collect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedWebhook {
    pub id: String,
    pub event_type: String,
    /// The event JSON exactly as it would be POSTed.
    pub payload: String,
    /// A `Stripe-Signature` header for the payload, signed when the event was created.
    pub signature: String,
}

struct Shared {
    target: WebhookTarget,
    secret: String,
    clock: UnixClock,
    collected: Mutex<Vec<CollectedWebhook>>,
    client: reqwest::Client,
    retry: RetryPolicy,
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<Delivery>>>,
    /// Deliveries enqueued and not yet finished (delivered or given up).
    pending: watch::Sender<usize>,
}

#[derive(Clone)]
pub(crate) struct Webhooks {
    shared: Arc<Shared>,
}

impl Webhooks {
    pub(crate) fn new(target: WebhookTarget, secret: String, clock: UnixClock, retry: RetryPolicy) -> Result<Self, LocalStripeError> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(LocalStripeError::HttpClient)?;
        let (pending, _) = watch::channel(0);
        let shared =
            Shared { target, secret, clock, collected: Mutex::new(Vec::new()), client, retry, queues: Mutex::new(HashMap::new()), pending };
        Ok(Webhooks { shared: Arc::new(shared) })
    }

    /// Everything collected so far, oldest first (and forgets it).
    pub(crate) fn take(&self) -> Vec<CollectedWebhook> {
        std::mem::take(&mut *self.shared.collected.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Wraps `event` in a Stripe Event envelope and queues it behind earlier events with the same key.
    pub(crate) fn enqueue(&self, event: Event, request_id: &str, idempotency_key: Option<&str>, now: i64) {
        let id = ids::new_id("evt");
        let payload = json!({
            "id": id,
            "object": "event",
            "api_version": API_VERSION,
            "created": now,
            "data": {"object": event.object},
            "livemode": false,
            "pending_webhooks": 1,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": event.event_type,
        })
        .to_string();
        if self.shared.target == WebhookTarget::Collect {
            let signature = booking_stripe::signature::sign(payload.as_bytes(), &self.shared.secret, now);
            let collected = CollectedWebhook { id, event_type: event.event_type.to_owned(), payload, signature };
            self.shared.collected.lock().unwrap_or_else(PoisonError::into_inner).push(collected);
            return;
        }
        let delivery = Delivery { id, event_type: event.event_type, payload };
        self.shared.pending.send_modify(|n| *n += 1);

        let mut queues = self.shared.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let delivery = match queues.get(&event.key) {
            Some(queue) => match queue.send(delivery) {
                Ok(()) => return,
                // Cannot happen while the worker removes its entry before ending, but never lose an event.
                Err(mpsc::error::SendError(delivery)) => delivery,
            },
            None => delivery,
        };
        let (queue, receiver) = mpsc::unbounded_channel();
        if queue.send(delivery).is_err() {
            self.shared.pending.send_modify(|n| *n = n.saturating_sub(1));
            return;
        }
        queues.insert(event.key.clone(), queue);
        tokio::spawn(worker(Arc::clone(&self.shared), event.key, receiver));
    }

    /// Resolves once nothing is pending, or after `timeout`.
    pub(crate) async fn drain(&self, timeout: Duration) {
        let mut pending = self.shared.pending.subscribe();
        if tokio::time::timeout(timeout, pending.wait_for(|n| *n == 0)).await.is_err() {
            tracing::warn!(pending = *pending.borrow(), "webhook deliveries still pending after the drain timeout");
        }
    }
}

async fn worker(shared: Arc<Shared>, key: String, mut queue: mpsc::UnboundedReceiver<Delivery>) {
    loop {
        let delivery = match tokio::time::timeout(IDLE, queue.recv()).await {
            Ok(Some(delivery)) => delivery,
            Ok(None) => return,
            Err(_idle) => {
                let mut queues = shared.queues.lock().unwrap_or_else(PoisonError::into_inner);
                if queue.is_empty() {
                    queues.remove(&key);
                    return;
                }
                continue;
            }
        };
        deliver(&shared, &delivery).await;
        shared.pending.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// One event, attempted until a 2xx answer or the policy's last attempt. Each attempt is signed afresh, with
/// its own timestamp, so a slow retry is not refused by the receiver's tolerance window.
async fn deliver(shared: &Shared, delivery: &Delivery) {
    let WebhookTarget::Post(url) = &shared.target else { return };
    let mut delay = shared.retry.first_delay;
    for attempt in 1..=shared.retry.attempts {
        let signature = booking_stripe::signature::sign(delivery.payload.as_bytes(), &shared.secret, shared.clock.now());
        let result = shared
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::USER_AGENT, "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
            .header("Stripe-Signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        match result {
            Ok(response) if response.status().is_success() => {
                tracing::debug!(event_id = %delivery.id, event_type = delivery.event_type, attempt, "webhook delivered");
                return;
            }
            Ok(response) => {
                tracing::warn!(event_id = %delivery.id, event_type = delivery.event_type, attempt, status = %response.status(), "webhook refused");
            }
            Err(error) => {
                tracing::warn!(event_id = %delivery.id, event_type = delivery.event_type, attempt, %error, "webhook delivery failed");
            }
        }
        if attempt < shared.retry.attempts {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(shared.retry.max_delay);
        }
    }
    tracing::error!(event_id = %delivery.id, event_type = delivery.event_type, "webhook abandoned after all retries");
}
