//! Wall-clock formatting without a date crate: RFC 3339, storage-path stamps and `X-Amz-Date`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub milli: u32,
}

/// Days since 1970-01-01 -> (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) -> days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Civil {
    /// The civil time of a Unix timestamp in milliseconds.
    pub(crate) fn from_ms(ms: u64) -> Civil {
        let secs = (ms / 1000) as i64;
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: ((rem % 3600) / 60) as u32,
            second: (rem % 60) as u32,
            milli: (ms % 1000) as u32,
        }
    }

    /// `2026-11-24T17:50:00.123Z`.
    pub(crate) fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.milli
        )
    }

    /// `2026_11_24_17_50_00_123`, as in the service's storage paths.
    pub(crate) fn path_stamp(&self) -> String {
        format!(
            "{:04}_{:02}_{:02}_{:02}_{:02}_{:02}_{:03}",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.milli
        )
    }

    /// `20261124T175000Z`, as in `X-Amz-Date`.
    pub(crate) fn amz(&self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `20261124`, as in an `X-Amz-Credential` scope.
    pub(crate) fn amz_day(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

/// Parses `20261124T175000Z` to Unix seconds; `None` for anything else.
pub(crate) fn parse_amz(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + se);
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        // 2025-01-15T10:50:00.123Z
        let ms = 1_736_938_200_123;
        let c = Civil::from_ms(ms);
        assert_eq!(c.rfc3339(), "2025-01-15T10:50:00.123Z");
        assert_eq!(c.path_stamp(), "2025_01_15_10_50_00_123");
        assert_eq!(c.amz(), "20250115T105000Z");
        assert_eq!(parse_amz(&c.amz()), Some(ms / 1000));
        assert_eq!(Civil::from_ms(0).rfc3339(), "1970-01-01T00:00:00.000Z");
        // A leap day.
        let leap = parse_amz("20240229T235959Z").unwrap();
        assert_eq!(Civil::from_ms(leap * 1000).amz(), "20240229T235959Z");
        for bad in [
            "",
            "2024",
            "20241301T000000Z",
            "2024010xT000000Z",
            "20240101T000000",
            "２０２４",
        ] {
            assert_eq!(parse_amz(bad), None, "{bad}");
        }
    }
}
