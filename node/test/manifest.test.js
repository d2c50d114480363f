'use strict';
// A batch item whose paid generation the manifest could not record is not `ok`: `saveError`
// carries the manifest's error (as Rust's BatchItem::is_ok and Python's item error count it).
//
// The failing write is made deterministic with a file size limit (RLIMIT_FSIZE, `ulimit -f`) in
// a child process: the manifest already extends past the limit, so it reads fine but every
// append fails (EFBIG; Node ignores SIGXFSZ). The manifest holds a `failed` line naming a
// record the emulator has, so the rerun reads that record (nothing is paid again) and then
// cannot append its `generated` line.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PKG = path.join(__dirname, '..');

const CHILD = `
const fs = require('node:fs');
const { Client } = require(${JSON.stringify(PKG)});
const { Emulator } = require(${JSON.stringify(path.join(PKG, 'testing'))});
const [manifest, scratch] = process.argv.slice(1);
(async () => {
  const emu = await Emulator.start();
  try {
    const client = new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, requestsPerMinute: 1000000 });
    const req = { prompt: 'a manifest that cannot grow', size: '512x512' };
    // A first run (small manifest, under the limit) pays for the record and names its key.
    const [first] = await client.generateMany([req], { manifest: scratch });
    if (!first.ok) throw first.error || first.saveError;
    const generated = fs.readFileSync(scratch, 'utf8').split('\\n').filter((l) => l.trim())
      .map((l) => JSON.parse(l)).find((l) => l.event === 'generated');
    // A run that lost the answer of that record: resumable without paying again.
    const line = JSON.stringify({ v: 1, event: 'failed', key: generated.key, index: 0, code: 'connection_error',
      message: 'the connection was lost', record_id: generated.record_id, may_have_been_charged: true }) + '\\n';
    const fd = fs.openSync(manifest, 'r+');
    fs.writeSync(fd, line, 0); // inside the limit: overwrites the padding's start
    fs.closeSync(fd);
    const [item] = await client.generateMany([req], { manifest });
    const ledger = await emu.ledger();
    const e = item.saveError;
    process.stdout.write(JSON.stringify({
      recordId: generated.record_id,
      ok: item.ok,
      generationId: item.generation && item.generation.id,
      resumed: item.resumed,
      error: item.error && item.error.message,
      saveError: e && { code: e.code, message: e.message, requestId: e.requestId, isError: e instanceof Error },
      charges: ledger.charges.length,
      chargesOfRecord: ledger.chargesFor(generated.record_id),
    }));
  } finally {
    await emu.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('generateMany: a manifest that cannot record a paid generation', () => {
  it('is ok: false with the manifest error as saveError', { skip: process.platform === 'win32' && 'needs ulimit -f' }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visionxl-manifest-'));
    try {
      const manifest = path.join(dir, 'manifest.jsonl');
      // 256 KiB of blank line (skipped when read): past the 64-block limit (32 or 64 KiB).
      fs.writeFileSync(manifest, `${' '.repeat(256 * 1024)}\n`);
      const r = spawnSync('/bin/sh', ['-c', 'ulimit -f 64 && exec "$0" "$@"', process.execPath, '-e', CHILD, manifest, path.join(dir, 'scratch.jsonl')], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 0, `child failed: ${r.stderr}`);
      const out = JSON.parse(r.stdout);
      // The generation is in hand (read again, not paid again) ...
      assert.equal(out.error, null);
      assert.equal(out.generationId, out.recordId);
      assert.equal(out.resumed, true);
      assert.equal(out.charges, 1, 'paid once, by the first run');
      assert.equal(out.chargesOfRecord, 1);
      // ... but it is not recorded: not ok, and saveError says so, naming the record.
      assert.equal(out.ok, false);
      assert.ok(out.saveError, 'saveError is set');
      assert.equal(out.saveError.isError, true);
      assert.equal(out.saveError.code, 'io_error');
      assert.equal(out.saveError.requestId, out.recordId);
      assert.match(out.saveError.message, /manifest/);
      assert.ok(out.saveError.message.includes(out.recordId), out.saveError.message);
      assert.match(out.saveError.message, /getGeneration\(/, 'advice in Node names');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
