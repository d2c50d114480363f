// The same types through `require` (CommonJS flavour), type-checked by `tsc --strict`.
import visionxl = require('visionxl');
import testing = require('visionxl/testing');

const credits: number = visionxl.estimateCredits('512x512', 2);
const client: visionxl.Client = new visionxl.Client({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9' });
const isError: boolean = new visionxl.VisionXLError('x', { code: 'timeout' }) instanceof Error;
const start: (o?: testing.EmulatorOptions) => Promise<testing.Emulator> = testing.Emulator.start;
console.log(credits, client.baseUrl, isError, typeof start);
