#!/usr/bin/env node
// Soak: many generations through `client.generateMany` against an emulator whose requests fail
// at random (20% by default, every fault kind), then a second pass without faults resuming the
// same manifest. The Node twin of python/benches/soak.py: this script only drives the binding,
// writes what each item ended as to outcomes.jsonl and hands the checking to the soak crate's
// verifier, `visionxl-soak verify` (the Rust soak's checks, by the same code; docs/RELIABILITY.md
// lists them and the file's format). Its report is mapped onto these checks:
// - noCrash: generateMany never rejected; every failed item carries a VisionXLError with a stable
//   code (checked here); no panic (verifier).
// - noDoubleCharge: at most one charge per item, none for an item never sent.
// - imagesVerified, downloadsIntact, unsavedChargesReported: every charged record of an item that
//   ended ok is saved with its sidecar, decodes at the asked size and is byte for byte what the
//   emulator serves; every other charge belongs to an item reported "may have been charged,
//   record id unknown" (the verifier's "paid images saved and verified").
// - secondPassClean: with faults off, every item succeeds or is such a report.
// - manifestOk: every manifest line parses; a `sending` line per attempt, an outcome after each.
// - memoryFlat: reported, not bounded (process.resourceUsage().maxRSS, the peak).
//
// By default the emulator runs in a separate process (the `visionxl-emulator` binary, built with
// cargo when missing); --emulator-url uses a running one and --in-process runs it inside this
// process. The verifier is built with `cargo build -p visionxl-soak` (debug, in
// $CARGO_TARGET_DIR) or taken from $VISIONXL_SOAK_BIN.
//
//   node node/benches/soak.mjs [--generations 1000] [--concurrency 32] [--fault-rate 0.2]
//       [--seed 1] [--quick] [--json] [--out-dir DIR] [--emulator-url URL | --in-process]
//
// Exit status 0 when every check passes, 1 otherwise, 2 for a usage or setup error.
// Importable: `runSoak({generations, concurrency, faultRate, seed, outDir, emulator, ...})`.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, VisionXLError, ERROR_CODES } from 'visionxl';
import { startEmulatorBinary } from './emulator-process.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const DEFAULT_KEY = 'vxl-emulator-key';
const MAX_PROBLEMS = 50;
// The verifier's checks, and the names this report gives them.
const CHECKS = {
  'no panics': ['noCrash'],
  'zero double charges': ['noDoubleCharge'],
  'paid images saved and verified': ['imagesVerified', 'downloadsIntact', 'unsavedChargesReported'],
  'resume finished every item it could': ['secondPassClean'],
  'no lost manifest lines': ['manifestOk'],
  'memory flat': ['memoryFlat'],
};

class Backend {
  constructor({ baseUrl, apiKey, emulator = null, pid = null, kind = 'url' }) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.apiKey = apiKey;
    this.emulator = emulator;
    this.pid = pid;
    this.kind = kind;
  }

  async http(method, p, { body, auth = false } = {}) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth) headers['API-KEY'] = this.apiKey;
    const res = await fetch(this.baseUrl + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, data: Buffer.from(await res.arrayBuffer()) };
  }

  async json(method, p, opts) {
    const { status, data } = await this.http(method, p, opts);
    if (status !== 200) throw new Error(`${method} ${p}: HTTP ${status}: ${data.toString().slice(0, 300)}`);
    return JSON.parse(data.toString());
  }

  async chaosOn(rate, seed) {
    if (this.emulator) return void (await this.emulator.chaos({ rate, seed }));
    const { status, data } = await this.http('POST', '/_emulator/chaos', { body: { rate, seed } });
    if (status === 404) {
      throw new Error(`the emulator at ${this.baseUrl} has no /_emulator/chaos endpoint: it predates random faults; rebuild it`);
    }
    if (status !== 200) throw new Error(`POST /_emulator/chaos: HTTP ${status}: ${data.toString().slice(0, 300)}`);
  }

  /** Turns random faults off; resolves to the final report {requests, faults, byKind}. */
  async chaosOff() {
    if (this.emulator) return this.emulator.chaos(null);
    const r = (await this.json('DELETE', '/_emulator/chaos')).report;
    return { requests: r.requests, faults: r.faults, byKind: r.by_kind };
  }

  async ledger() {
    return this.json('GET', '/_emulator/ledger');
  }
}

