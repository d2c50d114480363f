#!/usr/bin/env node
// Builds the native addon from the Rust sources of this repository (bindings/visionxl-node) with
// cargo, and puts it at <package>/visionxl.node, which lib/native.js loads before any prebuilt
// platform package. An explicit step for a checkout (`npm run build --prefix node`, or
// scripts/test-node.sh): the published package has no install script and never runs cargo on a
// user's machine (it ships the prebuilt addon in visionxl-linux-x64-gnu, see scripts/dist.sh).
// Nothing is downloaded but crates from crates.io. Idempotent: cargo rebuilds only what changed, and the file
// is replaced only when its content changed (atomically, by rename, so a running process that has
// the old one loaded keeps it intact).
//
// Environment:
//   VISIONXL_NODE_PROFILE    cargo profile: `dev` (default: a debug build, fast to compile),
//                            `release` for speed at run time, or any profile of the workspace.
//   CARGO_TARGET_DIR         where cargo builds (default: <repo>/target, shared with the workspace).
//   VISIONXL_NODE_SKIP_BUILD=1  do nothing (e.g. when visionxl.node was put there by other means).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');

const pkgDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(pkgDir, '..');
const crateManifest = path.join(repoRoot, 'bindings', 'visionxl-node', 'Cargo.toml');
const dest = path.join(pkgDir, 'visionxl.node');

function log(msg) {
  process.stderr.write(`visionxl: ${msg}\n`);
}

function fail(msg) {
  log(msg);
  process.exit(1);
}

function libraryName() {
  switch (process.platform) {
    case 'win32':
      return 'visionxl_node.dll';
    case 'darwin':
      return 'libvisionxl_node.dylib';
    default:
      return 'libvisionxl_node.so';
  }
}

function digest(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function main() {
  if (process.env.VISIONXL_NODE_SKIP_BUILD === '1') {
    log('VISIONXL_NODE_SKIP_BUILD=1: not building the addon');
    return;
  }
  if (!fs.existsSync(crateManifest)) {
    if (fs.existsSync(dest)) {
      log(`no Rust sources at ${crateManifest}; using the addon already at ${dest}`);
      return;
    }
    fail(
      `cannot build the native addon: ${crateManifest} is missing. Install the package from a ` +
        'checkout of the visionxl repository (npm install ./node), which holds the Rust sources.',
    );
  }
  const profile = process.env.VISIONXL_NODE_PROFILE || 'dev';
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(repoRoot, 'target');
  const cargo = process.env.CARGO || 'cargo';
  const args = ['build', '--manifest-path', crateManifest, '-p', 'visionxl-node', '--profile', profile];
  log(`building the native addon: ${cargo} ${args.join(' ')} (CARGO_TARGET_DIR=${targetDir})`);
  const res = spawnSync(cargo, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
  });
  if (res.error) {
    fail(
      `could not run ${cargo} (${res.error.message}). The visionxl package compiles its native ` +
        'addon from Rust: install a Rust toolchain (https://rustup.rs) and run `npm run build` again.',
    );
  }
  if (res.status !== 0) {
    fail(`cargo failed (exit ${res.status}); see its output above`);
  }
  const outDir = profile === 'dev' || profile === 'test' ? 'debug' : profile === 'bench' ? 'release' : profile;
  const built = path.join(targetDir, outDir, libraryName());
  if (!fs.existsSync(built)) {
    fail(`cargo succeeded but ${built} does not exist`);
  }
  if (fs.existsSync(dest) && digest(dest) === digest(built)) {
    log(`addon up to date: ${dest}`);
    return;
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.copyFileSync(built, tmp);
  fs.renameSync(tmp, dest);
  log(`addon installed: ${dest}`);
}

main();
