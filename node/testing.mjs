// ES module entry of visionxl/testing: the very objects of the CommonJS entry.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('./testing.js');

export const { Emulator, interpretResponse } = cjs;
export default cjs;
