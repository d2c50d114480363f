//! Random faults for soak tests: a share of all requests meets a fault drawn from a list.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::fault::FaultKind;

/// Random faults: every request outside `/_emulator` that no queued [`Fault`](crate::Fault)
/// answers meets a fault with probability `rate`, its kind drawn uniformly from the `kinds`
/// that apply to the request (`expired_asset` applies to downloads only,
/// `generation_failure` to generation requests only).
///
/// As JSON (`POST /_emulator/chaos`): `{"rate": 0.2, "seed": 7}`; `kinds` (a list of
/// `{"kind": ..., fields}` objects, as in `/_emulator/faults` without `count`) defaults to
/// [`Chaos::every_kind`].
///
/// ```
/// use visionxl_emulator::{Chaos, FaultKind};
/// let chaos = Chaos::new(0.2).seed(7);
/// assert_eq!(chaos.kinds, Chaos::every_kind());
/// let only_429 = Chaos::new(0.5).kinds(vec![FaultKind::RateLimit { retry_after_secs: 0 }]);
/// assert!(only_429.check().is_ok());
/// assert!(Chaos::new(1.5).check().is_err());
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Chaos {
    /// The share of requests that meet a fault, 0 to 1.
    pub rate: f64,
    /// The faults drawn from (uniformly, among those that apply to a request).
    #[serde(default = "Chaos::every_kind")]
    pub kinds: Vec<FaultKind>,
    /// Seeds the draws (the order in which concurrent requests arrive still varies); random
    /// when absent.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Only requests whose path starts with this prefix; `None`: every request.
    #[serde(default)]
    pub path: Option<String>,
}

impl Chaos {
    /// Faults of every kind at this rate.
    pub fn new(rate: f64) -> Chaos {
        Chaos {
            rate,
            kinds: Chaos::every_kind(),
            seed: None,
            path: None,
        }
    }

    /// Every fault kind once, with small parameters (a 1 s `Retry-After`, a 50 ms delay), plus
    /// the three 5xx statuses clients meet most (500, 502, 503).
    pub fn every_kind() -> Vec<FaultKind> {
        vec![
            FaultKind::RateLimit {
                retry_after_secs: 1,
            },
            FaultKind::Status { status: 500 },
            FaultKind::Status { status: 502 },
            FaultKind::Status { status: 503 },
            FaultKind::Cloudflare,
            FaultKind::Delay { ms: 50 },
            FaultKind::DropBeforeProcessing,
            FaultKind::DropAfterCharge,
            FaultKind::TruncatedBody,
            FaultKind::MalformedJson,
            FaultKind::ExpiredAsset,
            FaultKind::GenerationFailure {
                message: "emulated chaos: the generation failed".into(),
            },
        ]
    }

    /// Draws from these kinds instead.
    pub fn kinds(mut self, kinds: Vec<FaultKind>) -> Chaos {
        self.kinds = kinds;
        self
    }

    /// Makes the draws repeatable for the same order of requests.
    pub fn seed(mut self, seed: u64) -> Chaos {
        self.seed = Some(seed);
        self
    }

    /// Only requests whose path starts with `prefix`.
    pub fn on_path(mut self, prefix: &str) -> Chaos {
        self.path = Some(prefix.to_string());
        self
    }

    /// `Err` names what is wrong: a rate outside 0..=1 (or not a number), or no kinds.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.rate) {
            return Err(format!(
                "chaos rate must be between 0 and 1 (inclusive), got {}",
                self.rate
            ));
        }
        if self.kinds.is_empty() {
            return Err("chaos kinds must not be empty".into());
        }
        Ok(())
    }
}

/// What random faults did so far (since they were set, or the last reset).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ChaosReport {
    /// Requests that rolled the dice.
    pub requests: u64,
    /// Requests that met a fault.
    pub faults: u64,
    /// Faults met, by kind (`rate_limit`, `status_503`, `drop_after_charge`, ...).
    pub by_kind: BTreeMap<String, u64>,
}

/// The live state: the settings, their generator and the counts.
pub(crate) struct ChaosState {
    chaos: Chaos,
    rng: StdRng,
    report: ChaosReport,
}

impl ChaosState {
    pub(crate) fn new(chaos: Chaos) -> ChaosState {
        let rng = match chaos.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        ChaosState {
            chaos,
            rng,
            report: ChaosReport::default(),
        }
    }

    pub(crate) fn chaos(&self) -> &Chaos {
        &self.chaos
    }

