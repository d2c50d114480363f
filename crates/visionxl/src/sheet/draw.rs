//! Drawing one contact sheet: a title, column labels (first axis), row labels (second axis)
//! and a thumbnail (or the error code) per cell, the long side kept under [`MAX_SIDE`].

use image::imageops::{self, FilterType};
use image::{Rgba, RgbaImage};
use visionxl_core::SweepPlan;

use super::{SheetCell, font};

/// A sheet's longest side stays at or under this many pixels.
pub const MAX_SIDE: u32 = 4096;
/// The largest thumbnail side.
const MAX_THUMB: u32 = 256;
/// The smallest thumbnail side (a sheet of very many cells may then be wider than MAX_SIDE).
const MIN_THUMB: u32 = 48;
/// Space between boxes.
const PAD: u32 = 8;
/// Lines a label may take.
const LABEL_LINES: usize = 3;

const BACKGROUND: [u8; 4] = [250, 250, 250, 255];
const INK: [u8; 4] = [24, 24, 24, 255];
const MUTED: [u8; 4] = [90, 90, 90, 255];
const FAILED_BOX: [u8; 4] = [64, 64, 64, 255];
const FAILED_INK: [u8; 4] = [255, 120, 110, 255];

/// The side of a thumbnail box for a `cols` x `rows` grid with a `label_w` row-label column
/// and a `top` band above the grid.
fn thumb_side(cols: u32, rows: u32, label_w: u32, top: u32) -> u32 {
    let by_w = MAX_SIDE.saturating_sub(label_w + PAD * (cols + 1)) / cols.max(1);
    let by_h = MAX_SIDE.saturating_sub(top + PAD * (rows + 1)) / rows.max(1);
    by_w.min(by_h).clamp(MIN_THUMB, MAX_THUMB)
}

/// Renders sheet `s` (the `s`-th value of the third axis) of `plan`; `cells` in plan order.
pub(crate) fn sheet(plan: &SweepPlan, cells: &[SheetCell], s: usize) -> RgbaImage {
    let [cols, rows, _] = plan.shape();
    let (col_axis, row_axis, sheet_axis) = (plan.axes.first(), plan.axes.get(1), plan.axes.get(2));
    // A first guess of the thumbnail size picks the text scale; the text then sizes the bands.
    let guess = thumb_side(cols as u32, rows as u32, 0, 0);
    let scale = if guess >= 128 { 2 } else { 1 };
    let line = font::line_height(scale);
    let row_labels: Vec<Vec<String>> = match row_axis {
        Some(a) => font::axis_labels(&a.name, &a.labels, 20, LABEL_LINES),
        None => vec![Vec::new(); rows],
    };
    let label_chars = row_labels
        .iter()
        .flatten()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let label_w = if label_chars == 0 {
        0
    } else {
        font::width(label_chars, scale) + PAD
    };
    let header = line * 3 + PAD;
    // The smallest the thumbnails can get (the tallest label band): labels sized for it fit.
    let least = thumb_side(
        cols as u32,
        rows as u32,
        label_w,
        header + line * LABEL_LINES as u32 + 2 * PAD,
    );
    let col_chars = (least / font::width(1, scale)) as usize;
    let col_labels: Vec<Vec<String>> = match col_axis {
        Some(a) => font::axis_labels(&a.name, &a.labels, col_chars, LABEL_LINES),
        None => Vec::new(),
    };
    let col_lines = col_labels.iter().map(Vec::len).max().unwrap_or(0);
    let col_band = line * col_lines as u32;
    let top = header + col_band + PAD;
    let thumb = thumb_side(cols as u32, rows as u32, label_w, top);
    let width = (label_w + PAD + cols as u32 * (thumb + PAD)).max(font::width(40, scale) + 2 * PAD);
    let row_h = thumb.max(line * row_labels.iter().map(Vec::len).max().unwrap_or(0) as u32);
    let height = top + rows as u32 * (row_h + PAD) + PAD;
    let mut img = RgbaImage::from_pixel(width, height, Rgba(BACKGROUND));

    // The title: prompt, seed, credits; then what the axes are.
    let max_chars = ((width - 2 * PAD) / font::width(1, scale)) as usize;
    let seed = plan.seed.map_or("per cell".to_string(), |s| s.to_string());
    let title = format!("\"{}\"", plan.prompt);
    let facts = format!(
        "seed {seed}  |  {} credits  |  {} cells",
        plan.credits,
        plan.cells.len()
    );
    let mut axes = Vec::new();
    if let Some(a) = col_axis {
        axes.push(format!("columns: {}", a.name));
    }
    if let Some(a) = row_axis {
        axes.push(format!("rows: {}", a.name));
    }
    if let Some(a) = sheet_axis {
        axes.push(format!("sheet: {}={}", a.name, a.labels[s]));
    }
    let lines = [
        (font::wrap(&title, max_chars, 1), INK),
        (font::wrap(&facts, max_chars, 1), INK),
        (font::wrap(&axes.join("  |  "), max_chars, 1), MUTED),
    ];
    for (i, (text, color)) in lines.iter().enumerate() {
        if let Some(t) = text.first() {
            font::draw(&mut img, PAD, PAD / 2 + i as u32 * line, scale, t, *color);
        }
    }

    // Column labels, centred over their column.
    let grid_x = label_w + PAD;
    for (c, wrapped) in col_labels.iter().enumerate() {
        {
            for (i, l) in wrapped.iter().enumerate() {
                let w = font::width(l.chars().count(), scale);
                let x = grid_x + c as u32 * (thumb + PAD) + thumb.saturating_sub(w) / 2;
                font::draw(&mut img, x, header + i as u32 * line, scale, l, INK);
            }
        }
    }

    // Rows: the label, then each cell's thumbnail or error.
    for (r, label) in row_labels.iter().enumerate() {
        let y = top + r as u32 * (row_h + PAD);
        for (i, l) in label.iter().enumerate() {
            font::draw(&mut img, PAD / 2, y + i as u32 * line, scale, l, INK);
        }
        for c in 0..cols {
            let x = grid_x + c as u32 * (thumb + PAD);
            let index = (s * rows + r) * cols + c;
            draw_cell(&mut img, cells.get(index), x, y, thumb, scale);
        }
    }
    img
}

