'use strict';
// Loads the native addon built by scripts/build-addon.js. Private to this package.
const path = require('node:path');

const file = path.join(__dirname, '..', 'visionxl.node');
let native;
try {
  native = require(file);
} catch (err) {
  const e = new Error(
    `visionxl: cannot load the native addon ${file} (${err.message}). It is built from the ` +
      'Rust sources when the package is installed; run `npm run build` in the package directory ' +
      '(needs cargo) to build it again.',
  );
  e.cause = err;
  throw e;
}
module.exports = native;
