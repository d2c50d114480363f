//! Timestamps for manifest lines and sidecars.

use std::time::SystemTime;

/// Now as RFC 3339 UTC to the second, e.g. `2025-01-15T10:50:00Z`.
pub(crate) fn utc_now() -> String {
    rfc3339(SystemTime::now())
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_utc_seconds() {
        let at = |secs| super::rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_736_938_200), "2025-01-15T10:50:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::utc_now().len(), 20);
    }
}
