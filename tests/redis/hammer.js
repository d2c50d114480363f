// Node front door of the shared-limits test (scripts/test-redis.sh): N generations on one key
// with `{sharedLimits}`, no retries, while other processes hammer the same key. Prints one JSON
// line: {"ok": n, "errors": {code: count}}. Then checks that an unreachable Redis fails closed
// with `connection_error` naming Redis.
//
// Usage: node hammer.js BASE_URL API_KEY REDIS_URL N REQUESTS_PER_MINUTE
'use strict';

const assert = require('node:assert');
const { Client } = require('../../node');

async function main() {
  const [baseUrl, apiKey, sharedLimits, n, rpm] = process.argv.slice(2);
  const client = new Client({ apiKey, baseUrl, sharedLimits, requestsPerMinute: Number(rpm), maxRetries: 0 });
  let ok = 0;
  const errors = {};
  for (let i = 0; i < Number(n); i++) {
    try {
      await client.generate({ prompt: 'node hammer', size: '512x512' });
      ok += 1;
    } catch (e) {
      errors[e.code] = (errors[e.code] || 0) + 1;
    }
  }
  console.log(JSON.stringify({ door: 'node', ok, errors }));

  const closed = new Client({ apiKey, baseUrl, sharedLimits: 'redis://127.0.0.1:1/0', budget: 1000 });
  await assert.rejects(closed.generate({ prompt: 'never sent', size: '512x512' }), (e) => {
    assert.strictEqual(e.code, 'connection_error');
    assert.match(e.message, /Redis at redis:\/\/127\.0\.0\.1:1/);
    return true;
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