function targetDir() {
  return process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The visionxl-emulator binaries to try, best first (release renders pictures far faster). */
function emulatorBinaries(explicit) {
  for (const c of [explicit, process.env.VISIONXL_EMULATOR_BIN]) {
    if (c) {
      if (!isExecutable(c)) throw new Error(`not an executable: ${c}`);
      return [c];
    }
  }
  const found = ['release', 'debug'].map((d) => path.join(targetDir(), d, 'visionxl-emulator')).filter(isExecutable);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'visionxl-emulator');
    if (dir && isExecutable(p)) {
      found.push(p);
      break;
    }
  }
  if (found.length > 0) return found;
  if (fs.existsSync(path.join(REPO, 'Cargo.toml'))) {
    process.stderr.write('soak: building the emulator (cargo build -p visionxl-emulator)\n');
    const r = spawnSync('cargo', ['build', '-q', '-p', 'visionxl-emulator'], {
      cwd: REPO,
      stdio: 'inherit',
      env: { ...process.env, CARGO_TARGET_DIR: targetDir() },
    });
    if (r.status === 0) return [path.join(targetDir(), 'debug', 'visionxl-emulator')];
  }
  throw new Error('no visionxl-emulator binary: build it (cargo build -p visionxl-emulator), or pass --emulator-bin, --emulator-url or --in-process');
}

/** The emulator binary as a child process (its first stdout line is its base URL). */
/** Starts the first binary that has random faults (an older build answers 404 and is skipped). */
async function startEmulatorProcess(explicit) {
  const skipped = [];
  for (const binary of emulatorBinaries(explicit)) {
    const proc = await startEmulatorBinary(binary);
    const res = await fetch(`${proc.baseUrl}/_emulator/chaos`);
    await res.arrayBuffer();
    if (res.status === 200) return proc;
    await proc.close();
    skipped.push(binary);
  }
  throw new Error(`${skipped.join(', ')}: no random faults (/_emulator/chaos): built before they existed; rebuild (cargo build [--release] -p visionxl-emulator)`);
}

// ------------------------------------------------------------------------------------------------
// Memory.

const mib = (n) => Math.round((n / (1024 * 1024)) * 10) / 10;

/** The soak crate's workload (visionxl_soak::workload), so that the verifier maps every charge
 * back to its item and finds every manifest key. */
export function makeRequests(generations, tag) {
  return Array.from({ length: generations }, (_, i) => ({
    prompt: `soak ${tag} item ${i}: a lighthouse on a cliff at dusk, variation ${i}`,
    size: '512x512',
    n: i % 3 === 1 ? 2 : 1,
    ...(i % 7 === 3 ? { transparency: 'foreground_only' } : {}),
  }));
}

class Problems {
  constructor() {
    this.byCheck = {};
    this.counts = {};
  }
  add(check, message) {
    this.counts[check] = (this.counts[check] ?? 0) + 1;
    const list = (this.byCheck[check] ??= []);
    if (list.length < MAX_PROBLEMS) list.push(message);
  }
  ok(check) {
    return !this.counts[check];
  }
}

function classify(results, generations, problems, passName) {
  const codes = {};
  let ok = 0;
  if (results.length !== generations) problems.add('noCrash', `${passName}: ${results.length} results, expected ${generations}`);
  results.forEach((r, i) => {
    if (!r || r.index !== i) {
      problems.add('noCrash', `${passName} item ${i}: missing or misplaced result`);
      return;
    }
    if (r.ok) {
      ok++;
      if (!r.generation) problems.add('noCrash', `${passName} item ${i}: ok without a generation`);
      return;
    }
    const err = r.error ?? r.saveError;
    if (!(err instanceof VisionXLError)) {
      problems.add('noCrash', `${passName} item ${i}: failed without a VisionXLError (${String(err)})`);
      return;
    }
    codes[err.code] = (codes[err.code] ?? 0) + 1;
    if (!ERROR_CODES.includes(err.code)) problems.add('noCrash', `${passName} item ${i}: unknown code ${err.code}`);
  });
  return { ok, failed: results.length - ok, codes: Object.fromEntries(Object.entries(codes).sort()) };
}

