//! OpenAI image sizes mapped to the nearest Vision XL size (the table of `docs/serve.md`).
//!
//! The rule, in two steps:
//! 1. **Orientation** from the aspect ratio: wider than 1.15:1 is landscape, taller than 1:1.15
//!    is portrait, anything in between is square.
//! 2. **Size**: Vision XL has one landscape size (1024x768) and one portrait size (768x1024);
//!    for square requests it is the smallest of 512x512 and 1024x1024 that is at least as large
//!    as asked (a longest side up to 512 gives 512x512, anything bigger 1024x1024).
//!
//! `auto` (gpt-image-1) is 1024x1024, the documented default. Each side must be a whole number of
//! pixels from 1 to [`MAX_SIDE`]; anything else is a 400 naming `size`.

use visionxl::{Size, Violation, ViolationCode};

/// The largest side accepted in a requested size.
pub const MAX_SIDE: u32 = 8192;

/// How far from square (width / height) a size may be and still count as square.
const SQUARE_TOLERANCE: f64 = 1.15;

/// The Vision XL size for an OpenAI `size` string, or the violation to report on `size`.
pub fn map_size(requested: &str) -> Result<Size, Violation> {
    let s = requested.trim().to_ascii_lowercase();
    if s == "auto" {
        return Ok(Size::S1024x1024);
    }
    let (w, h) = parse_dimensions(&s).ok_or_else(|| {
        Violation::new(
            "size",
            ViolationCode::NotAllowedValue,
            format!(
                "size must be WIDTHxHEIGHT in pixels (e.g. 1024x1024, 1792x1024) or auto, with \
                 each side from 1 to {MAX_SIDE}; got {requested:?}"
            ),
        )
    })?;
    let ratio = f64::from(w) / f64::from(h);
    Ok(if ratio > SQUARE_TOLERANCE {
        Size::S1024x768
    } else if ratio < 1.0 / SQUARE_TOLERANCE {
        Size::S768x1024
    } else if w.max(h) <= 512 {
        Size::S512x512
    } else {
        Size::S1024x1024
    })
}

/// `WxH` with both sides in 1..=MAX_SIDE (digits only, no sign, no spaces inside).
fn parse_dimensions(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once('x')?;
    let side = |t: &str| -> Option<u32> {
        if t.is_empty() || t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse::<u32>().ok().filter(|v| (1..=MAX_SIDE).contains(v))
    };
    Some((side(w)?, side(h)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes OpenAI documents for its image models and what each becomes (the table of
    /// docs/serve.md).
    const OPENAI_SIZES: [(&str, Size); 8] = [
        ("256x256", Size::S512x512),
        ("512x512", Size::S512x512),
        ("1024x1024", Size::S1024x1024),
        ("1792x1024", Size::S1024x768),
        ("1536x1024", Size::S1024x768),
        ("1024x1792", Size::S768x1024),
        ("1024x1536", Size::S768x1024),
        ("auto", Size::S1024x1024),
    ];

    #[test]
    fn the_documented_table() {
        for (requested, expected) in OPENAI_SIZES {
            assert_eq!(map_size(requested).unwrap(), expected, "{requested}");
        }
    }

    #[test]
    fn every_vision_xl_size_maps_to_itself() {
        for s in Size::ALL {
            assert_eq!(map_size(s.as_str()).unwrap(), s);
        }
    }

    #[test]
    fn the_rule_for_other_sizes() {
        assert_eq!(map_size("1x1").unwrap(), Size::S512x512);
        assert_eq!(map_size("513x513").unwrap(), Size::S1024x1024);
        assert_eq!(map_size("800x600").unwrap(), Size::S1024x768);
        assert_eq!(map_size("600x800").unwrap(), Size::S768x1024);
        assert_eq!(
            map_size("1100x1000").unwrap(),
            Size::S1024x1024,
            "near square"
        );
        assert_eq!(map_size("8192x8192").unwrap(), Size::S1024x1024);
        assert_eq!(map_size(" 1024X1024 ").unwrap(), Size::S1024x1024);
        assert_eq!(map_size("AUTO").unwrap(), Size::S1024x1024);
    }

    #[test]
    fn unparsable_sizes_name_the_field() {
        for bad in [
            "",
            "big",
            "1024",
            "1024x",
            "x1024",
            "0x512",
            "512x0",
            "-512x512",
            "512x-512",
            "8193x512",
            "99999999999x1",
            "1024x1024x1",
            "1024 x 1024",
            "1e3x1e3",
            "+512x512",
            "512.5x512",
        ] {
            let v = map_size(bad).unwrap_err();
            assert_eq!(v.field, "size", "{bad}");
            assert_eq!(v.code, ViolationCode::NotAllowedValue, "{bad}");
        }
    }
}
