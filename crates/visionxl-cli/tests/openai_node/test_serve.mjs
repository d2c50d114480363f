// `visionxl serve` driven by the official `openai` npm package. Run by scripts/test-serve.sh,
// which starts the emulator and `visionxl serve --model-alias dall-e-3 --model-alias
// gpt-image-1` and sets VISIONXL_SERVE_URL, VISIONXL_EMULATOR_URL, VISIONXL_EMULATOR_KEY.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI, { toFile } from 'openai';

const SERVE_URL = process.env.VISIONXL_SERVE_URL;
const EMULATOR_URL = process.env.VISIONXL_EMULATOR_URL;
const KEY = process.env.VISIONXL_EMULATOR_KEY ?? 'vxl-emulator-key';
const MODEL = 'leonardo-vision-xl';
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMAAAA0gAQHd8EQ8AAAAAElFTkSuQmCC',
  'base64',
);

const client = new OpenAI({ baseURL: `${SERVE_URL}/v1`, apiKey: KEY, maxRetries: 0, timeout: 120_000 });

async function promptObject(response) {
  const record = response.headers.get('x-visionxl-record-id');
  const r = await fetch(`${EMULATOR_URL}/api/results/${record}`, { headers: { 'API-KEY': KEY } });
  return (await r.json()).aiRecord.aiRecordDetail.promptObject;
}

const isPng = (b) => b.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));

for (const [name, extra] of [
  ['wire names', { leonardo_guidance_scale: 12, leonardo_seed: 3 }],
  ['SDK names', { guidance_scale: 12, seed: 3 }],
]) {
  test(`Vision XL parameters by ${name}`, async () => {
    const { response } = await client.images
      .generate({ model: MODEL, prompt: 'a fox', ...extra })
      .withResponse();
    const po = await promptObject(response);
    assert.equal(po.leonardo_guidance_scale, 12);
    assert.equal(po.leonardo_seed, 3);
  });
}

test('gpt-image fields: size auto, quality, transparent background, png bytes', async () => {
  const { data, response } = await client.images
    .generate({
      model: 'gpt-image-1',
      prompt: 'a fox sticker',
      size: 'auto',
      quality: 'high',
      background: 'transparent',
      output_format: 'png',
    })
    .withResponse();
  assert.ok(isPng(Buffer.from(data.data[0].b64_json, 'base64')), 'b64_json holds a PNG');
  assert.equal(data.size, '1024x1024');
  assert.equal(data.output_format, 'png');
  assert.equal(data.background, 'transparent');
  const po = await promptObject(response);
  assert.equal(po.leonardo_transparency, 'foreground_only');
  assert.equal(po.leonardo_num_inference_steps, 45);
});

test('dall-e-3 alias answers URLs', async () => {
  const r = await client.images.generate({ model: 'dall-e-3', prompt: 'a fox', size: '1792x1024', quality: 'hd', style: 'vivid' });
  assert.match(r.data[0].url, /\.webp(\?|$)/);
  assert.equal(r.size, '1024x768');
});

test('stream: true is parsed by the SDK', async () => {
  const stream = await client.images.generate({ model: 'gpt-image-1', prompt: 'a fox', n: 2, stream: true, output_format: 'png' });
  const events = [];
  for await (const e of stream) events.push(e);
  assert.deepEqual(events.map((e) => e.type), ['image_generation.completed', 'image_generation.completed']);
  for (const e of events) assert.ok(isPng(Buffer.from(e.b64_json, 'base64')));
});

test('edits with an image file', async () => {
  const { data, response } = await client.images
    .edit({ model: 'gpt-image-1', image: await toFile(TINY_PNG, 'fox.png', { type: 'image/png' }), prompt: 'the fox at night' })
    .withResponse();
  assert.ok(data.data[0].b64_json);
  const po = await promptObject(response);
  assert.ok(po.leonardo_init_image_id);
  assert.equal(po.leonardo_init_strength, 0.5);
});

test('unknown model is a 404 listing the served names; conflicts, mask and variations are 400s', async () => {
  await assert.rejects(client.images.generate({ model: 'dall-e-2', prompt: 'a fox' }), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.equal(e.code, 'model_not_found');
    assert.match(e.message, /gpt-image-1/);
    return true;
  });
  await assert.rejects(client.images.generate({ model: MODEL, prompt: 'a fox', seed: 1, leonardo_seed: 2 }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.code, 'conflicting_parameters');
    return true;
  });
  await assert.rejects(
    client.images.edit({ model: MODEL, prompt: 'x', image: await toFile(TINY_PNG, 'a.png'), mask: await toFile(TINY_PNG, 'm.png') }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'mask',
  );
  await assert.rejects(
    client.images.createVariation({ image: await toFile(TINY_PNG, 'a.png') }),
    (e) => e instanceof OpenAI.BadRequestError && e.code === 'variations_not_supported',
  );
});
