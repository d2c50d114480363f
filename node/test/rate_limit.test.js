// The emulator's rate limit from Node: past `rateLimit` requests per `rateWindowMs` a key gets
// 429 with Retry-After (`rate_limited`), counted in `ledger().rateLimited`.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { Client } = require('..');
const { Emulator } = require('../testing');

test('the emulator limits requests per key', async () => {
  const emu = await Emulator.start({ rateLimit: 2, rateWindowMs: 30000 });
  try {
    const client = new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, requestsPerMinute: 0, maxRetries: 0 });
    await client.generate({ prompt: 'one', size: '512x512' });
    await client.generate({ prompt: 'two', size: '512x512' });
    await assert.rejects(client.generate({ prompt: 'three', size: '512x512' }), (e) => {
      assert.strictEqual(e.code, 'rate_limited');
      return true;
    });
    const ledger = await emu.ledger();
    assert.strictEqual(ledger.rateLimited, 1);
    assert.strictEqual(ledger.charges.length, 2);
  } finally {
    await emu.stop();
  }
});

test('a bad rate window is refused naming it', async () => {
  await assert.rejects(Emulator.start({ rateLimit: 2, rateWindowMs: 0 }), /rateWindowMs/);
});
