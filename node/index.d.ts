// Type definitions of the `visionxl` package (hand-written over the napi addon, which is private
// to the package; test/types.test.js checks the parameter names against the core's table).

/// <reference types="node" />

/** The four image sizes Vision XL accepts. */
export type Size = '512x512' | '1024x768' | '768x1024' | '1024x1024';

/** Leonardo's preset styles (accepted in any case, sent upper-case). */
export type PresetStyleName =
  | 'ANIME'
  | 'BOKEH'
  | 'CINEMATIC'
  | 'CINEMATIC_CLOSEUP'
  | 'CREATIVE'
  | 'DYNAMIC'
  | 'ENVIRONMENT'
  | 'FASHION'
  | 'FILM'
  | 'FOOD'
  | 'GENERAL'
  | 'HDR'
  | 'ILLUSTRATION'
  | 'LEONARDO'
  | 'LONG_EXPOSURE'
  | 'MACRO'
  | 'MINIMALISTIC'
  | 'MONOCHROME'
  | 'MOODY'
  | 'NONE'
  | 'NEUTRAL'
  | 'PHOTOGRAPHY'
  | 'PORTRAIT'
  | 'RAYTRACED'
  | 'RENDER_3D'
  | 'RETRO'
  | 'SKETCH_BW'
  | 'SKETCH_COLOR'
  | 'STOCK_PHOTO'
  | 'VIBRANT'
  | 'UNPROCESSED';

/** A preset style in any case: `'CINEMATIC'`, `'cinematic'`. */
export type PresetStyle = PresetStyleName | Lowercase<PresetStyleName>;

/** Named bundles of settings; explicit values win over them. */
export type Preset = 'max_detail' | 'defaults';

/**
 * The parameters of a generation, by the SDK's camelCase names (the wire names, some misspelled
 * by the service, are the SDK's business). Only `prompt` is required; unset fields are not sent.
 */
export interface GenerateParams {
  /** Text description of the image to generate (not blank). */
  prompt: string;
  /** What you do not want in the image. */
  negativePrompt?: string;
  /** Image dimensions (default `'1024x1024'`). */
  size?: Size;
  /** Number of images, 1..4 (default 1). */
  n?: number;
  /** How strongly the generation follows the prompt, integer 1..20 (service default 7). */
  guidanceScale?: number;
  /** Inference steps, integer 10..60 (service default 15). */
  numInferenceSteps?: number;
  /** Seed for reproducible images, integer 0..9999999998 (a `bigint` works too). */
  seed?: number | bigint;
  /** Make images tile on all axes (wire `leonardo_tilling`). */
  tiling?: boolean;
  /** Transparency mode. */
  transparency?: 'disabled' | 'foreground_only';
  /** Leonardo style preset. */
  presetStyle?: PresetStyle;
  /** Uploaded asset references used as image prompts (at most 4); see `Client.uploadAsset`. */
  imagePrompts?: string[];
  /** Uploaded asset reference of the init image (required by `fantasyAvatar`). */
  initImageId?: string;
  /** How strongly the images follow the init image, 0.1..0.9. */
  initStrength?: number;
  /** Fantasy Avatar mode (needs `initImageId`). */
  fantasyAvatar?: boolean;
  /** Alchemy enhancement (service default on). */
  alchemy?: boolean;
  /** Contrast ratio, 0..1. */
  contrastRatio?: number;
  /** Expanded domain. */
  expandedDomain?: boolean;
  /** PhotoReal pipeline (requires Alchemy). */
  photoReal?: boolean;
  /** PhotoReal version (sent as `'v2'` whenever PhotoReal is on). */
  photoRealVersion?: 'v2';
  /** PhotoReal strength: exactly 0.45, 0.5 or 0.55 (documented for v1 only). */
  photoRealStrength?: number;
  /** Prompt Magic. */
  promptMagic?: boolean;
  /** Prompt Magic version. */
  promptMagicVersion?: 'v2' | 'v3';
  /** Prompt Magic strength, 0.1..1.0. */
  promptMagicStrength?: number;
  /** High contrast, controls RAW mode (wire `leonardo_hight_constrast`). */
  highContrast?: boolean;
  /** High resolution (wire `leonardo_hight_resolution`). */
  highResolution?: boolean;
  /** Let the service rewrite the prompt. */
  enhancePrompt?: boolean;
  /** Instruction for prompt enhancement (only with `enhancePrompt`). */
  enhancePromptInstruction?: string;
  /** A named bundle of settings; explicit values win over it. */
  preset?: Preset;
}

