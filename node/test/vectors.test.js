'use strict';
// Every case of tests/vectors/*.json (shared by the Rust core, Python, Node and C), one test each.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');

const vxl = require('..');
const { interpretResponse } = require('../testing');
const { loadVectors, stringifyRaw, losesFloatness, pairs, NONFINITE } = require('../test-support/helpers');

const wireToCamel = new Map(vxl.PARAMS.map((p) => [p.wire, p.name]));
const sdkToCamel = new Map(vxl.PARAMS.map((p) => [p.sdk, p.name]));
const camelNames = new Set(vxl.PARAMS.map((p) => p.name));

function split(report) {
  return {
    errors: report.filter((v) => v.severity === 'error'),
    warnings: report.filter((v) => v.severity === 'warning'),
  };
}

function checkReport(report, c, { messages = true } = {}) {
  const { errors, warnings } = split(report);
  assert.equal(errors.length + warnings.length, report.length, 'every violation has a severity');
  assert.deepEqual(pairs(errors), pairs(c.errors), 'errors');
  assert.deepEqual(pairs(warnings), pairs(c.warnings), 'warnings');
  for (const v of report) {
    assert.equal(typeof v.message, 'string');
    assert.ok(v.message.length > 0);
  }
  if (messages) {
    for (const needle of c.message_contains ?? []) {
      assert.ok(
        errors.some((e) => e.message.includes(needle)),
        `some error message contains ${JSON.stringify(needle)}: ${JSON.stringify(errors)}`,
      );
    }
  }
}

describe('validation.json', () => {
  const { json, raw } = loadVectors('validation.json');
  json.cases.forEach((c, idx) => {
    const rawInput = raw.cases[idx].input;
    it(`${c.id}: ${c.note}`, () => {
      // The same request through the typed API, with camelCase names; JS numbers as they come.
      // Possible when every key is a wire name of the table (an unknown wire key may be a valid
      // camelCase name, e.g. `tiling`), or a key unknown in both namings.
      const keys = Object.keys(c.input);
      const typedPossible =
        keys.every((k) => wireToCamel.has(k) || !camelNames.has(k)) && !losesFloatness(rawInput);
      if (c.nonfinite) {
        const params = {};
        for (const [k, v] of Object.entries(c.input)) params[wireToCamel.get(k) ?? k] = v;
        for (const [k, spelling] of Object.entries(c.nonfinite)) {
          assert.ok(spelling in NONFINITE, `known spelling ${spelling}`);
          params[wireToCamel.get(k) ?? k] = NONFINITE[spelling];
        }
        const report = vxl.validate(params);
        checkReport(report, c);
        // buildRequest agrees: throws exactly when there are errors.
        if (c.errors.length > 0) {
          assert.throws(() => vxl.buildRequest(params), (e) => {
            assert.ok(e instanceof vxl.VisionXLError);
            assert.equal(e.code, 'validation_error');
            assert.deepEqual(pairs(e.violations), pairs(c.errors));
            return true;
          });
        }
        return;
      }
      // Wire JSON text, numbers exactly as the vector spells them (2.0 stays a float).
      checkReport(vxl.validateJson(stringifyRaw(rawInput)), c);
      // A whole request body holding the promptObject is read the same way.
      const body = `{"type":"IMAGE_GENERATOR","model":${JSON.stringify(vxl.MODEL_ID)},"promptObject":${stringifyRaw(rawInput)}}`;
      checkReport(vxl.validateJson(body), c);
      // parseWire of the wire *object* (JS numbers, as for validate) agrees with the text
      // form: an integral number is an integer at any magnitude (seeds >= 2^32 included).
      if (losesFloatness(rawInput)) {
        // 2.0 in the vector: a JS object cannot say it.
      } else if (c.errors.length === 0) {
        assert.deepEqual(pairs(vxl.parseWire(c.input).warnings), pairs(c.warnings), 'parseWire(object)');
      } else {
        assert.throws(() => vxl.parseWire(c.input), (e) => {
          assert.ok(e instanceof vxl.VisionXLError, String(e));
          assert.equal(e.code, 'validation_error');
          assert.deepEqual(pairs(e.violations), pairs(c.errors), 'parseWire(object)');
          return true;
        });
      }
      if (typedPossible) {
        const params = {};
        for (const [k, v] of Object.entries(c.input)) params[wireToCamel.get(k) ?? k] = v;
        // Messages name camelCase suggestions here, so only (field, code) pairs are compared.
        checkReport(vxl.validate(params), c, { messages: false });
        if (c.errors.length === 0) {
          const built = vxl.buildRequest(params);
          assert.deepEqual(pairs(built.warnings), pairs(c.warnings));
        } else {
          assert.throws(() => vxl.buildRequest(params), (e) => {
            assert.ok(e instanceof vxl.VisionXLError);
            assert.equal(e.code, 'validation_error');
            assert.deepEqual(pairs(e.violations), pairs(c.errors));
            for (const v of e.violations) assert.ok(e.message.includes(v.message), 'message lists every violation');
            return true;
          });
        }
      }
    });
  });
});

