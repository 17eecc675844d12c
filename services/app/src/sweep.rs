use crate::changes::{cancel_intent_quietly, transition};
use booking_domain::Action;

use crate::{AppError, Services};

/// Releases holds whose time ran out and voids their payment intents, so a late card confirmation cannot take
/// money for rooms we gave back. Safe to run concurrently and repeatedly: a hold already moved is skipped.
/// Returns how many holds were released.
pub async fn sweep_expired_holds(svc: &Services, limit: usize) -> Result<usize, AppError> {
    let due = svc.store.expired_holds(svc.clock.now(), limit).await?;
    let mut released = 0;
    for booking in due {
        match transition(svc, &booking, Action::Expire, None).await {
            Ok(_) => released += 1,
            Err(AppError::Conflict | AppError::Rule(_)) => continue,
            Err(e) => return Err(e),
        }
        cancel_intent_quietly(svc, &booking, "expire").await;
        tracing::info!(reference = %booking.reference(), "hold expired; rooms released");
    }
    Ok(released)
}
