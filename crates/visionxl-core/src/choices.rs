//! The typed values of the string parameters with a fixed set of values (`Transparency`,
//! `PhotoRealVersion`, `PromptMagicVersion`). Preset styles live in `preset_style.rs`.

use std::fmt;
use std::str::FromStr;

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$variant),)+
                    other => Err(format!("unknown value {other:?}")),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

string_enum!(
    /// `leonardo_transparency`.
    Transparency {
        /// No transparency.
        Disabled => "disabled",
        /// A transparent background behind the foreground (PNG with alpha).
        ForegroundOnly => "foreground_only",
    }
);

string_enum!(
    /// `leonardo_photo_real_version`.
    PhotoRealVersion {
        /// PhotoReal v2 (the only version the service takes).
        V2 => "v2",
    }
);

string_enum!(
    /// `leonardo_prompt_magic_version`.
    PromptMagicVersion {
        /// Prompt Magic v2.
        V2 => "v2",
        /// Prompt Magic v3 (the documented default).
        V3 => "v3",
    }
);
