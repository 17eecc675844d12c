use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The longest stay the hotel sells in one booking, whatever a rate plan says.
pub const MAX_NIGHTS: u32 = 30;

/// A check-in and check-out date with check-in < check-out and 1..=30 nights. Whether the stay is in the past is
/// a separate question ([`StayDates::ensure_not_past`]) because it needs "today", which the caller supplies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawStay")]
pub struct StayDates {
    check_in: NaiveDate,
    check_out: NaiveDate,
}

#[derive(Deserialize)]
struct RawStay {
    check_in: NaiveDate,
    check_out: NaiveDate,
}

impl TryFrom<RawStay> for StayDates {
    type Error = DomainError;
    fn try_from(raw: RawStay) -> Result<Self, Self::Error> {
        StayDates::new(raw.check_in, raw.check_out)
    }
}

impl StayDates {
    pub fn new(check_in: NaiveDate, check_out: NaiveDate) -> Result<Self, DomainError> {
        if check_out <= check_in {
            return Err(DomainError::CheckOutNotAfterCheckIn { check_in, check_out });
        }
        let nights = (check_out - check_in).num_days();
        if nights > i64::from(MAX_NIGHTS) {
            return Err(DomainError::StayTooLong { nights, max: MAX_NIGHTS });
        }
        Ok(StayDates { check_in, check_out })
    }

    pub fn check_in(&self) -> NaiveDate {
        self.check_in
    }

    pub fn check_out(&self) -> NaiveDate {
        self.check_out
    }

    pub fn nights(&self) -> u32 {
        // Bounded by MAX_NIGHTS on construction.
        u32::try_from((self.check_out - self.check_in).num_days()).unwrap_or(MAX_NIGHTS)
    }

    /// The dates of each night slept, check-in inclusive, check-out exclusive.
    pub fn each_night(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        (0..u64::from(self.nights())).filter_map(|i| self.check_in.checked_add_days(Days::new(i)))
    }

    pub fn ensure_not_past(&self, today: NaiveDate) -> Result<(), DomainError> {
        if self.check_in < today { Err(DomainError::StayInPast { check_in: self.check_in }) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn validates_dates() {
        let check = |ci, co, expected: Result<u32, &str>| {
            let got = StayDates::new(d(ci), d(co)).map(|s| s.nights()).map_err(|e| e.code());
            assert_eq!(got, expected, "{ci}..{co}");
        };
        check("2027-01-01", "2027-01-02", Ok(1));
        check("2027-01-01", "2027-01-31", Ok(30));
        check("2027-01-01", "2027-02-01", Err("stay_too_long"));
        check("2027-01-01", "2027-01-01", Err("invalid_dates"));
        check("2027-01-02", "2027-01-01", Err("invalid_dates"));
        check("2028-02-28", "2028-03-01", Ok(2)); // leap year
    }

    #[test]
    fn nights_and_past() {
        let stay = StayDates::new(d("2027-03-30"), d("2027-04-02")).unwrap();
        let nights: Vec<_> = stay.each_night().collect();
        assert_eq!(nights, vec![d("2027-03-30"), d("2027-03-31"), d("2027-04-01")]);
        assert!(stay.ensure_not_past(d("2027-03-30")).is_ok());
        assert!(stay.ensure_not_past(d("2027-03-31")).is_err());
    }

    #[test]
    fn deserializing_validates() {
        let bad = serde_json::from_str::<StayDates>(r#"{"check_in":"2027-01-02","check_out":"2027-01-01"}"#);
        assert!(bad.is_err());
    }
}
