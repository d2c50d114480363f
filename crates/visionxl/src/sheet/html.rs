//! The `index.html` beside a contact sheet: the sheets, then a table per sheet linking each
//! cell to its full image and sidecar.

use std::fmt::Write;
use std::path::Path;

use visionxl_core::SweepPlan;

use super::SheetCell;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `path` relative to `dir` (as a URL path), or as it is when it is elsewhere.
fn rel(path: &Path, dir: &Path) -> String {
    let p = path.strip_prefix(dir).unwrap_or(path);
    p.components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .replace('%', "%25")
                .replace(' ', "%20")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The page, with `sheets` (file paths) and `cells` (in plan order).
pub(crate) fn page(
    plan: &SweepPlan,
    cells: &[SheetCell],
    sheets: &[std::path::PathBuf],
    dir: &Path,
) -> String {
    let [cols, rows, n_sheets] = plan.shape();
    let mut h = String::new();
    let seed = plan.seed.map_or("per cell".to_string(), |s| s.to_string());
    let _ = write!(
        h,
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>visionxl sweep</title>\n\
         <style>body{{font-family:sans-serif;margin:1em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:4px;vertical-align:top;text-align:center}}\
         img.cell{{max-width:200px;max-height:200px}}.err{{color:#b00;font-family:monospace}}\
         img.sheet{{max-width:100%}}</style></head><body>\n\
         <h1>visionxl sweep</h1>\n<p><b>prompt</b>: {}<br><b>seed</b>: {}<br><b>credits</b>: {} \
         ({} cells)</p>\n",
        esc(&plan.prompt),
        esc(&seed),
        plan.credits,
        plan.cells.len()
    );
    let axis = |i: usize| plan.axes.get(i);
    for s in 0..n_sheets {
        let _ = writeln!(h, "<section>");
        if let Some(a) = axis(2) {
            let _ = writeln!(h, "<h2>{}={}</h2>", esc(&a.name), esc(&a.labels[s]));
        }
        if let Some(path) = sheets.get(s) {
            let _ = writeln!(
                h,
                "<p><a href=\"{0}\"><img class=\"sheet\" src=\"{0}\" alt=\"contact sheet\"></a></p>",
                esc(&rel(path, dir))
            );
        }
        let _ = write!(h, "<table><tr><th></th>");
        for c in 0..cols {
            let label = axis(0).map_or(String::new(), |a| format!("{}={}", a.name, a.labels[c]));
            let _ = write!(h, "<th>{}</th>", esc(&label));
        }
        let _ = writeln!(h, "</tr>");
        for r in 0..rows {
            let label = axis(1).map_or(String::new(), |a| format!("{}={}", a.name, a.labels[r]));
            let _ = write!(h, "<tr><th>{}</th>", esc(&label));
            for c in 0..cols {
                let i = (s * rows + r) * cols + c;
                let _ = write!(h, "<td>");
                match cells.get(i) {
                    Some(SheetCell {
                        image: Some(img), ..
                    }) => {
                        let src = esc(&rel(img, dir));
                        let side = esc(&rel(&crate::sidecar::sidecar_path(img), dir));
                        let _ = write!(
                            h,
                            "<a href=\"{src}\"><img class=\"cell\" src=\"{src}\" alt=\"cell {i}\"></a>\
                             <br><a href=\"{src}\">image</a> · <a href=\"{side}\">sidecar</a>"
                        );
                    }
                    Some(SheetCell {
                        error: Some((code, message)),
                        ..
                    }) => {
                        let _ = write!(
                            h,
                            "<span class=\"err\" title=\"{}\">{}</span>",
                            esc(message),
                            esc(code)
                        );
                    }
                    _ => {
                        let _ = write!(h, "<span class=\"err\">no image</span>");
                    }
                }
                let _ = write!(h, "</td>");
            }
            let _ = writeln!(h, "</tr>");
        }
        let _ = writeln!(h, "</table></section>");
    }
    h.push_str("</body></html>\n");
    h
}
