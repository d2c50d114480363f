//! The emulator's pictures: deterministic, real, decodable images of the requested size, each
//! marked "EMULATED" with a tiny embedded 5x7 bitmap font.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, ImageError};
use sha2::{Digest, Sha256};

/// What one picture is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageSpec {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The seed (given, or derived from the record id).
    pub seed: u64,
    /// The prompt.
    pub prompt: String,
    /// Position in `resultObject`.
    pub index: u32,
    /// PNG with alpha (transparency `foreground_only`) instead of WebP.
    pub transparent: bool,
    /// Bytes of padding added to a PNG picture (`EmulatorConfig::picture_padding`).
    pub padding: usize,
    /// [`settings_hash`](crate::settings_hash) of the request's `promptObject`, stamped in.
    pub settings: u64,
}

impl ImageSpec {
    /// The MIME type of the encoded picture.
    pub(crate) fn content_type(&self) -> &'static str {
        if self.transparent {
            "image/png"
        } else {
            "image/webp"
        }
    }
}

/// Glyph rows (5 bits each, most significant = left) of a 5x7 font.
fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        'A' => [
            0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001,
        ],
        'B' => [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110,
        ],
        'C' => [
            0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110,
        ],
        'D' => [
            0b11110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11110,
        ],
        'E' => [
            0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111,
        ],
        'F' => [
            0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000,
        ],
        'G' => [
            0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111,
        ],
        'H' => [
            0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001,
        ],
        'I' => [
            0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,
        ],
        'J' => [
            0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100,
        ],
        'K' => [
            0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001,
        ],
        'L' => [
            0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111,
        ],
        'M' => [
            0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001,
        ],
        'N' => [
            0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001,
        ],
        'O' => [
            0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110,
        ],
        'P' => [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000,
        ],
        'Q' => [
            0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101,
        ],
        'R' => [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001,
        ],
        'S' => [
            0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110,
        ],
        'T' => [
            0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100,
        ],
        'U' => [
            0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110,
        ],
        'V' => [
            0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100,
        ],
        'W' => [
            0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010,
        ],
        'X' => [
            0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001,
        ],
        'Y' => [
            0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100,
        ],
        'Z' => [
            0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111,
        ],
        '0' => [
            0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110,
        ],
        '1' => [
            0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,
        ],
        '2' => [
            0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111,
        ],
        '3' => [
            0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110,
        ],
        '4' => [
            0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010,
        ],
        '5' => [
            0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110,
        ],
        '6' => [
            0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110,
        ],
        '7' => [
            0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000,
        ],
        '8' => [
            0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110,
        ],
        '9' => [
            0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100,
        ],
        ' ' => [0; 7],
        '-' => [0, 0, 0, 0b11111, 0, 0, 0],
        '.' => [0, 0, 0, 0, 0, 0b01100, 0b01100],
        ':' => [0, 0b01100, 0b01100, 0, 0b01100, 0b01100, 0],
        '#' => [
            0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010,
        ],
        _ => [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0, 0b00100],
    }
}

/// A mutable RGBA canvas.
struct Canvas {
    w: u32,
    h: u32,
    px: Vec<u8>,
}

impl Canvas {
    fn fill_rect(&mut self, x0: u32, y0: u32, x1: u32, y1: u32, rgba: [u8; 4]) {
        let (x1, y1) = (x1.min(self.w), y1.min(self.h));
        for y in y0..y1 {
            let row = (y * self.w) as usize * 4;
            for x in x0..x1 {
                let i = row + x as usize * 4;
                self.px[i..i + 4].copy_from_slice(&rgba);
            }
        }
    }

    /// Draws `text` with its top-left corner at (x, y), each font pixel `scale` pixels wide.
    fn text(&mut self, x: u32, y: u32, scale: u32, text: &str, rgba: [u8; 4]) {
        let mut cx = x;
        for c in text.chars() {
            let rows = glyph(c);
            for (ry, bits) in rows.iter().enumerate() {
                for rx in 0..5u32 {
                    if bits & (0b10000 >> rx) != 0 {
                        let px = cx + rx * scale;
                        let py = y + ry as u32 * scale;
                        self.fill_rect(px, py, px + scale, py + scale, rgba);
                    }
                }
            }
            cx += 6 * scale;
            if cx >= self.w {
                break;
            }
        }
    }
}

/// Width in font units (5 per glyph plus 1 between glyphs).
fn text_units(text: &str) -> u32 {
    let n = text.chars().count() as u32;
    if n == 0 { 0 } else { n * 6 - 1 }
}

