'use strict';
// The client against the in-process emulator (127.0.0.1 only): results, saving, every error code
// and emulator fault, budget, batches, concurrency, abort, and key redaction.
const { describe, it, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');

const { Client, VisionXLError, ERROR_CODES } = require('..');
const { Emulator } = require('../testing');

let emu;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'visionxl-node-test-'));
let dirCount = 0;
const freshDir = () => path.join(tmp, `d${dirCount++}`);

/** A client of the shared emulator; pacing off (tests send bursts), retries as given. */
const client = (options = {}) =>
  new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, requestsPerMinute: 1_000_000, ...options });

/** Waits (yielding to the event loop) until `cond()` holds. Bounded by the test's timeout. */
async function until(cond) {
  while (!(await cond())) await new Promise((r) => setImmediate(r));
}

/** Asserts that `promise` rejects with a VisionXLError of `code`; returns the error. */
async function rejectsWith(promise, code) {
  let error;
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof VisionXLError, `a VisionXLError, got ${util.inspect(e)}`);
    assert.equal(e.code, code, e.message);
    error = e;
    return true;
  });
  return error;
}

const codesSeen = new Set();
const seen = (e) => {
  codesSeen.add(e.code);
  return e;
};

before(async () => {
  emu = await Emulator.start();
});
after(async () => {
  await emu.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  await emu.reset();
});

describe('generate', () => {
  it('returns a plain result with every field, and charges once', async () => {
    const g = await client().generate({ prompt: 'a red fox in the snow', size: '512x512', n: 2, seed: 7 });
    assert.equal(g.status, 'SUCCESS');
    assert.equal(typeof g.id, 'string');
    assert.equal(g.images.length, 2);
    for (const [i, img] of g.images.entries()) {
      assert.equal(img.index, i);
      assert.match(img.path, /\.webp$/);
      assert.ok(img.url.startsWith(emu.baseUrl), img.url);
    }
    assert.equal(g.credits, 234);
    assert.deepEqual(g.warnings, []);
    assert.equal(g.emulated, true, 'the emulator marks its records');
    assert.equal(g.raw.aiRecord.uuid, g.id);
    assert.deepEqual(g.request, { prompt: 'a red fox in the snow', size: '512x512', n: 2, leonardo_seed: 7 });
    // A plain object: the data is enumerable, the methods are not.
    assert.deepEqual(Object.keys(g).sort(), ['createdAt', 'credits', 'emulated', 'id', 'images', 'raw', 'request', 'status', 'warnings']);
    assert.equal(typeof g.save, 'function');
    assert.equal(JSON.parse(JSON.stringify(g)).id, g.id);
    const ledger = await emu.ledger();
    assert.equal(ledger.chargesFor(g.id), 1);
    assert.equal(ledger.totalCharged, 234);
  });

  it('returns the request warnings (price hint at 512x512 n=1)', async () => {
    const g = await client().generate({ prompt: 'x', size: '512x512' });
    assert.deepEqual(g.warnings.map((w) => `${w.field}/${w.code}/${w.severity}`), ['n/price_hint/warning']);
  });

  it('validates before sending: nothing reaches the service', async () => {
    const e = seen(await rejectsWith(client().generate({ prompt: '', n: 7, colour: 'red' }), 'validation_error'));
    assert.deepEqual(e.violations.map((v) => v.field).sort(), ['colour', 'n', 'prompt']);
    assert.match(e.message, /3 problems/);
    assert.equal((await emu.ledger()).charges.length, 0);
    await rejectsWith(client().generate('a cat'), 'validation_error');
  });

  it('async mode submits and polls to the end', async () => {
    const g = await client({ asyncMode: true }).generate({ prompt: 'async' });
    assert.equal(g.status, 'SUCCESS');
    const g2 = await client().generate({ prompt: 'async per call' }, { asyncMode: true });
    assert.equal(g2.status, 'SUCCESS');
  });

  it('getGeneration reads the record again; an unknown id is not_found', async () => {
    const c = client();
    const g = await c.generate({ prompt: 'read me again', n: 2 });
    const again = await c.getGeneration(g.id);
    assert.equal(again.id, g.id);
    assert.deepEqual(again.images.map((i) => i.path), g.images.map((i) => i.path));
    const waited = await c.getGeneration(g.id, { wait: true });
    assert.equal(waited.status, 'SUCCESS');
    const e = seen(await rejectsWith(c.getGeneration('00000000-0000-4000-8000-000000000000'), 'not_found'));
    assert.match(e.message, /00000000-0000-4000-8000-000000000000/);
    await rejectsWith(c.getGeneration(42), 'validation_error');
    assert.equal((await emu.ledger()).chargesFor(g.id), 1);
  });
});

