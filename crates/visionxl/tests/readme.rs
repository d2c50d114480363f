//! The README's Rust quickstart is `examples/readme_quickstart.rs`, verbatim; this runs it
//! against the emulator.

mod quickstart {
    include!("../examples/readme_quickstart.rs");

    pub fn run() -> Result<(), visionxl::Error> {
        main()
    }
}

#[test]
fn readme_rust_quickstart_runs_against_the_emulator() {
    let example = include_str!("../examples/readme_quickstart.rs");
    let readme = include_str!("../../../README.md");
    assert!(
        readme.contains(example.trim()),
        "README.md must show examples/readme_quickstart.rs verbatim"
    );
    let emu = visionxl_emulator::Emulator::start_blocking(Default::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // This test binary holds only this test, so changing the process's environment is safe.
    unsafe {
        std::env::set_var("ONEMIN_API_KEY", emu.api_key());
        std::env::set_var("ONEMIN_BASE_URL", emu.base_url());
        std::env::remove_var("ONEMIN_ASSET_BASE_URL");
    }
    std::env::set_current_dir(dir.path()).unwrap();
    quickstart::run().unwrap();
    let saved = std::fs::read_dir(dir.path().join("visionxl-out"))
        .unwrap()
        .count();
    assert_eq!(saved, 4, "two images and two sidecars");
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 1);
    assert_eq!(ledger.total_charged(), 312);
}
