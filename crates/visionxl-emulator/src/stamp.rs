//! A machine-readable stamp in every emulated picture: a magic word, the seed and a hash of
//! the settings it was made from, as black and white blocks along the top-left edge. Tests
//! decode a downloaded picture with [`decode_stamp`] and compare it with what they asked for
//! ([`settings_hash`] of the sent `promptObject`), proving an image belongs to its request.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Side of one stamp block in pixels (lossless WebP and PNG keep them exact).
const BLOCK: u32 = 4;
/// Blocks per stamp row.
const PER_ROW: u32 = 72;
/// Marks a stamped picture (16 bits).
const MAGIC: u16 = 0xA5C3;
/// Bits in a stamp: magic, seed, settings hash.
const BITS: u32 = 16 + 64 + 64;

/// What a stamp says about a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The seed the picture was made with (given, or derived by the emulator).
    pub seed: u64,
    /// [`settings_hash`] of the `promptObject` the picture was made from.
    pub settings: u64,
}

/// A stable 64-bit hash of a `promptObject` (wire names): its JSON with object keys sorted,
/// so key order does not matter.
pub fn settings_hash(prompt_object: &Value) -> u64 {
    let mut text = String::new();
    canonical(prompt_object, &mut text);
    let d = Sha256::digest(text.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

/// JSON with sorted object keys.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The stamp's bits, most significant first.
fn bits(stamp: Stamp) -> impl Iterator<Item = bool> {
    let magic = (0..16).rev().map(|i| (MAGIC >> i) & 1 == 1);
    let seed = (0..64).rev().map(move |i| (stamp.seed >> i) & 1 == 1);
    let settings = (0..64).rev().map(move |i| (stamp.settings >> i) & 1 == 1);
    magic.chain(seed).chain(settings)
}

/// The top-left pixel of block `i`.
fn block_origin(i: u32) -> (u32, u32) {
    ((i % PER_ROW) * BLOCK, (i / PER_ROW) * BLOCK)
}

/// Draws the stamp into RGBA pixels of a `w` x `h` picture (too small a picture is left as
/// it is).
pub(crate) fn draw(px: &mut [u8], w: u32, h: u32, stamp: Stamp) {
    if w < PER_ROW * BLOCK || h < BITS.div_ceil(PER_ROW) * BLOCK {
        return;
    }
    for (i, bit) in bits(stamp).enumerate() {
        let (x0, y0) = block_origin(i as u32);
        let rgb = if bit { [255; 3] } else { [0; 3] };
        for y in y0..y0 + BLOCK {
            for x in x0..x0 + BLOCK {
                // Colour only: a transparent background stays transparent (PNG keeps the
                // colour of transparent pixels exactly).
                let at = ((y * w + x) * 4) as usize;
                px[at..at + 3].copy_from_slice(&rgb);
            }
        }
    }
}

/// Reads the stamp of an encoded emulator picture (WebP or PNG); `None` when the bytes do not
/// decode or carry no stamp.
///
/// ```
/// # use visionxl_emulator::{decode_stamp, settings_hash};
/// assert_eq!(decode_stamp(b"not a picture"), None);
/// let _ = settings_hash(&serde_json::json!({"prompt": "a fox"}));
/// ```
pub fn decode_stamp(bytes: &[u8]) -> Option<Stamp> {
    let img = image::load_from_memory(bytes).ok()?.to_rgba8();
    if img.width() < PER_ROW * BLOCK || img.height() < BITS.div_ceil(PER_ROW) * BLOCK {
        return None;
    }
    let mut next = 0u32;
    let mut read = |count: u32| {
        let mut value = 0u64;
        for _ in 0..count {
            let (x, y) = block_origin(next);
            let p = img.get_pixel(x + BLOCK / 2, y + BLOCK / 2).0;
            let bright = (u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])) / 3 > 127;
            value = (value << 1) | u64::from(bright);
            next += 1;
        }
        value
    };
    if read(16) != u64::from(MAGIC) {
        return None;
    }
    let seed = read(64);
    let settings = read(64);
    Some(Stamp { seed, settings })
}
