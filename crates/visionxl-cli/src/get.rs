//! `visionxl get ID`: read a record again (fresh URLs) and download its images.

use std::path::PathBuf;

use clap::ArgMatches;
use visionxl::{CancelToken, Error, ErrorCode};

use crate::connect::connect;
use crate::output;

/// Runs `get`.
pub async fn run(m: &ArgMatches, quiet: bool, cancel: &CancelToken) -> Result<(), Error> {
    let json_out = m.get_flag("json");
    let r = fetch(m, quiet, cancel).await;
    if let (Err(e), true) = (&r, json_out) {
        println!("{}", output::error_json(e));
    }
    r
}

async fn fetch(m: &ArgMatches, quiet: bool, cancel: &CancelToken) -> Result<(), Error> {
    let id = m.get_one::<String>("id").expect("required");
    let out = PathBuf::from(m.get_one::<String>("out").expect("has a default"));
    let conn = connect(m, None).await?;
    // A record still PROCESSING is polled to its end, as a generation is.
    let generation = output::behind_spinner(
        quiet,
        "reading the record (waiting while it is still processing)",
        async {
            tokio::select! {
                r = conn.client.wait_for_generation(id) => r,
                _ = cancel.cancelled() => Err(Error::new(ErrorCode::Cancelled, "cancelled while reading the record; nothing was charged")),
            }
        },
    )
    .await?;
    let files =
        output::save_images(&generation, &out, m.get_flag("overwrite"), quiet, cancel).await?;
    let saved = output::saved(&generation, &files);
    if m.get_flag("json") {
        let v = output::json_result(
            &[(output::generation_json(&generation), saved)],
            0,
            conn.emulated() || generation.is_emulated(),
            &[],
        );
        println!("{v}");
    } else {
        output::print_table(
            &saved.iter().collect::<Vec<_>>(),
            0,
            conn.emulated() || generation.is_emulated(),
            &out,
        );
    }
    Ok(())
}
