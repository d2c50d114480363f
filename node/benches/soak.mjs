#!/usr/bin/env node
// Soak: many generations through `client.generateMany` against an emulator whose requests fail
// at random (20% by default, every fault kind), then a second pass without faults resuming the
// same manifest; then checks that nothing went wrong. The Node twin of python/benches/soak.py.
//
// Checks (each true/false, with the problems found):
// - noCrash: generateMany never rejected; every failed item carries a VisionXLError with a stable
//   code (and nothing else was thrown).
// - noDoubleCharge: the emulator's ledger charged no record twice and no item twice (each charge
//   is mapped to its item through the record's prompt, GET /api/results/{id}).
// - imagesVerified: every item that succeeded has every image on disk (listed in its `files`),
//   with its sidecar naming the record, a WebP/PNG of the requested size (magic bytes and
//   header); it was charged exactly once, for that record.
// - downloadsIntact: every saved image is byte for byte what the emulator serves at /asset/<path>.
// - unsavedChargesReported: every charged item whose images are not saved after the second pass
//   was reported as "may have been charged" with no record id (not sent again, so never paid
//   twice). Reported items that were not charged (5xx, a connection dropped before processing)
//   are counted as falseAlarms.
// - secondPassClean: with faults off, every item succeeds or is such a report.
// - manifestOk: every manifest line parses; attempts numbered 1..k per pass, each with its
//   `sending` line; one outcome per sent item; every charge after a `sending` line of its item;
//   every saved item has its `generated` and `saved` lines.
// - memoryFlat: RSS (process.memoryUsage().rss, sampled) does not keep growing; the peak
//   (process.resourceUsage().maxRSS) and RSS over time are reported.
//
// By default the emulator runs in a separate process (the `visionxl-emulator` binary, built with
// cargo when missing) so the RSS is the client's own; --emulator-url uses a running one and
// --in-process runs it inside this process.
//
//   node node/benches/soak.mjs [--generations 1000] [--concurrency 32] [--fault-rate 0.2]
//       [--seed 1] [--quick] [--json] [--out-dir DIR] [--emulator-url URL | --in-process]
//
// Exit status 0 when every check passes, 1 otherwise, 2 for a usage or setup error.
// Importable: `runSoak({generations, concurrency, faultRate, seed, outDir, emulator, ...})`.
import { spawnSync } from 'node:child_process';
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
const SIZES = { '512x512': [512, 512], '1024x768': [1024, 768], '768x1024': [768, 1024], '1024x1024': [1024, 1024] };
const PROMPT_RE = /^soak (\S+) item (\d+)$/;
const MAX_PROBLEMS = 50;
const CHECKS = [
  'noCrash',
  'noDoubleCharge',
  'imagesVerified',
  'downloadsIntact',
  'unsavedChargesReported',
  'secondPassClean',
  'manifestOk',
  'memoryFlat',
];

// ------------------------------------------------------------------------------------------------
// The emulator: a child process, a running one (by URL), or in this process.

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

  async ledgerCharges() {
    if (this.emulator) return (await this.emulator.ledger()).charges;
    return (await this.json('GET', '/_emulator/ledger')).charges.map((c) => ({ recordId: c.record_id, credits: c.credits, at: c.at }));
  }

  async record(id) {
    return (await this.json('GET', `/api/results/${encodeURIComponent(id)}`, { auth: true })).aiRecord ?? null;
  }

  async asset(storagePath) {
    return this.http('GET', `/asset/${storagePath.split('/').map(encodeURIComponent).join('/')}`);
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

function rssOf(pid) {
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return Number.isFinite(pages) ? pages * 4096 : null;
  } catch {
    return null;
  }
}

const mib = (n) => Math.round((n / (1024 * 1024)) * 10) / 10;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function rssSummary(samples, points = 40) {
  if (samples.length === 0) return { samples: 0 };
  const values = samples.map(([, v]) => v);
  const q = Math.max(1, Math.floor(values.length / 4));
  const second = values.slice(q, 2 * q).length ? values.slice(q, 2 * q) : values.slice(0, q);
  const last = values.slice(-q);
  const step = Math.max(1, Math.floor(samples.length / points));
  return {
    samples: samples.length,
    startMib: mib(values[0]),
    maxMib: mib(Math.max(...values)),
    endMib: mib(values.at(-1)),
    growthMib: mib(median(last) - median(second)),
    overTimeMib: samples.filter((_, i) => i % step === 0).map(([t, v]) => [Math.round(t * 100) / 100, mib(v)]),
  };
}

