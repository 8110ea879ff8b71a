/**
 * The operations a scenario mixes, each a request and a check of its answer. A wrong answer (an
 * unexpected status, a resolution answering for another handle than the one asked, an SNMS envelope
 * without status 1) is an error of its own kind, never a success.
 *
 * HTTP operations are described as plain requests (method, path, headers, body) so that both the
 * autocannon driver and the http.Agent driver can send them; `epcis-mqtt` publishes at QoS 1 and
 * completes at the PUBACK.
 */
import { type KeyPicker, type PickedKey } from './keys';

export const OPERATION_KINDS = ['resolve', 'snms-detail', 'proxy', 'register', 'register-batch', 'update', 'epcis-mqtt', 'epcis-query', 'trace'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** Operations that need a token (IDIS_TOKEN, or IDIS_USERNAME/IDIS_PASSWORD). */
export const NEEDS_TOKEN: ReadonlySet<OperationKind> = new Set(['register', 'register-batch', 'update', 'epcis-query', 'trace', 'epcis-mqtt']);

export interface OperationSpec {
  kind: OperationKind;
  /** Relative weight in the mix. */
  weight: number;
  /** register-batch: identifiers per batch (default 100, at most 2,000). */
  batchSize?: number;
  /** trace: direction back|forward (default back). */
  direction?: 'back' | 'forward';
  /**
   * Resolutions: 'full' (default) checks the status and that the reply names the handle asked for;
   * 'status' only the status (200 for known keys, 404 for unknown), for servers that answer every
   * key with the same bytes (the benchmarks' bare baselines).
   */
  check?: 'full' | 'status';
}

export interface HttpRequestSpec {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Why an answer did not count as a success. */
export type Verdict = undefined | string;

export interface PreparedHttp {
  transport: 'http';
  request: HttpRequestSpec;
  check: (status: number, body: string) => Verdict;
  /** Identifiers a successful answer registered (register, register-batch). */
  registers: number;
}

export interface PreparedMqtt {
  transport: 'mqtt';
  topic: string;
  payload: string;
}

export type Prepared = PreparedHttp | PreparedMqtt;

export interface OperationContext {
  keys: KeyPicker;
  token?: string;
  /** The prefix new identifiers are registered under (register, register-batch) and events published for. */
  prefix: string;
  /** The template version records are registered with. */
  templateVersion: string;
  /** Unique per run and worker, so concurrent runs never collide on new handles. */
  runTag: string;
  mqttTopicRoot: string;
  /** Shared by every operation of one engine: new handles are numbered once, across register and register-batch. */
  serial?: { n: number };
}

/** Is the handle the reply names (JSON "handle":"…") the one asked for? Cheap: no JSON parse. */
export function namesHandle(body: string, handle: string): boolean {
  return body.includes(`"handle":${JSON.stringify(handle)}`);
}

function statusVerdict(status: number, expected: number): Verdict {
  return status === expected ? undefined : `HTTP ${status}`;
}

function resolutionCheck(key: PickedKey, mode: OperationSpec['check'] = 'full'): (status: number, body: string) => Verdict {
  if (mode === 'status') return key.known ? KNOWN_STATUS : UNKNOWN_STATUS;
  if (!key.known) return (status) => (status === 404 ? undefined : status === 200 ? 'found an unknown handle' : `HTTP ${status}`);
  return (status, body) => (status !== 200 ? `HTTP ${status}` : namesHandle(body, key.handle) ? undefined : 'wrong handle in reply');
}

const KNOWN_STATUS = (status: number): Verdict => (status === 200 ? undefined : `HTTP ${status}`);
const UNKNOWN_STATUS = (status: number): Verdict => (status === 404 ? undefined : status === 200 ? 'found an unknown handle' : `HTTP ${status}`);

function snmsOk(status: number, body: string): Verdict {
  if (status !== 200) return `HTTP ${status}`;
  return body.startsWith('{"status":1') || /"status"\s*:\s*1[,}]/.test(body) ? undefined : 'SNMS status not 1';
}

function encodePath(handle: string): string {
  return encodeURIComponent(handle).replace(/%2F/gi, '/');
}

export function recordValues(n: number, note: string) {
  return [
    { index: 2000, type: 'name', data: { format: 'string', value: `load test item ${n}` } },
    { index: 2001, type: 'model', data: { format: 'string', value: note } },
  ];
}

/** One EPCIS ObjectEvent about the given handle (an hdl: identifier under the enterprise's prefix). */
export function objectEventFor(handle: string, sequence: number): Record<string, unknown> {
  return {
    type: 'ObjectEvent',
    eventTime: new Date().toISOString(),
    eventTimeZoneOffset: '+08:00',
    eventID: `urn:uuid:${uuidLike(sequence)}`,
    epcList: [`hdl:${handle}`],
    action: 'OBSERVE',
    bizStep: 'shipping',
  };
}

function uuidLike(sequence: number): string {
  const hex = (n: number, width: number) => Math.floor(n).toString(16).padStart(width, '0').slice(-width);
  const r = () => Math.random() * 0xffffffff;
  return `${hex(r(), 8)}-${hex(r(), 4)}-4${hex(r(), 3)}-8${hex(r(), 3)}-${hex(sequence, 12)}`;
}

/** Prepares operations of one kind: each call gives the next request and its check. */
export function operationFactory(spec: OperationSpec, ctx: OperationContext): () => Prepared {
  const auth: Record<string, string> = ctx.token ? { authorization: `Bearer ${ctx.token}` } : {};
  const json = { 'content-type': 'application/json', ...auth };
  let sequence = 0;
  const serial = (ctx.serial ??= { n: 0 });
  const newHandle = () => `${ctx.prefix}/LT-${ctx.runTag}-${(serial.n += 1)}`;
  switch (spec.kind) {
    case 'resolve':
      return () => {
        const key = ctx.keys.next();
        return { transport: 'http', request: { method: 'GET', path: `/api/handles/${encodePath(key.handle)}`, headers: {} }, check: resolutionCheck(key, spec.check), registers: 0 };
      };
    case 'snms-detail':
      return () => {
        const key = ctx.keys.next();
        return { transport: 'http', request: { method: 'GET', path: `/identityv2/data/detail?handle=${encodeURIComponent(key.handle)}`, headers: {} }, check: resolutionCheck(key, spec.check), registers: 0 };
      };
    case 'proxy':
      return () => {
        const key = ctx.keys.next();
        return { transport: 'http', request: { method: 'GET', path: `/${encodePath(key.handle)}?noredirect`, headers: { accept: 'application/json' } }, check: resolutionCheck(key, spec.check), registers: 0 };
      };
    case 'register':
      return () => {
        const handle = newHandle();
        const body = JSON.stringify({ handle, templateVersion: ctx.templateVersion, value: recordValues(serial.n, 'single') });
        return { transport: 'http', request: { method: 'POST', path: '/identityv2/data', headers: json, body }, check: snmsOk, registers: 1 };
      };
    case 'register-batch': {
      const size = Math.max(1, Math.min(2000, spec.batchSize ?? 100));
      return () => {
        const items = Array.from({ length: size }, () => ({ handle: newHandle(), templateVersion: ctx.templateVersion, value: recordValues(serial.n, 'batch') }));
        const check = (status: number, body: string): Verdict => {
          const verdict = snmsOk(status, body);
          if (verdict) return verdict;
          try {
            const data = (JSON.parse(body) as { data?: Array<{ code?: number }> }).data;
            if (!Array.isArray(data) || data.length !== size) return 'batch reply has the wrong number of results';
            return data.every((r) => r.code === 1) ? undefined : 'batch item refused';
          } catch {
            return 'batch reply is not JSON';
          }
        };
        return { transport: 'http', request: { method: 'POST', path: '/identityv2/data/batchCreate', headers: json, body: JSON.stringify(items) }, check, registers: size };
      };
    }
    case 'update':
      return () => {
        let key = ctx.keys.next();
        // Updates go to identifiers that exist.
        for (let i = 0; i < 10 && !key.known; i += 1) key = ctx.keys.next();
        sequence += 1;
        const body = JSON.stringify({ handle: key.handle, templateVersion: ctx.templateVersion, value: recordValues(sequence, `updated ${ctx.runTag}`) });
        return { transport: 'http', request: { method: 'PUT', path: '/identityv2/data', headers: json, body }, check: snmsOk, registers: 0 };
      };
    case 'epcis-query':
      return () => {
        const key = ctx.keys.next();
        return { transport: 'http', request: { method: 'GET', path: `/epcis/events?MATCH_anyEPC=${encodeURIComponent(`hdl:${key.handle}`)}&perPage=10`, headers: auth }, check: (s) => statusVerdict(s, 200), registers: 0 };
      };
    case 'trace':
      return () => {
        const key = ctx.keys.next();
        return {
          transport: 'http',
          request: { method: 'GET', path: `/api/v1/trace/${encodePath(key.handle)}?direction=${spec.direction ?? 'back'}&depth=3`, headers: auth },
          // 404 is a correct answer too: no event mentions that product (yet).
          check: (status, body) => (status === 404 ? undefined : status !== 200 ? `HTTP ${status}` : body.includes(JSON.stringify(key.handle).slice(1, -1)) ? undefined : 'trace of another handle'),
          registers: 0,
        };
      };
    case 'epcis-mqtt':
      return () => {
        const key = ctx.keys.next();
        sequence += 1;
        return { transport: 'mqtt', topic: `${ctx.mqttTopicRoot}/${ctx.prefix}/events`, payload: JSON.stringify(objectEventFor(key.handle, sequence)) };
      };
  }
}

/** Picks operations by weight: a cumulative table and one uniform draw. */
export function weightedPicker<T extends { weight: number }>(items: T[], random: () => number): () => T {
  const total = items.reduce((sum, i) => sum + i.weight, 0);
  if (!(total > 0)) throw new Error('the mix needs at least one operation with a positive weight');
  const cumulative = items.map(
    (
      (sum) => (i: T) =>
        (sum += i.weight / total)
    )(0),
  );
  return () => {
    const u = random();
    for (let k = 0; k < items.length; k += 1) if (u < cumulative[k]) return items[k];
    return items[items.length - 1];
  };
}