async function runPass(client, requests, concurrency, manifest, outDir, problems, name, progress) {
  const t0 = performance.now();
  let results = [];
  try {
    results = await client.generateMany(requests, {
      concurrency,
      manifest,
      outDir,
      onProgress: progress
        ? (p) => {
            if (p.completed % 100 === 0 || p.completed === p.total) process.stderr.write(`soak: ${name}: ${p.completed}/${p.total} (${p.failed} failed)\n`);
          }
        : undefined,
    });
  } catch (err) {
    problems.add('noCrash', `${name}: generateMany rejected: ${err?.stack ?? err}`);
  }
  return { results, seconds: (performance.now() - t0) / 1000 };
}

/** What the caller was told of one item, as the verifier reads it. */
function outcomeLine(pass, index, r) {
  if (r?.ok) return { pass, index, ok: true, may_have_been_charged: true, record_id: r.generation.id, files: r.files };
  const err = r?.error ?? r?.saveError;
  return {
    pass,
    index,
    ok: false,
    code: err?.code ?? null,
    message: String(err?.message ?? err),
    // A generation in hand (its download failed) is paid, as the Rust soak counts it.
    may_have_been_charged: Boolean(r?.generation) || (err?.mayHaveBeenCharged ?? true),
    record_id: r?.generation?.id ?? err?.requestId ?? null,
  };
}

/** The `visionxl-soak` binary: $VISIONXL_SOAK_BIN, else built (debug) in the shared target dir. */
function verifier() {
  if (process.env.VISIONXL_SOAK_BIN) return process.env.VISIONXL_SOAK_BIN;
  const built = path.join(targetDir(), 'debug', 'visionxl-soak');
  const cargo = spawnSync('cargo', ['build', '-q', '-p', 'visionxl-soak'], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: targetDir() },
  });
  if (!isExecutable(built)) throw new Error(`no verifier at ${built} (cargo: ${cargo.status ?? cargo.error}): cargo build -p visionxl-soak`);
  return built;
}

/**
 * Runs the soak; resolves to its report (`report.ok` is true when every check passed). The
 * emulator: `emulator` (a running `visionxl/testing` Emulator), else `emulatorUrl`, else one in
 * this process (`inProcess`), else the `visionxl-emulator` binary in a child process. `outDir`
 * receives the manifest, the images and the outcomes (a temporary directory, removed afterwards, when absent).
 * `rssGrowthLimitMib` is accepted for compatibility: memory is reported, not bounded.
 */
