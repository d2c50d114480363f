'use strict';
// A small soak (node/benches/soak.mjs): 200 generations through `generateMany`, 32 at a time,
// against an in-process emulator failing 20% of requests at random with every fault kind; then a
// second pass without faults resuming the manifest. One run, one test per check. Also tests the
// Emulator's random faults (`chaos`, `chaosReport`, `chaosSettings`) and runs the README's
// example of them.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');

const { Client, VisionXLError, ERROR_CODES } = require('..');
const { Emulator } = require('../testing');

const PKG = path.resolve(__dirname, '..');
const GENERATIONS = 200;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'visionxl-node-soak-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const problems = (report, check) => (report.problems[check] ?? []).join('\n');

describe('soak: 200 generations, 32 at a time, 20% random faults', () => {
  let report;
  let soak;
  before(async () => {
    soak = await import('../benches/soak.mjs');
    const emu = await Emulator.start({ keys: [{ key: 'vxl-emulator-key', credits: 1e9 }] });
    try {
      report = await soak.runSoak({
        generations: GENERATIONS,
        concurrency: 32,
        faultRate: 0.2,
        seed: 7,
        outDir: path.join(tmp, 'soak'),
        emulator: emu,
        // The in-process emulator's picture cache (up to 64 MiB) lives in this process too.
        rssGrowthLimitMib: 128,
      });
    } finally {
      await emu.stop();
    }
    if (!report.ok) process.stderr.write(`${soak.summaryText(report)}\n`);
  });

  it('met many faults of many kinds', () => {
    const f = report.faults;
    assert.ok(f.requests >= GENERATIONS, JSON.stringify(f));
    assert.ok(f.faults >= 0.1 * f.requests, JSON.stringify(f));
    assert.ok(Object.keys(f.byKind).length >= 8, JSON.stringify(f.byKind));
    assert.ok(['drop_after_charge', 'truncated_body', 'malformed_json'].some((k) => f.byKind[k] > 0), 'faults that charge');
    assert.ok(['rate_limit', 'status_500', 'status_502', 'status_503', 'cloudflare'].some((k) => f.byKind[k] > 0), 'faults that do not');
    assert.ok(report.pass1.failed > 0, 'the faults reached the client');
  });

  it('never crashed: every failure is a VisionXLError with a stable code', () => {
    assert.ok(report.checks.noCrash, problems(report, 'noCrash'));
    for (const code of [...Object.keys(report.pass1.codes), ...Object.keys(report.pass2.codes)]) assert.ok(ERROR_CODES.includes(code), code);
  });

  it('never charged twice', () => {
    assert.ok(report.checks.noDoubleCharge, problems(report, 'noDoubleCharge'));
    assert.ok(report.ledger.charges > 0);
    assert.equal(report.ledger.itemsCharged, report.ledger.charges);
  });

  it('saved and verified every image of every item that succeeded', () => {
    assert.ok(report.checks.imagesVerified, problems(report, 'imagesVerified'));
    assert.equal(report.images.itemsOk, report.pass2.ok);
    assert.ok(report.pass2.ok > GENERATIONS / 2);
    assert.ok(report.images.files >= report.images.itemsOk);
  });

  // Regression: a download answered 200 with a mangled body of clean framing (the emulator's
  // malformed_json fault on /asset: half the picture, then text) was saved as the image.
  it('saved the very bytes the emulator serves', () => {
    assert.ok(report.checks.downloadsIntact, problems(report, 'downloadsIntact'));
  });

  it('reported every charged item it could not save as possibly charged', () => {
    assert.ok(report.checks.unsavedChargesReported, problems(report, 'unsavedChargesReported'));
    assert.ok(report.ledger.chargedUnsaved <= report.ledger.reportedMayHaveBeenCharged);
  });

  it('finished everything it may in the second pass', () => {
    assert.ok(report.checks.secondPassClean, problems(report, 'secondPassClean'));
    assert.equal(report.pass2.codes.generation_failed, undefined, 'failed generations were sent again');
    assert.ok(report.pass2.ok >= report.pass1.ok);
  });

  it('wrote every manifest line', () => {
    assert.ok(report.checks.manifestOk, problems(report, 'manifestOk'));
    const e = report.manifest.events;
    assert.equal(e.generated, report.pass2.ok);
    assert.equal(e.saved, report.pass2.ok);
    assert.ok(e.sending >= report.ledger.charges);
  });

  it('kept memory flat and reported it', () => {
    assert.ok(report.checks.memoryFlat, problems(report, 'memoryFlat'));
    assert.ok(report.rss.peakMib > 0 && report.rss.peakMib < 2048, String(report.rss.peakMib));
    // The driver reports its own peak; the verifier reports memory, it does not bound a driven run.
  });

  it('ran quickly', () => {
    assert.ok(report.durationS.total < 120, JSON.stringify(report.durationS));
  });
});

