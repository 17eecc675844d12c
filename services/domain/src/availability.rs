use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One night of one room type: how many rooms exist and how many are held or booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightCount {
    pub date: NaiveDate,
    pub capacity: u32,
    pub taken: u32,
}

impl NightCount {
    /// Never negative and never above capacity, even if a store ever reported `taken > capacity`.
    pub fn available(&self) -> u32 {
        self.capacity.saturating_sub(self.taken)
    }
}

/// Rooms bookable for the whole stay: the tightest night decides.
pub fn available_rooms(nights: &[NightCount]) -> u32 {
    nights.iter().map(NightCount::available).min().unwrap_or(0)
}
