'use strict';
// VisionXLError: the one error type of the package, and the decoding of the addon's errors.

const MARKER = '\u0001visionxl-error:';

/**
 * Every failure of the SDK. `code` is one of the stable codes shared by every language
 * (`validation_error`, `rate_limited`, ...); `status` the HTTP status when the service answered;
 * `requestId` the record id when there is one; `violations` every broken rule of a
 * `validation_error`; `retryAfter` the seconds a 429 asked to wait.
 */
class VisionXLError extends Error {
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'VisionXLError';
    this.code = fields.code ?? 'io_error';
    this.status = fields.status ?? null;
    this.requestId = fields.requestId ?? null;
    // The shape of Python's Violation: {field, code, message, severity}; a violation carried by
    // an error blocks the request, so its severity is 'error' unless said otherwise.
    this.violations = Object.freeze(
      (fields.violations ?? []).map((v) => Object.freeze({ ...v, severity: v?.severity ?? 'error' })),
    );
    this.retryAfter = fields.retryAfter ?? null;
    this.serviceCode = fields.serviceCode ?? null;
    this.details = fields.details ?? null;
    this.mayHaveBeenCharged = fields.mayHaveBeenCharged ?? false;
  }
}

Object.defineProperty(VisionXLError.prototype, Symbol.toStringTag, { value: 'VisionXLError' });

// The core's advice names options as "the snake_case option" and reads records with
// get_generation(...), one vocabulary for every language; Node spells them in camelCase.
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const NODE_NAMES = [
  [/\b(client\.)?get_generation\(/g, (_, c) => `${c || ''}getGeneration(`],
  [/\bthe ([a-z]+(?:_[a-z]+)*) option\b/g, (_, name) => `the ${camel(name)} option`],
];

/** A message of the Rust core with its advice in Node names. */
function nodeNames(message) {
  let m = String(message);
  for (const [re, to] of NODE_NAMES) m = m.replace(re, to);
  return m;
}

/** A VisionXLError from the addon's error data. */
function fromData(data) {
  if (!data) return null;
  const violations = (data.violations ?? []).map((v) => ({ ...v, message: nodeNames(v.message) }));
  return new VisionXLError(nodeNames(data.message), { ...data, violations });
}

/** The VisionXLError an addon error stands for, or the error itself when it is not one. */
function fromNative(err) {
  if (err instanceof Error && typeof err.message === 'string' && err.message.startsWith(MARKER)) {
    let data;
    try {
      data = JSON.parse(err.message.slice(MARKER.length));
    } catch {
      return err;
    }
    return fromData(data);
  }
  return err;
}

/** Calls a synchronous addon function, rethrowing its errors as VisionXLError. */
function callSync(fn, ...args) {
  try {
    return fn(...args);
  } catch (err) {
    const e = fromNative(err);
    if (e !== err) Error.captureStackTrace(e, callSync);
    throw e;
  }
}

/**
 * Starts an addon call and awaits its promise (a synchronous throw counts too), rethrowing its errors as VisionXLError with the caller's stack (an
 * error settled from the Rust runtime has no useful JavaScript stack of its own).
 */
async function callAsync(start, site) {
  try {
    return await start();
  } catch (err) {
    const e = fromNative(err);
    if (e !== err && site && typeof site.stack === 'string') {
      const frames = site.stack.split('\n').slice(1).join('\n');
      e.stack = `${e.name}: ${e.message}\n${frames}`;
    }
    throw e;
  }
}

/** A validation_error with one violation, for arguments checked in JavaScript. */
function validationError(field, code, message) {
  return new VisionXLError(`invalid request: 1 problem\n  - ${field}: ${message}`, {
    code: 'validation_error',
    violations: [{ field, code, message, severity: 'error' }],
  });
}

module.exports = { VisionXLError, fromNative, fromData, nodeNames, callSync, callAsync, validationError, MARKER };