describe('pricing.json', () => {
  const { json } = loadVectors('pricing.json');
  for (const p of json.prices) {
    it(`price ${p.size} n=${p.n} is ${p.credits}`, () => {
      assert.equal(vxl.estimateCredits(p.size, p.n), p.credits);
    });
  }
  for (const c of json.invalid) {
    it(`invalid ${c.id}: ${c.note}`, () => {
      const call = 'images' in c ? () => vxl.planBatches(c.size, c.images) : () => vxl.estimateCredits(c.size, c.n);
      assert.throws(call, (e) => {
        assert.ok(e instanceof vxl.VisionXLError);
        assert.equal(e.code, 'validation_error');
        assert.deepEqual(pairs(e.violations), [`${c.field}/${c.code}`]);
        return true;
      });
    });
  }
  for (const p of json.plans) {
    it(`plan ${p.size} x${p.images} = ${JSON.stringify(p.calls)} for ${p.total}`, () => {
      const plan = vxl.planBatches(p.size, p.images);
      assert.deepEqual(plan, { size: p.size, images: p.images, calls: p.calls, totalCredits: p.total });
      assert.equal(
        plan.calls.reduce((sum, n) => sum + vxl.estimateCredits(p.size, n), 0),
        p.total,
        'the total is the sum of the calls',
      );
    });
  }
});

describe('wire.json', () => {
  const { json, raw } = loadVectors('wire.json');
  json.cases.forEach((c, idx) => {
    it(`${c.id}: ${c.note}`, () => {
      const params = {};
      for (const [k, v] of Object.entries(c.sdk)) {
        assert.ok(sdkToCamel.has(k), `sdk name ${k} is in the table`);
        params[sdkToCamel.get(k)] = v;
      }
      if (c.preset) params.preset = c.preset;
      const built = vxl.buildRequest(params);
      assert.deepEqual(built.wire, c.wire, 'wire JSON');
      // Keys go out in the table's order.
      const order = vxl.PARAMS.map((p) => p.wire);
      const keys = Object.keys(built.wire);
      assert.deepEqual(keys, [...keys].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
      // Parsed back (from JSON text with the vector's own number spelling), the same request.
      const back = vxl.parseWire(stringifyRaw(raw.cases[idx].wire));
      assert.deepEqual(back.wire, c.wire, 'wire parsed back');
      // ... and from the wire object, and from a whole request body holding it.
      assert.deepEqual(vxl.parseWire(c.wire), back, 'wire object parsed back');
      assert.deepEqual(vxl.parseWire({ type: 'IMAGE_GENERATOR', model: vxl.MODEL_ID, promptObject: c.wire }), back, 'request body parsed back');
      assert.deepEqual(vxl.buildRequest(back.params).wire, c.wire, 'camelCase params round trip');
      assert.equal(built.credits, vxl.estimateCredits(c.wire.size, c.wire.n));
    });
  });
});

describe('responses.json', () => {
  const { json, raw } = loadVectors('responses.json');
  json.cases.forEach((c, idx) => {
    it(`${c.id}: ${c.note}`, () => {
      const body = 'body_json' in c ? stringifyRaw(raw.cases[idx].body_json) : (c.body ?? '');
      const answer = () =>
        interpretResponse({
          endpoint: c.endpoint,
          status: c.http_status,
          headers: c.headers ?? {},
          body,
          assetBaseUrl: json.asset_base_url,
        });
      const expect = c.expect;
      if (expect.kind === 'record') {
        const rec = answer();
        assert.equal(rec.kind, 'record');
        assert.equal(rec.id, expect.id);
        assert.equal(rec.status, expect.status);
        assert.deepEqual(
          rec.images.map(({ path, url }) => ({ path, url })),
          expect.images,
        );
      } else if (expect.kind === 'empty') {
        assert.deepEqual(answer(), { kind: 'empty' });
      } else {
        assert.equal(expect.kind, 'error');
        assert.throws(answer, (e) => {
          assert.ok(e instanceof vxl.VisionXLError, String(e));
          assert.equal(e.code, expect.code);
          assert.equal(e.serviceCode, expect.service_code ?? null);
          assert.equal(e.requestId, expect.record_id ?? null);
          assert.equal(e.retryAfter === null ? null : Math.floor(e.retryAfter), expect.retry_after ?? null);
          assert.equal(e.status, c.http_status);
          for (const needle of expect.message_contains ?? []) {
            assert.ok(e.message.includes(needle), `message ${JSON.stringify(e.message)} lacks ${needle}`);
          }
          assert.ok(!e.message.includes('<html'), 'an HTML page never appears whole');
          return true;
        });
      }
    });
  });
});
