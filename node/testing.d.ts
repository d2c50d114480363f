// Types of `visionxl/testing`.

/// <reference types="node" />

import type { Size } from './index';

export interface EmulatorOptions {
  /** The port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Accepted keys and balances (default `vxl-emulator-key` with 100,000 credits). */
  keys?: { key: string; credits: number }[];
  /** How long each generation takes, in ms (default 0). */
  latencyMs?: number;
  /** How long signed temporary URLs stay valid, in seconds (default 600). */
  temporaryUrlTtlSecs?: number;
  /** At most this many API requests per key per window, else 429 with Retry-After (default 0: off; 180 is the service's). */
  rateLimit?: number;
  /** The rate limit's sliding window, in ms (default 60000). */
  rateWindowMs?: number;
}

export interface Charge {
  recordId: string;
  /** The key charged, redacted. */
  key: string;
  credits: number;
  /** RFC 3339 UTC. */
  at: string;
}

export interface Ledger {
  charges: Charge[];
  /** Balance per redacted key. */
  balances: Record<string, number>;
  totalCharged: number;
  /** Requests refused with 429 by the rate limit (not scripted faults). */
  rateLimited: number;
  /** How often a record was charged (a correct client makes it 0 or 1). */
  chargesFor(recordId: string): number;
}

/** A scripted failure for the next `count` (default 1) requests whose path starts with `path`. */
export type Fault = { count?: number; path?: string } & (
  | { kind: 'rate_limit'; retryAfterSecs: number }
  | { kind: 'status'; status: number }
  | { kind: 'cloudflare' }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop_before_processing' }
  | { kind: 'drop_after_charge' }
  | { kind: 'truncated_body' }
  | { kind: 'malformed_json' }
  | { kind: 'expired_asset' }
  | { kind: 'generation_failure'; message: string }
);

type WithoutCount<F> = F extends unknown ? Omit<F, 'count' | 'path'> : never;

/**
 * A fault kind random faults draw from: the name of a kind without fields, or a fault with its
 * fields and without `count` (`{kind: 'status', status: 503}`).
 */
export type ChaosKind =
  | Exclude<Fault['kind'], 'rate_limit' | 'status' | 'delay' | 'generation_failure'>
  | WithoutCount<Fault>;

/** Random faults: a share of requests meets a fault drawn from `kinds`. */
export interface ChaosSettings {
  /** The share of requests that meet a fault, 0 to 1. */
  rate: number;
  /** Makes the draws repeatable for the same order of requests. */
  seed?: number;
  /** The faults drawn from (default: every kind, with small parameters). */
  kinds?: ChaosKind[];
  /** Only requests whose path starts with this prefix (default: any). */
  path?: string;
}

/** What random faults did: requests that rolled the dice, faults met, faults by kind. */
export interface ChaosReport {
  requests: number;
  faults: number;
  /** `rate_limit`, `status_503`, `drop_after_charge`, ... */
  byKind: Record<string, number>;
}

/** The visionxl emulator, in-process, on 127.0.0.1. */
export class Emulator {
  private constructor();
  static start(options?: EmulatorOptions): Promise<Emulator>;
  /** `http://127.0.0.1:PORT`: the client's `baseUrl`. */
  readonly baseUrl: string;
  readonly assetBaseUrl: string;
  /** `vxl-emulator-key` by default. */
  readonly apiKey: string;
  ledger(): Promise<Ledger>;
  inject(fault: Fault): Promise<void>;
  pendingFaults(): Promise<unknown[]>;
  /**
   * Turns random faults on (replacing earlier settings and counts) or off with `null`; resolves
   * to the report of the settings it replaces (the final counts when turning them off).
   */
  chaos(settings: ChaosSettings | null): Promise<ChaosReport>;
  /** What the random faults did since they were turned on. */
  chaosReport(): Promise<ChaosReport>;
  /** The random faults in force (kinds with camelCase fields), or `null`. */
  chaosSettings(): Promise<{ rate: number; kinds: WithoutCount<Fault>[]; seed: number | null; path: string | null } | null>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface InterpretedRecord {
  kind: 'record';
  id: string;
  status: string;
  images: { index: number; path: string; url: string }[];
}

/** How the SDK reads one answer of the service; throws a VisionXLError for an error answer. */
export function interpretResponse(answer: {
  endpoint?: 'features' | 'results';
  status: number;
  headers?: Record<string, string>;
  body?: string | object;
  assetBaseUrl?: string;
}): InterpretedRecord | { kind: 'empty' };

export type { Size };
