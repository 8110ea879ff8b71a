/**
 * Scenarios: a YAML or JSON file (or the same built from flags), validated with ajv. A scenario
 * never holds credentials: tokens and passwords come from the environment or a credentials file,
 * and the scenario is copied into the result as it was read.
 */
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { load as loadYaml } from 'js-yaml';
import type { Distribution, KeysConfig } from './keys';
import { OPERATION_KINDS, type OperationSpec } from './operations';
import type { Phase } from './schedule';

export interface Scenario {
  name?: string;
  target?: string;
  model: 'open' | 'closed';
  driver?: 'autocannon' | 'agent';
  /** Open loop: requests per second of warm-up and constant phases (all workers together). */
  rate: number;
  /** Closed loop: connections; open loop: the socket limit of the agent (all workers together). */
  connections: number;
  timeoutMs: number;
  maxRequests: number;
  maxInFlight: number;
  keys: {
    prefix: string;
    stem: string;
    pad: number;
    start: number;
    count: number;
    distribution: 'uniform' | 'zipf' | 'hot-set' | 'cycle';
    zipfS?: number;
    hotKeys?: number;
    hotTraffic?: number;
    unknownShare?: number;
    seed?: number;
  };
  phases: Phase[];
  mix: Array<{ op: OperationSpec['kind']; weight: number; batchSize?: number; direction?: 'back' | 'forward' }>;
  register?: { prefix?: string; templateVersion?: string };
  mqtt?: { url?: string; topicRoot?: string };
}

/** Hard ceilings: a scenario asking for more is refused (every run is bounded in time and count). */
export const LIMITS = { maxDurationSec: 3600, maxRequests: 100_000_000, maxConnections: 10_000, maxRate: 1_000_000, maxInFlight: 100_000, maxKeys: 100_000_000 };

const positive = { type: 'number', exclusiveMinimum: 0 };
const phaseSchema = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['kind', 'duration'], properties: { kind: { enum: ['warmup', 'constant'] }, duration: { ...positive, maximum: LIMITS.maxDurationSec }, rate: { type: 'number', minimum: 0, maximum: LIMITS.maxRate } } },
    { type: 'object', additionalProperties: false, required: ['kind', 'duration', 'from', 'to'], properties: { kind: { const: 'ramp' }, duration: { ...positive, maximum: LIMITS.maxDurationSec }, from: { type: 'number', minimum: 0, maximum: LIMITS.maxRate }, to: { type: 'number', minimum: 0, maximum: LIMITS.maxRate } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'from', 'step', 'every', 'steps'],
      properties: { kind: { const: 'step' }, from: { type: 'number', minimum: 0, maximum: LIMITS.maxRate }, step: { type: 'number', minimum: 0, maximum: LIMITS.maxRate }, every: { ...positive, maximum: LIMITS.maxDurationSec }, steps: { type: 'integer', minimum: 1, maximum: 1000 } },
    },
  ],
};

export const SCENARIO_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['phases', 'mix', 'keys'],
  properties: {
    name: { type: 'string', maxLength: 200 },
    target: { type: 'string', maxLength: 2000 },
    model: { enum: ['open', 'closed'] },
    driver: { enum: ['autocannon', 'agent'] },
    rate: { type: 'number', minimum: 0, maximum: LIMITS.maxRate },
    connections: { type: 'integer', minimum: 1, maximum: LIMITS.maxConnections },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 120_000 },
    maxRequests: { type: 'integer', minimum: 1, maximum: LIMITS.maxRequests },
    maxInFlight: { type: 'integer', minimum: 1, maximum: LIMITS.maxInFlight },
    keys: {
      type: 'object',
      additionalProperties: false,
      required: ['prefix'],
      properties: {
        prefix: { type: 'string', minLength: 1, maxLength: 64 },
        stem: { type: 'string', maxLength: 100 },
        pad: { type: 'integer', minimum: 0, maximum: 20 },
        start: { type: 'integer', minimum: 0 },
        count: { type: 'integer', minimum: 1, maximum: LIMITS.maxKeys },
        distribution: { enum: ['uniform', 'zipf', 'hot-set', 'cycle'] },
        zipfS: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
        hotKeys: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        hotTraffic: { type: 'number', minimum: 0, maximum: 1 },
        unknownShare: { type: 'number', minimum: 0, maximum: 1 },
        seed: { type: 'integer' },
      },
    },
    phases: { type: 'array', minItems: 1, maxItems: 100, items: phaseSchema },
    mix: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['op', 'weight'],
        properties: { op: { enum: [...OPERATION_KINDS] }, weight: { type: 'number', minimum: 0, maximum: 1_000_000 }, batchSize: { type: 'integer', minimum: 1, maximum: 2000 }, direction: { enum: ['back', 'forward'] } },
      },
    },
    register: { type: 'object', additionalProperties: false, properties: { prefix: { type: 'string', maxLength: 64 }, templateVersion: { type: 'string', maxLength: 128 } } },
    mqtt: { type: 'object', additionalProperties: false, properties: { url: { type: 'string', maxLength: 2000 }, topicRoot: { type: 'string', maxLength: 200 } } },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: false }).compile(SCENARIO_SCHEMA);

