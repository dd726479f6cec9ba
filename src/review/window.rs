//! The review window: `--since 30d`, or `--from`/`--to` as dates or times (UTC).

/// Milliseconds of `7d`, `12h`, `90m`, `2w`, `45s`; `None` for anything else.
pub fn parse_duration_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number = &text[..text.len() - unit.len_utf8()];
    let seconds: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
    number.checked_mul(seconds * 1000)
}

/// Milliseconds since the epoch of `2026-11-01` (midnight UTC), `2026-11-01T08:30:00Z`,
/// `2026-11-01T08:30:00+02:00` or `2026-11-01 08:30`; `None` for anything else.
pub fn parse_instant_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if text.get(4..5) != Some("-") || text.get(7..8) != Some("-") {
        return None;
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if text.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(text.get(10..11), Some("T" | " ")) {
        return None;
    }
    let (hour, minute) = (number(11..13)?, number(14..16)?);
    let (second, rest) = match text.get(16..17) {
        Some(":") => (number(17..19)?, text.get(19..)?),
        _ => (0, text.get(16..)?),
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = match rest {
        "" | "Z" => 0,
        zone => {
            let sign = match zone.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            sign * (digits[..2].parse::<i64>().ok()? * 3600 + digits[2..].parse::<i64>().ok()? * 60)
        }
    };
    Some((days * 86_400 + hour * 3600 + minute * 60 + second - offset) * 1000)
}

/// `2026-11-01T08:30:00Z` of milliseconds since the epoch (whole seconds).
pub fn format_instant(ms: i64) -> String {
    let text = monc_emulator::format_micros(ms.div_euclid(1000).saturating_mul(1_000_000));
    format!("{}Z", &text[..19])
}

/// Howard Hinnant's civil-to-days algorithm.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_durations_parse_and_format_back() {
        let ms = parse_instant_ms("2026-11-01T08:30:00Z").expect("parses");
        assert_eq!(format_instant(ms), "2026-11-01T08:30:00Z");
        assert_eq!(parse_instant_ms("2026-11-01T10:30:00+02:00"), Some(ms));
        assert_eq!(parse_instant_ms("2026-11-01 08:30"), Some(ms));
        assert_eq!(
            parse_instant_ms("2026-11-01"),
            Some(ms - (8 * 3600 + 30 * 60) * 1000)
        );
        assert_eq!(parse_instant_ms("2026-13-01"), None);
        assert_eq!(parse_instant_ms("yesterday"), None);
        assert_eq!(parse_instant_ms("2026-11-01T08:30:00+2"), None);
        assert_eq!(parse_duration_ms("30d"), Some(30 * 86_400_000));
        assert_eq!(parse_duration_ms("0d"), None);
        assert_eq!(parse_duration_ms("30"), None);
        assert_eq!(parse_duration_ms("é"), None);
    }
}
