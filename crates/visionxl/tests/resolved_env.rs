//! `ClientBuilder::resolved_base_url` applies `ONEMIN_BASE_URL` (its own test binary: it sets
//! process environment variables, which no other test may see).

use visionxl::{ClientBuilder, ENV_API_KEY, ENV_ASSET_BASE_URL, ENV_BASE_URL};

#[test]
fn resolved_urls_follow_the_environment_without_a_key() {
    // SAFETY: the only test of this binary, single-threaded here; nothing else reads the
    // environment concurrently.
    unsafe {
        std::env::remove_var(ENV_API_KEY);
        std::env::remove_var(ENV_ASSET_BASE_URL);
        std::env::set_var(ENV_BASE_URL, "https://relay.example.com/v1");
    }
    let b = ClientBuilder::new();
    assert_eq!(
        b.resolved_base_url().unwrap(),
        "https://relay.example.com/v1"
    );
    assert_eq!(
        b.resolved_asset_base_url().unwrap(),
        "https://asset.1min.ai/"
    );
    // An explicit URL wins; ignore_env falls back to the default.
    assert_eq!(
        b.clone()
            .base_url("http://localhost:9")
            .resolved_base_url()
            .unwrap(),
        "http://localhost:9/"
    );
    assert_eq!(
        b.clone().ignore_env().resolved_base_url().unwrap(),
        "https://api.1min.ai/"
    );
    // A bad value in the environment fails as build() would, and names the setting.
    unsafe {
        std::env::set_var(ENV_BASE_URL, "http://api.example.com");
    }
    let e = ClientBuilder::new().resolved_base_url().unwrap_err();
    assert!(e.message().contains("plain http"), "{e}");
    unsafe {
        std::env::set_var(ENV_BASE_URL, "https://relay.example.com");
        std::env::set_var(ENV_ASSET_BASE_URL, "https://cdn.example.com/a");
    }
    assert_eq!(
        ClientBuilder::new().resolved_asset_base_url().unwrap(),
        "https://cdn.example.com/a"
    );
    unsafe {
        std::env::remove_var(ENV_BASE_URL);
        std::env::remove_var(ENV_ASSET_BASE_URL);
    }
}
