//! The docs name every route the emulator serves and every fault it knows.

const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");
const GUIDE: &str = include_str!("../../../docs/emulator.md");

const ROUTES: [&str; 10] = [
    "/api/features",
    "/api/results/{uuid}",
    "/api/assets",
    "/models",
    "/asset/{path}",
    "/temp/{path}",
    "/_emulator/faults",
    "/_emulator/ledger",
    "/_emulator/reset",
    "/_emulator/health",
];

const FAULTS: [&str; 10] = [
    "rate_limit",
    "status",
    "cloudflare",
    "delay",
    "drop_before_processing",
    "drop_after_charge",
    "truncated_body",
    "malformed_json",
    "expired_asset",
    "generation_failure",
];

#[test]
fn openapi_lists_every_route_and_fault() {
    assert!(OPENAPI.starts_with("openapi: 3.1"));
    for r in ROUTES {
        assert!(
            OPENAPI.contains(&format!("\n  {r}:\n")),
            "{r} missing from openapi.yaml"
        );
    }
    for f in FAULTS {
        assert!(OPENAPI.contains(f), "{f} missing from openapi.yaml");
    }
}

#[test]
fn guide_documents_every_route_fault_and_knob() {
    for r in ROUTES {
        let head = r.split('{').next().unwrap();
        assert!(GUIDE.contains(head), "{r} missing from emulator.md");
    }
    for f in FAULTS {
        assert!(
            GUIDE.contains(&format!("`{f}")),
            "{f} missing from emulator.md"
        );
    }
    for knob in [
        "--port",
        "--keys",
        "--latency-ms",
        "--temporary-url-ttl-secs",
        "temporary_url_ttl",
        "latency",
    ] {
        assert!(GUIDE.contains(knob), "{knob} missing from emulator.md");
    }
    assert!(GUIDE.contains("requests/s"), "the benchmark figure");
    // Every fault kind serialises to a name the docs use.
    let kinds = [
        visionxl_emulator::FaultKind::RateLimit {
            retry_after_secs: 1,
        },
        visionxl_emulator::FaultKind::Status { status: 500 },
        visionxl_emulator::FaultKind::Cloudflare,
        visionxl_emulator::FaultKind::Delay { ms: 1 },
        visionxl_emulator::FaultKind::DropBeforeProcessing,
        visionxl_emulator::FaultKind::DropAfterCharge,
        visionxl_emulator::FaultKind::TruncatedBody,
        visionxl_emulator::FaultKind::MalformedJson,
        visionxl_emulator::FaultKind::ExpiredAsset,
        visionxl_emulator::FaultKind::GenerationFailure {
            message: String::new(),
        },
    ];
    for (k, name) in kinds.iter().zip(FAULTS) {
        assert_eq!(serde_json::to_value(k).unwrap()["kind"], name);
    }
}
