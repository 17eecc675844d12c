use std::fmt;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{CancellationPolicy, Currency, DomainError, MAX_NIGHTS};

/// A room type's key in the catalog, e.g. `deluxe-king`: lower-case ASCII, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomTypeId(String);

impl RoomTypeId {
    pub fn parse(id: &str) -> Result<Self, DomainError> {
        let ok = (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok { Ok(RoomTypeId(id.to_owned())) } else { Err(DomainError::UnknownRoomType(id.chars().take(40).collect())) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoomTypeId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RoomTypeId::parse(&value)
    }
}
impl From<RoomTypeId> for String {
    fn from(value: RoomTypeId) -> Self {
        value.0
    }
}
impl fmt::Display for RoomTypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BedType {
    Single,
    Twin,
    Double,
    Queen,
    King,
}

/// A price for one night on dates in `from..=to`; when seasons overlap, the later one in the list wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeasonalRate {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub nightly_minor: i64,
}

/// How a room type is priced and when it can be booked. Weekend means Friday and Saturday nights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatePlan {
    pub base_nightly_minor: i64,
    #[serde(default)]
    pub weekend_nightly_minor: Option<i64>,
    #[serde(default)]
    pub seasons: Vec<SeasonalRate>,
    pub min_nights: u32,
    pub max_nights: u32,
    /// Days between today and check-in, at least.
    pub min_lead_days: u32,
    /// Days between today and check-in, at most: the booking horizon.
    pub max_advance_days: u32,
}

impl RatePlan {
    /// The room price for the night of `date`, before taxes. Seasons beat the weekend rate, which beats the base.
    pub fn nightly_minor(&self, date: NaiveDate) -> i64 {
        if let Some(season) = self.seasons.iter().rev().find(|s| s.from <= date && date <= s.to) {
            return season.nightly_minor;
        }
        match (date.weekday(), self.weekend_nightly_minor) {
            (Weekday::Fri | Weekday::Sat, Some(weekend)) => weekend,
            _ => self.base_nightly_minor,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxes {
    /// Sales tax / VAT on the room price, in basis points (1000 = 10 %).
    pub percentage_bp: u32,
    /// City tourist tax per guest per night, in minor units.
    pub tourist_tax_per_guest_night_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomType {
    pub id: RoomTypeId,
    pub name: String,
    pub description: String,
    pub max_occupancy: u8,
    pub bed_type: BedType,
    #[serde(default)]
    pub amenities: Vec<String>,
    /// How many rooms of this type the hotel has: the capacity of every night.
    pub inventory: u32,
    #[serde(default)]
    pub image: Option<String>,
    pub rate: RatePlan,
}

/// The catalog: what the hotel sells and on what terms. Only obtainable through validation, so code holding a
/// `Hotel` can rely on positive prices, sane stay limits and unique room ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HotelSpec", into = "HotelSpec")]
pub struct Hotel {
    spec: HotelSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotelSpec {
    pub name: String,
    pub currency: Currency,
    /// The hotel's IANA time zone (`Europe/Lisbon`): "today", check-in times and cancellation deadlines are the
    /// hotel's local ones, daylight saving included. A fixed UTC offset would be wrong half the year.
    pub time_zone: Tz,
    /// Local hour when rooms are ready; the cancellation deadline counts back from it.
    pub check_in_hour: u32,
    pub hold_minutes: u32,
    pub taxes: Taxes,
    pub cancellation: CancellationPolicy,
    pub room_types: Vec<RoomType>,
}

impl TryFrom<HotelSpec> for Hotel {
    type Error = DomainError;
    fn try_from(spec: HotelSpec) -> Result<Self, Self::Error> {
        Hotel::new(spec)
    }
}

impl From<Hotel> for HotelSpec {
    fn from(value: Hotel) -> Self {
        value.spec
    }
}

impl Hotel {
    pub fn new(spec: HotelSpec) -> Result<Self, DomainError> {
        let bad = |msg: String| Err(DomainError::InvalidCatalog(msg));
        if spec.room_types.is_empty() {
            return bad("no room types".into());
        }
        if !(1..=24 * 60).contains(&spec.hold_minutes) || spec.check_in_hour > 23 {
            return bad("hold_minutes or check_in_hour out of range".into());
        }
        if spec.taxes.percentage_bp > 10_000 || spec.taxes.tourist_tax_per_guest_night_minor < 0 {
            return bad("taxes out of range".into());
        }
        for (i, room) in spec.room_types.iter().enumerate() {
            if spec.room_types[..i].iter().any(|r| r.id == room.id) {
                return bad(format!("duplicate room type {}", room.id));
            }
            let r = &room.rate;
            let prices =
                std::iter::once(r.base_nightly_minor).chain(r.weekend_nightly_minor).chain(r.seasons.iter().map(|s| s.nightly_minor));
            if prices.into_iter().any(|p| !(1..=10_000_000).contains(&p)) {
                return bad(format!("{}: nightly prices must be positive and sane", room.id));
            }
            if r.min_nights == 0 || r.min_nights > r.max_nights || r.max_nights > MAX_NIGHTS || r.min_lead_days > r.max_advance_days {
                return bad(format!("{}: stay limits inconsistent", room.id));
            }
            if room.max_occupancy == 0 || room.inventory == 0 || room.inventory > 10_000 {
                return bad(format!("{}: occupancy and inventory must be positive", room.id));
            }
            if r.seasons.iter().any(|s| s.from > s.to) {
                return bad(format!("{}: a season ends before it starts", room.id));
            }
        }
        Ok(Hotel { spec })
    }

    pub fn from_json(json: &str) -> Result<Self, DomainError> {
        serde_json::from_str(json).map_err(|e| DomainError::InvalidCatalog(e.to_string()))
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }
    pub fn currency(&self) -> Currency {
        self.spec.currency
    }
    pub fn time_zone(&self) -> Tz {
        self.spec.time_zone
    }
    pub fn check_in_hour(&self) -> u32 {
        self.spec.check_in_hour
    }
    pub fn hold_minutes(&self) -> u32 {
        self.spec.hold_minutes
    }
    pub fn taxes(&self) -> &Taxes {
        &self.spec.taxes
    }
    pub fn cancellation(&self) -> &CancellationPolicy {
        &self.spec.cancellation
    }
    pub fn room_types(&self) -> &[RoomType] {
        &self.spec.room_types
    }
    pub fn room_type(&self, id: &RoomTypeId) -> Result<&RoomType, DomainError> {
        self.spec.room_types.iter().find(|r| &r.id == id).ok_or_else(|| DomainError::UnknownRoomType(id.to_string()))
    }

    /// The hotel's local calendar date at `now`.
    pub fn local_date(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.spec.time_zone).date_naive()
    }

    /// The instant rooms are ready on `date`: the check-in hour, local time. If daylight saving skips that hour
    /// the first instant after the gap is used; if the hour happens twice, the first one.
    pub fn check_in_instant(&self, date: NaiveDate) -> DateTime<Utc> {
        let local = date.and_time(NaiveTime::from_hms_opt(self.spec.check_in_hour, 0, 0).unwrap_or(NaiveTime::MIN));
        let tz = self.spec.time_zone;
        let resolved = match tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t),
            // A gap is at most a few hours: the first local time after it exists.
            LocalResult::None => (1..=4).find_map(|h| tz.from_local_datetime(&(local + Duration::hours(h))).earliest()),
        };
        resolved.map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
    }
}
