#!/usr/bin/env node
// Benchmark: the per-call cost of the core from Node: build a request with every field set
// (tests/vectors/every_field.json, shared with the Rust, Python and C benchmarks), validate it
// and serialise the wire JSON, next to the same body without the SDK (the case's wire object
// copied into a body and `JSON.stringify`-ed, no validation) in the same run. The addon is built in release (see benches/node_common.mjs).
//
// Measured like timeit: the best of --repeat runs of --number calls, interleaved. Variants:
// - sdk: `buildRequest(params)` (validates in Rust, returns the wire promptObject) then
//   `JSON.stringify` of the request body: what is sent, as a string;
// - sdk_build: `buildRequest(params)` alone;
// - sdk_parse_wire: `parseWire(wire JSON text)` (parse + validate wire names);
// - json: `JSON.stringify` of the body holding a copy of the case's wire object (the baseline).
//
//   node benches/node_core.mjs [--number 20000] [--repeat 7]
//
// The last line is `RESULT node_core ...`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadVisionxl } from './node_common.mjs';

const { values } = parseArgs({ options: { number: { type: 'string', default: '20000' }, repeat: { type: 'string', default: '7' } } });
const number = Number(values.number);
const repeat = Number(values.repeat);

const { visionxl, profile } = loadVisionxl();
const { buildRequest, parseWire, MODEL_ID } = visionxl;

// The shared every-field case, with camelCase names as the Node API takes them.
const CASE = JSON.parse(readFileSync(new URL('../tests/vectors/every_field.json', import.meta.url), 'utf8'));
const camel = (snake) => snake.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const PARAMS = Object.fromEntries(Object.entries(CASE.sdk).map(([k, v]) => [camel(k), v]));
const params = () => ({ ...PARAMS, imagePrompts: [...PARAMS.imagePrompts] });

const sdk = () => JSON.stringify({ type: 'IMAGE_GENERATOR', model: MODEL_ID, promptObject: buildRequest(params()).wire, async: false });
const sdkBuild = () => buildRequest(params());
// From JSON text, as a request read from a file or the network arrives.
const WIRE_TEXT = JSON.stringify(buildRequest(params()).wire);
const sdkParseWire = () => parseWire(WIRE_TEXT);
// The case's wire object copied into a body (what building the object literal costs), then
// serialised: no validation.
const hand = () =>
  JSON.stringify({ type: 'IMAGE_GENERATOR', model: MODEL_ID, promptObject: { ...CASE.wire }, async: false });

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
