//! The README's Rust quickstart is `examples/readme_quickstart.rs`, verbatim; this runs it
//! against the emulator. Its fault-testing example is `examples/readme_faults.rs`, run too.

mod quickstart {
    include!("../examples/readme_quickstart.rs");

    pub fn run() -> Result<(), visionxl::Error> {
        main()
    }
}

mod faults {
    include!("../examples/readme_faults.rs");

    pub fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

#[test]
fn readme_rust_quickstart_runs_against_the_emulator() {
    let readme = include_str!("../../../README.md");
    for (name, example) in [
        (
            "readme_quickstart.rs",
            include_str!("../examples/readme_quickstart.rs"),
        ),
        (
            "readme_faults.rs",
            include_str!("../examples/readme_faults.rs"),
        ),
    ] {
        assert!(
            readme.contains(example.trim()),
            "README.md must show examples/{name} verbatim"
        );
    }
    let emu = visionxl_emulator::Emulator::start_blocking(Default::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // This test binary holds only this test, so changing the process's environment is safe.
    unsafe {
        std::env::set_var("ONEMIN_API_KEY", emu.api_key());
        std::env::set_var("ONEMIN_BASE_URL", emu.base_url());
        std::env::remove_var("ONEMIN_ASSET_BASE_URL");
    }
    std::env::set_current_dir(dir.path()).unwrap();
    faults::run().unwrap();
    let manifest = std::fs::read_to_string(dir.path().join("faults-out/manifest.jsonl")).unwrap();
    assert!(
        manifest
            .lines()
            .filter(|l| l.contains(r#""event":"sending""#))
            .count()
            >= 20
    );
    quickstart::run().unwrap();
    let saved = std::fs::read_dir(dir.path().join("visionxl-out"))
        .unwrap()
        .count();
    assert_eq!(saved, 4, "two images and two sidecars");
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 1);
    assert_eq!(ledger.total_charged(), 312);
}
