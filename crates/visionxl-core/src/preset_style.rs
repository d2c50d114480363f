//! Leonardo's preset styles (`leonardo_preset_style`, e.g. `CINEMATIC`): the list, the sets
//! Leonardo documents for each Alchemy/PhotoReal setting, and the typed [`PresetStyle`].
//! Not to be confused with [`crate::presets`], the SDK's named bundles of settings.

use std::fmt;
use std::str::FromStr;

/// Every preset style Leonardo knows, upper-case as sent on the wire.
pub const PRESET_STYLES: &[&str] = &[
    "ANIME",
    "BOKEH",
    "CINEMATIC",
    "CINEMATIC_CLOSEUP",
    "CREATIVE",
    "DYNAMIC",
    "ENVIRONMENT",
    "FASHION",
    "FILM",
    "FOOD",
    "GENERAL",
    "HDR",
    "ILLUSTRATION",
    "LEONARDO",
    "LONG_EXPOSURE",
    "MACRO",
    "MINIMALISTIC",
    "MONOCHROME",
    "MOODY",
    "NONE",
    "NEUTRAL",
    "PHOTOGRAPHY",
    "PORTRAIT",
    "RAYTRACED",
    "RENDER_3D",
    "RETRO",
    "SKETCH_BW",
    "SKETCH_COLOR",
    "STOCK_PHOTO",
    "VIBRANT",
    "UNPROCESSED",
];

/// Styles Leonardo documents with Alchemy on (and PhotoReal off).
pub const ALCHEMY_STYLES: &[&str] = &[
    "ANIME",
    "CREATIVE",
    "DYNAMIC",
    "ENVIRONMENT",
    "GENERAL",
    "ILLUSTRATION",
    "PHOTOGRAPHY",
    "RAYTRACED",
    "RENDER_3D",
    "SKETCH_BW",
    "SKETCH_COLOR",
    "NONE",
];

/// Styles Leonardo documents with Alchemy off.
pub const NO_ALCHEMY_STYLES: &[&str] = &["LEONARDO", "NONE"];

/// Styles Leonardo documents for PhotoReal.
pub const PHOTO_REAL_STYLES: &[&str] = &[
    "BOKEH",
    "CINEMATIC",
    "CINEMATIC_CLOSEUP",
    "CREATIVE",
    "FASHION",
    "FILM",
    "FOOD",
    "HDR",
    "LONG_EXPOSURE",
    "MACRO",
    "MINIMALISTIC",
    "MONOCHROME",
    "MOODY",
    "NEUTRAL",
    "NONE",
    "PORTRAIT",
    "RETRO",
    "STOCK_PHOTO",
    "UNPROCESSED",
    "VIBRANT",
];

/// The documented set for a setting, with a name for messages.
pub fn documented_for(alchemy: bool, photo_real: bool) -> (&'static str, &'static [&'static str]) {
    if photo_real {
        ("PhotoReal", PHOTO_REAL_STYLES)
    } else if alchemy {
        ("Alchemy", ALCHEMY_STYLES)
    } else {
        ("no Alchemy", NO_ALCHEMY_STYLES)
    }
}

/// The canonical (upper-case) spelling of a style, if Leonardo knows it.
pub fn canonical(style: &str) -> Option<&'static str> {
    let style = style.trim();
    PRESET_STYLES
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(style))
}

/// One of Leonardo's preset styles, accepted case-insensitively and sent upper-case.
///
/// ```
/// let s: visionxl_core::PresetStyle = "cinematic".parse().unwrap();
/// assert_eq!(s.as_str(), "CINEMATIC");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PresetStyle(&'static str);

impl PresetStyle {
    /// The upper-case wire spelling.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl FromStr for PresetStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        canonical(s)
            .map(PresetStyle)
            .ok_or_else(|| format!("unknown preset style {s:?}"))
    }
}

impl fmt::Display for PresetStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
