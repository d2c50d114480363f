'use strict';
// visionxl/testing: the emulator, in-process (the visionxl-emulator crate on a thread of its own
// with its own runtime, bound to 127.0.0.1 on a free port), and how the SDK reads an answer.
const util = require('node:util');
const native = require('./native');
const { callSync, callAsync, VisionXLError } = require('./errors');
const { checkOptions, is } = require('./client');

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

/**
 * A local stand-in for the 1min.ai features endpoint (Leonardo Vision XL): API-KEY auth, the
 * documented validation and prices, deterministic real images, temporary URLs that expire, a
 * ledger of every charge, and scriptable faults. For tests and demos: nothing leaves the machine.
 *
 *   const emu = await Emulator.start();
 *   const client = new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl });
 *   ...
 *   await emu.stop();
 */
class Emulator {
  #native;

  constructor(nativeEmulator) {
    if (!(nativeEmulator instanceof native.NativeEmulator)) {
      throw new TypeError('use `await Emulator.start(options)` to make an Emulator');
    }
    this.#native = nativeEmulator;
  }

  /**
   * Starts an emulator. Options: `{port, keys: [{key, credits}], latencyMs,
   * temporaryUrlTtlSecs, rateLimit, rateWindowMs}` (`rateLimit` API requests per key per
   * window, else 429 with Retry-After, counted in `ledger().rateLimited`; default off); by default a free port and the key `vxl-emulator-key` holding
   * 100,000 credits.
   */
  static async start(options) {
    const site = new Error();
    const o = checkOptions('Emulator', options, {
      port: is.int(0, 65535),
      keys: (v) =>
        Array.isArray(v) && v.every((k) => k && typeof k.key === 'string' && Number.isInteger(k.credits) && k.credits >= 0)
          ? null
          : 'must be an array of {key: string, credits: integer >= 0}',
      latencyMs: is.ms,
      rateLimit: is.int(0, 4294967295),
      rateWindowMs: (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a number of milliseconds > 0'),
      temporaryUrlTtlSecs: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'must be a number of seconds >= 0'),
    });
    const n = await callAsync(() => native.startEmulator(o), site);
    return new Emulator(n);
  }

  /** `http://127.0.0.1:PORT`: the client's `baseUrl`. */
  get baseUrl() {
    return this.#native.baseUrl;
  }

  /** `baseUrl + '/asset'`: stands in for the asset host. */
  get assetBaseUrl() {
    return this.#native.assetBaseUrl;
  }

  /** The first configured key (`vxl-emulator-key` by default). */
  get apiKey() {
    return this.#native.apiKey;
  }

