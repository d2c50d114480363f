#!/usr/bin/env bash
# The Node package's tests: installs node/'s dev dependencies from npm (typescript, @types/node),
# builds the native addon (a debug build in the workspace's shared target dir), checks that
# `npm install ./node` works in a fresh project (require and import), runs `node --test
# node/test/`, and type-checks the TypeScript examples with `tsc --strict`.
# Works on a fresh machine with cargo and Node 20 (CI=true, no stdin); fast when rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# Tests never use a real key or the real service.
unset ONEMIN_API_KEY ONEMIN_BASE_URL ONEMIN_ASSET_BASE_URL

step() { printf '\n--> node: %s\n' "$*"; }

command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "node >= 20 is required, found $(node --version)" >&2; exit 1; }

step "dev dependencies (npm ci, when package-lock.json changed)"
if ! cmp -s node/package-lock.json node/node_modules/.visionxl-lock-stamp 2>/dev/null; then
  # --ignore-scripts: the addon is built by the next step (once), not by npm's install hook.
  (cd node && npm ci --ignore-scripts --no-audit --no-fund)
  cp node/package-lock.json node/node_modules/.visionxl-lock-stamp
fi

step "native addon (cargo, debug)"
node node/scripts/build-addon.js

step "npm install ./node in a fresh project: require and import"
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
(
  cd "$fresh"
  printf '{"name":"fresh","version":"1.0.0","private":true}\n' > package.json
  npm install "$root/node" --no-audit --no-fund --loglevel=error
  node -e "const v = require('visionxl'); if (v.estimateCredits('512x512', 2) !== 234) process.exit(1)"
  node --input-type=module -e "
    import { Client, VisionXLError } from 'visionxl';
    import { Emulator } from 'visionxl/testing';
    const cjs = (await import('node:module')).createRequire(import.meta.url)('visionxl');
    if (cjs.VisionXLError !== VisionXLError) throw new Error('require and import disagree');
    const emu = await Emulator.start();
    try {
      const g = await new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl }).generate({ prompt: 'install check', size: '512x512' });
      if (g.status !== 'SUCCESS' || g.images.length !== 1) throw new Error('unexpected ' + JSON.stringify(g));
    } finally { await emu.stop(); }
  "
)
echo "fresh install ok"

step "node --test node/test/"
node --test node/test/

step "tsc --noEmit --strict (node/examples)"
node/node_modules/.bin/tsc -p node/tsconfig.json
echo "tsc ok"
