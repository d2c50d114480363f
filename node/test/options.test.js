'use strict';
// tests/vectors/options.json through the Node API: the client's options (under their Node
// names, durations in milliseconds) and the batch concurrency rule, the cases Rust, Python and
// C run too.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');

const { Client } = require('..');
const { loadVectors } = require('../test-support/helpers');

const VECTORS = loadVectors('options.json').json;
const BASE = { apiKey: 'a-key-of-some-length', baseUrl: 'http://127.0.0.1:1' };

/** A vector's value as the Node option takes it: durations (`...Ms`) in milliseconds. */
const nodeValue = (c) => (c.node.endsWith('Ms') && typeof c.value === 'number' ? c.value * 1000 : c.value);

describe('options vectors', () => {
  for (const c of VECTORS.cases.filter((x) => !(x.skip ?? []).includes('node'))) {
    it(`${c.id}: ${c.note}`, () => {
      const make = () => new Client({ ...BASE, [c.node]: nodeValue(c) });
      if (c.ok) {
        assert.ok(make());
        return;
      }
      assert.throws(make, (e) => {
        assert.equal(e.code, 'validation_error');
        assert.deepEqual(e.violations.map((v) => [v.field, v.code]), [[c.node, c.code]]);
        assert.match(e.message, new RegExp(c.node));
        for (const s of c.message_contains ?? []) assert.ok(e.message.includes(s), e.message);
        return true;
      });
    });
  }
});

describe('concurrency vectors', () => {
  for (const c of VECTORS.concurrency) {
    it(`${c.id}: ${c.note}`, async () => {
      const run = new Client(BASE).generateMany([], { concurrency: c.value });
      if (c.ok) {
        assert.deepEqual(await run, []);
        return;
      }
      await assert.rejects(run, (e) => {
        assert.equal(e.code, 'validation_error');
        assert.deepEqual(e.violations.map((v) => [v.field, v.code]), [['concurrency', c.code]]);
        return true;
      });
    });
  }
});