describe('images', () => {
  it('save writes every image (real image bytes) with a sidecar, never overwriting silently', async () => {
    const g = await client().generate({ prompt: 'save me', size: '512x512', n: 2 });
    const dir = freshDir();
    const files = await g.save(dir);
    assert.equal(files.length, 2);
    for (const f of files) {
      assert.ok(path.resolve(f).startsWith(path.resolve(dir)));
      const head = fs.readFileSync(f).subarray(0, 12);
      assert.equal(head.subarray(0, 4).toString('latin1'), 'RIFF');
      assert.equal(head.subarray(8, 12).toString('latin1'), 'WEBP');
      const sidecar = JSON.parse(fs.readFileSync(`${f}.json`, 'utf8'));
      assert.ok(JSON.stringify(sidecar).includes(g.id), 'the sidecar names the record');
    }
    const e = seen(await rejectsWith(g.save(dir), 'io_error'));
    assert.ok(files.some((f) => e.message.includes(path.basename(f))), e.message);
    // The advice names the Node option, not the Rust struct.
    assert.match(e.message, /the overwrite option/);
    assert.doesNotMatch(e.message, /SaveOptions/);
    const again = await g.save(dir, { overwrite: true });
    assert.deepEqual(again, files);
    const one = await g.saveImage(1, path.join(freshDir(), 'second.webp'), { sidecar: false });
    assert.ok(fs.existsSync(one));
    assert.ok(!fs.existsSync(`${one}.json`));
  });

  it('imageBytes and images[i].bytes() give a Buffer of the image', async () => {
    const g = await client().generate({ prompt: 'bytes', size: '512x512', n: 2 });
    const a = await g.imageBytes(1);
    const b = await g.images[1].bytes();
    assert.ok(Buffer.isBuffer(a));
    assert.ok(a.length > 100);
    assert.ok(a.equals(b));
    assert.equal(a.subarray(8, 12).toString('latin1'), 'WEBP');
    seen(await rejectsWith(g.imageBytes(5), 'validation_error'));
  });

  it('an expired download URL is a download_error naming the record', async () => {
    const g = await client().generate({ prompt: 'expiring' });
    await emu.inject({ kind: 'expired_asset', count: 10 });
    const e = seen(await rejectsWith(g.imageBytes(0), 'download_error'));
    assert.equal(e.requestId, g.id);
    assert.match(e.message, /getGeneration\(/, 'the advice names the Node method');
    await rejectsWith(g.save(freshDir()), 'download_error');
  });

  it('maxImageBytes caps what a save accepts: a small limit is a download_error naming it, a large one works', async () => {
    const g = await client().generate({ prompt: 'capped', size: '512x512' });
    const tiny = client({ maxImageBytes: 1000, maxRetries: 0 });
    const capped = await tiny.getGeneration(g.id);
    const dir = freshDir();
    const e = seen(await rejectsWith(capped.save(dir), 'download_error'));
    assert.equal(e.requestId, g.id);
    assert.match(e.message, /1000/);
    assert.match(e.message, /max_image_bytes|maxImageBytes/);
    const left = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.endsWith('.json')) : [];
    assert.deepEqual(left, [], 'nothing but sidecars may be left behind');
    await rejectsWith(capped.imageBytes(0), 'download_error');
    const big = client({ maxImageBytes: 2 ** 30 });
    const files = await (await big.getGeneration(g.id)).save(freshDir());
    assert.equal(files.length, 1);
    assert.ok(fs.statSync(files[0]).size > 1000);
    assert.equal((await emu.ledger()).charges.length, 1);
  });

  it('maxImageBytes must be an integer >= 1: a validation_error naming the option', () => {
    // The rule of the options table (1 to the largest u64), the same in every language.
    for (const bad of [0, -1, 1.5, '1000', Number.NaN, true]) {
      assert.throws(
        () => client({ maxImageBytes: bad }),
        (e) => {
          assert.equal(e.code, 'validation_error');
          assert.deepEqual(e.violations.map((v) => v.field), ['maxImageBytes'], String(bad));
          assert.match(e.message, /maxImageBytes/);
          return true;
        },
      );
    }
    assert.equal(
      (() => {
        try {
          client({ maxImageBytes: 0 });
        } catch (e) {
          return e.violations[0].code;
        }
        return null;
      })(),
      'out_of_range',
    );
    assert.ok(client({ maxImageBytes: Number.MAX_SAFE_INTEGER }));
  });
});

