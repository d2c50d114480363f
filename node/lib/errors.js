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

/** A VisionXLError from the addon's error data. */
// The addon already spells SDK names as Node does (the core renders its messages' names in
// camelCase for Node): nothing is rewritten here.
function fromData(data) {
  if (!data) return null;
  return new VisionXLError(data.message, data);
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

module.exports = { VisionXLError, fromNative, fromData, callSync, callAsync, validationError, MARKER };
