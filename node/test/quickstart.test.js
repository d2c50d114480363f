'use strict';
// The README's Node quickstart, executed as a user would run it: in a fresh directory that has
// the package installed (node_modules/visionxl -> this package), with ONEMIN_API_KEY and
// ONEMIN_BASE_URL pointing at the emulator. Reads the top README's Node block when it has one
// (the lead copies it there), else node/README.md's.
const { it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');

const { Emulator } = require('../testing');

const PKG = path.resolve(__dirname, '..');
const REPO = path.resolve(PKG, '..');

/** The Node quickstart block of a README: the block after `<!-- quickstart:node -->`, else the
 * first js block under a heading that mentions Node. */
function quickstart(readme) {
  const marked = /<!--\s*quickstart:node\s*-->\s*```(?:js|javascript|mjs)\n([\s\S]*?)```/.exec(readme);
  if (marked) return marked[1];
  const sections = readme.split(/^#+ /m).filter((s) => /^[^\n]*\bNode/i.test(s));
  for (const s of sections) {
    const block = /```(?:js|javascript|mjs)\n([\s\S]*?)```/.exec(s);
    if (block) return block[1];
  }
  return null;
}

function findQuickstart() {
  const top = path.join(REPO, 'README.md');
  if (fs.existsSync(top)) {
    const code = quickstart(fs.readFileSync(top, 'utf8'));
    if (code) return { code, from: top };
  }
  const own = path.join(PKG, 'README.md');
  return { code: quickstart(fs.readFileSync(own, 'utf8')), from: own };
}

let emu;
let dir;
before(async () => {
  emu = await Emulator.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visionxl-quickstart-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(PKG, path.join(dir, 'node_modules', 'visionxl'), 'dir');
});
after(async () => {
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('the README quickstart runs and saves the images it promises', async () => {
  const { code, from } = findQuickstart();
  assert.ok(code, `a Node quickstart block in ${from}`);
  assert.match(code, /from 'visionxl'|require\('visionxl'\)/);
  const file = path.join(dir, 'quickstart.mjs');
  fs.writeFileSync(file, code);
  const env = { ...process.env, ONEMIN_API_KEY: emu.apiKey, ONEMIN_BASE_URL: emu.baseUrl };
  delete env.ONEMIN_ASSET_BASE_URL;
  const { stdout, stderr, error } = await new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: dir, env }, (err, out, errOut) => resolve({ stdout: out, stderr: errOut, error: err }));
  });
  assert.equal(error, null, `the quickstart failed:\n${stderr}\n${stdout}`);
  assert.equal(stderr, '');
  const ledger = await emu.ledger();
  assert.equal(ledger.charges.length, 1, 'one generation, charged once');
  const id = ledger.charges[0].recordId;
  assert.ok(stdout.includes(id), `the quickstart prints the record id:\n${stdout}`);
  const saved = fs.readdirSync(path.join(dir, 'out')).filter((f) => !f.endsWith('.json'));
  assert.ok(saved.length >= 1, 'images saved into out/');
  for (const f of saved) assert.ok(stdout.includes(f), `${f} printed`);
});
