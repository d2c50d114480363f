//! The image sizes Vision XL accepts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Violation, ViolationCode};

/// An image size: one of the four Vision XL accepts.
///
/// ```
/// use visionxl_core::Size;
/// let s: Size = "1024x768".parse().unwrap();
/// assert_eq!((s.width(), s.height()), (1024, 768));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Size {
    /// 512 x 512.
    S512x512,
    /// 1024 x 768 (landscape).
    S1024x768,
    /// 768 x 1024 (portrait).
    S768x1024,
    /// 1024 x 1024 (the documented default).
    #[default]
    S1024x1024,
}

impl Size {
    /// All sizes, in the documentation's order.
    pub const ALL: [Size; 4] = [
        Size::S512x512,
        Size::S1024x768,
        Size::S768x1024,
        Size::S1024x1024,
    ];

    /// The wire spelling, e.g. `"1024x768"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Size::S512x512 => "512x512",
            Size::S1024x768 => "1024x768",
            Size::S768x1024 => "768x1024",
            Size::S1024x1024 => "1024x1024",
        }
    }

    /// Width in pixels.
    pub fn width(self) -> u32 {
        match self {
            Size::S512x512 => 512,
            Size::S1024x768 | Size::S1024x1024 => 1024,
            Size::S768x1024 => 768,
        }
    }

    /// Height in pixels.
    pub fn height(self) -> u32 {
        match self {
            Size::S512x512 => 512,
            Size::S1024x768 => 768,
            Size::S768x1024 | Size::S1024x1024 => 1024,
        }
    }

    /// The position in [`Size::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Size {
    type Err = Violation;

    fn from_str(s: &str) -> Result<Self, Violation> {
        Size::ALL
            .iter()
            .copied()
            .find(|size| size.as_str() == s)
            .ok_or_else(|| {
                let spec = crate::spec::by_wire("size").expect("size row");
                Violation::new(
                    "size",
                    ViolationCode::NotAllowedValue,
                    crate::check::not_allowed_message(spec, s, crate::spec::SIZES),
                )
            })
    }
}

impl Serialize for Size {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|v: Violation| serde::de::Error::custom(v.message))
    }
}
