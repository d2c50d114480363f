'use strict';
// Sweeps: `client.sweep({prompt, ...params}, {vary, signal, onProgress, outDir, ...})` and
// `planSweep(params, vary)`. Every cell is validated and the whole grid priced (in Rust) before
// anything is sent; one seed is shared by every cell unless `seed` is given; a rerun in the same
// `outDir` pays only for missing cells. The rules are the Rust client's.
const native = require('./native');
const { callSync, callAsync, fromData, validationError } = require('./errors');
const { makeGeneration, checkOptions, is } = require('./client');

const SWEEP_OPTIONS = {
  signal: is.signal,
  vary: (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? null : 'must be an object such as {guidanceScale: [7, 10, 13]}'),
  onProgress: is.func,
  outDir: is.string,
  concurrency: is.integer,
  maxCredits: is.integer,
  maxCells: is.integer,
};

/**
 * The plan of a sweep, nothing sent: `{prompt, seed, seedChosen, axes, cells, credits, warnings}`.
 * `chosenSeed` is the seed used in every cell when neither `params` nor `vary` set one.
 */
function planSweep(params, vary, { chosenSeed = 0, maxCells } = {}) {
  return callSync(native.planSweep, params, vary, chosenSeed, maxCells);
}

/** Runs a sweep with the client's addon handle; see `Client.sweep` in index.d.ts. */
async function runSweep(nativeClient, params, options) {
  const site = new Error();
  const o = checkOptions('sweep', options, SWEEP_OPTIONS);
  if (o.vary === undefined) {
    throw validationError('vary', 'required', 'sweep(params, options): options.vary is required, e.g. {guidanceScale: [7, 10, 13]}');
  }
  const cancel = new native.CancelHandle();
  if (o.signal?.aborted) cancel.cancel();
  const onAbort = () => cancel.cancel();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const run = callSync(
      (p, v, opts, c) => nativeClient.sweep(p, v, opts, c),
      params,
      o.vary,
      { outDir: o.outDir, concurrency: o.concurrency, maxCredits: o.maxCredits, maxCells: o.maxCells },
      cancel,
    );
    let callbackError;
    for (;;) {
      const progress = await callAsync(() => run.nextProgress(), site);
      if (progress === null) break;
      if (o.onProgress && callbackError === undefined) {
        try {
          o.onProgress(progress);
        } catch (err) {
          // Stop the sweep; the callback's error is what the caller sees.
          callbackError = err;
          cancel.cancel();
        }
      }
    }
    const result = await callAsync(() => run.result(), site);
    if (callbackError !== undefined) throw callbackError;
    const s = result.summary();
    const cells = s.cells.map((c, i) => {
      const gen = result.takeGeneration(i);
      return {
        index: c.index,
        coords: c.coords,
        label: c.label,
        settings: c.settings,
        credits: c.credits,
        resumed: c.resumed,
        files: c.files,
        ok: gen !== null && c.error === null,
        generation: gen ? makeGeneration(gen) : null,
        error: fromData(c.error),
      };
    });
    return {
      plan: s.plan,
      seed: s.seed,
      seedChosen: s.seedChosen,
      credits: s.credits,
      creditsSpent: s.creditsSpent,
      sheets: s.sheets,
      sheet: s.sheets[0] ?? null,
      indexHtml: s.indexHtml,
      sheetError: fromData(s.sheetError),
      cells,
    };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

module.exports = { planSweep, runSweep };