/// A periodic table of `n` values of `amp * sin(2π k i / n + phase)`, in fixed point.
fn wave(n: u32, k: u32, phase: f32, amp: f32) -> Vec<i32> {
    (0..n)
        .map(|i| {
            let t = std::f32::consts::TAU * (k as f32 * i as f32 / n as f32) + phase;
            (amp * t.sin()) as i32
        })
        .collect()
}

/// The raw pixels (RGBA, row-major) of a picture. Deterministic: the same spec gives the same
/// pixels. The background tiles (integer frequencies), the "EMULATED" stripe does not.
fn pixels(spec: &ImageSpec) -> Vec<u8> {
    let (w, h) = (spec.width.max(1), spec.height.max(1));
    let mut hasher = Sha256::new();
    hasher.update(b"visionxl-emulator/v1\0");
    hasher.update(spec.seed.to_le_bytes());
    hasher.update(spec.index.to_le_bytes());
    hasher.update(spec.prompt.as_bytes());
    // Other settings give another picture too (as they would on the service).
    hasher.update(spec.settings.to_le_bytes());
    let d = hasher.finalize();
    let byte = |i: usize| d[i % d.len()];
    let phase = |i: usize| f32::from(byte(i)) / 255.0 * std::f32::consts::TAU;
    let freq = |i: usize| 1 + u32::from(byte(i) % 4);
    // Per channel: base + wave(x) + wave(y) + wave(x) * wave(y) / 128.
    let mut tables = Vec::with_capacity(3);
    for c in 0..3 {
        let base = 64 + i32::from(byte(c) % 128);
        let wx = wave(w, freq(3 + c), phase(6 + c), 48.0);
        let wy = wave(h, freq(9 + c), phase(12 + c), 48.0);
        let px = wave(w, freq(15 + c), phase(18 + c), 128.0);
        let py = wave(h, freq(21 + c), phase(24 + c), 40.0);
        tables.push((base, wx, wy, px, py));
    }
    let mut out = vec![0u8; (w * h * 4) as usize];
    for y in 0..h {
        for x in 0..w {
            let i = ((y * w + x) * 4) as usize;
            for (c, (base, wx, wy, px, py)) in tables.iter().enumerate() {
                let (xu, yu) = (x as usize, y as usize);
                let v = base + wx[xu] + wy[yu] + px[xu] * py[yu] / 128;
                out[i + c] = v.clamp(0, 255) as u8;
            }
            out[i + 3] = 255;
        }
    }
    let mut canvas = Canvas { w, h, px: out };
    if spec.transparent {
        // Foreground only: an opaque disc on a fully transparent background.
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let r = w.min(h) as f32 * 0.4;
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                if dx * dx + dy * dy > r * r {
                    let i = ((y * w + x) * 4) as usize;
                    canvas.px[i..i + 4].copy_from_slice(&[0, 0, 0, 0]);
                }
            }
        }
    }
    let stamp = crate::stamp::Stamp {
        seed: spec.seed,
        settings: spec.settings,
    };
    crate::stamp::draw(&mut canvas.px, w, h, stamp);
    // The stripe: a dark band across the middle with EMULATED in white.
    let label = "EMULATED";
    let band_h = (h / 6).max(9);
    let band_y = (h - band_h.min(h)) / 2;
    let scale = ((band_h * 7 / 10) / 7)
        .min((w * 8 / 10) / text_units(label).max(1))
        .max(1);
    canvas.fill_rect(0, band_y, w, band_y + band_h, [16, 16, 16, 255]);
    let tx = w.saturating_sub(text_units(label) * scale) / 2;
    let ty = band_y + band_h.saturating_sub(7 * scale) / 2;
    canvas.text(tx, ty, scale, label, [255, 255, 255, 255]);
    // A footer that says where the picture came from.
    let footer = format!(
        "VISION XL EMULATOR  SEED {}  #{}  {}X{}",
        spec.seed,
        spec.index + 1,
        w,
        h
    );
    let fscale = ((w * 9 / 10) / text_units(&footer).max(1)).clamp(1, 3);
    let fh = 7 * fscale + 2 * fscale;
    if h > band_y + band_h + fh {
        canvas.fill_rect(0, h - fh, w, h, [16, 16, 16, 255]);
        canvas.text(
            fscale * 2,
            h - fh + fscale,
            fscale,
            &footer,
            [255, 214, 0, 255],
        );
    }
    canvas.px
}

/// The encoded picture: lossless WebP, or PNG with alpha when `transparent`.
pub(crate) fn render(spec: &ImageSpec) -> Result<Vec<u8>, ImageError> {
    let rgba = pixels(spec);
    let (w, h) = (spec.width.max(1), spec.height.max(1));
    let mut buf = Vec::with_capacity((w * h / 4) as usize);
    if spec.transparent {
        PngEncoder::new_with_quality(&mut buf, CompressionType::Fast, FilterType::Sub)
            .write_image(&rgba, w, h, ExtendedColorType::Rgba8)?;
        pad_png(&mut buf, spec.padding);
    } else {
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        WebPEncoder::new_lossless(&mut buf).write_image(&rgb, w, h, ExtendedColorType::Rgb8)?;
    }
    Ok(buf)
}