/** The stable error codes, the same in Rust, Python, Node and C. */
export type ErrorCode =
  | 'validation_error'
  | 'authentication_error'
  | 'permission_denied'
  | 'insufficient_credits'
  | 'rate_limited'
  | 'bad_request'
  | 'not_found'
  | 'server_error'
  | 'timeout'
  | 'connection_error'
  | 'invalid_response'
  | 'generation_failed'
  | 'budget_exceeded'
  | 'download_error'
  | 'io_error'
  | 'cancelled';

/** What kind of rule a violation reports (errors, then warning codes). */
export type ViolationCode =
  | 'required'
  | 'blank'
  | 'out_of_range'
  | 'not_allowed_value'
  | 'too_many'
  | 'requires'
  | 'not_finite'
  | 'wrong_type'
  | 'unknown_field'
  | 'ignored'
  | 'unusual_combination'
  | 'price_hint';

/**
 * One broken rule or remark (the shape of Python's `Violation`). `field` is the service's wire
 * name (`leonardo_guidance_scale`); `severity` is `'error'` (blocks the request: `validate`'s
 * errors, `VisionXLError.violations`) or `'warning'` (does not: `Generation.warnings`).
 */
export interface Violation {
  readonly field: string;
  readonly code: ViolationCode;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** A violation from `validate` (the same shape as every `Violation`). */
export type ReportedViolation = Violation;

/** Fields of a `VisionXLError`. */
export interface VisionXLErrorFields {
  code?: ErrorCode;
  status?: number | null;
  requestId?: string | null;
  /** `severity` defaults to `'error'`. */
  violations?: Array<Omit<Violation, 'severity'> & { severity?: Violation['severity'] }>;
  retryAfter?: number | null;
  serviceCode?: string | null;
  details?: string | null;
  mayHaveBeenCharged?: boolean;
  cause?: unknown;
}

/** Every failure of the SDK (a real `Error` subclass). */
export class VisionXLError extends Error {
  constructor(message: string, fields?: VisionXLErrorFields);
  readonly name: 'VisionXLError';
  /** The stable code. */
  readonly code: ErrorCode;
  /** The HTTP status when the service answered, else `null`. */
  readonly status: number | null;
  /** The record (generation) id the error concerns, when known: read it with `getGeneration`. */
  readonly requestId: string | null;
  /** Every broken rule of a `validation_error` (empty otherwise); the message lists them all. */
  readonly violations: readonly Violation[];
  /** Seconds a 429 asked to wait, else `null`. */
  readonly retryAfter: number | null;
  /** The service's own code (`UNSUPPORTED_MODEL`, ...), else `null`. */
  readonly serviceCode: string | null;
  /** The service's details, as sent. */
  readonly details: string | null;
  /** True when the request may have reached the service and been charged (not retried then). */
  readonly mayHaveBeenCharged: boolean;
}

/** The last argument of every network call. */
export interface CallOptions {
  /** Cancels the call (the Rust future is stopped; rejects with code `cancelled`). */
  signal?: AbortSignal;
}

export interface GenerateOptions extends CallOptions {
  /** Submit with `"async": true` and poll the record (default: the client's `asyncMode`). */
  asyncMode?: boolean;
}

export interface SaveOptions extends CallOptions {
  /** Replace existing files (default false: an existing file is an `io_error`). */
  overwrite?: boolean;
  /** Write a sidecar `FILE.json` (record id, request, price, time) next to each image (default true). */
  sidecar?: boolean;
}

export interface ClientOptions {
  /** The 1min.ai API key; default: the `ONEMIN_API_KEY` environment variable. */
  apiKey?: string;
  /** Default: `ONEMIN_BASE_URL`, else `https://api.1min.ai`. Plain http only to loopback hosts. */
  baseUrl?: string;
  /** Where result paths are downloaded from (default `https://asset.1min.ai`; `<baseUrl>/asset` for loopback). */
  assetBaseUrl?: string;
  /** Whole-request timeout of API calls in ms (default 300000: generation is slow). */
  timeoutMs?: number;
  /** Connect timeout in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Download timeout in ms (default 120000). */
  downloadTimeoutMs?: number;
  /** How long a PROCESSING record is polled, in ms. */
  pollTimeoutMs?: number;
  /** Retries of connection failures before sending and of 429 (default 2). */
  maxRetries?: number;
  /** Also retry requests that may have been charged (timeouts after sending, 5xx). Default false. */
  retryAmbiguous?: boolean;
  /** A credit budget: a request that would exceed it fails with `budget_exceeded` before sending. */
  budget?: number;
  /** Pacing: one token bucket per client (default 180 requests per minute). */
  requestsPerMinute?: number;
  /** Allow sending the key over plain http to a non-loopback host. Default false. */
  allowInsecureHttp?: boolean;
  /** Use async mode (submit, then poll) for every generation. Default false. */
  asyncMode?: boolean;
  /**
   * The largest image a save or download accepts, in bytes (default 67108864, 64 MiB): checked
   * from Content-Length before downloading and while streaming; a larger image fails with
   * `download_error` naming the limit. An integer >= 1 (0 is a `validation_error`).
   */
  maxImageBytes?: number;
}

/** One result image. */
export interface GeneratedImage {
  /** Position in the record's results. */
  readonly index: number;
  /** The storage path the service sent. */
  readonly path: string;
  /** Where to download it (signed URLs expire: `getGeneration` gives fresh ones). */
  readonly url: string;
  /** The safe file name `save` uses. */
  readonly fileName: string;
  /** The image's bytes (non-enumerable method). */
  bytes(options?: CallOptions): Promise<Buffer>;
}

/** A finished generation: a plain object (its methods are non-enumerable). */
export interface Generation {
  /** The record id: keep it, it reads the record again. */
  readonly id: string;
  /** `'SUCCESS'`, `'PROCESSING'`, `'FAILURE'` or what the service sent. */
  readonly status: string;
  readonly images: readonly GeneratedImage[];
  /** The price from the price table, when known. */
  readonly credits: number | null;
  /** Warnings of the request (never blocking). */
  readonly warnings: readonly Violation[];
  /** The service's answer as received. */
  readonly raw: unknown;
  readonly createdAt: string | null;
  /** True when the images were made by the visionxl emulator. */
  readonly emulated: boolean;
  /** The `promptObject` sent (wire names), when known. */
  readonly request: Record<string, unknown> | null;
  /** Downloads every image into `dir` (streamed, atomic, never overwriting by default); resolves to the paths written. */
  save(dir: string, options?: SaveOptions): Promise<string[]>;
  /** Downloads image `index` to `path` (its extension corrected to the real type); resolves to the path written. */
  saveImage(index: number, path: string, options?: SaveOptions): Promise<string>;
  /** The bytes of image `index` (default 0). */
  imageBytes(index?: number, options?: CallOptions): Promise<Buffer>;
}

/** An uploaded asset: pass `reference` as `initImageId` or in `imagePrompts`. */
export interface Asset {
  readonly reference: string;
  readonly key: string | null;
  readonly path: string | null;
  readonly raw: unknown;
}

export interface BatchProgress {
  /** Input position of the item that just finished. */
  index: number;
  total: number;
  completed: number;
  succeeded: number;
  failed: number;
  /** Items an earlier run (the manifest) had already paid for. */
  resumed: number;
  creditsSpent: number;
}

export interface BatchResult {
  /** Input position. */
  index: number;
  /** Manifest key (a stable hash of the request and its position). */
  key: string;
  /** Generation succeeded and nothing failed after it. */
  ok: boolean;
  generation: Generation | null;
  /** Why the generation failed. */
  error: VisionXLError | null;
  /** A failure after the (paid) generation: download, saving, manifest. Rerun with the manifest. */
  saveError: VisionXLError | null;
  /** Saved files (with `outDir`). */
  files: string[];
  /** True when an earlier run already paid for it. */
  resumed: boolean;
}

export interface GenerateManyOptions extends CallOptions {
  /** Generations in flight at once (default 4; pacing still applies). */
  concurrency?: number;
  /** Called after every finished item. Throwing stops the batch and rejects with that error. */
  onProgress?: (progress: BatchProgress, result: BatchResult) => void;
  /** A JSONL manifest: finished records are appended before downloading; a rerun skips them. */
  manifest?: string;
  /** Save every image here (with sidecars). */
  outDir?: string;
  /** Replace existing files in `outDir`. */
  overwrite?: boolean;
  asyncMode?: boolean;
  /**
   * On a rerun with a manifest, send again the items an earlier run may already have paid for
   * without a known record id (may pay twice). Default false: they keep their error.
   */
  retryAmbiguous?: boolean;
}

export interface UploadBytesOptions extends CallOptions {
  /** The file name to upload under (default `asset`). */
  fileName?: string;
}

/** The visionxl client. Every network call runs on the Rust runtime: nothing blocks the event loop. */
export class Client {
  constructor(options?: ClientOptions);
  readonly baseUrl: string;
  readonly assetBaseUrl: string;
  /** Credits left in the budget, `null` without a budget. */
  readonly budgetRemaining: number | null;
  /** Validates, checks the budget, paces, sends, and waits for the images. */
  generate(params: GenerateParams, options?: GenerateOptions): Promise<Generation>;
  /** Reads a record again (fresh image URLs); `wait: true` polls until it is final. */
  getGeneration(id: string, options?: CallOptions & { wait?: boolean }): Promise<Generation>;
  /** Uploads a local image file. */
  uploadAsset(path: string, options?: CallOptions): Promise<Asset>;
  /** Uploads image bytes. */
  uploadAsset(data: Uint8Array, options?: UploadBytesOptions): Promise<Asset>;
  /** Many generations, `concurrency` at a time; one result per request, in input order. */
  generateMany(requests: GenerateParams[], options?: GenerateManyOptions): Promise<BatchResult[]>;
  toJSON(): { baseUrl: string; assetBaseUrl: string; budgetRemaining: number | null };
}

/** The price of one call of `n` (1..4, default 1) images of `size`, in credits. */
export function estimateCredits(size: Size, n?: number): number;

export interface BatchPlan {
  size: Size;
  images: number;
  /** `n` of each call, largest first. */
  calls: number[];
  totalCredits: number;
}

/** The cheapest split of `images` images into calls of 1..4. */
export function planBatches(size: Size, images: number): BatchPlan;

/**
 * Every problem of a request without throwing: errors (`severity: 'error'`) first, then
 * warnings. Accepts any value, so untrusted input can be checked as it is.
 */
export function validate(params: unknown): ReportedViolation[];

/** Like `validate`, for a `promptObject` as JSON text in wire names (`2.0` stays a float). */
export function validateJson(text: string): ReportedViolation[];

export interface BuiltRequest {
  /** The `promptObject` exactly as sent (wire names). */
  wire: Record<string, unknown>;
  /** The request in camelCase names (set fields only). */
  params: GenerateParams;
  /** Its price in credits. */
  credits: number;
  warnings: Violation[];
}

/** Builds and validates a request without sending it; throws a `validation_error` listing every problem. */
export function buildRequest(params: GenerateParams): BuiltRequest;

/** Reads a wire `promptObject` (object or JSON text) back. */
export function parseWire(wire: Record<string, unknown> | string): BuiltRequest;

export interface ParamSpec {
  /** The camelCase name of this API. */
  readonly name: keyof GenerateParams;
  /** The snake_case SDK name (Rust, Python, C, CLI). */
  readonly sdk: string;
  /** The service's wire name. */
  readonly wire: string;
  readonly kind: 'string' | 'integer' | 'number' | 'boolean' | 'string[]';
  readonly required: boolean;
  /** The documented default, for display (never sent). */
  readonly default: string | null;
  /** The allowed values or range, for display. */
  readonly allowed: string | null;
  readonly description: string;
}

/** The parameter table of the core. */
export const PARAMS: readonly ParamSpec[];
export const ERROR_CODES: readonly ErrorCode[];
export const SIZES: readonly Size[];
export const PRESET_STYLES: readonly PresetStyleName[];
export const PRESETS: readonly { readonly name: Preset; readonly description: string }[];
export const DEFAULT_BASE_URL: string;
export const MODEL_ID: string;
export const version: string;
