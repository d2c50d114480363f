#!/usr/bin/env node
// Benchmark: the per-call cost of the core from Node: build a request with every field set (the
// request of crates/visionxl-core/benches/request.rs), validate it and serialise the wire JSON,
// next to the same body written by hand as an object literal and `JSON.stringify`-ed (no
// validation) in the same run. The addon is built in release (see benches/node_common.mjs).
//
// Measured like timeit: the best of --repeat runs of --number calls, interleaved. Variants:
// - sdk: `buildRequest(params)` (validates in Rust, returns the wire promptObject) then
//   `JSON.stringify` of the request body: what is sent, as a string;
// - sdk_build: `buildRequest(params)` alone;
// - sdk_parse_wire: `parseWire(wire JSON text)` (parse + validate wire names);
// - json: `JSON.stringify` of the hand-written body (the baseline).
//
//   node benches/node_core.mjs [--number 20000] [--repeat 7]
//
// The last line is `RESULT node_core ...`.
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { loadVisionxl } from './node_common.mjs';

const { values } = parseArgs({ options: { number: { type: 'string', default: '20000' }, repeat: { type: 'string', default: '7' } } });
const number = Number(values.number);
const repeat = Number(values.repeat);

const { visionxl, profile } = loadVisionxl();
const { buildRequest, parseWire, MODEL_ID } = visionxl;

const PROMPT = 'a lighthouse on a cliff at dusk, volumetric fog';
const params = () => ({
  prompt: PROMPT,
  negativePrompt: 'blurry, low quality',
  size: '1024x768',
  n: 4,
  guidanceScale: 12,
  numInferenceSteps: 45,
  seed: 9_999_999_998,
  tiling: false,
  transparency: 'disabled',
  presetStyle: 'cinematic',
  imagePrompts: ['asset-1', 'asset-2'],
  initImageId: 'asset-0',
  initStrength: 0.4,
  fantasyAvatar: false,
  alchemy: true,
  contrastRatio: 0.5,
  expandedDomain: true,
  photoReal: true,
  photoRealVersion: 'v2',
  photoRealStrength: 0.5,
  promptMagic: true,
  promptMagicVersion: 'v3',
  promptMagicStrength: 0.4,
  highContrast: true,
  highResolution: true,
  enhancePrompt: true,
  enhancePromptInstruction: 'more dramatic light',
});

const sdk = () => JSON.stringify({ type: 'IMAGE_GENERATOR', model: MODEL_ID, promptObject: buildRequest(params()).wire, async: false });
const sdkBuild = () => buildRequest(params());
// From JSON text, as a request read from a file or the network arrives.
const WIRE_TEXT = JSON.stringify(buildRequest(params()).wire);
const sdkParseWire = () => parseWire(WIRE_TEXT);
const hand = () =>
  JSON.stringify({
    type: 'IMAGE_GENERATOR',
    model: MODEL_ID,
    promptObject: {
      prompt: PROMPT,
      negativePrompt: 'blurry, low quality',
      size: '1024x768',
      n: 4,
      leonardo_guidance_scale: 12,
      leonardo_num_inference_steps: 45,
      leonardo_seed: 9_999_999_998,
      leonardo_tilling: false,
      leonardo_transparency: 'disabled',
      leonardo_preset_style: 'CINEMATIC',
      leonardo_image_prompts: ['asset-1', 'asset-2'],
      leonardo_init_image_id: 'asset-0',
      leonardo_init_strength: 0.4,
      leonardo_fantasy_avatar: false,
      leonardo_alchemy: true,
      leonardo_contrast_ratio: 0.5,
      leonardo_expanded_domain: true,
      leonardo_photo_real: true,
      leonardo_photo_real_version: 'v2',
      leonardo_photo_real_strength: 0.5,
      leonardo_prompt_magic: true,
      leonardo_prompt_magic_version: 'v3',
      leonardo_prompt_magic_strength: 0.4,
      leonardo_hight_constrast: true,
      leonardo_hight_resolution: true,
      leonardo_enhance_prompt: true,
      leonardo_enhance_prompt_instruction: 'more dramatic light',
    },
    async: false,
  });

// The same body both ways (key order aside).
assert.deepEqual(JSON.parse(sdk()), JSON.parse(hand()));

const variants = { sdk, sdk_build: sdkBuild, sdk_parse_wire: sdkParseWire, json: hand };
const best = Object.fromEntries(Object.keys(variants).map((k) => [k, Infinity]));
let sink = 0;
for (let r = 0; r < repeat; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < number; i++) sink += fn() ? 1 : 0;
    const ns = Number(process.hrtime.bigint() - t0) / number;
    best[name] = Math.min(best[name], ns);
  }
}
if (sink !== repeat * number * 4) throw new Error('unexpected');
console.log(`node_core: best of ${repeat} x ${number} calls, interleaved (addon ${profile}, Node ${process.version})`);
for (const [name, ns] of Object.entries(best)) console.log(`  ${name.padEnd(16)}${ns.toFixed(0).padStart(10)} ns/call`);
console.log(
  `RESULT node_core sdk_ns_per_call=${best.sdk.toFixed(0)} sdk_build_ns_per_call=${best.sdk_build.toFixed(0)} sdk_parse_wire_ns_per_call=${best.sdk_parse_wire.toFixed(0)} json_stringify_ns_per_call=${best.json.toFixed(0)} ratio_sdk_over_json=${(best.sdk / best.json).toFixed(2)}`,
);
