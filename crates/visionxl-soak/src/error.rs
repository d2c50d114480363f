//! Why a soak run could not be carried out.

use std::fmt;

/// Why a soak run could not be carried out (the emulator unreachable, a key without credits,
/// an out dir in use, ...). A run that went through but broke a rule is not an error: it is
/// a [`SoakReport`](crate::SoakReport) whose [`passed`](crate::SoakReport::passed) is false.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoakError(String);

impl SoakError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> SoakError {
        SoakError(message.into())
    }
}

impl fmt::Display for SoakError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SoakError {}
