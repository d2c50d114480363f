//! The clap definition of `visionxl sweep`.

use clap::{Arg, ArgAction, Command, value_parser};
use visionxl::Preset;
use visionxl::sweep::DEFAULT_MAX_CELLS;

use crate::args::{EXIT_CODES, RunHelp, connection_args, param_args, run_args};

/// `visionxl sweep PROMPT --vary NAME=VALUES ... [every generate flag]`.
pub fn command() -> Command {
    let mut cmd = Command::new("sweep")
        .about("Vary settings over one prompt; price the grid first, then make a contact sheet")
        .after_help(format!(
            "Axes: --vary NAME=V1,V2,... (first: columns, second: rows, third: one sheet each).\n\
             Ranges for numbers: --vary num_inference_steps=35..50:5 (start..end:step).\n\
             Prompts: --vary 'prompt=a fox|a wolf' (split on |), or replace a phrase of PROMPT:\n\
             --vary 'prompt_sr=dusk|dawn|night' (the first value is the phrase).\n\
             One seed is chosen for every cell unless --seed is given; a rerun in the same\n\
             --out DIR reuses it and pays only for missing cells.\n\n{EXIT_CODES}"
        ))
        .arg(
            Arg::new("prompt")
                .value_name("PROMPT")
                .required(true)
                .help("What to draw (the base prompt of every cell)"),
        )
        .arg(
            Arg::new("vary")
                .long("vary")
                .value_name("NAME=VALUES")
                .action(ArgAction::Append)
                .required(true)
                .help("An axis: a parameter and its values (up to 3 axes)"),
        )
        .args(param_args())
        .arg(
            Arg::new("preset")
                .long("preset")
                .value_name("NAME")
                .value_parser(Preset::ALL.map(|p| p.name()))
                .help("A named bundle of settings for every cell; flags and axes win"),
        )
        .arg(
            Arg::new("max_cells")
                .long("max-cells")
                .value_name("N")
                .default_value(DEFAULT_MAX_CELLS.to_string())
                .value_parser(value_parser!(usize))
                .help("Refuse a sweep of more cells"),
        )
        .args(run_args(RunHelp {
            concurrency: "Cells generated at once",
            json: "Print a machine-readable plan (--dry-run) or result on stdout",
            dry_run: "Print the grid, the cell count and the price; send nothing",
            max_credits: "Refuse (or ask) when the cells still to pay for cost more",
        }));
    for a in connection_args() {
        let a = if a.get_id() == "out" {
            a.default_value("visionxl-sweep")
                .help("The sweep's directory: cells/, manifest.jsonl, sheet.png, index.html")
        } else {
            a
        };
        cmd = cmd.arg(a);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use visionxl::spec::{Field, PARAMS};

    #[test]
    fn the_command_is_consistent_and_has_every_generate_flag() {
        let cmd = super::command();
        cmd.clone().debug_assert();
        for p in PARAMS.iter().filter(|p| p.field != Field::Prompt) {
            assert!(
                cmd.get_arguments().any(|a| a.get_id() == p.sdk),
                "no flag for {}",
                p.sdk
            );
        }
    }
}