describe('assets', () => {
  it('uploadAsset takes a file path or a Buffer; the reference works as an init image', async () => {
    const c = client();
    const img = await (await c.generate({ prompt: 'init', size: '512x512' })).imageBytes(0);
    const file = path.join(freshDir(), 'init.webp');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, img);
    const fromFile = await c.uploadAsset(file);
    assert.equal(typeof fromFile.reference, 'string');
    assert.ok(fromFile.reference.length > 0);
    const fromBuffer = await c.uploadAsset(new Uint8Array(img), { fileName: 'mem.webp' });
    assert.ok(fromBuffer.reference.length > 0);
    const g = await c.generate({ prompt: 'avatar', initImageId: fromFile.reference, fantasyAvatar: true, initStrength: 0.5, imagePrompts: [fromBuffer.reference] });
    assert.equal(g.status, 'SUCCESS');
  });

  it('a file that is not an image, or is missing, fails before upload', async () => {
    const c = client();
    const file = path.join(freshDir(), 'notes.txt');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'not an image at all');
    await rejectsWith(c.uploadAsset(file), 'validation_error');
    seen(await rejectsWith(c.uploadAsset(path.join(tmp, 'missing.png')), 'io_error'));
    await rejectsWith(c.uploadAsset(42), 'validation_error');
  });
});

