'use strict';
// The pure API: prices, batch plans, validation, request building. Synchronous (microseconds).
const native = require('./native');
const { callSync } = require('./errors');

const deepFreeze = (v) => {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze(v[k]);
    Object.freeze(v);
  }
  return v;
};

const CONSTANTS = deepFreeze(native.constants());

/** The parameter table, one row per parameter, `name` being the camelCase name of this API. */
const PARAMS = deepFreeze(native.paramSpecs());

/** The price of one call of `n` images (1..4, default 1) of `size`, in credits. */
function estimateCredits(size, n) {
  return callSync(native.estimateCredits, size, n);
}

/** The cheapest split of `images` images into calls of 1..4: `{size, images, calls, totalCredits}`. */
function planBatches(size, images) {
  return callSync(native.planBatches, size, images);
}

/**
 * Every problem of a request, never throwing for a broken rule: `[{field, code, message,
 * severity}]`, errors (`severity: 'error'`) first, then warnings. Empty when all is well.
 */
function validate(params) {
  return callSync(native.validate, params);
}

/**
 * Like `validate`, for a `promptObject` given as JSON text in the service's wire names (as the
 * CLI's `visionxl validate FILE` reads it). Unlike a JS object, JSON text keeps `2.0` a float.
 */
function validateJson(text) {
  if (typeof text !== 'string') {
    return [
      {
        field: 'promptObject',
        code: 'wrong_type',
        message: `validateJson takes JSON text, got ${typeof text}`,
        severity: 'error',
      },
    ];
  }
  return callSync(native.validateJson, text);
}

/**
 * Builds and validates a request: `{wire, params, credits, warnings}` — `wire` is the
 * `promptObject` exactly as sent. Throws a `validation_error` listing every problem.
 */
function buildRequest(params) {
  return callSync(native.buildRequest, params);
}

/** Reads a wire `promptObject` (object or JSON text) back: the same shape as `buildRequest`. */
function parseWire(wire) {
  return callSync(native.parseWire, wire);
}

module.exports = {
  estimateCredits,
  planBatches,
  validate,
  validateJson,
  buildRequest,
  parseWire,
  PARAMS,
  ERROR_CODES: CONSTANTS.errorCodes,
  SIZES: CONSTANTS.sizes,
  PRESET_STYLES: CONSTANTS.presetStyles,
  PRESETS: CONSTANTS.presets,
  DEFAULT_BASE_URL: CONSTANTS.defaultBaseUrl,
  MODEL_ID: CONSTANTS.modelId,
  version: CONSTANTS.version,
};