describe('Emulator.chaos', () => {
  let emu;
  before(async () => {
    emu = await Emulator.start();
  });
  after(async () => {
    await emu.stop();
  });
  const client = () => new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, requestsPerMinute: 1_000_000 });

  it('turns random faults on, counts them, and off with the final report', async () => {
    await emu.reset();
    assert.equal(await emu.chaosSettings(), null);
    assert.deepEqual(await emu.chaosReport(), { requests: 0, faults: 0, byKind: {} });
    assert.deepEqual(await emu.chaos({ rate: 1, seed: 3, kinds: [{ kind: 'status', status: 503 }] }), { requests: 0, faults: 0, byKind: {} });
    assert.deepEqual(await emu.chaosSettings(), { rate: 1, seed: 3, kinds: [{ kind: 'status', status: 503 }], path: null });
    const c = client();
    for (let i = 0; i < 3; i++) {
      await assert.rejects(c.generate({ prompt: 'always 503', size: '512x512' }), (e) => {
        assert.ok(e instanceof VisionXLError);
        assert.equal(e.code, 'server_error');
        assert.equal(e.status, 503);
        assert.equal(e.mayHaveBeenCharged, true);
        return true;
      });
    }
    const expected = { requests: 3, faults: 3, byKind: { status_503: 3 } };
    assert.deepEqual(await emu.chaosReport(), expected);
    assert.deepEqual(await emu.chaos(null), expected);
    assert.equal(await emu.chaosSettings(), null);
    assert.equal((await c.generate({ prompt: 'calm again', size: '512x512' })).status, 'SUCCESS');
    assert.equal((await emu.ledger()).totalCharged, 234, 'the 503s charged nothing');
  });

  it('takes kinds by name or with camelCase fields, and a path', async () => {
    await emu.reset();
    await emu.chaos({ rate: 1, kinds: ['drop_after_charge'], path: '/api/features' });
    const c = client();
    await assert.rejects(c.generate({ prompt: 'dropped after the charge', size: '512x512' }), (e) => e.code === 'connection_error' && e.mayHaveBeenCharged);
    const ledger = await emu.ledger();
    assert.equal(ledger.charges.length, 1, 'charged once, not retried');
    assert.deepEqual((await emu.chaosReport()).byKind, { drop_after_charge: 1 });
    // Other paths are untouched.
    assert.equal((await c.getGeneration(ledger.charges[0].recordId)).status, 'SUCCESS');
    // A new setting replaces the old one and its counts.
    const replaced = await emu.chaos({ rate: 0.5, kinds: [{ kind: 'rate_limit', retryAfterSecs: 0 }, { kind: 'delay', ms: 1 }] });
    assert.deepEqual(replaced.byKind, { drop_after_charge: 1 });
    assert.deepEqual((await emu.chaosSettings()).kinds, [{ kind: 'rate_limit', retryAfterSecs: 0 }, { kind: 'delay', ms: 1 }]);
    await emu.reset();
    assert.equal(await emu.chaosSettings(), null, 'reset turns random faults off');
  });

  it('refuses bad settings with a validation_error, changing nothing', async () => {
    await emu.reset();
    const bad = [
      [{ rate: 1.5 }, /rate/],
      [{ rate: 0.5, kinds: [] }, /kinds/],
      [{ rate: 0.5, kinds: ['status'] }, /missing field `status`/],
      [{ rate: 0.5, kinds: ['meteor_strike'] }, /meteor_strike/],
      [{ rate: 0.5, colour: 'red' }, /colour/],
      [{ seed: 1 }, /rate is required/],
    ];
    for (const [settings, message] of bad) {
      await assert.rejects(emu.chaos(settings), (e) => {
        assert.ok(e instanceof VisionXLError, String(e));
        assert.equal(e.code, 'validation_error');
        assert.match(e.message, message);
        return true;
      });
    }
    assert.equal(await emu.chaosSettings(), null);
  });

  it('runs the README example', async () => {
    const readme = fs.readFileSync(path.join(PKG, 'README.md'), 'utf8');
    const block = /<!--\s*soak-example:node\s*-->\s*```js\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'the README has a soak example');
    const dir = fs.mkdtempSync(path.join(tmp, 'readme-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(PKG, path.join(dir, 'node_modules', 'visionxl'), 'dir');
    const file = path.join(dir, 'example.mjs');
    fs.writeFileSync(file, block[1]);
    const { stdout, stderr, error } = await new Promise((resolve) => {
      execFile(process.execPath, [file], { cwd: dir }, (err, out, errOut) => resolve({ stdout: out, stderr: errOut, error: err }));
    });
    assert.equal(error, null, `the example failed:\n${stderr}\n${stdout}`);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0], /^\d+ faults; \d+ of 20 saved$/);
    assert.equal(lines[1], 'true');
    assert.ok(fs.existsSync(path.join(dir, 'tiles.jsonl')));
  });
});

describe('the soak script', () => {
  it('runs standalone (small, in-process) and prints JSON', async () => {
    const out = path.join(tmp, 'standalone');
    const { stdout, stderr, error } = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join(PKG, 'benches', 'soak.mjs'), '--generations', '20', '--fault-rate', '0', '--in-process', '--json', '--out-dir', out],
        { timeout: 300_000 },
        (err, so, se) => resolve({ stdout: so, stderr: se, error: err }),
      );
    });
    assert.equal(error, null, stderr + stdout);
    const report = JSON.parse(stdout);
    assert.ok(report.ok, JSON.stringify(report.problems));
    assert.equal(report.pass1.ok, 20);
    assert.equal(report.ledger.charges, 20);
    assert.ok(fs.existsSync(path.join(out, 'manifest.jsonl')));
  });
});