export const DEFAULTS = {
  model: 'open' as const,
  rate: 200,
  connections: 32,
  timeoutMs: 10_000,
  maxRequests: 10_000_000,
  maxInFlight: 10_000,
  keys: { stem: 'LT-', pad: 7, start: 1, count: 100_000, distribution: 'uniform' as const },
};

/** Validates and fills defaults; throws an Error listing every problem. */
export function normaliseScenario(input: unknown, source = 'scenario'): Scenario {
  if (!validate(input)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).slice(0, 20);
    throw new Error(`${source} is not a valid scenario:\n  ${problems.join('\n  ')}`);
  }
  const raw = input as Partial<Scenario> & { keys: Partial<Scenario['keys']> & { prefix: string } };
  const scenario: Scenario = {
    ...raw,
    model: raw.model ?? DEFAULTS.model,
    rate: raw.rate ?? DEFAULTS.rate,
    connections: raw.connections ?? DEFAULTS.connections,
    timeoutMs: raw.timeoutMs ?? DEFAULTS.timeoutMs,
    maxRequests: raw.maxRequests ?? DEFAULTS.maxRequests,
    maxInFlight: raw.maxInFlight ?? DEFAULTS.maxInFlight,
    keys: { ...DEFAULTS.keys, ...raw.keys },
    phases: raw.phases as Phase[],
    mix: raw.mix as Scenario['mix'],
  };
  if (!scenario.mix.some((m) => m.weight > 0)) throw new Error(`${source}: the mix needs an operation with a positive weight`);
  if (scenario.keys.distribution === 'hot-set' && (scenario.keys.hotKeys === undefined || scenario.keys.hotTraffic === undefined)) throw new Error(`${source}: hot-set needs keys.hotKeys and keys.hotTraffic`);
  return scenario;
}

export function loadScenarioFile(file: string): Scenario {
  const text = readFileSync(file, 'utf8');
  if (text.length > 1_000_000) throw new Error(`${file}: a scenario file is at most 1 MB`);
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(file) ? JSON.parse(text) : loadYaml(text);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return normaliseScenario(parsed, file);
}

export function keysConfigOf(scenario: Scenario): KeysConfig {
  const k = scenario.keys;
  const distribution: Distribution =
    k.distribution === 'zipf' ? { kind: 'zipf', s: k.zipfS ?? 1 } : k.distribution === 'hot-set' ? { kind: 'hot-set', hotKeys: k.hotKeys ?? 0.01, hotTraffic: k.hotTraffic ?? 0.9 } : { kind: k.distribution };
  return { prefix: k.prefix, source: { series: { stem: k.stem, pad: k.pad, start: k.start, count: k.count } }, distribution, unknownShare: k.unknownShare, seed: k.seed };
}

/** `resolve=80,snms-detail=10,register-batch=1` → mix entries. */
export function parseMix(text: string): Scenario['mix'] {
  return text.split(',').map((part) => {
    const [op, weight] = part.trim().split('=');
    if (!(OPERATION_KINDS as readonly string[]).includes(op)) throw new Error(`--mix: unknown operation "${op}" (known: ${OPERATION_KINDS.join(', ')})`);
    const w = weight === undefined ? 1 : Number(weight);
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`--mix: the weight of ${op} must be a number ≥ 0`);
    return { op: op as OperationSpec['kind'], weight: w };
  });
}