describe('every error code from the service and the emulator faults', () => {
  const cases = [
    { fault: { kind: 'status', status: 400 }, code: 'bad_request', status: 400 },
    { fault: { kind: 'status', status: 422 }, code: 'bad_request', status: 422 },
    { fault: { kind: 'status', status: 403 }, code: 'permission_denied', status: 403 },
    { fault: { kind: 'status', status: 404 }, code: 'not_found', status: 404 },
    { fault: { kind: 'status', status: 402 }, code: 'insufficient_credits', status: 402 },
    { fault: { kind: 'status', status: 500 }, code: 'server_error', status: 500, ambiguous: true },
    { fault: { kind: 'status', status: 503 }, code: 'server_error', status: 503, ambiguous: true },
    { fault: { kind: 'cloudflare' }, code: 'server_error', status: 522, ambiguous: true },
    { fault: { kind: 'rate_limit', retryAfterSecs: 3 }, code: 'rate_limited', status: 429, retryAfter: 3 },
    { fault: { kind: 'drop_before_processing' }, code: 'connection_error', status: null, ambiguous: true, charges: 0 },
    { fault: { kind: 'drop_after_charge' }, code: 'connection_error', status: null, ambiguous: true, charges: 1 },
    { fault: { kind: 'truncated_body' }, code: 'connection_error', status: 200, ambiguous: true, charges: 1, record: true },
    { fault: { kind: 'malformed_json' }, code: 'invalid_response', status: 200, ambiguous: true, charges: 1, record: true },
    { fault: { kind: 'generation_failure', message: 'nsfw content detected' }, code: 'generation_failed', status: 200, record: true, message: /nsfw content detected/ },
  ];
  for (const c of cases) {
    const name = `${c.fault.kind}${c.fault.status ? ` ${c.fault.status}` : ''} -> ${c.code}`;
    it(name, async () => {
      await emu.inject({ ...c.fault, count: 3 });
      const e = seen(await rejectsWith(client({ maxRetries: 0 }).generate({ prompt: 'fault' }), c.code));
      assert.equal(e.status, c.status);
      assert.equal(e.mayHaveBeenCharged, Boolean(c.ambiguous), 'mayHaveBeenCharged');
      if (c.retryAfter !== undefined) assert.equal(e.retryAfter, c.retryAfter);
      if (c.message) assert.match(e.message, c.message);
      if (c.record) assert.match(e.requestId, /^[0-9a-f-]{36}$/);
      assert.doesNotMatch(e.message, /<html/i, 'an HTML page never appears whole');
      const ledger = await emu.ledger();
      assert.equal(ledger.charges.length, c.charges ?? 0, 'charged as the fault says, and never twice');
      if (c.record && ledger.charges.length) assert.equal(ledger.charges[0].recordId, e.requestId);
    });
  }

  it('429 is retried honouring Retry-After, and charged once', async () => {
    await emu.inject({ kind: 'rate_limit', retryAfterSecs: 0, count: 2, path: '/api/features' });
    const g = await client({ maxRetries: 2 }).generate({ prompt: 'retry me' });
    assert.equal(g.status, 'SUCCESS');
    assert.deepEqual(await emu.pendingFaults(), []);
    assert.equal((await emu.ledger()).chargesFor(g.id), 1);
  });

  it('an ambiguous failure (5xx) is not retried: it could charge twice', async () => {
    await emu.inject({ kind: 'status', status: 502, count: 1, path: '/api/features' });
    await rejectsWith(client({ maxRetries: 5 }).generate({ prompt: 'once' }), 'server_error');
    assert.deepEqual(await emu.pendingFaults(), [], 'exactly one attempt consumed the fault');
  });

  it('a wrong key is authentication_error (401)', async () => {
    const e = seen(await rejectsWith(client({ apiKey: 'sk-wrong-0123456789' }).generate({ prompt: 'x' }), 'authentication_error'));
    assert.equal(e.status, 401);
  });

  it('no key at all is authentication_error naming ONEMIN_API_KEY; the variable is read', async () => {
    const saved = process.env.ONEMIN_API_KEY;
    try {
      delete process.env.ONEMIN_API_KEY;
      assert.throws(() => new Client({ baseUrl: emu.baseUrl }), (e) => e instanceof VisionXLError && e.code === 'authentication_error' && /ONEMIN_API_KEY/.test(e.message));
      process.env.ONEMIN_API_KEY = emu.apiKey;
      const g = await new Client({ baseUrl: emu.baseUrl }).generate({ prompt: 'key from env' });
      assert.equal(g.status, 'SUCCESS');
    } finally {
      if (saved === undefined) delete process.env.ONEMIN_API_KEY;
      else process.env.ONEMIN_API_KEY = saved;
    }
  });

  it('too few credits on the account is insufficient_credits (402), nothing charged', async () => {
    const poor = await Emulator.start({ keys: [{ key: 'poor-key-0123456789', credits: 100 }] });
    try {
      const c = new Client({ apiKey: 'poor-key-0123456789', baseUrl: poor.baseUrl });
      const e = seen(await rejectsWith(c.generate({ prompt: 'x' }), 'insufficient_credits'));
      assert.equal(e.status, 402);
      assert.equal((await poor.ledger()).charges.length, 0);
    } finally {
      await poor.stop();
    }
  });

  it('a slow answer past timeoutMs is timeout (may have been charged, not retried)', async () => {
    await emu.inject({ kind: 'delay', ms: 3000, path: '/api/features' });
    const e = seen(await rejectsWith(client({ timeoutMs: 200, maxRetries: 3 }).generate({ prompt: 'slow' }), 'timeout'));
    assert.equal(e.mayHaveBeenCharged, true);
    assert.match(e.message, /retryAmbiguous/, 'the advice names the Node option');
  });

  it('nothing listening is connection_error (nothing was sent)', async () => {
    const probe = await Emulator.start();
    const deadUrl = probe.baseUrl;
    await probe.stop();
    const c = new Client({ apiKey: 'k', baseUrl: deadUrl, maxRetries: 0 });
    const e = seen(await rejectsWith(c.generate({ prompt: 'x' }), 'connection_error'));
    assert.equal(e.mayHaveBeenCharged, false);
  });

  it('plain http to a non-loopback host is refused before anything is sent', () => {
    assert.throws(() => new Client({ apiKey: 'k', baseUrl: 'http://example.invalid' }), (e) => e.code === 'validation_error' && /allowInsecureHttp|http/.test(e.message));
  });

  it('the budget refuses what it cannot pay, before sending', async () => {
    const c = client({ budget: 300 });
    assert.equal(c.budgetRemaining, 300);
    await c.generate({ prompt: 'first' });
    assert.equal(c.budgetRemaining, 14);
    const e = seen(await rejectsWith(c.generate({ prompt: 'second' }), 'budget_exceeded'));
    assert.match(e.message, /286/);
    assert.equal((await emu.ledger()).charges.length, 1);
    assert.equal(client().budgetRemaining, null);
  });

  it('client options of the wrong type are validation_errors naming each option', () => {
    assert.throws(
      () => new Client({ apiKey: 5, timeoutMs: -1, maxRetries: 1.5, apikey: 'x', signal: 3 }),
      (e) => {
        assert.equal(e.code, 'validation_error');
        assert.deepEqual(e.violations.map((v) => v.field).sort(), ['apiKey', 'apikey', 'maxRetries', 'signal', 'timeoutMs']);
        return true;
      },
    );
    assert.throws(() => new Client('key'), (e) => e.code === 'validation_error');
  });

  it('requestsPerMinute: 0 turns pacing off, as in Rust, Python and C', async () => {
    const c = new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, requestsPerMinute: 0 });
    const started = Date.now();
    for (let i = 0; i < 3; i += 1) assert.equal((await c.generate({ prompt: `fox ${i}`, size: '512x512' })).status, 'SUCCESS');
    assert.ok(Date.now() - started < 5000);
  });

  it('generateMany concurrency is 1 to 1000, the rule of every language', async () => {
    for (const bad of [0, 1001]) {
      await assert.rejects(client().generateMany([{ prompt: 'x' }], { concurrency: bad }), (e) => {
        assert.equal(e.code, 'validation_error');
        assert.deepEqual(e.violations.map((v) => `${v.field}/${v.code}`), ['concurrency/out_of_range']);
        return true;
      });
    }
    await rejectsWith(client().generateMany([{ prompt: 'x' }], { concurrency: 2.5 }), 'validation_error');
  });

  it('problems the Rust client finds in the options are named as the Node options', () => {
    assert.throws(() => new Client({ apiKey: 'k', baseUrl: 'http://example.com' }), (e) => {
      assert.equal(e.code, 'validation_error');
      assert.deepEqual(e.violations.map((v) => v.field), ['baseUrl']);
      return true;
    });
    assert.throws(() => new Client({ apiKey: 'k', baseUrl: emu.baseUrl, timeoutMs: 0 }), (e) => {
      assert.deepEqual(e.violations.map((v) => v.field), ['timeoutMs']);
      assert.match(e.message, /timeoutMs/);
      return true;
    });
    assert.throws(() => new Client({ apiKey: 'k', baseUrl: 'not a url' }), (e) => e.violations[0].field === 'baseUrl');
  });
  it('call options are checked too', async () => {
    await rejectsWith(client().generate({ prompt: 'x' }, { signal: 'stop' }), 'validation_error');
    await rejectsWith(client().generate({ prompt: 'x' }, { timeout: 5 }), 'validation_error');
  });
});

