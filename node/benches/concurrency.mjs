#!/usr/bin/env node
// 100 concurrent `client.generate` calls against the in-process emulator, compared in the same run
// with a plain `fetch` loop sending the same requests (one after the other, as a naive script
// would) and with plain `fetch` calls all at once (the best JavaScript alone can do).
//
//   node node/benches/concurrency.mjs [--n 100] [--latency-ms 100] [--rounds 3]
//
// The emulator takes --latency-ms per generation (the live service takes seconds), so
// overlapping calls finish in about one latency and sequential ones in n of them. Pacing is
// turned off on the client (requestsPerMinute) because the point is the overlap; with the
// default 180 requests/minute a client spaces its requests on purpose. The event loop's delay is
// measured during the SDK run: the Rust runtime does the I/O, so it stays small.
// Everything stays on 127.0.0.1; the run is bounded (n x rounds requests per variant).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, buildRequest, MODEL_ID } from 'visionxl';
import { Emulator } from 'visionxl/testing';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    'latency-ms': { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
});
const n = Number(values.n);
const latencyMs = Number(values['latency-ms']);
const rounds = Number(values.rounds);
if (!(n >= 1 && n <= 1000 && latencyMs >= 0 && latencyMs <= 10_000 && rounds >= 1 && rounds <= 20)) {
  throw new Error('--n 1..1000, --latency-ms 0..10000, --rounds 1..20');
}

// Enough credits for every run (the default key's 100,000 pay for ~400 generations).
const emu = await Emulator.start({ latencyMs, keys: [{ key: 'vxl-bench-key', credits: 1_000_000_000 }] });
const params = (i) => ({ prompt: `benchmark ${i}`, size: '512x512', n: 1, seed: i });
const client = new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, requestsPerMinute: 1_000_000, maxRetries: 0 });

// The same request bodies the SDK sends, for fetch.
const bodies = Array.from({ length: n }, (_, i) =>
  JSON.stringify({ type: 'IMAGE_GENERATOR', model: MODEL_ID, promptObject: buildRequest(params(i)).wire }),
);
async function fetchOne(i) {
  const res = await fetch(`${emu.baseUrl}/api/features`, {
    method: 'POST',
    headers: { 'API-KEY': emu.apiKey, 'Content-Type': 'application/json' },
    body: bodies[i],
  });
  const json = await res.json();
  if (json?.aiRecord?.status !== 'SUCCESS') throw new Error(`unexpected answer ${res.status}`);
  return json.aiRecord.uuid;
}

async function timed(fn) {
  const t0 = performance.now();
  const ids = await fn();
  const ms = performance.now() - t0;
  if (ids.length !== n || new Set(ids).size !== n) throw new Error('every request must give its own record');
  return ms;
}

const variants = {
  [`visionxl: ${n} concurrent client.generate`]: () => Promise.all(Array.from({ length: n }, (_, i) => client.generate(params(i)).then((g) => g.id))),
  [`fetch: ${n} requests in a loop (await each)`]: async () => {
    const ids = [];
    for (let i = 0; i < n; i++) ids.push(await fetchOne(i));
    return ids;
  },
  [`fetch: ${n} concurrent (Promise.all)`]: () => Promise.all(Array.from({ length: n }, (_, i) => fetchOne(i))),
};

// Warm up (connection pools, the emulator's image cache).
await Promise.all([client.generate(params(0)), fetchOne(0)]);

const results = {};
const lag = monitorEventLoopDelay({ resolution: 10 });
for (const [name, fn] of Object.entries(variants)) {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    if (name.startsWith('visionxl')) lag.enable();
    times.push(await timed(fn));
    if (name.startsWith('visionxl')) lag.disable();
  }
  times.sort((a, b) => a - b);
  results[name] = times[Math.floor(times.length / 2)];
}
const ledger = await emu.ledger();
await emu.stop();

console.log(`emulator latency ${latencyMs} ms per generation, ${n} requests per run, median of ${rounds} runs`);
for (const [name, ms] of Object.entries(results)) {
  console.log(`${name.padEnd(48)} ${ms.toFixed(0).padStart(7)} ms  ${((n / ms) * 1000).toFixed(1).padStart(7)} req/s`);
}
const [sdk, loop] = Object.values(results);
console.log(`visionxl vs fetch loop: ${(loop / sdk).toFixed(1)}x faster`);
console.log(`event loop delay during the visionxl runs: p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`);
console.log(`charges in the emulator's ledger: ${ledger.charges.length}`);
