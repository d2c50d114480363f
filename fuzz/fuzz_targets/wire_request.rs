//! Wire-JSON requests: bytes parsed as JSON, then `GenerateRequest::check_wire_json` (what the
//! emulator and `visionxl validate FILE` run) and `wire::prompt_object_params` +
//! `GenerateRequest::from_params` with wire names (what C's `vxl_request_from_json` runs, reading
//! the text straight with `wire::prompt_object_params_from_str`), for a `promptObject` or a
//! whole request body.
//!
//! Checks, beyond "never panics":
//! - reading the text straight gives what parsing it into a `Value` first gives: the same
//!   pairs in the same order, the same violation, or the same JSON error;
//! - both paths agree: accepted exactly when the report has no error, with the same request
//!   and warnings;
//! - every violation has a message, errors carry error codes and warnings warning codes, and
//!   a field is a wire name (or `promptObject`, or the unknown name as given);
//! - an accepted request validates without errors (with the same warnings), has a non-blank
//!   prompt, and its price is the documented table's;
//! - round trip: an accepted request serialised to wire JSON bytes (alone and inside a whole
//!   request body) and parsed again is accepted and equal to the original (with
//!   `leonardo_photo_real_version` filled in as `v2` when PhotoReal is on, as `to_wire`
//!   documents), and serialises to the same JSON again; keys go out in the table's order, and
//!   `size` and `n` are always sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use visionxl_core::spec::{self, Naming, PARAMS};
use visionxl_core::{
    GenerateRequest, PhotoRealVersion, Size, Violation, ViolationCode, estimate_credits, wire,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let straight = wire::prompt_object_params_from_str(text).map_err(|e| e.to_string());
        let via_value = serde_json::from_str::<Value>(text)
            .map(|v| wire::prompt_object_params(&v))
            .map_err(|e| e.to_string());
        assert_eq!(straight, via_value, "reading the text straight and via a Value differ");
    }
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let checked = GenerateRequest::check_wire_json(&json);
    for v in &checked.report.errors {
        check_violation(v, true);
    }
    for v in &checked.report.warnings {
        check_violation(v, false);
    }
    let accepted = GenerateRequest::from_wire_json(&json);
    assert_eq!(accepted.is_ok(), checked.report.errors.is_empty());
    // The C path: vxl_request_from_json, then vxl_request_validate / building the request.
    let via_c = wire::prompt_object_params(&json)
        .map_err(|v| v.code)
        .map(|p| GenerateRequest::from_params(p, Naming::Wire, None));
    match (&accepted, via_c) {
        (Ok(a), Ok(Ok(c))) => assert_eq!(a, &c),
        (Err(a), Ok(Err(c))) => assert_eq!(a.violations(), c.violations()),
        (Err(a), Err(code)) => {
            assert_eq!(code, ViolationCode::WrongType);
            assert_eq!(a.violations(), checked.report.errors.as_slice());
        }
        (a, c) => panic!("the JSON and C paths disagree: {a:?} vs {c:?}"),
    }
    let Ok((req, warnings)) = accepted else {
        return;
    };
    assert_eq!(req, checked.request);
    assert_eq!(warnings, checked.report.warnings);

    let report = req.validate();
    assert!(report.errors.is_empty(), "accepted but invalid: {report:?}");
    assert_eq!(report.warnings, warnings);
    assert!(!req.prompt.trim().is_empty());
    let credits = req.credits().expect("an accepted request has a price");
    assert_eq!(
        Ok(credits),
        estimate_credits(req.size, req.n).map_err(|_| ())
    );
    assert!((234..=468).contains(&credits), "price {credits}");
    assert!(Size::ALL.contains(&req.size) && (1..=4).contains(&req.n));

    // Round trip through the bytes the client sends.
    let mut want = req.clone();
    if want.photo_real == Some(true) && want.photo_real_version.is_none() {
        want.photo_real_version = Some(PhotoRealVersion::V2);
    }
    let wire_json = req.to_wire();
    let bytes = serde_json::to_vec(&req).expect("serialises");
    let sent: Value = serde_json::from_slice(&bytes).expect("valid JSON");
    assert_eq!(sent, wire_json, "Serialize and to_wire differ");
    let obj = sent.as_object().expect("an object");
    assert!(obj.contains_key("size") && obj.contains_key("n"));
    let order: Vec<usize> = obj
        .keys()
        .map(|k| {
            PARAMS
                .iter()
                .position(|p| p.wire == k)
                .expect("a wire name")
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "key order {order:?}");
    let (back, _) = GenerateRequest::from_wire_json(&sent)
        .unwrap_or_else(|e| panic!("wire JSON of an accepted request refused: {e}"));
    assert_eq!(back, want, "round trip changed the request");
    assert_eq!(
        back.to_wire(),
        wire_json,
        "round trip changed the wire JSON"
    );

    let body = wire::request_body_bytes(&req, true);
    let body: Value = serde_json::from_slice(&body).expect("valid JSON");
    let (from_body, _) = GenerateRequest::from_wire_json(&body)
        .unwrap_or_else(|e| panic!("request body of an accepted request refused: {e}"));
    assert_eq!(
        from_body, want,
        "request body round trip changed the request"
    );
});

fn check_violation(v: &Violation, error: bool) {
    assert!(!v.message.trim().is_empty(), "{v:?}");
    let warning_code = matches!(
        v.code,
        ViolationCode::Ignored | ViolationCode::UnusualCombination | ViolationCode::PriceHint
    );
    assert_eq!(error, !warning_code, "{v:?}");
    if v.code != ViolationCode::UnknownField {
        assert!(
            spec::by_wire(&v.field).is_some() || v.field == "promptObject",
            "{v:?}"
        );
    }
}
