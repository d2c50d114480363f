//! `visionxl price`: one call's price, or the cheapest plan for K images.

use clap::ArgMatches;
use serde_json::json;
use visionxl::{Error, estimate_credits_str, plan_batches_str, price_hint};

/// Runs `price`.
pub fn run(m: &ArgMatches) -> Result<(), Error> {
    let size = m.get_one::<String>("size").expect("has a default");
    let json_out = m.get_flag("json");
    if let Some(&images) = m.get_one::<u32>("images") {
        let plan = plan_batches_str(size, images)?;
        if json_out {
            println!(
                "{}",
                serde_json::to_string_pretty(&plan).unwrap_or_default()
            );
        } else {
            // "4 x 25000 + 3 x 1": grouped, so a large plan stays one short line.
            let mut groups: Vec<(u32, usize)> = Vec::new();
            for &n in &plan.calls {
                match groups.last_mut() {
                    Some((m, count)) if *m == n => *count += 1,
                    _ => groups.push((n, 1)),
                }
            }
            let shape: Vec<String> = groups
                .iter()
                .map(|(n, count)| format!("{count} call(s) of n = {n}"))
                .collect();
            println!(
                "{images} images at {size}: {} credits in {}",
                plan.total_credits,
                shape.join(" + ")
            );
        }
        return Ok(());
    }
    let n = m.get_one::<u32>("n").copied().unwrap_or(1);
    let credits = estimate_credits_str(size, n)?;
    let hint = price_hint(size.parse().map_err(|v| Error::validation(vec![v]))?, n);
    if json_out {
        println!(
            "{}",
            json!({"size": size, "n": n, "credits": credits, "hint": hint})
        );
    } else {
        println!("{n} image(s) at {size}: {credits} credits");
        if let Some(h) = hint {
            println!("hint: {h}");
        }
    }
    Ok(())
}
