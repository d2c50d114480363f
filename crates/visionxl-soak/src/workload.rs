//! The soak's requests: one unique prompt per item, small pictures, `n` 1 or 2 mixed, some
//! transparent PNGs; and the way back from a prompt to its item.

use visionxl::{GenerateRequest, Size, Transparency};

/// The side of every picture (512x512, the cheapest size).
pub const SIDE: u32 = 512;

/// The shape of item `index`: `(n, transparent)`. A third of the items ask for two pictures,
/// a seventh for a transparent PNG (`leonardo_transparency: foreground_only`).
pub fn shape(index: usize) -> (u32, bool) {
    let n = if index % 3 == 1 { 2 } else { 1 };
    (n, index % 7 == 3)
}

/// The prompt of item `index` in the run tagged `tag`.
pub fn prompt(tag: &str, index: usize) -> String {
    format!("soak {tag} item {index}: a lighthouse on a cliff at dusk, variation {index}")
}

/// The item a prompt of the run tagged `tag` belongs to; `None` for another run's prompt.
pub fn item_of(tag: &str, prompt: &str) -> Option<usize> {
    let rest = prompt.strip_prefix("soak ")?.strip_prefix(tag)?;
    let rest = rest.strip_prefix(" item ")?;
    let digits = rest.split(':').next()?;
    digits.parse().ok()
}

/// The requests of a run: `count` items tagged `tag`.
pub fn requests(tag: &str, count: usize) -> Result<Vec<GenerateRequest>, visionxl::Error> {
    (0..count)
        .map(|i| {
            let (n, transparent) = shape(i);
            let mut b = GenerateRequest::builder(prompt(tag, i))
                .size(Size::S512x512)
                .n(n);
            if transparent {
                b = b.transparency(Transparency::ForegroundOnly);
            }
            b.build()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_lead_back_to_their_item() {
        for i in [0, 7, 12_345] {
            assert_eq!(item_of("t1", &prompt("t1", i)), Some(i));
        }
        assert_eq!(item_of("t2", &prompt("t1", 3)), None);
        assert_eq!(item_of("t1", &prompt("t12", 3)), None);
        assert_eq!(item_of("t1", "a fox"), None);
    }

    #[test]
    fn the_workload_mixes_shapes_and_validates() {
        let reqs = requests("t", 21).unwrap();
        assert_eq!(reqs.len(), 21);
        assert!(reqs.iter().any(|r| r.n == 2) && reqs.iter().any(|r| r.n == 1));
        assert_eq!(
            reqs.iter()
                .filter(|r| r.transparency == Some(Transparency::ForegroundOnly))
                .count(),
            3
        );
        assert!(reqs.iter().all(|r| r.credits().unwrap() == 234));
    }
}