    pub(crate) fn report(&self) -> &ChaosReport {
        &self.report
    }

    /// Rolls for one request: the fault it meets, if any, among the kinds `applies` accepts.
    pub(crate) fn roll(
        &mut self,
        path: &str,
        applies: impl Fn(&FaultKind) -> bool,
    ) -> Option<FaultKind> {
        if self
            .chaos
            .path
            .as_deref()
            .is_some_and(|p| !path.starts_with(p))
        {
            return None;
        }
        self.report.requests += 1;
        if !self.rng.random_bool(self.chaos.rate) {
            return None;
        }
        let candidates: Vec<&FaultKind> = self.chaos.kinds.iter().filter(|k| applies(k)).collect();
        if candidates.is_empty() {
            return None;
        }
        let kind = candidates[self.rng.random_range(0..candidates.len())].clone();
        self.report.faults += 1;
        *self.report.by_kind.entry(kind.report_name()).or_default() += 1;
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_defaults_to_every_kind() {
        let c: Chaos = serde_json::from_str(r#"{"rate": 0.2, "seed": 3}"#).unwrap();
        assert_eq!(c, Chaos::new(0.2).seed(3));
        assert!(serde_json::from_str::<Chaos>(r#"{"rate": 0.2, "sed": 3}"#).is_err());
        let c: Chaos =
            serde_json::from_str(r#"{"rate": 1, "kinds": [{"kind": "cloudflare"}]}"#).unwrap();
        assert_eq!(c.kinds, vec![FaultKind::Cloudflare]);
    }

    #[test]
    fn rate_is_checked() {
        for bad in [-0.1, 1.01, f64::NAN] {
            assert!(Chaos::new(bad).check().is_err(), "{bad}");
        }
        assert!(Chaos::new(0.2).kinds(vec![]).check().is_err());
        assert!(Chaos::new(0.0).check().is_ok() && Chaos::new(1.0).check().is_ok());
    }

    #[test]
    fn the_rate_holds_and_every_kind_is_drawn() {
        let mut st = ChaosState::new(Chaos::new(0.2).seed(11));
        let hits = (0..20_000)
            .filter(|_| st.roll("/api/features", |_| true).is_some())
            .count();
        assert!((3_600..=4_400).contains(&hits), "{hits} of 20000");
        assert_eq!(st.report().requests, 20_000);
        assert_eq!(st.report().faults, hits as u64);
        assert_eq!(st.report().by_kind.len(), Chaos::every_kind().len());
        assert!(st.report().by_kind.contains_key("status_503"));
    }

    #[test]
    fn only_applicable_kinds_and_paths() {
        let mut st = ChaosState::new(
            Chaos::new(1.0)
                .kinds(vec![FaultKind::ExpiredAsset])
                .on_path("/asset"),
        );
        assert_eq!(st.roll("/api/features", |_| true), None);
        assert_eq!(st.report().requests, 0);
        assert_eq!(
            st.roll("/api/x", |k| !matches!(k, FaultKind::ExpiredAsset)),
            None
        );
        assert_eq!(
            st.roll("/asset/a.webp", |_| true),
            Some(FaultKind::ExpiredAsset)
        );
    }

    #[test]
    fn every_kind_is_listed_with_its_fields() {
        let names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name).collect();
        let mut seen = Vec::new();
        for kind in Chaos::every_kind() {
            let v = serde_json::to_value(&kind).unwrap();
            let info = FaultKind::ALL
                .iter()
                .find(|k| k.name == kind.name())
                .unwrap_or_else(|| panic!("{} is not in FaultKind::ALL", kind.name()));
            assert_eq!(v["kind"], info.name);
            let fields: Vec<&str> = v
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "kind")
                .collect();
            assert_eq!(fields, info.fields, "{}", info.name);
            seen.push(info.name);
        }
        seen.dedup();
        assert_eq!(seen, names, "Chaos::every_kind covers every kind, in order");
        assert_eq!(
            "drop_after_charge".parse::<FaultKind>(),
            Ok(FaultKind::DropAfterCharge)
        );
        assert!(
            "status"
                .parse::<FaultKind>()
                .unwrap_err()
                .contains("status")
        );
        assert!(
            "meteor"
                .parse::<FaultKind>()
                .unwrap_err()
                .contains("meteor")
        );
        assert_eq!(
            FaultKind::Status { status: 503 }.report_name(),
            "status_503"
        );
    }
}
