//! `visionxl get ID`: read a record again (fresh URLs) and download its images.

use std::path::PathBuf;

use clap::ArgMatches;
use visionxl::{Error, SaveOptions};

use crate::connect::connect;
use crate::output;

/// Runs `get`.
pub async fn run(m: &ArgMatches, quiet: bool) -> Result<(), Error> {
    let id = m.get_one::<String>("id").expect("required");
    let out = PathBuf::from(m.get_one::<String>("out").expect("has a default"));
    let conn = connect(m, None).await?;
    let spin = output::spinner(quiet, "reading the record");
    let generation = conn.client.get_generation(id).await?;
    if let Some(s) = &spin {
        s.set_message("downloading");
    }
    let files = generation
        .save_all_with(
            &out,
            SaveOptions {
                overwrite: m.get_flag("overwrite"),
                ..SaveOptions::default()
            },
        )
        .await;
    if let Some(s) = spin {
        s.finish_and_clear();
    }
    let files = files?;
    let saved = output::saved(&generation, &files);
    if m.get_flag("json") {
        let v = output::json_result(
            &[(output::generation_json(&generation), saved)],
            0,
            conn.emulated(),
            &[],
        );
        println!("{v}");
    } else {
        output::print_table(&saved.iter().collect::<Vec<_>>(), 0, conn.emulated(), &out);
    }
    Ok(())
}