/// One cell: its image fitted into a `side` x `side` box at (x, y), or its error code.
fn draw_cell(img: &mut RgbaImage, cell: Option<&SheetCell>, x: u32, y: u32, side: u32, scale: u32) {
    let loaded = cell
        .and_then(|c| c.image.as_ref())
        .map(|p| image::ImageReader::open(p).and_then(|r| r.with_guessed_format()))
        .map(|r| {
            r.map_err(|e| e.to_string())
                .and_then(|r| r.decode().map_err(|e| e.to_string()))
        });
    match loaded {
        Some(Ok(picture)) => {
            let thumb = picture.resize(side, side, FilterType::Triangle).to_rgba8();
            let (tw, th) = thumb.dimensions();
            let (ox, oy) = (x + (side - tw) / 2, y + (side - th) / 2);
            imageops::overlay(img, &thumb, i64::from(ox), i64::from(oy));
        }
        other => {
            let code = match (other, cell.and_then(|c| c.error.as_ref())) {
                (_, Some((code, _))) => code.clone(),
                (Some(Err(_)), None) => "unreadable image".to_string(),
                _ => "no image".to_string(),
            };
            for yy in y..y + side {
                for xx in x..x + side {
                    if xx < img.width() && yy < img.height() {
                        img.put_pixel(xx, yy, Rgba(FAILED_BOX));
                    }
                }
            }
            let chars = (side / font::width(1, scale)) as usize;
            for (i, l) in font::wrap(&code, chars.saturating_sub(1), 2)
                .iter()
                .enumerate()
            {
                let w = font::width(l.chars().count(), scale);
                let lx = x + side.saturating_sub(w) / 2;
                let ly =
                    y + side / 2 - font::line_height(scale) + i as u32 * font::line_height(scale);
                font::draw(img, lx, ly, scale, l, FAILED_INK);
            }
        }
    }
}
