'use strict';
// visionxl: Leonardo Vision XL on the 1min.ai API, on a Rust core. CommonJS entry
// (`require('visionxl')`); index.mjs re-exports the same objects for `import`.
const core = require('./lib/core');
const { VisionXLError } = require('./lib/errors');
const { Client } = require('./lib/client');
const { planSweep } = require('./lib/sweep');

module.exports = {
  Client,
  VisionXLError,
  planSweep,
  ...core,
};
