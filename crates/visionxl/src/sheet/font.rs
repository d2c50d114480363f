//! Label text for contact sheets: the public-domain 8x8 bitmap font of the `font8x8` crate
//! (embedded in the binary, no system fonts), drawn at an integer scale.

use image::{Rgba, RgbaImage};

/// Font pixels per glyph side.
const GLYPH: u32 = 8;

/// Width in pixels of `chars` characters at `scale`.
pub(crate) fn width(chars: usize, scale: u32) -> u32 {
    chars as u32 * GLYPH * scale
}

/// Height in pixels of one line at `scale` (with 2 font pixels of leading).
pub(crate) fn line_height(scale: u32) -> u32 {
    (GLYPH + 2) * scale
}

/// The glyph of `c` (printable ASCII; anything else is `?`).
fn glyph(c: char) -> [u8; 8] {
    let i = if c.is_ascii() && !c.is_ascii_control() {
        c as usize
    } else {
        '?' as usize
    };
    font8x8::legacy::BASIC_LEGACY[i]
}

/// Draws `text` with its top-left corner at (x, y); clipped to the image.
pub(crate) fn draw(img: &mut RgbaImage, x: u32, y: u32, scale: u32, text: &str, color: [u8; 4]) {
    let (w, h) = img.dimensions();
    for (n, c) in text.chars().enumerate() {
        let gx = x + width(n, scale);
        if gx >= w {
            break;
        }
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..GLYPH {
                // Bit 0 is the leftmost pixel.
                if bits & (1 << col) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let (px, py) = (gx + col * scale + dx, y + row as u32 * scale + dy);
                        if px < w && py < h {
                            img.put_pixel(px, py, Rgba(color));
                        }
                    }
                }
            }
        }
    }
}

/// `text` cut into at most `lines` lines of at most `max_chars` characters, breaking at
/// spaces when it can; the last line ends with `..` when text was left out.
pub(crate) fn wrap(text: &str, max_chars: usize, lines: usize) -> Vec<String> {
    let max_chars = max_chars.max(3);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() && out.len() < lines {
        let mut end = (start + max_chars).min(chars.len());
        if end < chars.len()
            && chars[end] != ' '
            && let Some(space) = chars[start..end].iter().rposition(|c| *c == ' ')
            && space > 0
        {
            end = start + space;
        }
        out.push(
            chars[start..end]
                .iter()
                .collect::<String>()
                .trim()
                .to_string(),
        );
        start = end;
        while start < chars.len() && chars[start] == ' ' {
            start += 1;
        }
    }
    if start < chars.len()
        && let Some(last) = out.last_mut()
    {
        let keep: String = last.chars().take(max_chars - 2).collect();
        *last = format!("{keep}..");
    }
    out
}

/// The lines of the labels of one axis, `name=value` each: one line per label when every
/// label of the axis fits in `max_chars`, else (for all alike) the name, then `=value`,
/// wrapped to at most `lines` lines in all.
pub(crate) fn axis_labels(
    name: &str,
    values: &[String],
    max_chars: usize,
    lines: usize,
) -> Vec<Vec<String>> {
    let fits = values
        .iter()
        .all(|v| name.chars().count() + 1 + v.chars().count() <= max_chars);
    values
        .iter()
        .map(|v| {
            if fits {
                vec![format!("{name}={v}")]
            } else {
                split_label(name, v, max_chars, lines)
            }
        })
        .collect()
}

/// A label split as the name, then `=value`, each wrapped (at most `lines` lines in all).
fn split_label(name: &str, value: &str, max_chars: usize, lines: usize) -> Vec<String> {
    let mut out = wrap(name, max_chars, 1);
    out.extend(wrap(
        &format!("={value}"),
        max_chars,
        lines.saturating_sub(1).max(1),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_marks_what_is_cut() {
        assert_eq!(wrap("guidance_scale=7", 20, 2), ["guidance_scale=7"]);
        assert_eq!(
            wrap("a lighthouse at dusk", 12, 2),
            ["a lighthouse", "at dusk"]
        );
        assert_eq!(
            wrap("one two three four five", 8, 2),
            ["one two", "three.."]
        );
        assert_eq!(
            split_label("num_inference_steps", "20", 20, 3),
            ["num_inference_steps", "=20"]
        );
        let values = ["7".to_string(), "10".to_string()];
        assert_eq!(
            axis_labels("scale", &values, 8, 3),
            [["scale=7"], ["scale=10"]]
        );
        assert_eq!(
            axis_labels("scale", &values, 7, 3),
            [vec!["scale", "=7"], vec!["scale", "=10"]],
            "all labels of an axis alike"
        );
    }

    #[test]
    fn draws_inside_the_image_only() {
        let mut img = RgbaImage::new(20, 10);
        draw(&mut img, 0, 0, 1, "AB", [255, 0, 0, 255]);
        draw(&mut img, 15, 5, 2, "W", [255, 0, 0, 255]); // clipped, no panic
        assert!(img.pixels().any(|p| p.0 == [255, 0, 0, 255]));
    }
}