describe('abort', () => {
  it('an already aborted signal rejects with cancelled on every network call; nothing is sent', async () => {
    const c = client();
    const g = await c.generate({ prompt: 'for the other calls' });
    const signal = AbortSignal.abort(new Error('stop it'));
    const calls = [
      c.generate({ prompt: 'x' }, { signal }),
      c.getGeneration(g.id, { signal }),
      c.uploadAsset(Buffer.from('x'), { signal }),
      c.uploadAsset('/nonexistent', { signal }),
      c.generateMany([{ prompt: 'x' }], { signal }),
      g.save(freshDir(), { signal }),
      g.saveImage(0, path.join(freshDir(), 'a.webp'), { signal }),
      g.imageBytes(0, { signal }),
    ];
    for (const call of calls) {
      const e = seen(await rejectsWith(call, 'cancelled'));
      assert.equal(e.cause, signal.reason);
    }
    assert.equal((await emu.ledger()).charges.length, 1);
  });

  it('aborting a generation in flight stops the Rust future at once', { timeout: 20_000 }, async () => {
    // The emulator holds the request for 30 s: the call can only settle early by cancellation.
    await emu.inject({ kind: 'delay', ms: 30_000, path: '/api/features' });
    const controller = new AbortController();
    const call = client().generate({ prompt: 'never mind' }, { signal: controller.signal });
    await until(async () => (await emu.pendingFaults()).length === 0); // the request arrived
    controller.abort();
    const e = await rejectsWith(call, 'cancelled');
    assert.equal(e.mayHaveBeenCharged, true, 'it was sent');
    assert.match(e.message, /may have been charged/);
    assert.ok(e.cause instanceof Error && e.cause.name === 'AbortError');
  });

  it('aborting a read in flight works too (getGeneration, imageBytes)', { timeout: 20_000 }, async () => {
    const c = client();
    const g = await c.generate({ prompt: 'x' });
    for (const [prefix, start] of [
      ['/api/results', (signal) => c.getGeneration(g.id, { signal })],
      ['/temp', (signal) => g.imageBytes(0, { signal })],
    ]) {
      await emu.inject({ kind: 'delay', ms: 30_000, path: prefix });
      const controller = new AbortController();
      const call = start(controller.signal);
      await until(async () => (await emu.pendingFaults()).length === 0);
      controller.abort();
      await rejectsWith(call, 'cancelled');
    }
  });

  it('AbortSignal.timeout works as a per-call deadline', { timeout: 20_000 }, async () => {
    await emu.inject({ kind: 'delay', ms: 30_000, path: '/api/features' });
    const e = await rejectsWith(client().generate({ prompt: 'x' }, { signal: AbortSignal.timeout(100) }), 'cancelled');
    assert.equal(e.cause.name, 'TimeoutError');
  });
});

