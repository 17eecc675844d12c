//! The time window a report covers, aligned so that one CloudWatch period covers it exactly.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Error;

/// `[start, end)` in epoch seconds, both whole minutes (whole hours for windows longer than 15 days, as
/// CloudWatch keeps older data at coarser grain). The report asks for one datapoint per metric with a period
/// equal to the window, so each figure is that window's total, not a sum of overlapping periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    start: u64,
    end: u64,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const FIFTEEN_DAYS: u64 = 15 * 24 * HOUR;
/// CloudWatch keeps 455 days of (hourly) data.
const LONGEST: u64 = 455 * 24 * HOUR;

impl Window {
    /// The `since` before `now`, widened to whole minutes (hours past 15 days): the end is the next whole
    /// minute after `now`, so the figures include what was just recorded.
    pub fn ending_at(now: SystemTime, since: Duration) -> Result<Window, Error> {
        let now = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let since = since.as_secs().max(MINUTE);
        if since > LONGEST {
            return Err(Error::InvalidDuration(format!("{since}s is longer than CloudWatch keeps data (455 days)")));
        }
        let grain = if since > FIFTEEN_DAYS { HOUR } else { MINUTE };
        let end = (now / grain + 1) * grain;
        let length = since.div_ceil(grain) * grain;
        Ok(Window { start: end.saturating_sub(length), end })
    }

    /// Parses `15m`, `24h`, `7d` (or plain seconds: `90s`).
    pub fn parse_since(text: &str) -> Result<Duration, Error> {
        let invalid = || Error::InvalidDuration(text.to_owned());
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
        let (number, unit) = text.split_at(split);
        let number: u64 = number.parse().map_err(|_| invalid())?;
        let seconds = match unit {
            "s" => 1,
            "m" => MINUTE,
            "h" => HOUR,
            "d" => 24 * HOUR,
            _ => return Err(invalid()),
        };
        if number == 0 {
            return Err(invalid());
        }
        number.checked_mul(seconds).map(Duration::from_secs).ok_or_else(invalid)
    }

    pub fn start(&self) -> u64 {
        self.start
    }

    pub fn end(&self) -> u64 {
        self.end
    }

    /// The period (seconds) of one datapoint covering the whole window.
    pub fn period(&self) -> i32 {
        i32::try_from(self.end - self.start).unwrap_or(i32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_an_operator_writes_them() {
        let check = |text: &str, seconds: Option<u64>| assert_eq!(Window::parse_since(text).ok().map(|d| d.as_secs()), seconds, "{text}");
        check("15m", Some(900));
        check("24h", Some(86_400));
        check("7d", Some(604_800));
        check("90s", Some(90));
        check("0h", None);
        check("h", None);
        check("24", None);
        check("1w", None);
        check("-1h", None);
    }

    #[test]
    fn windows_end_on_the_next_whole_minute_and_cover_the_asked_length() {
        let now = UNIX_EPOCH + Duration::from_secs(1_764_000_030);
        let window = Window::ending_at(now, Duration::from_secs(24 * 3600)).unwrap();
        assert_eq!(window.end(), 1_764_000_060);
        assert_eq!(window.period(), 86_400);
        assert_eq!(window.end() % 60, 0);
        let window = Window::ending_at(now, Duration::from_secs(90)).unwrap();
        assert_eq!(window.period(), 120, "widened to whole minutes");
        let window = Window::ending_at(now, Duration::from_secs(30 * 24 * 3600)).unwrap();
        assert_eq!((window.end() % 3600, window.period() % 3600), (0, 0), "whole hours past 15 days");
        assert!(Window::ending_at(now, Duration::from_secs(500 * 24 * 3600)).is_err());
    }
}
