// Shared pieces of the Node benchmarks (benches/node_*.mjs): the visionxl package with its
// addon built in RELEASE, the release emulator in a separate process, small statistics. Not a
// benchmark itself.
//
// The package in node/ carries the debug addon the test suite builds; benchmarks load a copy of
// the package at $CARGO_TARGET_DIR/node-bench/visionxl whose visionxl.node is
// `cargo build --release -p visionxl-node` (rebuilt incrementally, copied only when it changed),
// so the two never replace each other. VISIONXL_BENCH_ADDON=debug loads node/ as it is.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { EMULATOR_KEY, startEmulatorBinary } from '../node/benches/emulator-process.mjs';

export { EMULATOR_KEY };

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..');

export function targetDir() {
  return process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
}

function cargo(args) {
  const r = spawnSync('cargo', args, { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CARGO_TARGET_DIR: targetDir() } });
  if (r.status !== 0) throw new Error(`cargo ${args.join(' ')} failed`);
}

function libraryName() {
  if (process.platform === 'win32') return 'visionxl_node.dll';
  if (process.platform === 'darwin') return 'libvisionxl_node.dylib';
  return 'libvisionxl_node.so';
}

/** The visionxl package (CommonJS exports) with a release addon; `{visionxl, profile}`. */
export function loadVisionxl() {
  const pkg = path.join(REPO, 'node');
  if (process.env.VISIONXL_BENCH_ADDON === 'debug') {
    return { visionxl: createRequire(import.meta.url)(pkg), profile: 'debug (node/visionxl.node)' };
  }
  cargo(['build', '--release', '--quiet', '-p', 'visionxl-node']);
  const built = path.join(targetDir(), 'release', libraryName());
  const dir = path.join(targetDir(), 'node-bench', 'visionxl');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['package.json', 'index.js', 'index.mjs', 'testing.js', 'testing.mjs']) fs.copyFileSync(path.join(pkg, f), path.join(dir, f));
  fs.cpSync(path.join(pkg, 'lib'), path.join(dir, 'lib'), { recursive: true });
  const addon = path.join(dir, 'visionxl.node');
  const a = fs.statSync(built);
  const b = fs.existsSync(addon) ? fs.statSync(addon) : null;
  if (!b || b.size !== a.size || b.mtimeMs < a.mtimeMs) {
    const tmp = `${addon}.${process.pid}.tmp`;
    fs.copyFileSync(built, tmp);
    fs.renameSync(tmp, addon);
  }
  return { visionxl: createRequire(import.meta.url)(dir), profile: 'release' };
}

/** The release `visionxl-emulator` binary ($VISIONXL_EMULATOR_BIN overrides), built when missing. */
export function releaseEmulator() {
  if (process.env.VISIONXL_EMULATOR_BIN) return process.env.VISIONXL_EMULATOR_BIN;
  const binary = path.join(targetDir(), 'release', 'visionxl-emulator');
  if (!fs.existsSync(binary)) {
    process.stderr.write('building the release emulator (cargo build --release -p visionxl-emulator)\n');
    cargo(['build', '--release', '--quiet', '-p', 'visionxl-emulator']);
  }
  return binary;
}

/** The release emulator in its own process, the default key holding enough credits for any run
 * (the soak's child-process starter). */
export async function startEmulator() {
  const emu = await startEmulatorBinary(releaseEmulator(), 1e15);
  return { baseUrl: emu.baseUrl, apiKey: EMULATOR_KEY, binary: emu.binary, stop: emu.close };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
