//! `visionxl validate FILE|-`: every violation and warning of a request file.

use std::io::Read;

use clap::ArgMatches;
use serde_json::{Value, json};
use visionxl::{Error, ErrorCode, GenerateRequest};

/// Runs `validate`; `Ok(false)` when the file has errors (exit 1).
pub fn run(m: &ArgMatches) -> Result<bool, Error> {
    let file = m.get_one::<String>("file").expect("required");
    let text = if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::new(ErrorCode::IoError, format!("cannot read stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| Error::new(ErrorCode::IoError, format!("cannot read {file}: {e}")))?
    };
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        Error::new(
            ErrorCode::ValidationError,
            format!(
                "{file} is not JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let checked = GenerateRequest::check_wire_json(&json);
    let report = &checked.report;
    let valid = report.is_valid();
    if m.get_flag("json") {
        let credits = valid.then(|| checked.request.credits().ok()).flatten();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "valid": valid,
                "errors": report.errors,
                "warnings": report.warnings,
                "credits": credits,
            }))
            .unwrap_or_default()
        );
    } else {
        let lines = (report.errors.iter().map(|v| ("error", v)))
            .chain(report.warnings.iter().map(|v| ("warning", v)));
        for (level, v) in lines {
            println!(
                "{level:<7} {:<36} {:<18} {}",
                v.field,
                v.code.as_str(),
                v.message
            );
        }
        if valid {
            let credits = checked.request.credits()?;
            println!(
                "valid: {} image(s) at {}, {credits} credits ({} warning(s))",
                checked.request.n,
                checked.request.size,
                report.warnings.len()
            );
        } else {
            println!(
                "invalid: {} error(s), {} warning(s)",
                report.errors.len(),
                report.warnings.len()
            );
        }
    }
    Ok(valid)
}
