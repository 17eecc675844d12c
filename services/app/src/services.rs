use std::sync::Arc;

use booking_domain::Hotel;
use booking_ports::{BookingStore, Clock, Notifier, PaymentGateway};

/// The adapters a use case may call, chosen once at start-up (Lambda cold start or local stack boot).
#[derive(Clone)]
pub struct Services {
    pub hotel: Arc<Hotel>,
    pub store: Arc<dyn BookingStore>,
    pub payments: Arc<dyn PaymentGateway>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").field("hotel", &self.hotel.name()).finish_non_exhaustive()
    }
}

impl Services {
    pub(crate) fn capacity(&self, room_type: &booking_domain::RoomTypeId) -> Result<u32, crate::AppError> {
        Ok(self.hotel.room_type(room_type)?.inventory)
    }
}
