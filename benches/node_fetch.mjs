#!/usr/bin/env node
// Benchmark: Node `client.generate` against a plain `fetch` doing the same call (POST
// /api/features with the same JSON body and API-KEY header, the answer parsed as JSON), side by
// side in one run, against one emulator in a separate process (the release visionxl-emulator
// binary), with the addon built in release (see benches/node_common.mjs).
//
// Modes, in interleaved rounds (the order alternates; the median round counts):
// - seq: one call after another;
// - conc32: 32 calls in flight at once (32 async workers each calling back to back).
// visionxl also validates the request, reads the record and builds its result object; pacing is
// off (requestsPerMinute) and retries too, the point being the per-call cost.
//
//   node benches/node_fetch.mjs [--requests 400] [--rounds 5] [--concurrency 32]
//
// Prints a table and `RESULT node_fetch ...` lines; the last line sums them up.
import { parseArgs } from 'node:util';
import { loadVisionxl, startEmulator, median } from './node_common.mjs';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    'emulator-url': { type: 'string' },
  },
});
const n = Number(values.requests);
const rounds = Number(values.rounds);
const conc = Number(values.concurrency);
if (!(n >= 1 && rounds >= 1 && conc >= 1 && conc <= 1000)) throw new Error('--requests >= 1, --rounds >= 1, --concurrency 1..1000');

const { visionxl, profile } = loadVisionxl();
const emu = values['emulator-url'] ? { baseUrl: values['emulator-url'], apiKey: 'vxl-emulator-key', stop: async () => {} } : await startEmulator();

const params = { prompt: 'a lighthouse at dusk', size: '512x512', n: 1, seed: 42 };
const body = JSON.stringify({ type: 'IMAGE_GENERATOR', model: visionxl.MODEL_ID, promptObject: visionxl.buildRequest(params).wire });
const url = `${emu.baseUrl}/api/features`;
const client = new visionxl.Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, requestsPerMinute: 1_000_000, maxRetries: 0 });

async function viaVisionxl() {
  const g = await client.generate(params);
  return g.id;
}

async function viaFetch() {
  const res = await fetch(url, { method: 'POST', headers: { 'API-KEY': emu.apiKey, 'Content-Type': 'application/json' }, body });
  const json = await res.json();
  if (json?.aiRecord?.status !== 'SUCCESS') throw new Error(`unexpected answer ${res.status}`);
  return json.aiRecord.uuid;
}

async function run(call, total, workers) {
  const per = Array.from({ length: workers }, (_, i) => Math.floor(total / workers) + (i < total % workers ? 1 : 0));
  const t0 = performance.now();
  await Promise.all(
    per.map(async (k) => {
      for (let i = 0; i < k; i++) await call();
    }),
  );
  return (performance.now() - t0) / 1000;
}

const libs = [
  ['visionxl', viaVisionxl],
  ['fetch', viaFetch],
];
const results = { seq: {}, [`conc${conc}`]: {} };
try {
  for (const [, call] of libs) await run(call, conc * 2, conc); // warm up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...libs].reverse() : libs;
    for (const [name, call] of order) (results.seq[name] ??= []).push(n / (await run(call, n, 1)));
    for (const [name, call] of order) (results[`conc${conc}`][name] ??= []).push(n / (await run(call, n, conc)));
  }
  // Every call reached the emulator and was charged once: nothing was served from a cache.
  const calls = 2 * conc * 2 + rounds * n * 4;
  const charged = (await (await fetch(`${emu.baseUrl}/_emulator/ledger`)).json()).charges.length;
  if (!values['emulator-url'] && charged !== calls) throw new Error(`the emulator charged ${charged} generations, expected ${calls}`);
} finally {
  await emu.stop();
}

console.log(
  `node_fetch: ${n} calls per library, mode and round; ${rounds} interleaved rounds; median req/s (addon ${profile}; emulator ${values['emulator-url'] ? values['emulator-url'] : 'release binary, own process'}; Node ${process.version})`,
);
console.log(`${'mode'.padEnd(10)}${'visionxl'.padStart(10)}${'fetch'.padStart(10)}${'vxl/fetch'.padStart(11)}`);
const lines = [];
const summary = [];
for (const [mode, per] of Object.entries(results)) {
  const v = median(per.visionxl);
  const f = median(per.fetch);
  console.log(`${mode.padEnd(10)}${v.toFixed(0).padStart(10)}${f.toFixed(0).padStart(10)}${(v / f).toFixed(2).padStart(11)}`);
  lines.push(`RESULT node_fetch ${mode} visionxl=${v.toFixed(0)} fetch=${f.toFixed(0)} ratio_fetch=${(v / f).toFixed(2)}`);
  summary.push(`${mode}_ratio_fetch=${(v / f).toFixed(2)}`);
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(results).map(([m, d]) => [m, Object.fromEntries(Object.entries(d).map(([k, xs]) => [k, xs.map(Math.round)]))]))));
for (const l of lines) console.log(l);
console.log(`RESULT node_fetch ${summary.join(' ')}`);
