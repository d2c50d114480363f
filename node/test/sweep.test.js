'use strict';
// Sweeps: the shared vectors (tests/vectors/sweeps.json) through planSweep with camelCase names,
// and client.sweep against the in-process emulator: 6 cells, 6 charges, a sheet, a rerun that
// pays nothing again, refusals before anything is sent, onProgress and abort.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { Client, VisionXLError, planSweep } = require('..');
const { Emulator } = require('../testing');

const VECTORS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'tests', 'vectors', 'sweeps.json'), 'utf8'));
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const camelKeys = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));
const VARY = { guidanceScale: [7, 10, 13], numInferenceSteps: [20, 40] };

describe('sweep vectors', () => {
  for (const c of VECTORS.expand) {
    it(c.id, () => {
      const plan = planSweep(camelKeys(c.base), camelKeys(c.vary), { chosenSeed: c.seed });
      assert.equal(plan.cells.length, c.cells);
      assert.equal(plan.credits, c.credits);
      assert.equal(plan.seed, c.plan_seed);
      assert.equal(plan.seedChosen, c.seed_chosen);
      assert.deepEqual(plan.cells.map((x) => x.label), c.labels);
      if (c.wire) assert.deepEqual(plan.cells[c.wire_cell].request, c.wire);
    });
  }
  for (const c of VECTORS.invalid) {
    it(c.id, () => {
      let error;
      try {
        planSweep(camelKeys(c.base), camelKeys(c.vary), { chosenSeed: 1 });
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof VisionXLError, String(error));
      assert.equal(error.code, 'validation_error');
      assert.equal(error.violations.length, c.errors.length, error.message);
      c.errors.forEach((want, i) => {
        assert.equal(error.violations[i].code, want.code);
        assert.ok(error.violations[i].message.startsWith(want.message_starts), error.violations[i].message);
      });
    });
  }
});

describe('client.sweep', () => {
  let emu;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'visionxl-node-sweep-'));
  const client = () => new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, requestsPerMinute: 1_000_000 });
  before(async () => {
    emu = await Emulator.start();
  });
  after(async () => {
    await emu.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs a 3x2 sweep, then a rerun pays nothing again', async () => {
    const outDir = path.join(tmp, 'grid');
    const seen = [];
    const r = await client().sweep(
      { prompt: 'a lighthouse at dusk', size: '512x512' },
      { vary: VARY, outDir, onProgress: (p) => seen.push(p.completed) },
    );
    assert.equal(r.cells.length, 6);
    assert.ok(r.cells.every((c) => c.ok));
    assert.equal(r.credits, 1404);
    assert.equal(r.creditsSpent, 1404);
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6]);
    assert.equal((await emu.ledger()).charges.length, 6);
    assert.deepEqual(r.cells[1].settings, { guidance_scale: 10, num_inference_steps: 20 });
    assert.ok(Number.isInteger(r.seed) && r.seedChosen);
    const png = fs.readFileSync(r.sheet);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1112, 652]);
    assert.ok(fs.existsSync(r.indexHtml));
    const again = await client().sweep({ prompt: 'a lighthouse at dusk', size: '512x512' }, { vary: VARY, outDir });
    assert.equal(again.creditsSpent, 0);
    assert.equal(again.seed, r.seed);
    assert.equal((await emu.ledger()).charges.length, 6);
  });

  it('refuses before sending', async () => {
    await emu.reset();
    const outDir = path.join(tmp, 'refused');
    await assert.rejects(
      client().sweep({ prompt: 'a fox' }, { vary: { guidanceScale: [7, 25], colour: [1] }, outDir }),
      (e) => e.code === 'validation_error' && e.violations.length === 2,
    );
    await assert.rejects(
      client().sweep({ prompt: 'a fox', size: '512x512' }, { vary: VARY, maxCredits: 1000, outDir }),
      (e) => e.code === 'budget_exceeded',
    );
    await assert.rejects(client().sweep({ prompt: 'a fox' }, {}), (e) => e.code === 'validation_error');
    assert.equal((await emu.ledger()).charges.length, 0);
  });

  it('an aborted signal cancels the cells not yet sent', async () => {
    await emu.reset();
    const controller = new AbortController();
    controller.abort();
    const r = await client().sweep(
      { prompt: 'a fox', size: '512x512' },
      { vary: { tiling: [false, true] }, outDir: path.join(tmp, 'aborted'), signal: controller.signal },
    );
    assert.ok(r.cells.every((c) => c.error?.code === 'cancelled'), JSON.stringify(r.cells.map((c) => c.error?.code)));
    assert.equal((await emu.ledger()).charges.length, 0);
  });
});

describe('docs/sweeps.md', () => {
  it("the Node example runs against the emulator", async () => {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'sweeps.md'), 'utf8');
    const code = text.split('```js\n')[1].split('```')[0];
    const emu = await Emulator.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visionxl-node-docs-'));
    const cwd = process.cwd();
    const saved = { ...process.env };
    try {
      process.chdir(dir);
      process.env.ONEMIN_API_KEY = emu.apiKey;
      process.env.ONEMIN_BASE_URL = emu.baseUrl;
      const body = code.replace("import { Client } from 'visionxl';", '');
      const log = console.log;
      console.log = () => {};
      let result;
      try {
        result = await new Function('Client', `return (async () => { ${body}; return result; })();`)(Client);
      } finally {
        console.log = log;
      }
      assert.equal(result.cells.length, 6);
      assert.ok(fs.existsSync(result.sheet));
      assert.equal((await emu.ledger()).charges.length, 6);
    } finally {
      process.chdir(cwd);
      process.env = saved;
      await emu.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
