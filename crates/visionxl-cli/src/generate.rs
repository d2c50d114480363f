//! `visionxl generate`: build and price the request(s), confirm, generate, save, report.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::ArgMatches;
use futures_util::StreamExt;
use serde_json::{Value, json};
use visionxl::{
    BatchOptions, Error, ErrorCode, GenerateOptions, GenerateRequest, Naming, ParamValue, Preset,
    SaveOptions, plan_batches, wire,
};

use crate::args::param_values;
use crate::connect::connect;
use crate::output;

/// Runs `generate`.
pub async fn run(m: &ArgMatches, quiet: bool) -> Result<(), Error> {
    let requests = build_requests(m)?;
    let total: u64 = requests
        .iter()
        .map(|r| r.credits().map(u64::from))
        .sum::<Result<u64, Error>>()?;
    let images: u32 = requests.iter().map(|r| r.n).sum();
    let json_out = m.get_flag("json");
    let out = PathBuf::from(m.get_one::<String>("out").expect("has a default"));

    if m.get_flag("dry_run") {
        print_dry_run(&requests, total, images, m.get_flag("async"));
        return Ok(());
    }
    eprintln!(
        "price: {total} credits for {images} image(s) in {} call(s)",
        requests.len()
    );
    let max = m.get_one::<u64>("max_credits").copied();
    if let Some(max) = max
        && total > max
        && !m.get_flag("yes")
        && !confirm(total, max)?
    {
        return Err(Error::new(
            ErrorCode::BudgetExceeded,
            format!(
                "this run costs {total} credits, more than --max-credits {max}; nothing was sent"
            ),
        ));
    }
    let budget = max.map(|m| if m < total { total } else { m });
    let conn = connect(m, budget).await?;
    if conn.emulated() {
        eprintln!("using the embedded emulator: images are EMULATED, no 1min.ai credits are spent");
    }
    let save_opts = SaveOptions {
        overwrite: m.get_flag("overwrite"),
        ..SaveOptions::default()
    };

    let mut results: Vec<(Value, Vec<output::Saved>)> = Vec::new();
    let mut failures: Vec<Value> = Vec::new();
    let mut spent: u64 = 0;
    let mut first_error: Option<Error> = None;

    if requests.len() == 1 {
        let req = &requests[0];
        let spin = output::spinner(quiet, "generating");
        let generated = conn
            .client
            .generate_with(
                req,
                GenerateOptions {
                    async_mode: m.get_flag("async"),
                    ..GenerateOptions::default()
                },
            )
            .await;
        let generation = match generated {
            Ok(g) => g,
            Err(e) => {
                if let Some(s) = spin {
                    s.finish_and_clear();
                }
                return Err(e);
            }
        };
        if let Some(s) = &spin {
            s.set_message("downloading");
        }
        let files = generation.save_all_with(&out, save_opts).await;
        if let Some(s) = spin {
            s.finish_and_clear();
        }
        spent += u64::from(generation.credits().unwrap_or(0));
        let files = files?;
        results.push((
            output::generation_json(&generation),
            output::saved(&generation, &files),
        ));
    } else {
        std::fs::create_dir_all(&out).map_err(|e| {
            Error::new(
                ErrorCode::IoError,
                format!("cannot create {}: {e}", out.display()),
            )
        })?;
        let bar = output::bar(quiet, requests.len() as u64);
        let progress_bar = bar.clone();
        let opts = BatchOptions {
            concurrency: *m.get_one::<u32>("concurrency").expect("has a default") as usize,
            manifest: Some(out.join("manifest.jsonl")),
            out_dir: Some(out.clone()),
            async_mode: m.get_flag("async"),
            overwrite: m.get_flag("overwrite"),
            on_progress: Some(Arc::new(move |p: visionxl::Progress| {
                if let Some(b) = &progress_bar {
                    b.set_position(p.completed as u64);
                    b.set_message(format!("{} credits", p.credits_spent));
                }
            })),
            ..BatchOptions::default()
        };
        let mut stream = conn.client.generate_many(requests.clone(), opts).await?;
        while let Some(item) = stream.next().await {
            let err = match (&item.result, &item.save_error) {
                (Ok(g), None) => {
                    if !item.resumed {
                        spent += u64::from(g.credits().unwrap_or(0));
                    }
                    let mut j = output::generation_json(g);
                    j["resumed"] = json!(item.resumed);
                    results.push((j, output::saved(g, &item.files)));
                    continue;
                }
                (Ok(g), Some(e)) => {
                    // Paid for but not saved: the record id lets `visionxl get` fetch it again.
                    spent += u64::from(g.credits().unwrap_or(0));
                    e.clone().with_record_id(Some(g.id().to_string()))
                }
                (Err(e), _) => e.clone(),
            };
            failures.push(json!({
                "index": item.index,
                "code": err.code().as_str(),
                "message": err.message(),
                "record_id": err.record_id(),
            }));
            if !json_out {
                eprintln!("call {} failed: {err}", item.index + 1);
            }
            first_error.get_or_insert(err);
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    }

    if json_out {
        println!(
            "{}",
            output::json_result(&results, spent, conn.emulated(), &failures)
        );
    } else {
        let files: Vec<&output::Saved> = results.iter().flat_map(|(_, f)| f.iter()).collect();
        output::print_table(&files, spent, conn.emulated(), &out);
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The request(s) of this run: one per prompt, split by `--count` into the cheapest calls.
fn build_requests(m: &ArgMatches) -> Result<Vec<GenerateRequest>, Error> {
    let preset = m
        .get_one::<String>("preset")
        .map(|p| p.parse::<Preset>())
        .transpose()?;
    let prompts = match m.get_one::<String>("prompts") {
        Some(file) => read_prompts(Path::new(file))?,
        None => vec![m.get_one::<String>("prompt").cloned().unwrap_or_default()],
    };
    let params = param_values(m);
    let mut requests = Vec::new();
    let mut seen = BTreeSet::new();
    for prompt in prompts {
        let mut p = params.clone();
        p.push(("prompt", ParamValue::Str(prompt)));
        let (req, warnings) = GenerateRequest::from_params(p, Naming::Sdk, preset)?;
        for w in warnings {
            if seen.insert((w.field.clone(), w.code.as_str())) {
                eprintln!("warning: {}: {}", w.field, w.message);
            }
        }
        match m.get_one::<u32>("count") {
            Some(&k) => {
                for n in plan_batches(req.size, k)?.calls {
                    let mut r = req.clone();
                    r.n = n;
                    requests.push(r);
                }
            }
            None => requests.push(req),
        }
    }
    Ok(requests)
}

fn read_prompts(path: &Path) -> Result<Vec<String>, Error> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::new(
            ErrorCode::IoError,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let mut prompts = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| {
            Error::new(
                ErrorCode::IoError,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') {
            prompts.push(t.to_string());
        }
    }
    if prompts.is_empty() {
        return Err(Error::new(
            ErrorCode::ValidationError,
            format!(
                "{} holds no prompt (one per line; # starts a comment)",
                path.display()
            ),
        ));
    }
    Ok(prompts)
}

/// `--dry-run`: the exact bodies, the price, and an equivalent curl command (key not shown).
fn print_dry_run(requests: &[GenerateRequest], total: u64, images: u32, async_mode: bool) {
    let base = std::env::var("ONEMIN_BASE_URL").unwrap_or_else(|_| wire::DEFAULT_BASE_URL.into());
    for (i, req) in requests.iter().enumerate() {
        let body = wire::request_body(req, async_mode);
        if requests.len() > 1 {
            println!("# call {} of {}", i + 1, requests.len());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
        let compact = serde_json::to_string(&body)
            .unwrap_or_default()
            .replace('\'', "'\\''");
        println!(
            "curl -sS -X POST '{}{}' -H \"{}: $ONEMIN_API_KEY\" -H 'Content-Type: application/json' -d '{compact}'",
            base.trim_end_matches('/'),
            wire::FEATURES_PATH,
            wire::API_KEY_HEADER,
        );
    }
    println!(
        "price: {total} credits for {images} image(s) in {} call(s); nothing was sent",
        requests.len()
    );
}

/// Asks before spending more than `--max-credits` (only on a terminal).
fn confirm(total: u64, max: u64) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("this run costs {total} credits, more than --max-credits {max}. Spend them? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::new(ErrorCode::IoError, format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
