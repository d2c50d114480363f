//! Presets: the SDK's named bundles of settings from the documentation (`max_detail`,
//! `defaults`). Explicit values always win. Leonardo's own preset *styles* (`CINEMATIC`, ...)
//! are a parameter, in `preset_style.rs`.

use std::fmt;
use std::str::FromStr;

use crate::request::GenerateRequest;

/// A named bundle of settings.
///
/// ```
/// use visionxl_core::{GenerateRequest, Preset};
/// let req = GenerateRequest::builder("a castle")
///     .guidance_scale(14) // explicit: wins over the preset's 12
///     .preset(Preset::MaxDetail)
///     .build()
///     .unwrap();
/// assert_eq!((req.guidance_scale, req.num_inference_steps), (Some(14), Some(45)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// The documentation's "Maximum Detail Settings" (guidance 10–15, steps 35–50, High
    /// Resolution, Alchemy): guidance 12, steps 45, high resolution on, alchemy on.
    MaxDetail,
    /// Every documented default made explicit (guidance 7, steps 15, Alchemy on, the switches
    /// off), so the request does not depend on the service's defaults changing.
    Defaults,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 2] = [Preset::MaxDetail, Preset::Defaults];

    /// The preset's name: `max_detail`, `defaults`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::MaxDetail => "max_detail",
            Preset::Defaults => "defaults",
        }
    }

    /// One line for help texts.
    pub fn description(self) -> &'static str {
        match self {
            Preset::MaxDetail => {
                "Maximum detail: guidance 12, 45 steps, high resolution, Alchemy (documented: guidance 10-15, steps 35-50)"
            }
            Preset::Defaults => "Every documented default made explicit",
        }
    }

    /// Fills the fields this preset sets that `req` leaves unset.
    pub fn apply(self, req: &mut GenerateRequest) {
        fn fill<T>(slot: &mut Option<T>, v: T) {
            if slot.is_none() {
                *slot = Some(v);
            }
        }
        match self {
            Preset::MaxDetail => {
                fill(&mut req.guidance_scale, 12);
                fill(&mut req.num_inference_steps, 45);
                fill(&mut req.high_resolution, true);
                fill(&mut req.alchemy, true);
            }
            Preset::Defaults => {
                fill(&mut req.guidance_scale, 7);
                fill(&mut req.num_inference_steps, 15);
                fill(&mut req.tiling, false);
                fill(&mut req.fantasy_avatar, false);
                fill(&mut req.alchemy, true);
                fill(&mut req.expanded_domain, false);
                fill(&mut req.photo_real, false);
                fill(&mut req.prompt_magic, false);
                fill(&mut req.high_contrast, false);
                fill(&mut req.high_resolution, false);
                fill(&mut req.enhance_prompt, false);
            }
        }
    }
}

impl GenerateRequest {
    /// Fills the fields the preset sets and this request leaves unset (explicit values win).
    pub fn apply_preset(&mut self, preset: Preset) {
        preset.apply(self);
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = crate::Error;

    /// Parses `max_detail` / `defaults` (also with `-`), else a `validation_error` on `preset`.
    fn from_str(s: &str) -> Result<Self, crate::Error> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Preset::ALL
            .iter()
            .copied()
            .find(|p| p.name() == norm)
            .ok_or_else(|| {
                let names: Vec<_> = Preset::ALL.iter().map(|p| p.name()).collect();
                let mut msg = format!("preset must be one of: {}; got {s:?}", names.join(", "));
                if let Some(m) = crate::suggest::did_you_mean(s, &names) {
                    msg.push_str(&format!(" (did you mean {m:?}?)"));
                }
                crate::Error::validation(vec![crate::Violation::new(
                    "preset",
                    crate::ViolationCode::NotAllowedValue,
                    msg,
                )])
            })
    }
}
