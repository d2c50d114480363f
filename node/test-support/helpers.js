'use strict';
// Shared helpers of the node:test suite.
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const VECTORS = path.join(REPO, 'tests', 'vectors');

/** A JSON number exactly as written (`2.0` stays `2.0`), which JSON.parse cannot keep. */
class RawNumber {
  constructor(raw) {
    this.raw = raw;
  }
  valueOf() {
    return Number(this.raw);
  }
}

/**
 * Parses JSON text like JSON.parse, except that numbers become RawNumber (so that re-serialising
 * with `stringifyRaw` reproduces `2.0`, `1e2`, ... exactly as the vectors spell them).
 */
function parseRaw(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (what) => {
    throw new SyntaxError(`parseRaw: ${what} at offset ${i}`);
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        ws();
        if (text[i++] !== ':') fail('expected :');
        obj[key] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i++] !== '}') fail('expected , or }');
        return obj;
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i++] !== ']') fail('expected , or ]');
        return arr;
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (!m) fail('unexpected character');
    i += m[0].length;
    return new RawNumber(m[0]);
  };
  const string = () => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing text');
  return v;
}

/** JSON text of a value from parseRaw, numbers exactly as they were written. */
function stringifyRaw(v) {
  if (v instanceof RawNumber) return v.raw;
  if (Array.isArray(v)) return `[${v.map(stringifyRaw).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${stringifyRaw(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** True when JSON.parse would lose how a number of `v` was written (`2.0` read as `2`). */
function losesFloatness(v) {
  if (v instanceof RawNumber) return /[.eE]/.test(v.raw) && Number.isInteger(Number(v.raw));
  if (Array.isArray(v)) return v.some(losesFloatness);
  if (v && typeof v === 'object') return Object.values(v).some(losesFloatness);
  return false;
}

/** A vectors file twice: as JSON.parse reads it, and with raw numbers. */
function loadVectors(name) {
  const text = fs.readFileSync(path.join(VECTORS, name), 'utf8');
  return { json: JSON.parse(text), raw: parseRaw(text) };
}

/** `(field, code)` pairs as a sorted list of strings, for set comparison. */
function pairs(list) {
  return list.map((v) => `${v.field}/${v.code}`).sort();
}

const NONFINITE = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

module.exports = {
  REPO,
  VECTORS,
  RawNumber,
  parseRaw,
  stringifyRaw,
  losesFloatness,
  loadVectors,
  pairs,
  NONFINITE,
};