describe('generateMany', () => {
  it('runs every request, returns results in input order, reports progress', async () => {
    const progress = [];
    const requests = ['a', 'b', 'c', 'd', 'e'].map((p) => ({ prompt: `batch ${p}`, size: '512x512' }));
    const results = await client().generateMany(requests, { concurrency: 2, onProgress: (p, r) => progress.push([p, r.index]) });
    assert.deepEqual(results.map((r) => r.index), [0, 1, 2, 3, 4]);
    for (const r of results) {
      assert.equal(r.ok, true);
      assert.equal(r.generation.status, 'SUCCESS');
      assert.equal(r.error, null);
      assert.equal(r.generation.request.prompt, requests[r.index].prompt);
    }
    assert.deepEqual(progress.map(([p]) => p.completed), [1, 2, 3, 4, 5]);
    assert.deepEqual(progress.map(([p, i]) => p.index === i), [true, true, true, true, true]);
    assert.equal(progress.at(-1)[0].creditsSpent, 5 * 234);
    assert.equal((await emu.ledger()).charges.length, 5);
  });

  it('a failed item does not fail the batch', async () => {
    await emu.inject({ kind: 'generation_failure', message: 'refused' });
    const results = await client().generateMany([{ prompt: 'one' }, { prompt: 'two' }, { prompt: 'three' }], { concurrency: 1 });
    const failed = results.filter((r) => !r.ok);
    assert.equal(failed.length, 1);
    assert.ok(failed[0].error instanceof VisionXLError);
    assert.equal(failed[0].error.code, 'generation_failed');
    assert.equal(failed[0].generation, null);
    assert.equal(results.filter((r) => r.ok).length, 2);
  });

  it('with a manifest, a rerun pays nothing again; outDir saves every image', async () => {
    const dir = freshDir();
    const manifest = path.join(tmp, `manifest-${dirCount}.jsonl`);
    const requests = [{ prompt: 'm1', n: 2 }, { prompt: 'm2' }];
    const first = await client().generateMany(requests, { manifest, outDir: dir });
    assert.ok(first.every((r) => r.ok && !r.resumed));
    assert.equal(first[0].files.length, 2);
    for (const r of first) for (const f of r.files) assert.ok(fs.existsSync(f), f);
    const charged = (await emu.ledger()).charges.length;
    assert.equal(charged, 2);
    const second = await client().generateMany(requests, { manifest, outDir: dir });
    assert.ok(second.every((r) => r.ok && r.resumed));
    assert.deepEqual(second.map((r) => r.generation.id), first.map((r) => r.generation.id));
    assert.equal((await emu.ledger()).charges.length, charged, 'nothing charged twice');
  });

  it('validates every request first, naming each bad one', async () => {
    const e = await rejectsWith(client().generateMany([{ prompt: 'ok' }, { prompt: '' }, 'nope']), 'validation_error');
    assert.match(e.message, /request 1/);
    assert.match(e.message, /request 2/);
    assert.equal((await emu.ledger()).charges.length, 0);
    await rejectsWith(client().generateMany({ prompt: 'x' }), 'validation_error');
  });

  it('an error thrown by onProgress stops the batch and is what the caller gets', async () => {
    const boom = new Error('progress handler failed');
    await assert.rejects(
      client().generateMany([{ prompt: '1' }, { prompt: '2' }, { prompt: '3' }], {
        concurrency: 1,
        onProgress: () => {
          throw boom;
        },
      }),
      (e) => e === boom,
    );
  });

  it('aborting a batch ends the unfinished items with cancelled', { timeout: 20_000 }, async () => {
    await emu.inject({ kind: 'delay', ms: 30_000, path: '/api/features', count: 1 });
    const controller = new AbortController();
    const run = client().generateMany([{ prompt: 'held' }, { prompt: 'queued' }], { concurrency: 1, signal: controller.signal });
    await until(async () => (await emu.pendingFaults()).length === 0);
    controller.abort();
    const results = await run;
    assert.equal(results.length, 2);
    assert.deepEqual(results.map((r) => r.index), [0, 1], 'input order, an item for every request');
    assert.ok(results.some((r) => r.error?.code === 'cancelled'));
    assert.ok(results.every((r) => r.ok || r.error?.code === 'cancelled'));
  });
});

