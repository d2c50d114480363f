//! Wall-clock stamps: RFC 3339 (formatted and parsed by `humantime`), and the two shapes the
//! service derives from it, storage-path stamps and `X-Amz-Date`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One instant, as its RFC 3339 UTC text with milliseconds (`2026-11-24T17:50:00.123Z`), from
/// which the other stamps are cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Civil {
    rfc3339: String,
}

impl Civil {
    /// The instant of a Unix timestamp in milliseconds.
    pub(crate) fn from_ms(ms: u64) -> Civil {
        let at = UNIX_EPOCH + Duration::from_millis(ms);
        Civil {
            rfc3339: humantime::format_rfc3339_millis(at).to_string(),
        }
    }

    /// `2026-11-24T17:50:00.123Z`.
    pub(crate) fn rfc3339(&self) -> String {
        self.rfc3339.clone()
    }

    /// `2026_11_24_17_50_00_123`, as in the service's storage paths.
    pub(crate) fn path_stamp(&self) -> String {
        self.rfc3339
            .trim_end_matches('Z')
            .replace(['-', 'T', ':', '.'], "_")
    }

    /// `20261124T175000Z`, as in `X-Amz-Date`.
    pub(crate) fn amz(&self) -> String {
        let seconds = self.rfc3339.split('.').next().unwrap_or_default();
        format!("{}Z", seconds.replace(['-', ':'], ""))
    }

    /// `20261124`, as in an `X-Amz-Credential` scope.
    pub(crate) fn amz_day(&self) -> String {
        self.rfc3339[..10].replace('-', "")
    }
}

/// Parses `20261124T175000Z` to Unix seconds; `None` for anything else.
pub(crate) fn parse_amz(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits(0..8) || !digits(9..15) {
        return None;
    }
    let text = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    let at = humantime::parse_rfc3339(&text).ok()?;
    at.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
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