export async function runSoak({
  generations = 1000,
  concurrency = 32,
  faultRate = 0.2,
  seed = 1,
  outDir,
  emulator,
  emulatorUrl,
  apiKey = DEFAULT_KEY,
  inProcess = false,
  emulatorBin,
  maxRetries = 2,
  rssGrowthLimitMib = 64,
  progress = false,
} = {}) {
  const tStart = performance.now();
  const owned = [];
  const tmp = outDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'visionxl-soak-'));
  const work = outDir ?? tmp;
  fs.mkdirSync(work, { recursive: true });
  const manifest = path.join(work, 'manifest.jsonl');
  const images = path.join(work, 'images');
  if (fs.existsSync(manifest) || (fs.existsSync(images) && fs.readdirSync(images).length > 0)) {
    throw new Error(`${work} already holds a soak (manifest.jsonl or images/): use an empty directory`);
  }
  try {
    const verifierBin = verifier();
    let backend;
    let binary;
    if (emulator) {
      backend = new Backend({ baseUrl: emulator.baseUrl, apiKey: emulator.apiKey, emulator, kind: 'in-process' });
    } else if (emulatorUrl) {
      backend = new Backend({ baseUrl: emulatorUrl, apiKey, kind: 'url' });
    } else if (inProcess) {
      const { Emulator } = await import('visionxl/testing');
      const emu = await Emulator.start({ keys: [{ key: DEFAULT_KEY, credits: 1e12 }] });
      owned.push({ close: () => emu.stop() });
      backend = new Backend({ baseUrl: emu.baseUrl, apiKey: emu.apiKey, emulator: emu, kind: 'in-process' });
    } else {
      const proc = await startEmulatorProcess(emulatorBin);
      owned.push(proc);
      binary = proc.binary;
      backend = new Backend({ baseUrl: proc.baseUrl, apiKey: DEFAULT_KEY, pid: proc.pid, kind: 'process' });
    }
    const report = await soak(backend, { verifierBin, generations, concurrency, faultRate, seed, work, manifest, images, maxRetries, progress });
    report.emulator = { kind: backend.kind, baseUrl: backend.baseUrl, ...(binary ? { binary } : {}) };
    report.outDir = tmp ? null : work;
    report.durationS.total = round2((performance.now() - tStart) / 1000);
    return report;
  } finally {
    for (const o of owned.reverse()) await o.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const round2 = (x) => Math.round(x * 100) / 100;

async function soak(backend, o) {
  const problems = new Problems();
  const tag = `js${o.seed}-${process.pid}-${Date.now()}`;
  const requests = makeRequests(o.generations, tag);
  const client = new Client({
    apiKey: backend.apiKey,
    baseUrl: backend.baseUrl,
    requestsPerMinute: 1_000_000, // pacing out of the way: the soak measures the client
    maxRetries: o.maxRetries,
    timeoutMs: 120_000,
  });
  const outcomes = path.join(o.work, 'outcomes.jsonl');
  const lines = [];
  await backend.chaosOn(o.faultRate, o.seed);
  let pass1;
  let faults;
  try {
    pass1 = await runPass(client, requests, o.concurrency, o.manifest, o.images, problems, 'pass 1', o.progress);
  } finally {
    faults = await backend.chaosOff();
  }
  lines.push({ chaos: { requests: faults.requests, faults: faults.faults, by_kind: faults.byKind } });
  lines.push({ ledger_after_pass1: await backend.ledger() });
  const pass2 = await runPass(client, requests, o.concurrency, o.manifest, o.images, problems, 'pass 2', o.progress);
  pass1.results.forEach((r, i) => lines.push(outcomeLine(1, i, r)));
  pass2.results.forEach((r, i) => lines.push(outcomeLine(2, i, r)));
  lines.push({ pass_seconds: [pass1.seconds, pass2.seconds] });
  fs.writeFileSync(outcomes, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const peakBytes = process.resourceUsage().maxRSS * 1024;
  const outcome1 = classify(pass1.results, o.generations, problems, 'pass 1');
  const outcome2 = classify(pass2.results, o.generations, problems, 'pass 2');

  const tChecks = performance.now();
  const args = ['verify', '--manifest', o.manifest, '--out', o.images, '--emulator', backend.baseUrl, '--api-key', backend.apiKey,
    '--outcomes', outcomes, '--tag', tag, '--generations', String(o.generations), '--concurrency', String(o.concurrency),
    '--fault-rate', String(o.faultRate), '--seed', String(o.seed)];
  // Async: an in-process emulator must keep serving while the verifier reads it.
  const done = await new Promise((resolve, reject) => {
    const child = spawn(o.verifierBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
  if (done.status !== 0 && done.status !== 1) throw new Error(`visionxl-soak verify failed (${done.status}): ${done.stderr.slice(-2000)}`);
  const verdict = JSON.parse(done.stdout);
  for (const check of verdict.checks) {
    for (const name of CHECKS[check.name] ?? []) {
      if (check.passed) continue;
      problems.add(name, check.summary);
      (problems.byCheck[name] ??= []).push(...check.findings.examples);
    }
  }
  const checks = Object.fromEntries(Object.values(CHECKS).flat().map((c) => [c, problems.ok(c)]));
  const { ledger, outcome } = verdict;
  return {
    language: 'node',
    node: process.version,
    generations: o.generations,
    concurrency: o.concurrency,
    faultRate: o.faultRate,
    seed: o.seed,
    tag,
    faults,
    pass1: { ...outcome1, durationS: round2(pass1.seconds) },
    pass2: { ...outcome2, durationS: round2(pass2.seconds) },
    ledger: {
      charges: ledger.charges,
      credits: ledger.credits_charged,
      itemsCharged: checks.noDoubleCharge ? ledger.charges : null,
      chargedUnsaved: ledger.charged_unsaved,
      reportedMayHaveBeenCharged: outcome.ambiguous,
      falseAlarms: outcome.ambiguous_uncharged,
    },
    images: { itemsOk: outcome.ok, files: verdict.images.verified },
    manifest: { lines: verdict.manifest.lines, events: verdict.manifest.by_event },
    rss: { peakMib: mib(peakBytes) },
    durationS: { pass1: round2(pass1.seconds), pass2: round2(pass2.seconds), checks: round2((performance.now() - tChecks) / 1000) },
    checks,
    ok: Object.values(checks).every(Boolean) && verdict.passed,
    problems: problems.byCheck,
    problemCounts: problems.counts,
    verifier: verdict,
  };
}

export function summaryText(r) {
  const f = r.faults;
  const kinds = Object.entries(f.byKind ?? {})
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [
    `soak (node): ${r.generations} generations, concurrency ${r.concurrency}, ${Math.round(r.faultRate * 100)}% faults, seed ${r.seed}, emulator ${r.emulator.kind}`,
    `  faults: ${f.faults} of ${f.requests} requests: ${kinds}`,
    `  pass 1: ${r.pass1.ok} ok, ${r.pass1.failed} failed ${JSON.stringify(r.pass1.codes)} in ${r.pass1.durationS} s`,
    `  pass 2: ${r.pass2.ok} ok, ${r.pass2.failed} failed ${JSON.stringify(r.pass2.codes)} in ${r.pass2.durationS} s`,
    `  ledger: ${r.ledger.charges} charges (${r.ledger.credits} credits), ${r.ledger.chargedUnsaved} charged but unsaved, ${r.ledger.reportedMayHaveBeenCharged} reported may-have-been-charged (${r.ledger.falseAlarms} not charged)`,
    `  images: ${r.images.itemsOk} items, ${r.images.files} files verified`,
    `  manifest: ${r.manifest.lines} lines ${JSON.stringify(r.manifest.events)}`,
    `  rss: peak ${r.rss.peakMib} MiB`,
    `  duration: ${JSON.stringify(r.durationS)}`,
    `  checks: ${Object.entries(r.checks)
      .map(([k, v]) => `${k}=${v ? 'ok' : 'FAIL'}`)
      .join(', ')}`,
  ];
  for (const [check, msgs] of Object.entries(r.problems)) {
    lines.push(`  ${check}: ${r.problemCounts[check]} problem(s), e.g.:`);
    for (const m of msgs.slice(0, 10)) lines.push(`    - ${m}`);
  }
  lines.push(
    `RESULT node_soak generations=${r.generations} faults=${f.faults} kinds=${Object.keys(f.byKind ?? {}).length} ok=${r.ok ? 'yes' : 'no'} peak_rss_mib=${r.rss.peakMib} seconds=${r.durationS.total}`,
  );
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      generations: { type: 'string', short: 'n' },
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '32' },
      'fault-rate': { type: 'string', default: '0.2' },
      seed: { type: 'string', default: '1' },
      'out-dir': { type: 'string' },
      'emulator-url': { type: 'string' },
      'in-process': { type: 'boolean', default: false },
      'emulator-bin': { type: 'string' },
      'api-key': { type: 'string', default: DEFAULT_KEY },
      'rss-growth-limit-mib': { type: 'string', default: '64' },
      progress: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: node node/benches/soak.mjs [--generations N | --quick] [--concurrency 32] [--fault-rate 0.2] [--seed 1]\n' +
        '       [--out-dir DIR] [--emulator-url URL | --in-process | --emulator-bin PATH] [--json] [--progress]\n',
    );
    return 0;
  }
  const generations = Number(values.generations ?? (values.quick ? 200 : 1000));
  const concurrency = Number(values.concurrency);
  const faultRate = Number(values['fault-rate']);
  const seed = Number(values.seed);
  const where = [values['emulator-url'], values['in-process'] || undefined, values['emulator-bin']].filter(Boolean);
  if (!(Number.isInteger(generations) && generations >= 1 && Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000 && faultRate >= 0 && faultRate <= 1 && Number.isInteger(seed) && seed >= 0) || where.length > 1) {
    process.stderr.write('soak: --generations >= 1, --concurrency 1..1000, --fault-rate 0..1, --seed >= 0; at most one of --emulator-url, --in-process, --emulator-bin\n');
    return 2;
  }
  let report;
  try {
    report = await runSoak({
      generations,
      concurrency,
      faultRate,
      seed,
      outDir: values['out-dir'],
      emulatorUrl: values['emulator-url'],
      apiKey: values['api-key'],
      inProcess: values['in-process'],
      emulatorBin: values['emulator-bin'],
      rssGrowthLimitMib: Number(values['rss-growth-limit-mib']),
      progress: values.progress,
    });
  } catch (err) {
    process.stderr.write(`soak: ${err?.message ?? err}\n`);
    return 2;
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${summaryText(report)}\n`);
  return report.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  process.exitCode = await main();
}
