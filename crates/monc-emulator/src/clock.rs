//! Wall-clock timestamps in the formats the Monitor API uses.

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment as the API renders it: `created` text and `created_at` milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timestamp {
    pub iso: String,
    pub millis: i64,
}

pub(crate) fn now() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let micros = i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX);
    Timestamp {
        iso: format_micros(micros),
        // The API truncates `created_at` to whole seconds.
        millis: micros / 1_000_000 * 1000,
    }
}

impl Timestamp {
    /// The moment `millis` milliseconds after the epoch, as a drill sets it.
    pub(crate) fn at_millis(millis: i64) -> Timestamp {
        Timestamp {
            iso: format_micros(millis.saturating_mul(1000)),
            millis,
        }
    }

    /// `2025-12-11T15:09:20+00:00`: whole seconds, as `overall_state_modified` is recorded.
    pub(crate) fn iso_seconds(&self) -> String {
        let text = format_micros(self.millis * 1000);
        format!("{}+00:00", &text[..19])
    }
}

/// Seconds since the epoch of a timestamp the API wrote (`2025-12-11T15:09:20+00:00`, with or
/// without a fraction); `None` for anything else.
pub(crate) fn parse_seconds(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let days = days_from_civil(number(0..4)?, number(5..7)?, number(8..10)?);
    let seconds = number(11..13)? * 3600 + number(14..16)? * 60 + number(17..19)?;
    Some(days * 86_400 + seconds)
}

/// Howard Hinnant's civil-to-days algorithm, the inverse of `civil_from_days`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2022-05-12T09:46:21.924878+00:00` from microseconds since the epoch (UTC).
pub fn format_micros(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:06}+00:00",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_api() {
        // created_at 1652348781000 ↔ "2022-05-12T09:46:21.924878+00:00" in a real cassette.
        assert_eq!(
            format_micros(1_652_348_781_924_878),
            "2022-05-12T09:46:21.924878+00:00"
        );
        assert_eq!(format_micros(0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(
            format_micros(951_782_400_000_000),
            "2000-02-29T00:00:00.000000+00:00"
        );
        assert_eq!(
            parse_seconds("2022-05-12T09:46:21.924878+00:00"),
            Some(1_652_348_781)
        );
        assert_eq!(
            parse_seconds("2000-02-29T00:00:00+00:00"),
            Some(951_782_400)
        );
        assert_eq!(parse_seconds("not a time"), None);
    }
}
