'use strict';
// visionxl/testing: the emulator, in-process (the visionxl-emulator crate on a thread of its own
// with its own runtime, bound to 127.0.0.1 on a free port), and how the SDK reads an answer.
const util = require('node:util');
const native = require('./native');
const { callSync, callAsync, VisionXLError } = require('./errors');
const { checkOptions, is } = require('./client');

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

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
   * temporaryUrlTtlSecs}`; by default a free port and the key `vxl-emulator-key` holding
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

  /** Back to the configuration: balances, records, assets, ledger and faults. */
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
