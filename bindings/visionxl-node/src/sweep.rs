//! Sweeps from Node: `planSweep` (the plan as an object, nothing sent) and
//! `NativeClient.sweep` (run on the runtime, progress read with `NativeSweepRun.nextProgress`,
//! the result with `NativeSweepRun.result`). Names are camelCase (`guidanceScale`); the rules
//! are the core's and the client's.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use visionxl::sweep::Sweep;
use visionxl::{
    Error, Generation, Naming, ParamValue, Progress, SweepOptions, SweepResult, Violation,
    ViolationCode,
};

use crate::client::{CancelHandle, NativeClient, NativeGeneration, token};
use crate::convert::{as_object, params_from_unknown, to_param_value};
use crate::error::{OrThrow, error_json};

/// A `Sweep` from a params object (`{prompt, ...}`) and a `vary` object (`{guidanceScale:
/// [7, 10, 13]}`, or text such as `"35..50:5"`).
fn build(
    params: &Unknown<'_>,
    vary: &Unknown<'_>,
    max_cells: Option<f64>,
) -> Result<std::result::Result<Sweep, Error>> {
    let p = match params_from_unknown(params)? {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    if !p.errors.is_empty() {
        return Ok(Err(Error::validation(p.errors)));
    }
    let mut sweep = Sweep::from_params(p.entries, Naming::Camel);
    if let Some(preset) = p.preset {
        sweep = sweep.preset(preset);
    }
    if let Some(m) = max_cells {
        sweep = sweep.max_cells(m.max(0.0) as usize);
    }
    let Some(obj) = as_object(vary)? else {
        let got = to_param_value(vary)?;
        return Ok(Err(Error::validation(vec![Violation::new(
            "vary",
            ViolationCode::WrongType,
            format!(
                "vary must be an object such as {{guidanceScale: [7, 10, 13]}}, got {}",
                got.type_name()
            ),
        )])));
    };
    for key in napi::bindgen_prelude::Object::keys(&obj)? {
        let value = match obj.get::<Unknown>(&key)? {
            Some(v) => to_param_value(&v)?,
            None => ParamValue::Null,
        };
        sweep = sweep.vary_value(&key, value);
    }
    Ok(Ok(sweep))
}

/// The sweep's plan (cells, price, seed) as an object, nothing sent. `chosenSeed` is used in
/// every cell when neither the params nor an axis set `seed` (the client draws one at random).
#[napi(js_name = "planSweep", catch_unwind)]
pub fn plan_sweep(
    params: Unknown<'_>,
    vary: Unknown<'_>,
    chosen_seed: Option<f64>,
    max_cells: Option<f64>,
) -> Result<Value> {
    let sweep = build(&params, &vary, max_cells)?.or_throw()?;
    let plan = sweep
        .plan(chosen_seed.unwrap_or(0.0).max(0.0) as u64)
        .or_throw()?;
    Ok(plan_json(&plan))
}

/// A plan as Node shows it: `seedChosen` (axis names and labels stay SDK names, as in every
/// language's labels).
fn plan_json(plan: &visionxl::SweepPlan) -> Value {
    let mut v = serde_json::to_value(plan).unwrap_or_default();
    camel_keys(&mut v);
    v
}

/// Options of `sweep`, type-checked by the JS layer.
#[napi(object)]
#[derive(Default)]
pub struct SweepCallOptions {
    /// The sweep's directory (default `visionxl-sweep`).
    pub out_dir: Option<String>,
    /// Cells generated at once (1 to 1000, checked by the Rust client).
    pub concurrency: Option<f64>,
    /// Refuse when the cells still to pay for cost more.
    pub max_credits: Option<f64>,
    /// The most cells (default 64).
    pub max_cells: Option<f64>,
}

/// Where a running sweep's result arrives (taken once).
type ResultSlot =
    Arc<tokio::sync::Mutex<Option<oneshot::Receiver<std::result::Result<SweepResult, Error>>>>>;

/// A running sweep: its progress events, then its result.
#[napi]
pub struct NativeSweepRun {
    progress: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Progress>>>,
    result: ResultSlot,
}

#[napi]
impl NativeSweepRun {
    /// The next progress event, or `null` once the sweep is over.
    #[napi(catch_unwind, ts_return_type = "Promise<unknown>")]
    pub fn next_progress<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Value>> {
        let rx = self.progress.clone();
        env.spawn_future(async move {
            Ok(match rx.lock().await.recv().await {
                Some(p) => json!({
                    "index": p.index,
                    "total": p.total,
                    "completed": p.completed,
                    "succeeded": p.succeeded,
                    "failed": p.failed,
                    "resumed": p.resumed,
                    "creditsSpent": p.credits_spent,
                }),
                None => Value::Null,
            })
        })
    }

    /// The sweep's result (once; a second call rejects).
    #[napi(catch_unwind, ts_return_type = "Promise<NativeSweepResult>")]
    pub fn result<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, NativeSweepResult>> {
        let slot = self.result.clone();
        env.spawn_future(async move {
            let rx = slot.lock().await.take().ok_or_else(|| {
                napi::Error::from_reason("internal error: the sweep's result was already taken")
            })?;
            let result = rx
                .await
                .map_err(|_| napi::Error::from_reason("internal error: the sweep stopped"))?
                .or_throw()?;
            Ok(NativeSweepResult::from(result))
        })
    }
}

/// A finished sweep: its summary and each cell's generation.
#[napi]
pub struct NativeSweepResult {
    summary: Value,
    generations: Mutex<Vec<Option<Generation>>>,
}

impl From<SweepResult> for NativeSweepResult {
    fn from(r: SweepResult) -> Self {
        let mut summary = serde_json::to_value(r.summary(error_json)).unwrap_or_default();
        // Node's names are camelCase; a cell's `settings` keep the SDK names of its labels.
        camel_keys(&mut summary);
        camel_keys(&mut summary["plan"]);
        if let Some(cells) = summary["cells"].as_array_mut() {
            cells.iter_mut().for_each(camel_keys);
        }
        let generations = r.cells.into_iter().map(|c| c.item.result.ok()).collect();
        NativeSweepResult {
            summary,
            generations: Mutex::new(generations),
        }
    }
}

/// The keys of `v`'s own object (not of the values inside) in camelCase.
fn camel_keys(v: &mut Value) {
    use heck::ToLowerCamelCase;
    if let Some(o) = v.as_object_mut() {
        *o = std::mem::take(o)
            .into_iter()
            .map(|(k, v)| (k.to_lower_camel_case(), v))
            .collect();
    }
}

#[napi]
impl NativeSweepResult {
    /// Seed, credits, sheets and every cell's settings, files and error.
    #[napi(catch_unwind)]
    pub fn summary(&self) -> Value {
        self.summary.clone()
    }

    /// Cell `index`'s generation (once), or `null`.
    #[napi(catch_unwind)]
    pub fn take_generation(&self, index: u32) -> Option<NativeGeneration> {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.get_mut(index as usize)
            .and_then(Option::take)
            .map(|generation| NativeGeneration { generation })
    }
}

#[napi]
impl NativeClient {
    /// Starts a sweep: built and checked on this thread (a `validation_error` is thrown at
    /// once), then run on the runtime.
    #[napi(catch_unwind)]
    pub fn sweep(
        &self,
        params: Unknown<'_>,
        vary: Unknown<'_>,
        options: SweepCallOptions,
        cancel: Option<&CancelHandle>,
    ) -> Result<NativeSweepRun> {
        let sweep = build(&params, &vary, options.max_cells)?.or_throw()?;
        // Refused here, before the runtime: the plan's errors and the cell cap.
        sweep.plan(0).or_throw()?;
        let mut opts = SweepOptions::new(PathBuf::from(
            options.out_dir.unwrap_or_else(|| "visionxl-sweep".into()),
        ));
        opts.concurrency =
            visionxl::options::concurrency_from(options.concurrency.unwrap_or(4.0)).or_throw()?;
        opts.max_credits = options.max_credits.map(|m| m.max(0.0) as u64);
        opts.cancel = token(cancel);
        let (ptx, prx) = mpsc::unbounded_channel::<Progress>();
        opts.on_progress = Some(Arc::new(move |p: Progress| {
            let _ = ptx.send(p);
        }));
        let (rtx, rrx) = oneshot::channel();
        let client = self.client.clone();
        napi::bindgen_prelude::spawn(async move {
            let result = client.sweep(&sweep, opts).await;
            let _ = rtx.send(result);
        });
        Ok(NativeSweepRun {
            progress: Arc::new(tokio::sync::Mutex::new(prx)),
            result: Arc::new(tokio::sync::Mutex::new(Some(rrx))),
        })
    }
}
