//! `visionxl generate`: build and price the request(s), confirm, generate, save, report.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::ArgMatches;
use futures_util::StreamExt;
use serde_json::{Value, json};
use visionxl::{
    BatchOptions, CancelToken, Error, ErrorCode, GenerateOptions, GenerateRequest, Naming,
    ParamValue, Preset, plan_batches, wire,
};

use crate::args::param_values;
use crate::connect::connect;
use crate::output;

/// Runs `generate`. Under `--json`, stdout always holds exactly one JSON document, also when
/// the run fails (`{"error": ...}`) or is a dry run.
pub async fn run(m: &ArgMatches, quiet: bool, cancel: &CancelToken) -> Result<(), Error> {
    let json_out = m.get_flag("json");
    let mut printed = false;
    let r = run_inner(m, quiet, cancel, &mut printed).await;
    if let (Err(e), true, false) = (&r, json_out, printed) {
        println!("{}", output::error_json(e));
    }
    r
}

async fn run_inner(
    m: &ArgMatches,
    quiet: bool,
    cancel: &CancelToken,
    printed: &mut bool,
) -> Result<(), Error> {
    let requests = build_requests(m)?;
    let total: u64 = requests
        .iter()
        .map(|r| r.credits().map(u64::from))
        .sum::<Result<u64, Error>>()?;
    let images: u32 = requests.iter().map(|r| r.n).sum();
    let json_out = m.get_flag("json");
    let out = PathBuf::from(m.get_one::<String>("out").expect("has a default"));

    if m.get_flag("dry_run") {
        print_dry_run(m, &requests, total, images, json_out)?;
        *printed = true;
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
        && !confirm("this run", total, max)?
    {
        return Err(Error::new(
            ErrorCode::BudgetExceeded,
            format!(
                "this run costs {total} credits, more than --max-credits {max}; nothing was sent"
            ),
        ));
    }
    // Where the images go is checked before anything is paid for.
    std::fs::create_dir_all(&out).map_err(|e| {
        Error::new(
            ErrorCode::IoError,
            format!("cannot create {}: {e}", out.display()),
        )
    })?;
    let budget = max.map(|m| m.max(total));
    let conn = connect(m, budget).await?;
    if conn.emulated() {
        eprintln!("using the embedded emulator: images are EMULATED, no 1min.ai credits are spent");
    }

    let mut run = Run::default();
    // A batch (manifest, resume) whenever the run is more than one call or was asked as one.
    let batch = requests.len() > 1 || m.contains_id("prompts") || m.contains_id("count");
    if batch {
        run_batch(m, quiet, cancel, &conn.client, requests, &out, &mut run).await?;
    } else {
        run_single(m, quiet, cancel, &conn.client, &requests[0], &out, &mut run).await?;
    }

    let emulated = conn.emulated() || run.emulated;
    if json_out {
        println!(
            "{}",
            output::json_result(&run.results, run.spent, emulated, &run.failures)
        );
        *printed = true;
    } else {
        let files: Vec<&output::Saved> = run.results.iter().flat_map(|(_, f)| f.iter()).collect();
        output::print_table(&files, run.spent, emulated, &out);
        if run.maybe_charged > 0 {
            eprintln!(
                "note: {} failed call(s) may have been charged; see the errors above before running them again",
                run.maybe_charged
            );
        }
    }
    match run.first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What a run produced.
#[derive(Default)]
struct Run {
    results: Vec<(Value, Vec<output::Saved>)>,
    failures: Vec<Value>,
    spent: u64,
    maybe_charged: usize,
    emulated: bool,
    first_error: Option<Error>,
}

impl Run {
    fn fail(&mut self, index: usize, err: Error, json_out: bool) {
        if err.may_have_been_charged() {
            self.maybe_charged += 1;
        }
        self.failures.push(json!({
            "index": index,
            "code": err.code().as_str(),
            "message": err.message(),
            "record_id": err.record_id(),
            "may_have_been_charged": err.may_have_been_charged(),
        }));
        if !json_out {
            eprintln!("call {} failed: {err}", index + 1);
        }
        self.first_error.get_or_insert(err);
    }
}

async fn run_single(
    m: &ArgMatches,
    quiet: bool,
    cancel: &CancelToken,
    client: &visionxl::Client,
    req: &GenerateRequest,
    out: &Path,
    run: &mut Run,
) -> Result<(), Error> {
    let generation = output::behind_spinner(
        quiet,
        "generating",
        client.generate_with(
            req,
            GenerateOptions {
                async_mode: m.get_flag("async"),
                cancel: Some(cancel.clone()),
                ..GenerateOptions::default()
            },
        ),
    )
    .await?;
    let saved = output::save_images(&generation, out, m.get_flag("overwrite"), quiet, cancel).await;
    run.spent += u64::from(generation.credits().unwrap_or(0));
    run.emulated |= generation.is_emulated();
    let files = saved?;
    run.results.push((
        output::generation_json(&generation),
        output::saved(&generation, &files),
    ));
    Ok(())
}

async fn run_batch(
    m: &ArgMatches,
    quiet: bool,
    cancel: &CancelToken,
    client: &visionxl::Client,
    requests: Vec<GenerateRequest>,
    out: &Path,
    run: &mut Run,
) -> Result<(), Error> {
    let json_out = m.get_flag("json");
    let bar = output::bar(quiet, requests.len() as u64);
    let progress_bar = bar.clone();
    let opts = BatchOptions {
        concurrency: *m.get_one::<u32>("concurrency").expect("has a default") as usize,
        manifest: Some(out.join("manifest.jsonl")),
        out_dir: Some(out.to_path_buf()),
        async_mode: m.get_flag("async"),
        overwrite: m.get_flag("overwrite"),
        cancel: Some(cancel.clone()),
        on_progress: Some(Arc::new(move |p: visionxl::Progress| {
            if let Some(b) = &progress_bar {
                b.set_position(p.completed as u64);
                b.set_message(format!("{} credits", p.credits_spent));
            }
        })),
        ..BatchOptions::default()
    };
    let mut stream = client.generate_many(requests, opts).await?;
    while let Some(item) = stream.next().await {
        let err = match (&item.result, item.error()) {
            (Ok(g), None) => {
                if !item.resumed {
                    run.spent += u64::from(g.credits().unwrap_or(0));
                }
                run.emulated |= g.is_emulated();
                let mut j = output::generation_json(g);
                j["resumed"] = json!(item.resumed);
                run.results.push((j, output::saved(g, &item.files)));
                continue;
            }
            (Ok(g), Some(e)) => {
                // Paid for, but not saved or not recorded in the manifest: the record id lets
                // `visionxl get` fetch it again.
                if !item.resumed {
                    run.spent += u64::from(g.credits().unwrap_or(0));
                }
                if !item.files.is_empty() {
                    run.results
                        .push((output::generation_json(g), output::saved(g, &item.files)));
                }
                e.clone().with_record_id(Some(g.id().to_string()))
            }
            (Err(e), _) => e.clone(),
        };
        run.fail(item.index, err, json_out);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(())
}

/// The request(s) of this run: one per prompt, split by `--count` into the cheapest calls.
pub fn build_requests(m: &ArgMatches) -> Result<Vec<GenerateRequest>, Error> {
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

/// `--dry-run`: the exact bodies, the price, and the equivalent curl command from the core's
/// snippets (the playground shows the same text; `<api-key>` stands for the key).
fn print_dry_run(
    m: &ArgMatches,
    requests: &[GenerateRequest],
    total: u64,
    images: u32,
    json_out: bool,
) -> Result<(), Error> {
    let async_mode = m.get_flag("async");
    // The URL the client would use (--base-url, else ONEMIN_BASE_URL, else the live service).
    let mut builder = visionxl::Client::builder();
    if let Some(url) = m.get_one::<String>("base_url") {
        builder = builder.base_url(url.clone());
    }
    let base = builder.resolved_base_url()?;
    let calls: Vec<Value> = requests
        .iter()
        .map(|req| {
            let body = wire::request_body(req, async_mode);
            let curl = visionxl::snippets::curl(req, &base, async_mode);
            json!({"body": body, "credits": req.credits().unwrap_or(0), "curl": curl})
        })
        .collect();
    if json_out {
        let doc = json!({"dry_run": true, "credits": total, "images": images, "calls": calls});
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    for (i, call) in calls.iter().enumerate() {
        if calls.len() > 1 {
            println!("# call {} of {}", i + 1, calls.len());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&call["body"]).unwrap_or_default()
        );
        println!("{}", call["curl"].as_str().unwrap_or_default());
    }
    println!(
        "price: {total} credits for {images} image(s) in {} call(s); nothing was sent",
        requests.len()
    );
    Ok(())
}

/// Asks before spending more than `--max-credits` (only on a terminal); `what` names the
/// spending ("this run", "this sweep").
pub fn confirm(what: &str, total: u64, max: u64) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("{what} costs {total} credits, more than --max-credits {max}. Spend them? [y/N] ");
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
