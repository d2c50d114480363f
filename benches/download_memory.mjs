// Peak memory of saving one image through the Node package: the growth of the peak resident set
// while saving does not scale with the image's size (downloads stream to disk).
//
//   node benches/download_memory.mjs --url http://127.0.0.1:PORT --key vxl-emulator-key
//
// Generates one 512x512 image with transparency foreground_only (a PNG, which the emulator pads
// to any size with --picture-padding-bytes N), saves it with generation.save(dir) into a
// temporary directory, and prints one `RESULT download_memory lang=node ...` line: the file's
// size, the peak RSS (/proc/self/status VmHWM, reset just before the save through
// /proc/self/clear_refs, and process.resourceUsage().maxRSS) and VmRSS. --url/--key default to
// ONEMIN_BASE_URL/ONEMIN_API_KEY. --max-image-bytes N sets the client's cap
// (new Client({maxImageBytes: N}); default the client's own, 64 MiB): an image above it fails, and
// the line then says error=<code>. benches/download-memory.sh passes 1 GiB, like the Rust example.
// Loads the package from ../node.
// Run by benches/download-memory.sh. Linux only.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { Client } = createRequire(import.meta.url)(path.join(here, '..', 'node'));

function procStatusKib() {
  const text = fs.readFileSync('/proc/self/status', 'utf8');
  const field = (name) => Number((text.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm')) || [])[1] || 0);
  return [field('VmHWM'), field('VmRSS')];
}

function resetPeak() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const url = opt('--url', process.env.ONEMIN_BASE_URL);
const key = opt('--key', process.env.ONEMIN_API_KEY);
const maxImageBytes = opt('--max-image-bytes', undefined);

const client = new Client({
  apiKey: key,
  baseUrl: url,
  ...(maxImageBytes === undefined ? {} : { maxImageBytes: Number(maxImageBytes) }),
});
const gen = await client.generate({
  prompt: 'a lighthouse, memory benchmark',
  size: '512x512',
  transparency: 'foreground_only',
  seed: 1,
});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vxl-download-memory-'));
try {
  const reset = resetPeak();
  const [hwm0, rss0] = procStatusKib();
  const max0 = process.resourceUsage().maxRSS;
  const t0 = process.hrtime.bigint();
  let size = 0;
  let error = null;
  try {
    const saved = await gen.save(dir);
    size = fs.statSync(saved.find((p) => !p.endsWith('.json'))).size;
  } catch (e) {
    error = e.code || e.name;
    process.stderr.write(`  (node) save failed: ${e.message}\n`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const [hwm1, rss1] = procStatusKib();
  const max1 = process.resourceUsage().maxRSS;
  console.log(
    `RESULT download_memory lang=node image_bytes=${size} peak_before_kib=${hwm0} ` +
      `peak_after_kib=${hwm1} peak_growth_kib=${Math.max(0, hwm1 - hwm0)} rss_before_kib=${rss0} ` +
      `rss_after_kib=${rss1} maxrss_before_kib=${max0} maxrss_after_kib=${max1} ` +
      `save_seconds=${seconds.toFixed(2)} peak_reset=${reset}` +
      (error ? ` error=${error}` : ''),
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
