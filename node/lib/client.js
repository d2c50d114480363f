'use strict';
// The Client: every network call returns a Promise settled from the Rust runtime and takes a
// last options argument `{signal}` (an AbortSignal) wired to the Rust future's cancellation.
const util = require('node:util');
const native = require('./native');
const { VisionXLError, callSync, callAsync, fromData, validationError } = require('./errors');

const kNative = Symbol('visionxl.native');

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Checks an options object against a schema; throws one validation_error listing every problem. */
function checkOptions(where, options, schema) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw validationError('options', 'wrong_type', `${where} options must be an object, got ${typeName(options)}`);
  }
  const out = {};
  const violations = [];
  for (const [key, value] of Object.entries(options)) {
    const rule = schema[key];
    if (!rule) {
      violations.push({
        field: key,
        code: 'unknown_field',
        message: `unknown ${where} option ${JSON.stringify(key)}; known options: ${Object.keys(schema).join(', ')}`,
        severity: 'error',
      });
      continue;
    }
    if (value === undefined || value === null) continue;
    const problem = rule(value);
    if (problem) {
      violations.push({ field: key, code: problem.code ?? 'wrong_type', message: `${key} ${problem.message ?? problem}`, severity: 'error' });
    } else {
      out[key] = value;
    }
  }
  if (violations.length > 0) {
    const lines = violations.map((v) => `\n  - ${v.field}: ${v.message}`).join('');
    const n = violations.length;
    throw new VisionXLError(`invalid ${where} options: ${n} problem${n === 1 ? '' : 's'}${lines}`, {
      code: 'validation_error',
      violations,
    });
  }
  return out;
}

const is = {
  string: (v) => (typeof v === 'string' ? null : `must be a string, got ${typeName(v)}`),
  bool: (v) => (typeof v === 'boolean' ? null : `must be a boolean, got ${typeName(v)}`),
  func: (v) => (typeof v === 'function' ? null : `must be a function, got ${typeName(v)}`),
  // For the emulator's options (testing.js); client options are checked by the Rust client.
  ms: (v) => {
    if (typeof v !== 'number') return `must be a number of milliseconds, got ${typeName(v)}`;
    if (!Number.isFinite(v) || v < 0) return { code: 'out_of_range', message: `must be a finite number >= 0, got ${v}` };
    return null;
  },
  int: (min, max) => (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `must be an integer, got ${typeName(v)} ${String(v)}`;
    if (v < min || v > max) return { code: 'out_of_range', message: `must be between ${min} and ${max}, got ${v}` };
    return null;
  },
  // Only the type: the range of a number is the Rust client's rule.
  integer: (v) =>
    typeof v === 'number' && Number.isInteger(v) ? null : `must be an integer, got ${typeName(v)} ${String(v)}`,
  signal: (v) =>
    v instanceof AbortSignal ? null : `must be an AbortSignal (e.g. AbortSignal.timeout(ms)), got ${typeName(v)}`,
};

/**
 * Runs an addon call that takes a CancelHandle, wiring `signal` to it: when the signal aborts,
 * the Rust future is stopped and dropped (its connections closed) and the call rejects with a
 * VisionXLError of code `cancelled` whose `cause` is the signal's reason.
 */
