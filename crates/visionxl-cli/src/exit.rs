//! Exit codes per error class, and the one-line error report with a hint.

use visionxl::{Error, ErrorCode};

/// The process exit code for an error (documented in `--help` and the README).
pub fn code_for(err: &Error) -> i32 {
    match err.code() {
        ErrorCode::ValidationError => 1,
        ErrorCode::AuthenticationError | ErrorCode::PermissionDenied => 3,
        ErrorCode::InsufficientCredits | ErrorCode::BudgetExceeded => 4,
        ErrorCode::RateLimited => 5,
        ErrorCode::BadRequest | ErrorCode::NotFound => 6,
        ErrorCode::ServerError
        | ErrorCode::Timeout
        | ErrorCode::ConnectionError
        | ErrorCode::InvalidResponse => 7,
        ErrorCode::GenerationFailed => 8,
        ErrorCode::DownloadError | ErrorCode::IoError => 9,
        ErrorCode::Cancelled => 130,
    }
}

/// A hint for people, per error class.
pub fn hint_for(err: &Error) -> Option<String> {
    let h = match err.code() {
        ErrorCode::ValidationError => {
            "fix the fields above; `visionxl generate --help` lists every flag and range"
        }
        ErrorCode::AuthenticationError => {
            "set ONEMIN_API_KEY (or pass --api-key) to use 1min.ai, or add --emulator to try it offline with no key and no credits"
        }
        ErrorCode::PermissionDenied => "the key may not do this; check it in the 1min.ai dashboard",
        ErrorCode::InsufficientCredits => {
            "top up credits at 1min.ai, or try --size 512x512 / a smaller -n (see `visionxl price`)"
        }
        ErrorCode::BudgetExceeded => "raise --max-credits, or pass --yes to accept the price",
        ErrorCode::RateLimited => {
            "wait a little and run again; batches pace themselves with --concurrency"
        }
        ErrorCode::GenerationFailed | ErrorCode::ServerError | ErrorCode::Timeout
            if err.record_id().is_some() =>
        {
            return err
                .record_id()
                .map(|id| format!("the record may still finish: `visionxl get {id}`"));
        }
        ErrorCode::ServerError | ErrorCode::Timeout | ErrorCode::ConnectionError
            if err.may_have_been_charged() =>
        {
            "the request may have been charged; check your 1min.ai history before running it again"
        }
        ErrorCode::Cancelled if err.may_have_been_charged() => {
            "the request had already been sent and may have been charged: check your 1min.ai history \
             (a batch rerun with the same --out does not send it again)"
        }
        ErrorCode::DownloadError => {
            return Some(match err.record_id() {
                Some(id) => {
                    format!("nothing is lost: `visionxl get {id}` downloads the images again")
                }
                None => "run the command again to retry the download".to_string(),
            });
        }
        _ => return None,
    };
    Some(h.to_string())
}

/// Prints `error: ...` (and `hint: ...`) on stderr and returns the exit code.
pub fn report(err: &Error) -> i32 {
    eprintln!("error: {err}");
    if let Some(h) = hint_for(err) {
        eprintln!("hint: {h}");
    }
    code_for(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_exit_code_other_than_success_and_usage() {
        for c in ErrorCode::ALL {
            let code = code_for(&Error::new(c, "x"));
            assert!(code != 0 && code != 2, "{c}");
        }
    }
}
