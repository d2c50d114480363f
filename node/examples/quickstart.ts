// Type-checked in CI with `tsc --noEmit --strict` (node/tsconfig.json): the public types as a
// TypeScript user meets them, ESM flavour.
import {
  Client,
  VisionXLError,
  estimateCredits,
  planBatches,
  validate,
  buildRequest,
  PARAMS,
  type Generation,
  type GenerateParams,
  type BatchResult,
} from 'visionxl';
import { Emulator, type Ledger } from 'visionxl/testing';

async function main(): Promise<void> {
  const emu: Emulator = await Emulator.start({ latencyMs: 0 });
  const client = new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl, maxRetries: 2, budget: 10_000 });
  const params: GenerateParams = {
    prompt: 'a lighthouse at dusk',
    size: '1024x768',
    n: 2,
    presetStyle: 'cinematic',
    seed: 42n,
    preset: 'max_detail',
  };
  const price: number = estimateCredits(params.size ?? '1024x1024', params.n);
  const plan = planBatches('512x512', 5);
  const calls: number[] = plan.calls;
  const problems = validate({ prompt: '' });
  const severities: ('error' | 'warning')[] = problems.map((p) => p.severity);
  const wire: Record<string, unknown> = buildRequest(params).wire;
  const names: (keyof GenerateParams)[] = PARAMS.map((p) => p.name);
  const controller = new AbortController();
  try {
    const g: Generation = await client.generate(params, { signal: controller.signal });
    const files: string[] = await g.save('out', { overwrite: false });
    const bytes: Buffer = await g.imageBytes(0);
    const again: Generation = await client.getGeneration(g.id, { wait: true });
    const results: BatchResult[] = await client.generateMany([params, { prompt: 'b' }], {
      concurrency: 2,
      onProgress: (p) => console.log(p.completed, p.total),
    });
    const ledger: Ledger = await emu.ledger();
    console.log(price, calls, severities, wire, names, files, bytes.length, again.status, results.length, ledger.chargesFor(g.id));
  } catch (err) {
    if (err instanceof VisionXLError) {
      const code: string = err.code;
      const status: number | null = err.status;
      console.error(code, status, err.requestId, err.violations.map((v) => v.field), err.retryAfter);
    }
  } finally {
    await emu.stop();
  }
}

void main();
