'use strict';
// The pure API: argument types, VisionXLError, names against the core's table, both entries.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const vxl = require('..');
const { VisionXLError } = vxl;

function rejectsWith(fn, code, fields) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof VisionXLError, `a VisionXLError, got ${e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code);
    if (fields) assert.deepEqual(e.violations.map((v) => v.field).sort(), [...fields].sort());
    return true;
  });
}

describe('estimateCredits and planBatches arguments', () => {
  it('n defaults to 1', () => {
    assert.equal(vxl.estimateCredits('1024x1024'), 286);
  });
  it('wrong types are validation_errors naming each field, all at once', () => {
    rejectsWith(() => vxl.estimateCredits(512, '2'), 'validation_error', ['size', 'n']);
    rejectsWith(() => vxl.estimateCredits('512x512', 2.5), 'validation_error', ['n']);
    rejectsWith(() => vxl.estimateCredits(undefined, 1), 'validation_error', ['size']);
    rejectsWith(() => vxl.estimateCredits('512x512', -1), 'validation_error', ['n']);
    rejectsWith(() => vxl.estimateCredits('512x512', NaN), 'validation_error', ['n']);
    rejectsWith(() => vxl.planBatches('512x512', '5'), 'validation_error', ['images']);
    rejectsWith(() => vxl.planBatches('512x512', 1e9), 'validation_error', ['images']);
  });
  it('a bad size suggests the close one', () => {
    assert.throws(() => vxl.estimateCredits('1024x1025', 1), (e) => e.violations[0].code === 'not_allowed_value' && /did you mean/.test(e.message));
  });
});

describe('validate and buildRequest', () => {
  it('keeps NaN and Infinity (not_finite), and reports every problem', () => {
    const report = vxl.validate({ prompt: 'x', contrastRatio: NaN, initStrength: Infinity, initImageId: 'a' });
    assert.deepEqual(
      report.map((v) => `${v.field}/${v.code}/${v.severity}`).sort(),
      ['leonardo_contrast_ratio/not_finite/error', 'leonardo_init_strength/not_finite/error'],
    );
  });
  it('a float where an integer is needed is wrong_type; an integral number is an integer', () => {
    assert.deepEqual(vxl.validate({ prompt: 'x', n: 2.5 }).map((v) => v.code), ['wrong_type']);
    assert.deepEqual(vxl.validate({ prompt: 'x', n: 2.0 }), []);
  });
  it('bigint seeds work, beyond 2^53 too (out_of_range there)', () => {
    assert.equal(vxl.buildRequest({ prompt: 'x', seed: 9_999_999_998n }).wire.leonardo_seed, 9_999_999_998);
    assert.deepEqual(vxl.validate({ prompt: 'x', seed: 2n ** 70n }).map((v) => `${v.field}/${v.code}`), ['leonardo_seed/out_of_range']);
  });
  it('objects, functions and symbols are wrong_type, not crashes', () => {
    const report = vxl.validate({ prompt: { text: 'x' }, negativePrompt: () => 1, size: Symbol('s'), imagePrompts: ['a', 3] });
    assert.deepEqual(
      report.map((v) => `${v.field}/${v.code}`).sort(),
      ['leonardo_image_prompts/wrong_type', 'negativePrompt/wrong_type', 'prompt/wrong_type', 'size/wrong_type'],
    );
  });
  it('params that are not an object are one wrong_type on params', () => {
    for (const bad of [null, undefined, 'a cat', 3, ['prompt']]) {
      assert.deepEqual(vxl.validate(bad).map((v) => `${v.field}/${v.code}`), ['params/wrong_type'], String(bad));
      rejectsWith(() => vxl.buildRequest(bad), 'validation_error', ['params']);
    }
  });
  it('unknown names suggest the camelCase name, whatever naming was used', () => {
    const [v] = vxl.validate({ prompt: 'x', guidance_scale: 3 });
    assert.equal(v.code, 'unknown_field');
    assert.match(v.message, /guidanceScale/);
    const [w] = vxl.validate({ prompt: 'x', guidanceScal: 3 });
    assert.match(w.message, /did you mean "guidanceScale"/);
  });
  it('presets: explicit values win; a bad preset is reported with the other problems', () => {
    const built = vxl.buildRequest({ prompt: 'x', preset: 'max_detail', guidanceScale: 14 });
    assert.equal(built.wire.leonardo_guidance_scale, 14);
    assert.equal(built.wire.leonardo_num_inference_steps, 45);
    rejectsWith(() => vxl.buildRequest({ prompt: '', preset: 'maximum' }), 'validation_error', ['preset', 'prompt']);
    rejectsWith(() => vxl.buildRequest({ prompt: 'x', preset: 3 }), 'validation_error', ['preset']);
  });
  it('the message of a validation_error lists every violation', () => {
    assert.throws(() => vxl.buildRequest({ prompt: ' ', n: 9, guidanceScale: 99 }), (e) => {
      assert.equal(e.violations.length, 3);
      assert.match(e.message, /3 problems/);
      for (const v of e.violations) assert.ok(e.message.includes(v.message));
      return true;
    });
  });
  it('validateJson reads text that is not JSON or not an object as a violation', () => {
    assert.deepEqual(vxl.validateJson('{').map((v) => v.field), ['promptObject']);
    assert.deepEqual(vxl.validateJson('[1]').map((v) => `${v.field}/${v.code}`), ['promptObject/wrong_type']);
    assert.deepEqual(vxl.validateJson(42).map((v) => v.field), ['promptObject']);
  });
  it('parseWire gives camelCase params that build the same request', () => {
    const back = vxl.parseWire({ prompt: 'x', leonardo_tilling: true, leonardo_hight_constrast: true });
    assert.deepEqual(back.params, { prompt: 'x', size: '1024x1024', n: 1, tiling: true, highContrast: true });
    rejectsWith(() => vxl.parseWire('{"prompt": ""}'), 'validation_error', ['prompt']);
  });
});

describe('integers from JS objects', () => {
  // A JS number that is an integer is an integer for the core wherever a JS object crosses into
  // Rust, at any safe magnitude: the seed goes up to 9,999,999,998 (> 2^32).
  const BIG = 9_999_999_998;
  // The same object behind a prototype that is not Object.prototype: the addon reads it
  // value by value instead of as JSON text (both paths must agree).
  const unplain = (o) => Object.assign(Object.create(Object.create(null)), o);
  it('parseWire of a wire object keeps a seed >= 2^32 (as the JSON text form does)', () => {
    const wire = vxl.buildRequest({ prompt: 'x', seed: BIG }).wire;
    assert.equal(wire.leonardo_seed, BIG);
    for (const w of [wire, unplain(wire), { ...wire, leonardo_tilling: undefined }]) {
      const back = vxl.parseWire(w);
      assert.equal(back.wire.leonardo_seed, BIG);
      assert.equal(back.params.seed, BIG);
      assert.deepEqual(back, vxl.parseWire(JSON.stringify(wire)));
    }
    const body = { type: 'IMAGE_GENERATOR', model: vxl.MODEL_ID, promptObject: { prompt: 'x', leonardo_seed: 2 ** 32 } };
    assert.equal(vxl.parseWire(body).params.seed, 2 ** 32);
    assert.equal(vxl.parseWire(unplain({ ...body, promptObject: unplain(body.promptObject) })).params.seed, 2 ** 32);
  });
  it('parseWire of a wire object: past the maximum is out_of_range, a fraction or NaN wrong_type', () => {
    const code = (w) => {
      try {
        vxl.parseWire(w);
        return 'ok';
      } catch (e) {
        assert.ok(e instanceof VisionXLError, String(e));
        return e.violations.map((v) => `${v.field}/${v.code}`).join(',');
      }
    };
    for (const mk of [(o) => o, unplain]) {
      assert.equal(code(mk({ prompt: 'x', leonardo_seed: BIG + 1 })), 'leonardo_seed/out_of_range');
      assert.equal(code(mk({ prompt: 'x', leonardo_seed: 2.5 })), 'leonardo_seed/wrong_type');
      assert.equal(code(mk({ prompt: 'x', leonardo_seed: -1 })), 'leonardo_seed/out_of_range');
      assert.equal(code(mk({ prompt: 'x', n: 2 ** 40 })), 'n/out_of_range');
    }
    // Not representable as JSON: read as JS values (NaN is a float, not an integer).
    assert.equal(code({ prompt: 'x', leonardo_seed: NaN }), 'leonardo_seed/wrong_type');
    assert.equal(code({ prompt: 'x', leonardo_contrast_ratio: Infinity }), 'leonardo_contrast_ratio/not_finite');
    assert.equal(code({ prompt: 'x', leonardo_seed: 2 ** 60 }), 'leonardo_seed/out_of_range');
    assert.equal(code([1]), 'promptObject/wrong_type');
    assert.equal(code({ type: 'IMAGE_GENERATOR', promptObject: 3 }), 'promptObject/wrong_type');
  });
  it('validate, buildRequest, estimateCredits and planBatches take big integers as integers', () => {
    for (const mk of [(o) => o, unplain]) {
      assert.deepEqual(vxl.validate(mk({ prompt: 'x', seed: BIG })), []);
      assert.equal(vxl.buildRequest(mk({ prompt: 'x', seed: BIG })).params.seed, BIG);
      assert.deepEqual(vxl.validate(mk({ prompt: 'x', seed: BIG + 1 })).map((v) => `${v.field}/${v.code}`), ['leonardo_seed/out_of_range']);
      assert.deepEqual(vxl.validate(mk({ prompt: 'x', seed: 2.5 })).map((v) => `${v.field}/${v.code}`), ['leonardo_seed/wrong_type']);
      assert.deepEqual(vxl.validate(mk({ prompt: 'x', n: 2 ** 32 })).map((v) => `${v.field}/${v.code}`), ['n/out_of_range']);
    }
    assert.throws(() => vxl.estimateCredits('512x512', 2 ** 32), (e) => e.violations[0].code === 'out_of_range');
    assert.throws(() => vxl.planBatches('512x512', 2 ** 40), (e) => e.violations[0].code === 'out_of_range');
  });
  it('floats cross exactly (17-digit fractions included)', () => {
    for (let i = 0; i < 2000; i++) {
      const x = 0.1 + Math.random() * 0.8;
      const built = vxl.buildRequest({ prompt: 'x', initImageId: 'a', initStrength: x });
      assert.equal(built.wire.leonardo_init_strength, x);
      assert.equal(built.params.initStrength, x);
      assert.equal(vxl.parseWire(built.wire).params.initStrength, x);
    }
  });
  it('params read as JSON text and read value by value give the same answers', () => {
    const cases = [
      { prompt: 'a lighthouse', negativePrompt: 'blur', size: '1024x768', n: 4, guidanceScale: 12, numInferenceSteps: 45, seed: BIG, tiling: false, transparency: 'disabled', presetStyle: 'cinematic', imagePrompts: ['a-1', 'a-2'], initImageId: 'a-0', initStrength: 0.4, alchemy: true, contrastRatio: 0.5, photoReal: true, photoRealVersion: 'v2', photoRealStrength: 0.5, promptMagic: true, promptMagicVersion: 'v3', promptMagicStrength: 0.4, highContrast: true, enhancePrompt: true, enhancePromptInstruction: 'more light' },
      { prompt: 'x', preset: 'max_detail', guidanceScale: 14 },
      { prompt: '', preset: 'maximum', n: 9, guidanceScale: 99, size: '1024x1025' },
      { prompt: 'x', guidance_scale: 3, guidanceScal: 3, leonardo_seed: 4, bogus: null },
      { prompt: 'x', imagePrompts: ['a', 3, null], presetStyle: 'CINEMATIC', tiling: 'yes' },
      { prompt: 'x', size: '512x512', n: 1, preset: null, seed: -0 },
      { prompt: 'caf\u00e9 \u{1F98A} "quoted" \\ back\nslash' },
      {},
    ];
    for (const p of cases) {
      const label = JSON.stringify(p);
      assert.deepEqual(vxl.validate(p), vxl.validate(unplain(p)), label);
      let fast;
      let slow;
      try {
        fast = vxl.buildRequest(p);
      } catch (e) {
        fast = { code: e.code, message: e.message, violations: e.violations };
      }
      try {
        slow = vxl.buildRequest(unplain(p));
      } catch (e) {
        slow = { code: e.code, message: e.message, violations: e.violations };
      }
      assert.deepEqual(fast, slow, label);
    }
  });
  it('answers are fresh objects: wire and params share nothing', () => {
    const built = vxl.buildRequest({ prompt: 'x', imagePrompts: ['a'] });
    built.wire.leonardo_image_prompts.push('b');
    assert.deepEqual(built.params.imagePrompts, ['a']);
  });
});

describe('violations have one shape everywhere (Python\'s Violation: field, code, message, severity)', () => {
  const keys = (v) => Object.keys(v).sort().join(',');
  it('the violations of a thrown validation_error carry severity "error"', () => {
    assert.throws(() => vxl.buildRequest({ prompt: '', n: 9 }), (e) => {
      assert.equal(e.violations.length, 2);
      for (const v of e.violations) {
        assert.equal(keys(v), 'code,field,message,severity');
        assert.equal(v.severity, 'error');
      }
      return true;
    });
    assert.throws(() => vxl.estimateCredits('bad', 1), (e) => e.violations[0].severity === 'error');
  });
  it('warnings of a built request carry severity "warning", as in validate', () => {
    const params = { prompt: 'x', size: '512x512', n: 1 };
    const built = vxl.buildRequest(params);
    assert.ok(built.warnings.length > 0);
    assert.deepEqual(built.warnings, vxl.validate(params).filter((v) => v.severity === 'warning'));
    for (const w of built.warnings) assert.equal(w.severity, 'warning');
  });
  it('violations checked in JavaScript and hand-made errors have the same shape', () => {
    assert.throws(() => new vxl.Client({ timeoutMs: 'soon' }), (e) => e.violations.every((v) => v.severity === 'error'));
    const e = new VisionXLError('x', { code: 'validation_error', violations: [{ field: 'f', code: 'blank', message: 'm' }] });
    assert.equal(e.violations[0].severity, 'error');
  });
});

describe('VisionXLError', () => {
  it('is a real Error subclass with every field', () => {
    const e = new VisionXLError('boom', { code: 'rate_limited', status: 429, retryAfter: 3, requestId: 'r1' });
    assert.ok(e instanceof Error);
    assert.ok(e instanceof VisionXLError);
    assert.equal(e.name, 'VisionXLError');
    assert.deepEqual([e.code, e.status, e.retryAfter, e.requestId, e.violations.length], ['rate_limited', 429, 3, 'r1', 0]);
    assert.match(String(e), /^VisionXLError: boom/);
    assert.match(e.stack, /api\.test\.js/);
    assert.equal(Object.prototype.toString.call(e), '[object VisionXLError]');
  });
  it('errors thrown by the API carry a stack pointing at the caller', () => {
    try {
      vxl.estimateCredits('bad', 1);
      assert.fail('should throw');
    } catch (e) {
      assert.match(e.stack, /api\.test\.js/);
      assert.doesNotMatch(e.message, /\u0001/);
    }
  });
});

describe('names come from the core table', () => {
  it('PARAMS has 27 rows whose camelCase names are the snake_case names camelCased', () => {
    assert.equal(vxl.PARAMS.length, 27);
    for (const p of vxl.PARAMS) {
      assert.equal(p.name, p.sdk.replace(/_([a-z])/g, (_, c) => c.toUpperCase()));
    }
    assert.ok(Object.isFrozen(vxl.PARAMS) && Object.isFrozen(vxl.PARAMS[0]));
    // The one spelling of each kind, in every binding (and in index.d.ts's ParamSpec.kind).
    const kinds = new Set(['string', 'integer', 'number', 'boolean', 'string_list']);
    assert.ok(vxl.PARAMS.every((p) => kinds.has(p.kind)));
    assert.equal(vxl.PARAMS.find((p) => p.sdk === 'image_prompts').kind, 'string_list');
  });
  it('index.d.ts declares exactly the stable error codes', () => {
    // The parameter types of index.d.ts are generated from the table (visionxl-codegen --check).
    const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');
    const codes = /export type ErrorCode =([\s\S]*?);/.exec(dts)[1];
    assert.deepEqual([...codes.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]), [...vxl.ERROR_CODES]);
  });
  it('ERROR_CODES are the 16 stable codes', () => {
    assert.equal(vxl.ERROR_CODES.length, 16);
    assert.ok(vxl.ERROR_CODES.includes('cancelled'));
  });
});

describe('require and import', () => {
  it('give the very same objects', async () => {
    const esm = await import('../index.mjs');
    for (const name of Object.keys(vxl)) assert.equal(esm[name], vxl[name], name);
    assert.equal(esm.default, vxl);
    const testingEsm = await import('../testing.mjs');
    assert.equal(testingEsm.Emulator, require('../testing').Emulator);
  });
  it('the package resolves itself through its exports map', () => {
    const pkg = require('../package.json');
    assert.equal(pkg.name, 'visionxl');
    assert.equal(require.resolve('visionxl'), path.join(__dirname, '..', 'index.js'));
    assert.equal(require.resolve('visionxl/testing'), path.join(__dirname, '..', 'testing.js'));
  });
  it('util.inspect of the module shows its API', () => {
    assert.match(util.inspect(vxl), /estimateCredits/);
  });
});
