//! The [`ClientBuilder`] by option name: [`set_option`](ClientBuilder::set_option) and
//! [`set_options`](ClientBuilder::set_options) convert and check a value through the options
//! table ([`crate::options`]), and the settle step checks every numeric setting against it.
//! Sits above both the builder and the table, so neither depends on the other.

use std::time::Duration;

use visionxl_core::{Error, Naming, Violation};

use crate::config::ClientBuilder;
use crate::options::{
    CLIENT_OPTIONS, OptionValue, Typed, check_duration, check_int, client_option_in, convert,
    unknown,
};

impl ClientBuilder {
    /// Sets the option `name` (snake_case, as the builder method) from a loosely typed value,
    /// converted and checked by the table's rules ([`CLIENT_OPTIONS`]): a wrong type is
    /// `wrong_type`, a value out of range `out_of_range`, an unknown name `unknown_field` with a
    /// "did you mean"; each a `validation_error` whose violation names the option. Durations
    /// are seconds. `OptionValue::Null` sets the default back.
    pub fn set_option(&mut self, name: &str, value: OptionValue) -> Result<&mut Self, Error> {
        self.set_options(Naming::Sdk, [(name, value)])?;
        Ok(self)
    }

    /// Sets several options named as `naming` says ([`Naming::Camel`]: Node's names, durations
    /// in milliseconds), checking all of them: one `validation_error` lists every bad option
    /// (nothing is set then), each violation's field named as given.
    pub fn set_options<'a, I>(&mut self, naming: Naming, options: I) -> Result<&mut Self, Error>
    where
        I: IntoIterator<Item = (&'a str, OptionValue)>,
    {
        let mut typed = Vec::new();
        let mut violations = Vec::new();
        for (name, value) in options {
            match client_option_in(name, naming) {
                None => violations.push(unknown(name, naming)),
                Some(opt) => match convert(opt, value, naming == Naming::Camel) {
                    Ok(t) => typed.push((opt, t)),
                    Err(v) => violations.push(v),
                },
            }
        }
        if !violations.is_empty() {
            return Err(Error::validation(violations));
        }
        for (opt, t) in typed {
            self.apply(opt.name, t);
        }
        Ok(self)
    }

    /// Sets one checked value (`Typed::Default`: the builder's default).
    fn apply(&mut self, name: &str, t: Typed) {
        let d = ClientBuilder::default();
        match name {
            "api_key" => {
                self.api_key = match t {
                    Typed::Secret(s) => Some(s),
                    _ => None,
                }
            }
            "shared_limits" => {
                self.shared_limits = match t {
                    Typed::Secret(s) => Some(s),
                    _ => None,
                };
                self.shared_budget = true;
            }
            "base_url" => self.base_url = string(t),
            "asset_base_url" => self.asset_base_url = string(t),
            "user_agent" => self.user_agent = string(t),
            "timeout" => self.timeout = dur(t, d.timeout),
            "connect_timeout" => self.connect_timeout = dur(t, d.connect_timeout),
            "download_timeout" => self.download_timeout = dur(t, d.download_timeout),
            "poll_interval" => self.poll_interval = dur(t, d.poll_interval),
            "max_poll_interval" => self.max_poll_interval = dur(t, d.max_poll_interval),
            "poll_timeout" => self.poll_timeout = dur(t, d.poll_timeout),
            "max_retries" => {
                self.retry.max_retries = int(t, d.retry.max_retries.into()) as u32;
            }
            "retry_ambiguous" => self.retry.retry_ambiguous = flag(t, d.retry.retry_ambiguous),
            "allow_insecure_http" => self.allow_insecure_http = flag(t, d.allow_insecure_http),
            "async_mode" => self.async_mode = flag(t, d.async_mode),
            "budget" => {
                self.budget = match t {
                    Typed::Int(n) => Some(n),
                    _ => None,
                }
            }
            "requests_per_minute" => {
                self.requests_per_minute = int(t, d.requests_per_minute.into()) as u32;
            }
            "pacing_burst" => self.pacing_burst = (int(t, d.pacing_burst.into()) as u32).max(1),
            "max_response_bytes" => self.max_response_bytes = int(t, d.max_response_bytes),
            "max_image_bytes" => self.max_image_bytes = int(t, d.max_image_bytes),
            other => unreachable!("option {other} is in the table but not applied"),
        }
    }

    /// The builder's value of a numeric option, as the table checks it.
    fn number_of(&self, name: &str) -> Option<Typed> {
        Some(match name {
            "timeout" => Typed::Duration(self.timeout),
            "connect_timeout" => Typed::Duration(self.connect_timeout),
            "download_timeout" => Typed::Duration(self.download_timeout),
            "poll_interval" => Typed::Duration(self.poll_interval),
            "max_poll_interval" => Typed::Duration(self.max_poll_interval),
            "poll_timeout" => Typed::Duration(self.poll_timeout),
            "max_retries" => Typed::Int(self.retry.max_retries.into()),
            "budget" => Typed::Int(self.budget?),
            "requests_per_minute" => Typed::Int(self.requests_per_minute.into()),
            "pacing_burst" => Typed::Int(self.pacing_burst.into()),
            "max_response_bytes" => Typed::Int(self.max_response_bytes),
            "max_image_bytes" => Typed::Int(self.max_image_bytes),
            _ => return None,
        })
    }

    /// Every setting checked against the table at once (values set through the typed builder
    /// methods were not checked when set): one violation per bad setting, `field` = its name.
    pub(crate) fn check_settings(&self) -> Result<(), Error> {
        let violations: Vec<Violation> = CLIENT_OPTIONS
            .iter()
            .filter_map(|opt| match self.number_of(opt.name)? {
                Typed::Duration(d) => check_duration(opt, d).err(),
                Typed::Int(n) => check_int(opt, n.into()).err(),
                _ => None,
            })
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(violations))
        }
    }
}

