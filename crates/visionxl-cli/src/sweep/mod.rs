//! `visionxl sweep`: a grid of settings over one prompt, priced before anything is sent, run
//! as a resumable batch, returned as a labelled contact sheet. `command` holds the clap
//! definition (the Vision XL flags come from the table, as for `generate`), `run` the rest.

mod command;
mod run;

pub use command::command;
pub use run::run;