  /**
   * Every charge so far and every balance: `{charges: [{recordId, key, credits, at}],
   * balances, totalCharged}`, plus `chargesFor(recordId)` (how often a record was charged: a
   * correct client makes it 0 or 1).
   */
  async ledger() {
    const l = callSync(() => this.#native.ledger());
    Object.defineProperty(l, 'chargesFor', {
      enumerable: false,
      value: (id) => l.charges.filter((c) => c.recordId === id).length,
    });
    return l;
  }

  /**
   * Queues a fault for the next `count` (default 1) requests whose path starts with `path`
   * (default: any). Kinds: `rate_limit` {retryAfterSecs}, `status` {status}, `cloudflare`,
   * `delay` {ms}, `drop_before_processing`, `drop_after_charge`, `truncated_body`,
   * `malformed_json`, `expired_asset`, `generation_failure` {message}. camelCase or snake_case
   * field names both work.
   */
  async inject(fault) {
    if (!fault || typeof fault !== 'object' || typeof fault.kind !== 'string') {
      throw new VisionXLError('inject(fault): fault must be an object with a string `kind`', {
        code: 'validation_error',
        violations: [{ field: 'fault', code: 'wrong_type', message: 'fault must be an object with a string `kind`' }],
      });
    }
    const wire = {};
    for (const [k, v] of Object.entries(fault)) if (v !== undefined) wire[snake(k)] = v;
    callSync(() => this.#native.inject(JSON.stringify(wire)));
  }

  /** The faults still queued (the emulator's JSON). */
  async pendingFaults() {
    return callSync(() => this.#native.pendingFaults());
  }

  /**
   * Random faults, for soak tests: from now on every request (outside `/_emulator`) whose path
   * starts with `path` (default: any) and that no queued fault answers meets a fault with
   * probability `rate` (0 to 1), its kind drawn uniformly from `kinds` among those that apply to
   * the request. `kinds` defaults to every kind the emulator has, with small parameters (429
   * with `Retry-After: 1`, 500/502/503, a Cloudflare 522, a 50 ms delay, dropped connections
   * before processing and after the charge, truncated and malformed bodies, expired downloads,
   * failed generations); give names (`'drop_after_charge'`) or faults without `count`
   * (`{kind: 'status', status: 503}`). `seed` makes the draws repeatable for the same order of
   * requests. `chaos(null)` turns random faults off.
   *
   * Replaces earlier settings and their counts, and resolves to the report of the settings it
   * replaces, `{requests, faults, byKind}`: `await emu.chaos(null)` gives the final counts.
   */
  async chaos(settings) {
    let wire = null;
    if (settings !== null && settings !== undefined) {
      const o = checkOptions('chaos', settings, {
        rate: (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? null : { code: 'out_of_range', message: `must be a number from 0 to 1, got ${String(v)}` }),
        seed: is.int(0, Number.MAX_SAFE_INTEGER),
        kinds: (v) =>
          Array.isArray(v) && v.length > 0 && v.every((k) => typeof k === 'string' || (k && typeof k === 'object' && typeof k.kind === 'string'))
            ? null
            : "must be a non-empty array of kind names or faults ({kind: 'status', status: 503})",
        path: is.string,
      });
      if (o.rate === undefined) {
        throw new VisionXLError('chaos(settings): settings.rate is required (or pass null to turn random faults off)', {
          code: 'validation_error',
          violations: [{ field: 'rate', code: 'required', message: 'rate is required', severity: 'error' }],
        });
      }
      wire = { rate: o.rate };
      if (o.seed !== undefined) wire.seed = o.seed;
      if (o.path !== undefined) wire.path = o.path;
      if (o.kinds !== undefined) {
        wire.kinds = o.kinds.map((k) => {
          if (typeof k === 'string') return { kind: k };
          const out = {};
          for (const [key, v] of Object.entries(k)) if (v !== undefined) out[snake(key)] = v;
          return out;
        });
      }
    }
    const before = callSync(() => this.#native.setChaos(wire === null ? null : JSON.stringify(wire)));
    return chaosReport(before);
  }

  /** What the random faults did since `chaos(...)` turned them on: `{requests, faults, byKind}`. */
  async chaosReport() {
    return chaosReport(callSync(() => this.#native.chaosReport()));
  }

  /** The random faults in force, `{rate, kinds, seed, path}` (kinds with camelCase fields), or `null`. */
  async chaosSettings() {
    const settings = callSync(() => this.#native.chaos()) ?? null;
    if (settings === null) return null;
    const kinds = (settings.kinds ?? []).map((k) => Object.fromEntries(Object.entries(k).map(([key, v]) => [camel(key), v])));
    return { rate: settings.rate, kinds, seed: settings.seed ?? null, path: settings.path ?? null };
  }

  /** Back to the configuration: balances, records, assets, ledger, faults and random faults. */
  async reset() {
    callSync(() => this.#native.reset());
  }

  /** Stops the server (idempotent). */
  async stop() {
    const site = new Error();
    await callAsync(() => this.#native.stop(), site);
  }

  /** `await using emu = await Emulator.start()` stops it at the end of the scope. */
  async [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]() {
    await this.stop();
  }

  [util.inspect.custom](depth, opts, inspect) {
    return `Emulator ${inspect({ baseUrl: this.baseUrl }, opts)}`;
  }
}

/** The emulator's chaos report (`by_kind`) in JS names. */
function chaosReport(raw) {
  return { requests: raw?.requests ?? 0, faults: raw?.faults ?? 0, byKind: { ...(raw?.by_kind ?? {}) } };
}

/**
 * How the SDK reads an answer of the service: `{kind: 'record', id, status, images}`,
 * `{kind: 'empty'}`, or a thrown VisionXLError with the stable code.
 */
function interpretResponse({ endpoint = 'features', status, headers = {}, body = '', assetBaseUrl } = {}) {
  const header = (name) => {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return String(v);
    return undefined;
  };
  return callSync(
    native.interpretResponse,
    endpoint,
    status,
    header('content-type'),
    header('retry-after'),
    typeof body === 'string' ? body : JSON.stringify(body),
    assetBaseUrl,
  );
}

module.exports = { Emulator, interpretResponse };
