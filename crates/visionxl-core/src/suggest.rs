//! "Did you mean": the closest known spelling for a near miss.

/// The candidate closest to `input` (case-insensitive Jaro-Winkler >= 0.8), if any is close.
pub fn did_you_mean<'a, I, S>(input: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    let needle = input.to_ascii_lowercase();
    let mut best: Option<(f64, String)> = None;
    for c in candidates {
        let c = c.as_ref();
        let score = strsim::jaro_winkler(&needle, &c.to_ascii_lowercase());
        if score >= 0.8 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, c.to_string()));
        }
    }
    best.map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn finds_near_misses_only() {
        assert_eq!(
            did_you_mean("leonardo_tiling", ["leonardo_tilling", "prompt"]).as_deref(),
            Some("leonardo_tilling")
        );
        assert_eq!(
            did_you_mean("1024x1025", ["512x512", "1024x1024"]).as_deref(),
            Some("1024x1024")
        );
        assert_eq!(did_you_mean("zzz", ["prompt", "size"]), None);
    }
}
