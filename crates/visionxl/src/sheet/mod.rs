//! Contact sheets: a sweep's results as one labelled grid image (PNG) per value of its third
//! axis, and an `index.html` linking every cell to its full image and sidecar.
//!
//! Labels use the public-domain 8x8 bitmap font of the `font8x8` crate, embedded in the
//! binary (no system fonts); thumbnails are scaled so a sheet's long side stays under about
//! [`MAX_SIDE`] pixels. Cells that failed show their error code.

mod draw;
mod font;
mod html;

use std::path::{Path, PathBuf};

use visionxl_core::{Error, SweepPlan};

pub use draw::MAX_SIDE;

use crate::fs::io_err;

/// Writes `img` as a PNG at `path`, with adaptive filtering (smooth thumbnails shrink well).
fn encode_png(img: &image::RgbaImage, path: &Path) -> Result<(), Error> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let fail = |e: String| {
        Error::new(
            visionxl_core::ErrorCode::IoError,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    let rgb = image::DynamicImage::ImageRgba8(img.clone()).into_rgb8();
    let file = std::fs::File::create(path).map_err(|e| fail(e.to_string()))?;
    let mut out = std::io::BufWriter::new(file);
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(
            &rgb,
            rgb.width(),
            rgb.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| fail(e.to_string()))?;
    std::io::Write::flush(&mut out).map_err(|e| fail(e.to_string()))
}

/// What a sheet shows for one cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetCell {
    /// The cell's (first) image file.
    pub image: Option<PathBuf>,
    /// Why the cell has no image: its error code and message.
    pub error: Option<(String, String)>,
}

/// The files a contact sheet was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSheet {
    /// One PNG per value of the third axis (`sheet.png`, or `sheet-1.png`, `sheet-2.png`, ...).
    pub sheets: Vec<PathBuf>,
    /// The `index.html` beside them.
    pub index: PathBuf,
}

/// Writes the contact sheets of `plan` and their `index.html` into `dir`; `cells` are in plan
/// order. CPU-bound and blocking: call it off the async runtime.
pub fn write_contact_sheet(
    plan: &SweepPlan,
    cells: &[SheetCell],
    dir: &Path,
) -> Result<ContactSheet, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| io_err(format!("cannot create {}", dir.display()), e))?;
    let [_, _, count] = plan.shape();
    let mut sheets = Vec::with_capacity(count);
    for s in 0..count {
        let name = if count == 1 {
            "sheet.png".to_string()
        } else {
            format!("sheet-{}.png", s + 1)
        };
        let path = dir.join(name);
        let img = draw::sheet(plan, cells, s);
        let part = path.with_extension("png.part");
        encode_png(&img, &part)?;
        std::fs::rename(&part, &path)
            .map_err(|e| io_err(format!("cannot write {}", path.display()), e))?;
        sheets.push(path);
    }
    let index = dir.join("index.html");
    std::fs::write(&index, html::page(plan, cells, &sheets, dir))
        .map_err(|e| io_err(format!("cannot write {}", index.display()), e))?;
    Ok(ContactSheet { sheets, index })
}

#[cfg(test)]
mod tests {
    use super::*;
    use visionxl_core::sweep::Sweep;

    #[test]
    fn a_third_axis_makes_a_sheet_per_value_and_failures_show_their_code() {
        let plan = Sweep::new("a lighthouse at dusk")
            .vary("prompt_sr=dusk|dawn")
            .vary("guidance_scale=7,9")
            .vary("tiling=false,true")
            .plan(3)
            .unwrap();
        let cells: Vec<SheetCell> = (0..plan.cells.len())
            .map(|i| SheetCell {
                image: None,
                error: Some((
                    if i == 5 {
                        "rate_limited"
                    } else {
                        "generation_failed"
                    }
                    .into(),
                    "<msg>".into(),
                )),
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let made = write_contact_sheet(&plan, &cells, dir.path()).unwrap();
        assert_eq!(made.sheets.len(), 2);
        for s in &made.sheets {
            let img = image::open(s).unwrap();
            assert!(img.width() <= MAX_SIDE && img.height() <= MAX_SIDE);
        }
        let html = std::fs::read_to_string(made.index).unwrap();
        assert!(html.contains("<h2>tiling=true</h2>"));
        assert!(html.contains(">rate_limited</span>"));
        assert!(html.contains("title=\"&lt;msg&gt;\""), "escaped");
    }
}