async function withSignal(signal, site, start) {
  if (signal?.aborted) {
    throw cancelledError(signal, site);
  }
  const cancel = new native.CancelHandle();
  const onAbort = () => cancel.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await callAsync(() => start(cancel), site);
  } catch (err) {
    if (err instanceof VisionXLError && err.code === 'cancelled' && signal?.aborted && err.cause === undefined) {
      err.cause = signal.reason;
    }
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function cancelledError(signal, site) {
  const e = new VisionXLError('the call was cancelled before it started (the AbortSignal was already aborted)', {
    code: 'cancelled',
    cause: signal.reason,
  });
  if (site?.stack) e.stack = `${e.name}: ${e.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
  return e;
}

const CALL_OPTIONS = { signal: is.signal };
const GENERATE_OPTIONS = { signal: is.signal, asyncMode: is.bool };
const SAVE_OPTIONS = { signal: is.signal, overwrite: is.bool, sidecar: is.bool };

/** Turns a NativeGeneration into the plain result object (methods are non-enumerable). */
function makeGeneration(nativeGen) {
  const d = nativeGen.data();
  const images = d.images.map((img) => {
    const image = { index: img.index, path: img.path, url: img.url, fileName: img.fileName };
    Object.defineProperty(image, 'bytes', {
      enumerable: false,
      value: (options) => generation.imageBytes(img.index, options),
    });
    return image;
  });
  const generation = {
    id: d.id,
    status: d.status,
    images,
    credits: d.credits ?? null,
    warnings: d.warnings,
    raw: d.raw,
    createdAt: d.createdAt ?? null,
    emulated: d.emulated,
    request: d.request ?? null,
  };
  Object.defineProperties(generation, {
    [kNative]: { value: nativeGen },
    save: {
      enumerable: false,
      value: async function save(dir, options) {
        const site = new Error();
        if (typeof dir !== 'string' || dir.length === 0) throw validationError('dir', 'wrong_type', 'save(dir): dir must be a non-empty string');
        const o = checkOptions('save', options, SAVE_OPTIONS);
        return withSignal(o.signal, site, (c) => nativeGen.save(dir, o.overwrite, o.sidecar, c));
      },
    },
    saveImage: {
      enumerable: false,
      value: async function saveImage(index, path, options) {
        const site = new Error();
        if (!Number.isInteger(index) || index < 0) throw validationError('index', 'wrong_type', 'saveImage(index, path): index must be an integer >= 0');
        if (typeof path !== 'string' || path.length === 0) throw validationError('path', 'wrong_type', 'saveImage(index, path): path must be a non-empty string');
        const o = checkOptions('saveImage', options, SAVE_OPTIONS);
        return withSignal(o.signal, site, (c) => nativeGen.saveImage(index, path, o.overwrite, o.sidecar, c));
      },
    },
    imageBytes: {
      enumerable: false,
      value: async function imageBytes(index = 0, options) {
        const site = new Error();
        if (!Number.isInteger(index) || index < 0) throw validationError('index', 'wrong_type', 'imageBytes(index): index must be an integer >= 0');
        const o = checkOptions('imageBytes', options, CALL_OPTIONS);
        return withSignal(o.signal, site, (c) => nativeGen.imageBytes(index, c));
      },
    },
  });
  return generation;
}

/** One item of `generateMany`'s result from a native batch item and its `info()`. */
function batchResult(item, info) {
  const gen = item.takeGeneration();
  return {
    index: info.index,
    key: info.key,
    ok: gen !== null && info.saveError === null,
    generation: gen ? makeGeneration(gen) : null,
    error: fromData(info.error),
    saveError: fromData(info.saveError),
    files: info.files,
    resumed: info.resumed,
  };
}

/**
 * The visionxl client. Options: `{apiKey, baseUrl, assetBaseUrl, timeoutMs, connectTimeoutMs,
 * downloadTimeoutMs, pollTimeoutMs, maxRetries, retryAmbiguous, budget, sharedLimits, requestsPerMinute,
 * allowInsecureHttp, asyncMode, maxImageBytes}`; the key defaults to the ONEMIN_API_KEY environment variable,
 * the base URL to ONEMIN_BASE_URL, else https://api.1min.ai. The key stays in Rust: it is never
 * a property of the client and never appears in util.inspect, JSON or error messages.
 */
class Client {
  #native;

  constructor(options) {
    // Every option is converted and checked by the Rust client's options table (names, types,
    // ranges: timeoutMs > 0, requestsPerMinute 0 = pacing off, ...), a non-object included.
    this.#native = callSync((opts) => new native.NativeClient(opts), options);
  }

  /** The API base URL in use. */
  get baseUrl() {
    return this.#native.baseUrl;
  }

  /** The asset base URL in use (where result paths are downloaded from). */
  get assetBaseUrl() {
    return this.#native.assetBaseUrl;
  }

  /** Credits left in the budget, `null` without a budget. */
  get budgetRemaining() {
    return this.#native.budgetRemaining ?? null;
  }

  /**
   * Generates images: validates (a `validation_error` lists every problem before anything is
   * sent), checks the budget, paces, sends, and polls a PROCESSING record until it is final.
   */
  async generate(params, options) {
    const site = new Error();
    const o = checkOptions('generate', options, GENERATE_OPTIONS);
    const g = await withSignal(o.signal, site, (c) => this.#native.generate(params, o.asyncMode, c));
    return makeGeneration(g);
  }

  /** Reads a record again (`GET /api/results/{id}`): fresh image URLs. `wait: true` polls until final. */
  async getGeneration(id, options) {
    const site = new Error();
    if (typeof id !== 'string') throw validationError('id', 'wrong_type', `getGeneration(id): id must be a string, got ${typeName(id)}`);
    const o = checkOptions('getGeneration', options, { signal: is.signal, wait: is.bool });
    const g = await withSignal(o.signal, site, (c) => this.#native.getGeneration(id, o.wait, c));
    return makeGeneration(g);
  }

  /**
   * Uploads an image (a file path, or a Buffer/Uint8Array with `{fileName}`) for use as
   * `initImageId` or in `imagePrompts`: resolves to `{reference, key, path, raw}`.
   */
  async uploadAsset(source, options) {
    const site = new Error();
    if (typeof source === 'string') {
      const o = checkOptions('uploadAsset', options, CALL_OPTIONS);
      return withSignal(o.signal, site, (c) => this.#native.uploadAsset(source, c));
    }
    if (source instanceof Uint8Array) {
      const o = checkOptions('uploadAsset', options, { signal: is.signal, fileName: is.string });
      const buf = Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
      return withSignal(o.signal, site, (c) => this.#native.uploadAssetBytes(buf, o.fileName ?? 'asset', c));
    }
    throw validationError('source', 'wrong_type', `uploadAsset(source): source must be a file path or a Buffer, got ${typeName(source)}`);
  }

  /**
   * Generates many requests, `concurrency` at a time (1 to 1000, default 4; pacing still applies). With
   * `manifest` (a JSONL file) every finished record is recorded before its images are
   * downloaded, and a rerun with the same manifest skips what is done; with `outDir` every
   * image is saved. Resolves to one result per request, in input order:
   * `{index, ok, generation, error, saveError, files, resumed, key}`. A failed item does not
   * reject the batch; an aborted signal ends the unfinished items with `cancelled`.
   * `onProgress(progress, result)` is called after every finished item.
   */
  async generateMany(requests, options) {
    const site = new Error();
    if (!Array.isArray(requests)) {
      throw validationError('requests', 'wrong_type', `generateMany(requests): requests must be an array, got ${typeName(requests)}`);
    }
    const o = checkOptions('generateMany', options, {
      signal: is.signal,
      concurrency: is.integer,
      onProgress: is.func,
      manifest: is.string,
      outDir: is.string,
      overwrite: is.bool,
      asyncMode: is.bool,
      retryAmbiguous: is.bool,
    });
    if (o.signal?.aborted) throw cancelledError(o.signal, site);
    const cancel = new native.CancelHandle();
    const onAbort = () => cancel.cancel();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const batch = callSync(
        (reqs, opts, c) => this.#native.generateMany(reqs, opts, c),
        requests,
        {
          concurrency: o.concurrency,
          manifest: o.manifest,
          outDir: o.outDir,
          overwrite: o.overwrite,
          asyncMode: o.asyncMode,
          retryAmbiguous: o.retryAmbiguous,
        },
        cancel,
      );
      // Items arrive as they finish (for onProgress); the batch's own list, in input order
      // with an item for every request, is the result.
      let callbackError;
      for (;;) {
        const item = await callAsync(() => batch.next(), site);
        if (item === null) break;
        if (o.onProgress && callbackError === undefined) {
          try {
            const info = item.info();
            o.onProgress(info.progress, batchResult(item, info));
          } catch (err) {
            // Stop the batch; the callback's error is what the caller sees.
            callbackError = err;
            cancel.cancel();
          }
        }
      }
      if (callbackError !== undefined) throw callbackError;
      return batch.results().map((item) => batchResult(item, item.info()));
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Runs a sweep: `params` is the base request of every cell, `options.vary` maps a parameter
   * (or `promptSr`) to its values (an array, or text: `'35..50:5'`). Priced before anything is
   * sent; see `./sweep.js`.
   */
  async sweep(params, options) {
    // Required here, not at the top: ./sweep.js uses this module's helpers.
    return require('./sweep').runSweep(this.#native, params, options);
  }

  /** What JSON.stringify shows of a client: never the key. */
  toJSON() {
    return { baseUrl: this.baseUrl, assetBaseUrl: this.assetBaseUrl, budgetRemaining: this.budgetRemaining };
  }

  [util.inspect.custom](depth, opts, inspect) {
    const shown = { baseUrl: this.baseUrl, assetBaseUrl: this.assetBaseUrl, apiKey: '[redacted]', budgetRemaining: this.budgetRemaining };
    return `Client ${inspect(shown, opts)}`;
  }
}

Object.defineProperty(Client.prototype, Symbol.toStringTag, { value: 'visionxl.Client' });

module.exports = { Client, makeGeneration, withSignal, checkOptions, is, kNative };
