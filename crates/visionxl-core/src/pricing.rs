//! Prices in credits, from the documentation's table, and the cheapest way to buy K images.

use serde::Serialize;

use crate::error::{Error, Violation, ViolationCode};
use crate::size::Size;

/// Credits per call, indexed by [`Size::ALL`] order and then by `n - 1`.
const PRICES: [[u32; 4]; 4] = [
    [234, 234, 260, 286], // 512x512
    [260, 312, 364, 416], // 1024x768
    [260, 312, 364, 416], // 768x1024
    [286, 338, 416, 468], // 1024x1024
];

/// The most images [`plan_batches`] plans for at once.
pub const MAX_PLAN_IMAGES: u32 = 100_000;

/// The largest `n` one call may ask for.
pub const MAX_N: u32 = 4;

/// The price of one call of `n` images of `size`, in credits.
///
/// ```
/// use visionxl_core::{estimate_credits, Size};
/// assert_eq!(estimate_credits(Size::S1024x1024, 4).unwrap(), 468);
/// ```
pub fn estimate_credits(size: Size, n: u32) -> Result<u32, Error> {
    price(size, n).ok_or_else(|| {
        Error::validation(vec![Violation::new(
            "n",
            ViolationCode::OutOfRange,
            format!("n must be between 1 and {MAX_N} (inclusive), got {n}"),
        )])
    })
}

/// The table's price, `None` for an `n` out of range (no error built: [`price_hint`] asks
/// about `n + 1` on every validation).
fn price(size: Size, n: u32) -> Option<u32> {
    (1..=MAX_N)
        .contains(&n)
        .then(|| PRICES[size.index()][n as usize - 1])
}

/// Like [`estimate_credits`], with the size given as its wire string.
pub fn estimate_credits_str(size: &str, n: u32) -> Result<u32, Error> {
    let size: Size = size.parse().map_err(|v| Error::validation(vec![v]))?;
    estimate_credits(size, n)
}

/// Like [`plan_batches`], with the size given as its wire string.
pub fn plan_batches_str(size: &str, images: u32) -> Result<BatchPlan, Error> {
    let size: Size = size.parse().map_err(|v| Error::validation(vec![v]))?;
    plan_batches(size, images)
}

/// Every cell of the price table: `(size, n, credits)`.
pub fn price_table() -> impl Iterator<Item = (Size, u32, u32)> {
    Size::ALL
        .into_iter()
        .flat_map(|s| (1..=MAX_N).map(move |n| (s, n, PRICES[s.index()][n as usize - 1])))
}

/// A hint when a call pays for images it does not ask for (n=1 at 512x512 costs as much as n=2).
pub fn price_hint(size: Size, n: u32) -> Option<String> {
    let here = price(size, n)?;
    let more = price(size, n.checked_add(1)?)?;
    (here == more).then(|| {
        format!(
            "n={} at {size} costs {here} credits, the same as n={}: ask for {} images at no extra cost",
            n,
            n + 1,
            n + 1
        )
    })
}

/// The cheapest split of `images` images into calls of 1..=4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchPlan {
    /// The size every call uses.
    pub size: Size,
    /// Images delivered in all.
    pub images: u32,
    /// `n` of each call, largest first.
    pub calls: Vec<u32>,
    /// Credits for the whole plan.
    pub total_credits: u32,
}

/// The cheapest split of exactly `images` images into calls of 1..=4 (ties: fewer calls, then
/// the lexicographically largest list of calls).
///
/// ```
/// use visionxl_core::{plan_batches, Size};
/// let plan = plan_batches(Size::S512x512, 5).unwrap();
/// assert_eq!((plan.calls, plan.total_credits), (vec![3, 2], 494));
/// ```
pub fn plan_batches(size: Size, images: u32) -> Result<BatchPlan, Error> {
    const LIMIT: u32 = MAX_PLAN_IMAGES;
    if images == 0 || images > LIMIT {
        return Err(Error::validation(vec![Violation::new(
            "images",
            ViolationCode::OutOfRange,
            format!("images must be between 1 and {LIMIT} (inclusive), got {images}"),
        )]));
    }
    let price = |n: u32| PRICES[size.index()][n as usize - 1];
    // best[k]: the cheapest way to deliver exactly k images. Every part of the key is additive
    // (credits, calls, and the counts of 4s, 3s and 2s, negated so that more large calls sort
    // first), so extending the best plan for k - n by one call of n gives the best plan for k:
    // O(images) time and memory, whatever the count.
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct Key {
        credits: u64,
        calls: u32,
        fewer_large: [i64; 3], // -(count of 4s), -(count of 3s), -(count of 2s)
    }
    let k = images as usize;
    let mut best: Vec<Key> = Vec::with_capacity(k + 1);
    best.push(Key {
        credits: 0,
        calls: 0,
        fewer_large: [0; 3],
    });
    for total in 1..=k {
        let pick = (1..=MAX_N.min(total as u32))
            .map(|n| {
                let mut key = best[total - n as usize];
                key.credits += u64::from(price(n));
                key.calls += 1;
                if n >= 2 {
                    key.fewer_large[(MAX_N - n) as usize] -= 1;
                }
                key
            })
            .min()
            .expect("n = 1 is always possible");
        best.push(pick);
    }
    let last = best[k];
    let mut calls = Vec::with_capacity(last.calls as usize);
    for (i, n) in [4u32, 3, 2].into_iter().enumerate() {
        calls.extend(std::iter::repeat_n(n, (-last.fewer_large[i]) as usize));
    }
    let rest = images - calls.iter().sum::<u32>();
    calls.extend(std::iter::repeat_n(1, rest as usize));
    Ok(BatchPlan {
        size,
        images,
        calls,
        total_credits: u32::try_from(last.credits).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_16_cells() {
        assert_eq!(price_table().count(), 16);
        assert_eq!(estimate_credits(Size::S512x512, 2).unwrap(), 234);
    }

    #[test]
    fn hint_only_where_the_next_image_is_free() {
        assert!(price_hint(Size::S512x512, 1).is_some());
        for (s, n, _) in price_table() {
            if (s, n) != (Size::S512x512, 1) {
                assert!(price_hint(s, n).is_none(), "{s} {n}");
            }
        }
    }

    #[test]
    fn plans_are_never_worse_than_naive() {
        for s in Size::ALL {
            for k in 1..=40 {
                let plan = plan_batches(s, k).unwrap();
                assert_eq!(plan.calls.iter().sum::<u32>(), k);
                let naive: u32 = (0..k / 4)
                    .map(|_| estimate_credits(s, 4).unwrap())
                    .sum::<u32>()
                    + if k % 4 > 0 {
                        estimate_credits(s, k % 4).unwrap()
                    } else {
                        0
                    };
                assert!(plan.total_credits <= naive);
            }
        }
        assert_eq!(
            plan_batches(Size::S512x512, 0).unwrap_err().violations()[0].field,
            "images"
        );
    }
}
