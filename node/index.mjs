// ES module entry: the very objects of the CommonJS entry, so `instanceof` agrees across both.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('./index.js');

export const {
  Client,
  VisionXLError,
  planSweep,
  estimateCredits,
  planBatches,
  validate,
  validateJson,
  buildRequest,
  parseWire,
  PARAMS,
  ERROR_CODES,
  SIZES,
  PRESET_STYLES,
  PRESETS,
  DEFAULT_BASE_URL,
  MODEL_ID,
  version,
} = cjs;
export default cjs;