function startSampler(intervalMs, otherPid) {
  const t0 = performance.now();
  const samples = [];
  const other = [];
  const sample = () => {
    const t = (performance.now() - t0) / 1000;
    samples.push([t, process.memoryUsage().rss]);
    if (otherPid) {
      const r = rssOf(otherPid);
      if (r !== null) other.push([t, r]);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    samples,
    other,
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Images.

/** [format, width, height] from the magic bytes and header of a WebP or PNG; null otherwise. */
export function imageSize(b) {
  if (b.length >= 24 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && b.toString('latin1', 12, 16) === 'IHDR') {
    return ['PNG', b.readUInt32BE(16), b.readUInt32BE(20)];
  }
  if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = b.toString('latin1', 12, 16);
    if (chunk === 'VP8L' && b[20] === 0x2f) {
      const bits = b.readUInt32LE(21);
      return ['WEBP', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
    }
    if (chunk === 'VP8X') return ['WEBP', b.readUIntLE(24, 3) + 1, b.readUIntLE(27, 3) + 1];
    if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
      return ['WEBP', b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff];
    }
  }
  return null;
}

/** Also checks the container's own length: a RIFF size field, a PNG ending in IEND. */
function decodeCheck(b, [w, h]) {
  const found = imageSize(b);
  if (!found) return 'not a WebP or PNG (magic bytes)';
  if (found[1] !== w || found[2] !== h) return `${found[0]} of ${found[1]}x${found[2]}, expected ${w}x${h}`;
  if (found[0] === 'WEBP' && b.readUInt32LE(4) + 8 !== b.length) return `RIFF says ${b.readUInt32LE(4) + 8} bytes, the file has ${b.length}`;
  if (found[0] === 'PNG' && b.toString('latin1', b.length - 8, b.length - 4) !== 'IEND') return 'the PNG does not end with IEND';
  return null;
}

function describeDifference(saved, served) {
  let common = 0;
  while (common < saved.length && common < served.length && saved[common] === served[common]) common++;
  return `${saved.length} bytes on disk, ${served.length} served; the first ${common} bytes agree, then the file holds ${JSON.stringify(saved.toString('latin1', common, common + 40))}`;
}

// ------------------------------------------------------------------------------------------------
// The soak.

/** Distinct prompts (every charge maps back to its item); every fifth asks for 2 images. */
export function makeRequests(generations, tag, size) {
  return Array.from({ length: generations }, (_, i) => ({ prompt: `soak ${tag} item ${i}`, size, n: i % 5 === 4 ? 2 : 1, seed: i }));
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

/** Runs `fn` over `items`, `limit` at a time. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
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

function readManifest(file, problems) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (text && !text.endsWith('\n')) problems.add('manifestOk', 'the manifest does not end with a newline (a torn last line)');
  const lines = [];
  text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined).forEach((raw, i) => {
    const n = i + 1;
    if (!raw.trim()) return problems.add('manifestOk', `line ${n} is blank`);
    let line;
    try {
      line = JSON.parse(raw);
    } catch (e) {
      return problems.add('manifestOk', `line ${n} is not JSON (${e.message}): ${raw.slice(0, 120)}`);
    }
    if (!line || line.v !== 1 || typeof line.key !== 'string' || !Number.isInteger(line.index) || !['sending', 'generated', 'failed', 'saved'].includes(line.event)) {
      return problems.add('manifestOk', `line ${n} lacks v/event/key/index: ${raw.slice(0, 160)}`);
    }
    line._line = n;
    lines.push(line);
  });
  return lines;
}

function checkManifest(lines, linesPass1, chargesByItem, chargePass, final, problems) {
  const byPassItem = new Map();
  const events = {};
  for (const line of lines) {
    const p = line._line <= linesPass1 ? 1 : 2;
    const k = `${p}:${line.index}`;
    if (!byPassItem.has(k)) byPassItem.set(k, []);
    byPassItem.get(k).push(line);
    events[line.event] = (events[line.event] ?? 0) + 1;
  }
  for (const [k, itemLines] of byPassItem) {
    const [p, index] = k.split(':');
    const sending = itemLines.filter((x) => x.event === 'sending');
    const outcomes = itemLines.filter((x) => x.event === 'generated' || x.event === 'failed');
    const attempts = sending.map((x) => x.attempt);
    if (attempts.some((a, i) => a !== i + 1)) problems.add('manifestOk', `pass ${p} item ${index}: attempts ${JSON.stringify(attempts)}, expected 1..${sending.length}`);
    if (sending.length && outcomes.length !== 1) problems.add('manifestOk', `pass ${p} item ${index}: ${sending.length} sending lines, ${outcomes.length} outcome lines`);
    if (sending.length && outcomes.length && outcomes[0]._line < sending.at(-1)._line) problems.add('manifestOk', `pass ${p} item ${index}: outcome before the last sending line`);
    if (new Set(itemLines.map((x) => x.key)).size !== 1) problems.add('manifestOk', `pass ${p} item ${index}: more than one key`);
  }
  for (const [index, charges] of chargesByItem) {
    for (const c of charges) {
      const p = chargePass.get(c.recordId);
      const sending = (byPassItem.get(`${p}:${index}`) ?? []).filter((x) => x.event === 'sending');
      if (sending.length === 0) {
        problems.add('manifestOk', `item ${index}: record ${c.recordId} charged in pass ${p} without a sending line (a lost manifest line)`);
        continue;
      }
      const first = Date.parse(sending[0].at);
      const charged = Date.parse(c.at);
      if (Number.isFinite(first) && Number.isFinite(charged) && charged + 5 < first) {
        problems.add('manifestOk', `item ${index}: charged at ${c.at}, before its first sending line (${sending[0].at})`);
      }
    }
  }
  const generatedIds = new Set(lines.filter((x) => x.event === 'generated').map((x) => x.record_id));
  const saved = new Map(lines.filter((x) => x.event === 'saved').map((x) => [x.record_id, x.files ?? []]));
  final.forEach((r, index) => {
    if (!r?.ok) return;
    const g = r.generation;
    if (!generatedIds.has(g.id)) problems.add('manifestOk', `item ${index}: record ${g.id} has no generated line (a lost manifest line)`);
    const files = saved.get(g.id);
    if (!files) problems.add('manifestOk', `item ${index}: record ${g.id} has no saved line`);
    else if (files.filter((f) => !f.endsWith('.json')).length !== g.images.length) problems.add('manifestOk', `item ${index}: saved line lists ${JSON.stringify(files)}, expected ${g.images.length} images`);
  });
  return { lines: lines.length, linesPass1, events: Object.fromEntries(Object.entries(events).sort()) };
}

async function verifyItem(backend, outDir, index, r, size) {
  const found = [];
  const g = r.generation;
  if (g.status !== 'SUCCESS') found.push(['imagesVerified', `item ${index}: status ${g.status}`]);
  if (g.images.length === 0) found.push(['imagesVerified', `item ${index}: no images`]);
  const listed = new Set(r.files.map((f) => path.resolve(f)));
  for (const image of g.images) {
    const target = path.join(outDir, image.fileName);
    if (!listed.has(path.resolve(target))) found.push(['imagesVerified', `item ${index}: ${image.fileName} not in the result's files ${JSON.stringify(r.files)}`]);
    let data;
    try {
      data = fs.readFileSync(target);
    } catch {
      found.push(['imagesVerified', `item ${index}: ${image.fileName} is not on disk`]);
      continue;
    }
    const served = await backend.asset(image.path);
    if (served.status !== 200) {
      found.push(['imagesVerified', `item ${index}: GET /asset/${image.path}: HTTP ${served.status}`]);
    } else if (!served.data.equals(data)) {
      found.push(['downloadsIntact', `item ${index}: ${image.fileName} is not what the emulator serves: ${describeDifference(data, served.data)}`]);
      continue;
    }
    const problem = decodeCheck(data, size);
    if (problem) found.push(['imagesVerified', `item ${index}: ${image.fileName}: ${problem}`]);
    try {
      const meta = fs.readFileSync(`${target}.json`, 'utf8');
      if (!meta.includes(g.id)) found.push(['imagesVerified', `item ${index}: sidecar ${image.fileName}.json does not name record ${g.id}`]);
    } catch (e) {
      found.push(['imagesVerified', `item ${index}: sidecar ${image.fileName}.json: ${e.message}`]);
    }
  }
  return found;
}

/**
 * Runs the soak; resolves to its report (`report.ok` is true when every check passed). The
 * emulator: `emulator` (a running `visionxl/testing` Emulator), else `emulatorUrl`, else one in
 * this process (`inProcess`), else the `visionxl-emulator` binary in a child process. `outDir`
 * receives the manifest and the images (a temporary directory, removed afterwards, when absent).
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
  size = '512x512',
  maxRetries = 2,
  rssIntervalMs = 100,
  rssGrowthLimitMib = 64,
  progress = false,
} = {}) {
  if (!SIZES[size]) throw new Error(`size must be one of ${Object.keys(SIZES).join(', ')}`);
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
    const report = await soak(backend, { generations, concurrency, faultRate, seed, manifest, images, size, maxRetries, rssIntervalMs, rssGrowthLimitMib, progress });
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
  const tag = `${o.seed}-${process.pid}-${Date.now()}`;
  const requests = makeRequests(o.generations, tag, o.size);
  const client = new Client({
    apiKey: backend.apiKey,
    baseUrl: backend.baseUrl,
    requestsPerMinute: 1_000_000, // pacing out of the way: the soak measures the client
    maxRetries: o.maxRetries,
    timeoutMs: 120_000,
  });
  const chargesBefore = (await backend.ledgerCharges()).length;
  const durations = {};
  const sampler = startSampler(o.rssIntervalMs, backend.pid);
  let pass1;
  let faults;
  let chargesMid;
  let linesPass1;
  let pass2;
  try {
    await backend.chaosOn(o.faultRate, o.seed);
    try {
      pass1 = await runPass(client, requests, o.concurrency, o.manifest, o.images, problems, 'pass 1', o.progress);
    } finally {
      faults = await backend.chaosOff();
    }
    chargesMid = (await backend.ledgerCharges()).length;
    linesPass1 = fs.existsSync(o.manifest) ? fs.readFileSync(o.manifest, 'utf8').split('\n').length - 1 : 0;
    pass2 = await runPass(client, requests, o.concurrency, o.manifest, o.images, problems, 'pass 2', o.progress);
  } finally {
    sampler.stop();
  }
  durations.pass1 = pass1.seconds;
  durations.pass2 = pass2.seconds;
  const peakBytes = process.resourceUsage().maxRSS * 1024;
  const tChecks = performance.now();
  const results1 = pass1.results;
  const results2 = pass2.results;
  const outcome1 = classify(results1, o.generations, problems, 'pass 1');
  const outcome2 = classify(results2, o.generations, problems, 'pass 2');

  // The ledger: every charge of this run, mapped to its item by the record's prompt.
  const charges = (await backend.ledgerCharges()).slice(chargesBefore);
  const chargePass = new Map(charges.map((c, n) => [c.recordId, n < chargesMid - chargesBefore ? 1 : 2]));
  const perRecord = new Map();
  for (const c of charges) perRecord.set(c.recordId, (perRecord.get(c.recordId) ?? 0) + 1);
  for (const [id, n] of perRecord) if (n > 1) problems.add('noDoubleCharge', `record ${id} charged ${n} times`);
  const chargesByItem = new Map();
  const mapped = await pool(charges, 16, async (c) => {
    const rec = await backend.record(c.recordId);
    const prompt = rec?.aiRecordDetail?.promptObject?.prompt;
    const m = PROMPT_RE.exec(prompt ?? '');
    return { c, index: m && m[1] === tag ? Number(m[2]) : null, prompt };
  });
  for (const { c, index, prompt } of mapped) {
    if (index === null) {
      problems.add('noDoubleCharge', `record ${c.recordId} (prompt ${JSON.stringify(prompt)}) maps to no item of this run`);
      continue;
    }
    if (!chargesByItem.has(index)) chargesByItem.set(index, []);
    chargesByItem.get(index).push(c);
  }
  for (const [index, cs] of chargesByItem) {
    if (cs.length > 1) problems.add('noDoubleCharge', `item ${index} charged ${cs.length} times: ${cs.map((c) => c.recordId).join(', ')}`);
  }

  // The final outcome of every item, and what the client reported.
  const reportedUnknown = new Set();
  results2.forEach((r, index) => {
    if (!r) return;
    if (r.ok) {
      const ids = (chargesByItem.get(index) ?? []).map((c) => c.recordId);
      if (ids.length !== 1 || ids[0] !== r.generation.id) problems.add('imagesVerified', `item ${index}: record ${r.generation.id} but charges ${JSON.stringify(ids)}`);
      return;
    }
    const err = r.error ?? r.saveError;
    if (err?.mayHaveBeenCharged && err.requestId === null && r.generation === null) {
      reportedUnknown.add(index);
    } else {
      problems.add('secondPassClean', `item ${index}: ${err?.code} (mayHaveBeenCharged=${err?.mayHaveBeenCharged}, requestId=${err?.requestId}) with faults off: ${err?.message}`);
    }
  });
  const chargedUnsaved = [...chargesByItem.keys()].filter((i) => !results2[i]?.ok);
  for (const index of chargedUnsaved.sort((a, b) => a - b)) {
    if (!reportedUnknown.has(index)) problems.add('unsavedChargesReported', `item ${index} was charged, is not saved, and was not reported as possibly charged`);
  }
  const falseAlarms = [...reportedUnknown].filter((i) => !chargesByItem.has(i)).length;
  const errorsCharged = {};
  results1.forEach((r, index) => {
    if (!r || r.ok) return;
    const code = (r.error ?? r.saveError)?.code ?? 'none';
    errorsCharged[code] ??= { charged: 0, notCharged: 0 };
    errorsCharged[code][chargesByItem.has(index) ? 'charged' : 'notCharged']++;
  });

  // Every succeeded item: its images on disk, decodable, the bytes the emulator serves.
  const okItems = results2.map((r, i) => [i, r]).filter(([, r]) => r?.ok);
  const found = await pool(okItems, 8, ([i, r]) => verifyItem(backend, o.images, i, r, SIZES[o.size]));
  for (const list of found) for (const [check, msg] of list) problems.add(check, msg);
  const entries = fs.existsSync(o.images) ? fs.readdirSync(o.images) : [];
  for (const name of entries.filter((n) => n.endsWith('.part'))) problems.add('imagesVerified', `temporary file left behind: ${name}`);

  const lines = readManifest(o.manifest, problems);
  const manifestInfo = checkManifest(lines, linesPass1, chargesByItem, chargePass, results2, problems);

  const rss = rssSummary(sampler.samples);
  rss.peakMib = mib(peakBytes);
  if (sampler.other.length) {
    const { overTimeMib, ...rest } = rssSummary(sampler.other);
    rss.emulator = rest;
  }
  if ((rss.growthMib ?? 0) > o.rssGrowthLimitMib) problems.add('memoryFlat', `RSS grew by ${rss.growthMib} MiB (limit ${o.rssGrowthLimitMib})`);

  durations.checks = (performance.now() - tChecks) / 1000;
  const checks = Object.fromEntries(CHECKS.map((c) => [c, problems.ok(c)]));
  return {
    language: 'node',
    node: process.version,
    generations: o.generations,
    concurrency: o.concurrency,
    faultRate: o.faultRate,
    seed: o.seed,
    size: o.size,
    faults,
    pass1: { ...outcome1, durationS: round2(durations.pass1), errorsCharged },
    pass2: { ...outcome2, durationS: round2(durations.pass2) },
    ledger: {
      charges: charges.length,
      chargesPass1: chargesMid - chargesBefore,
      credits: charges.reduce((s, c) => s + Number(c.credits ?? 0), 0),
      itemsCharged: chargesByItem.size,
      chargedUnsaved: chargedUnsaved.length,
      reportedMayHaveBeenCharged: reportedUnknown.size,
      falseAlarms,
    },
    images: { itemsOk: okItems.length, files: entries.filter((n) => !n.endsWith('.json') && !n.endsWith('.part')).length },
    manifest: manifestInfo,
    rss,
    durationS: Object.fromEntries(Object.entries(durations).map(([k, v]) => [k, round2(v)])),
    checks,
    ok: Object.values(checks).every(Boolean),
    problems: problems.byCheck,
    problemCounts: problems.counts,
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
    `  images: ${r.images.itemsOk} items, ${r.images.files} files verified (magic bytes, header size, container length)`,
    `  manifest: ${r.manifest.lines} lines ${JSON.stringify(r.manifest.events)}`,
    `  rss: peak ${r.rss.peakMib} MiB, start ${r.rss.startMib} MiB, end ${r.rss.endMib} MiB, growth ${r.rss.growthMib} MiB${r.rss.emulator ? `; emulator max ${r.rss.emulator.maxMib} MiB` : ''}`,
    `  rss over time (s:MiB): ${(r.rss.overTimeMib ?? [])
      .filter((_, i, a) => i % Math.max(1, Math.floor(a.length / 12)) === 0)
      .map(([t, v]) => `${t}:${v}`)
      .join(' ')}`,
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
    `RESULT node_soak generations=${r.generations} faults=${f.faults} kinds=${Object.keys(f.byKind ?? {}).length} ok=${r.ok ? 'yes' : 'no'} peak_rss_mib=${r.rss.peakMib} growth_mib=${r.rss.growthMib} seconds=${r.durationS.total}`,
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
      size: { type: 'string', default: '512x512' },
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
        '       [--size 512x512] [--out-dir DIR] [--emulator-url URL | --in-process | --emulator-bin PATH] [--json] [--progress]\n',
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
      size: values.size,
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
