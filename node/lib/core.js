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

// The fast path. A params (or wire) object whose every value JSON expresses exactly crosses into
// Rust as its JSON.stringify text, and the answer comes back as JSON text: two strings instead
// of one napi call per field and per property of the answer (several times faster). Anything
// else (undefined, NaN, BigInt, integral numbers past Number.MAX_SAFE_INTEGER, which JSON would
// spell 1e+21, lone surrogates, functions, class instances, nested arrays, ...) takes the object
// path, which reads every JS value as it is. Both give the same answers.
const isPlainObject = (v) => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

const jsonScalar = (v) => {
  switch (typeof v) {
    case 'string':
      return v.isWellFormed();
    case 'boolean':
      return true;
    case 'number':
      // A safe integer (JSON writes it as digits: Rust reads an integer), or a finite fraction.
      return Number.isSafeInteger(v) || (Number.isFinite(v) && !Number.isInteger(v));
    default:
      return v === null;
  }
};

const jsonValue = (v, depth) => {
  if (jsonScalar(v)) return true;
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    // Arrays of scalars only (the object path bounds nesting its own way).
    for (let i = 0; i < v.length; i++) if (!jsonScalar(v[i])) return false;
    return true;
  }
  return depth > 0 && isPlainObject(v) && jsonObject(v, depth - 1);
};

/** Whether `JSON.stringify(obj)` says exactly what the object path would read. */
function jsonObject(obj, depth) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || !isPlainObject(obj)) return false;
  for (const k in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, k)) return false;
    if (!k.isWellFormed() || !jsonValue(obj[k], depth)) return false;
  }
  return true;
}

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
  if (jsonObject(params, 0)) return JSON.parse(callSync(native.validateText, JSON.stringify(params)));
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
  if (jsonObject(params, 0)) return JSON.parse(callSync(native.buildRequestText, JSON.stringify(params)));
  return callSync(native.buildRequest, params);
}

/** Reads a wire `promptObject` (object or JSON text) back: the same shape as `buildRequest`. */
function parseWire(wire) {
  if (typeof wire === 'string') return JSON.parse(callSync(native.parseWireText, wire));
  // A whole request body holds the promptObject one level down.
  if (jsonObject(wire, 1)) return JSON.parse(callSync(native.parseWireText, JSON.stringify(wire)));
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