describe('concurrency', () => {
  it('20 generate calls are all in flight at once, and the event loop keeps running', { timeout: 60_000 }, async () => {
    // Each generation takes 4 s in this emulator, charged when it arrives: 20 charges while no
    // call has settled proves the 20 requests overlap (sequential calls would settle the first
    // before the second is charged).
    const slow = await Emulator.start({ latencyMs: 4000 });
    try {
      const c = new Client({ apiKey: slow.apiKey, baseUrl: slow.baseUrl, requestsPerMinute: 1_000_000 });
      let settled = 0;
      let loopTurns = 0;
      const calls = Array.from({ length: 20 }, (_, i) =>
        c.generate({ prompt: `overlap ${i}`, size: '512x512' }).finally(() => {
          settled++;
        }),
      );
      await until(async () => {
        loopTurns++;
        return (await slow.ledger()).charges.length === 20;
      });
      assert.equal(settled, 0, 'every request was charged before any call settled');
      assert.ok(loopTurns > 1, 'JavaScript ran while the requests were in flight');
      const results = await Promise.all(calls);
      assert.equal(new Set(results.map((g) => g.id)).size, 20);
    } finally {
      await slow.stop();
    }
  });
});

describe('the key never shows', () => {
  const secret = 'sk-SECRET-0123456789abcdef';
  it('not in util.inspect, JSON or String of a client', () => {
    const c = new Client({ apiKey: secret, baseUrl: emu.baseUrl });
    for (const shown of [util.inspect(c), util.inspect(c, { showHidden: true, depth: 10 }), JSON.stringify(c), String(c), util.format('%o', c)]) {
      assert.ok(!shown.includes(secret) && !shown.includes('SECRET'), shown);
    }
    assert.match(util.inspect(c), /\[redacted\]/);
    assert.ok(!Object.values(c).includes(secret));
  });
  it('not in errors (message, stack, inspect) of a refused key, nor in the ledger', async () => {
    const e = await rejectsWith(new Client({ apiKey: secret, baseUrl: emu.baseUrl }).generate({ prompt: 'x' }), 'authentication_error');
    for (const shown of [e.message, e.stack, util.inspect(e, { showHidden: true, depth: 10 }), JSON.stringify(e), String(e.details)]) {
      assert.ok(!shown.includes('SECRET'), shown);
    }
    const good = await client().generate({ prompt: 'x' });
    const ledger = await emu.ledger();
    assert.ok(!JSON.stringify(ledger).includes(emu.apiKey), 'the ledger redacts keys');
    assert.ok(!util.inspect(good, { depth: 10 }).includes(emu.apiKey));
  });
});

describe('coverage of the error codes', () => {
  it('every one of the 16 stable codes was produced by a test above', () => {
    // Runs last in this file (node:test runs tests in order): the codes observed by the tests.
    const missing = ERROR_CODES.filter((c) => !codesSeen.has(c));
    assert.deepEqual(missing, [], `codes never produced: ${missing.join(', ')}`);
  });
});