fn string(t: Typed) -> Option<String> {
    match t {
        Typed::Str(s) => Some(s),
        _ => None,
    }
}

fn dur(t: Typed, default: Duration) -> Duration {
    match t {
        Typed::Duration(d) => d,
        _ => default,
    }
}

fn int(t: Typed, default: u64) -> u64 {
    match t {
        Typed::Int(n) => n,
        _ => default,
    }
}

fn flag(t: Typed, default: bool) -> bool {
    match t {
        Typed::Bool(b) => b,
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::*;
    use visionxl_core::ViolationCode;

    fn b() -> ClientBuilder {
        ClientBuilder::new().ignore_env()
    }

    #[test]
    fn every_row_is_applied_and_names_are_unique() {
        let mut names: Vec<_> = CLIENT_OPTIONS.iter().map(|o| o.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CLIENT_OPTIONS.len());
        for o in CLIENT_OPTIONS {
            // Null (the default) goes through `apply` for every row: no unreachable!.
            b().set_option(o.name, OptionValue::Null).unwrap();
            assert_eq!(client_option_in(o.node_name, Naming::Camel), Some(o));
            if o.kind == OptionKind::Duration {
                assert!(o.node_name.ends_with("Ms"), "{}", o.name);
            }
        }
    }

    #[test]
    fn values_are_converted_and_checked() {
        let mut x = b();
        x.set_option("timeout", OptionValue::Float(2.5)).unwrap();
        x.set_option("requests_per_minute", OptionValue::Int(0))
            .unwrap();
        x.set_option("api_key", "k".into()).unwrap();
        let c = x.clone().settle().unwrap();
        assert_eq!(c.timeout, Duration::from_millis(2500));
        assert_eq!(c.requests_per_minute, 0);
        for (name, v, code) in [
            ("timeout", OptionValue::Int(0), ViolationCode::OutOfRange),
            ("timeout", OptionValue::Int(-1), ViolationCode::OutOfRange),
            (
                "timeout",
                OptionValue::Float(f64::NAN),
                ViolationCode::NotFinite,
            ),
            ("timeout", "soon".into(), ViolationCode::WrongType),
            (
                "max_retries",
                OptionValue::Float(1.5),
                ViolationCode::WrongType,
            ),
            (
                "max_retries",
                OptionValue::Int(1 << 33),
                ViolationCode::OutOfRange,
            ),
            (
                "max_image_bytes",
                OptionValue::Int(0),
                ViolationCode::OutOfRange,
            ),
            (
                "retry_ambiguous",
                OptionValue::Int(1),
                ViolationCode::WrongType,
            ),
            ("timout", OptionValue::Int(1), ViolationCode::UnknownField),
        ] {
            let e = b().set_option(name, v).unwrap_err();
            assert_eq!(e.violations().len(), 1);
            assert_eq!(e.violations()[0].code, code, "{name}: {e}");
            assert_eq!(e.violations()[0].field, name);
        }
    }

    #[test]
    fn node_names_take_milliseconds_and_errors_name_them() {
        let mut x = b();
        x.set_options(
            Naming::Camel,
            [
                ("timeoutMs", OptionValue::Int(200)),
                ("requestsPerMinute", OptionValue::Int(0)),
                ("apiKey", "k".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            x.clone().settle().unwrap().timeout,
            Duration::from_millis(200)
        );
        let e = b()
            .set_options(
                Naming::Camel,
                [
                    ("timeoutMs", OptionValue::Int(0)),
                    ("apikey", "k".into()),
                    ("max_retries", OptionValue::Int(1)),
                ],
            )
            .unwrap_err();
        let v = e.violations();
        assert_eq!(v[0].field_in(Naming::Camel), "timeoutMs");
        assert_eq!(
            v[0].message_in(Naming::Camel),
            "timeoutMs must be greater than 0 (got 0)"
        );
        assert!(v[1].message.contains("did you mean \"apiKey\""), "{}", v[1]);
        assert!(
            v[2].message.contains("did you mean \"maxRetries\""),
            "{}",
            v[2]
        );
    }

    #[test]
    fn concurrency_rule() {
        assert!(check_concurrency(0).is_err());
        assert_eq!(check_concurrency(1).unwrap(), 1);
        assert_eq!(check_concurrency(1000).unwrap(), 1000);
        let e = check_concurrency(1001).unwrap_err();
        assert_eq!(e.violations()[0].field, "concurrency");
        assert_eq!(e.violations()[0].code, ViolationCode::OutOfRange);
    }
}