/// The private, ancillary, safe-to-copy chunk type that carries padding (decoders skip it).
const PAD_CHUNK: &[u8; 4] = b"vxPd";
/// Padding is split into chunks of at most this many bytes.
const PAD_CHUNK_MAX: usize = 1 << 20;

/// Inserts `padding` bytes (chunk headers included, as closely as chunk sizes allow) before
/// the PNG's `IEND` chunk, as `vxPd` chunks of zeros.
fn pad_png(png: &mut Vec<u8>, padding: usize) {
    const IEND_LEN: usize = 12;
    const OVERHEAD: usize = 12;
    if padding < OVERHEAD || png.len() < IEND_LEN {
        return;
    }
    let iend = png.split_off(png.len() - IEND_LEN);
    png.reserve(padding + IEND_LEN);
    let mut left = padding;
    let zeros = vec![0u8; PAD_CHUNK_MAX];
    while left >= OVERHEAD {
        let data = (left - OVERHEAD).min(PAD_CHUNK_MAX);
        let mut crc = crc32fast::Hasher::new();
        crc.update(PAD_CHUNK);
        crc.update(&zeros[..data]);
        png.extend_from_slice(&(data as u32).to_be_bytes());
        png.extend_from_slice(PAD_CHUNK);
        png.extend_from_slice(&zeros[..data]);
        png.extend_from_slice(&crc.finalize().to_be_bytes());
        left -= data + OVERHEAD;
    }
    png.extend_from_slice(&iend);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(transparent: bool) -> ImageSpec {
        ImageSpec {
            width: 64,
            height: 48,
            seed: 42,
            prompt: "a fox".into(),
            index: 0,
            transparent,
            padding: 0,
            settings: 9,
        }
    }

    #[test]
    fn deterministic_and_decodable() {
        let a = render(&spec(false)).unwrap();
        assert_eq!(a, render(&spec(false)).unwrap());
        let img = image::load_from_memory(&a).unwrap();
        assert_eq!((img.width(), img.height()), (64, 48));
        let mut other = spec(false);
        other.index = 1;
        assert_ne!(a, render(&other).unwrap());
    }

    #[test]
    fn stamp_decodes_to_seed_and_settings() {
        let mut big = spec(true);
        (big.width, big.height, big.seed, big.settings) = (512, 512, 9_999_999_998, u64::MAX - 3);
        for transparent in [false, true] {
            big.transparent = transparent;
            let got = crate::decode_stamp(&render(&big).unwrap()).unwrap();
            assert_eq!((got.seed, got.settings), (9_999_999_998, u64::MAX - 3));
        }
        // Too small a picture carries no stamp.
        assert_eq!(crate::decode_stamp(&render(&spec(false)).unwrap()), None);
    }

    #[test]
    fn settings_hash_ignores_key_order() {
        let a = serde_json::json!({"prompt": "a", "n": 1});
        let b = serde_json::json!({"n": 1, "prompt": "a"});
        assert_eq!(crate::settings_hash(&a), crate::settings_hash(&b));
        assert_ne!(
            crate::settings_hash(&a),
            crate::settings_hash(&serde_json::json!({"n": 2}))
        );
    }

    #[test]
    fn transparent_png_has_alpha() {
        let b = render(&spec(true)).unwrap();
        assert!(b.starts_with(b"\x89PNG"));
        let img = image::load_from_memory(&b).unwrap().to_rgba8();
        assert_eq!(img.get_pixel(0, 0).0[3], 0);
        assert_eq!(img.get_pixel(32, 24).0[3], 255);
    }

    #[test]
    fn padded_png_is_larger_and_still_decodes() {
        let plain = render(&spec(true)).unwrap();
        for padding in [12, 5_000, (3 << 20) + 7] {
            let padded = render(&ImageSpec {
                padding,
                ..spec(true)
            })
            .unwrap();
            let grown = padded.len() - plain.len();
            assert!(
                grown <= padding && grown + 12 > padding,
                "{padding}: {grown}"
            );
            let img = image::load_from_memory(&padded).unwrap();
            assert_eq!((img.width(), img.height()), (64, 48));
            assert!(
                padded.ends_with(&plain[plain.len() - 12..]),
                "IEND stays last"
            );
        }
        // WebP pictures are not padded.
        let webp = ImageSpec {
            padding: 5_000,
            ..spec(false)
        };
        assert_eq!(render(&webp).unwrap(), render(&spec(false)).unwrap());
    }
}
