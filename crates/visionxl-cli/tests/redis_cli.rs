//! The command line with `--redis`: pacing shared through Redis, a clear `connection_error`
//! naming Redis (exit 7, nothing sent) when it cannot be reached. The success case needs
//! `VISIONXL_REDIS_URL` (scripts/test-redis.sh); it is skipped with a printed reason without.

mod common;

use common::{stderr, visionxl};

#[test]
fn an_unreachable_redis_is_named_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args(["generate", "a fox", "--size", "512x512", "--emulator"])
        .args(["--redis", "redis://:secret-pw@127.0.0.1:1/0", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "connection_error");
    let err = stderr(&out);
    assert!(err.contains("Redis at redis://127.0.0.1:1"), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(
        !err.contains("secret-pw"),
        "the password is never shown: {err}"
    );
    let saved = std::fs::read_dir(dir.path().join("out"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(saved, 0);
}

#[test]
fn generate_paces_through_redis() {
    let Ok(url) = std::env::var("VISIONXL_REDIS_URL") else {
        eprintln!("skipped: VISIONXL_REDIS_URL is unset (scripts/test-redis.sh starts a Redis)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args([
            "generate",
            "a fox",
            "--size",
            "512x512",
            "--emulator",
            "--json",
        ])
        .args(["--redis", &url, "-o", "out"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.to_string().contains("\"id\""), "{v}");
}
