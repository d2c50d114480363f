'use strict';
// Loads the native addon. Private to this package. In order:
//   1. <package>/visionxl.node: the addon built from a checkout (`npm run build`, cargo);
//   2. the platform package `visionxl-<platform>-<arch>[-<libc>]` (napi-rs convention): an
//      optionalDependency of the published package holding the prebuilt release addon, of which
//      npm installs only the one matching the machine (its package.json lists os/cpu/libc).
// When neither loads, the error names this machine's platform and what exists.
const fs = require('node:fs');
const path = require('node:path');

// Platforms with a prebuilt package (scripts/dist.sh builds them; node/npm/<platform>/).
const PREBUILT = ['linux-x64-gnu'];

function libc() {
  if (process.platform !== 'linux') return '';
  try {
    const header = process.report.getReport().header;
    return header.glibcVersionRuntime ? 'gnu' : 'musl';
  } catch {
    return 'gnu';
  }
}

function platformTriple() {
  const c = libc();
  return `${process.platform}-${process.arch}${c ? `-${c}` : ''}`;
}

function load() {
  const local = path.join(__dirname, '..', 'visionxl.node');
  if (fs.existsSync(local)) {
    try {
      return require(local);
    } catch (err) {
      const e = new Error(
        `visionxl: cannot load the native addon ${local} (${err.message}). It was built from a ` +
          'checkout; run `npm run build` in the package directory (needs cargo) to build it again.',
      );
      e.cause = err;
      throw e;
    }
  }
  const platform = platformTriple();
  const pkg = `visionxl-${platform}`;
  let err;
  try {
    return require(pkg);
  } catch (e) {
    err = e;
  }
  const missing = err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(pkg);
  let why;
  if (!PREBUILT.includes(platform)) {
    why =
      `there is no prebuilt native addon for this platform (${platform}, Node ${process.version}); ` +
      `prebuilt addons exist for: ${PREBUILT.join(', ')}.`;
  } else if (missing) {
    why =
      `the platform package ${pkg} is not installed. npm installs it as an optional dependency of ` +
      'visionxl; it is skipped with --no-optional/--omit=optional or when the lock file was made ' +
      `on another platform. Install it: npm install ${pkg}.`;
  } else {
    why = `the platform package ${pkg} is installed but its addon does not load (${err.message}).`;
  }
  const e = new Error(
    `visionxl: cannot load the native addon for ${platform}: ${why} To build it from source ` +
      'instead, in a checkout of the repository: npm run build --prefix node (needs cargo).',
  );
  e.cause = err;
  throw e;
}

module.exports = load();
