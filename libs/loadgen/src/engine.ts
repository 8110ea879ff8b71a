/**
 * The load engine: one process's share of a run.
 *
 *   open loop    requests are due at the instants of the arrival schedule (schedule.ts) and sent
 *                then whether or not earlier ones returned, over a keep-alive http.Agent; latency is
 *                measured from the intended send time, so a stall of the server shows as the
 *                latency of every request that fell due during it (no coordinated omission).
 *   closed loop  N connections, each sending its next request when the previous answer arrived:
 *                on autocannon (the default for HTTP-only mixes: the cheapest load per request in
 *                Node) or on the http.Agent driver (needed when the mix publishes over MQTT).
 *
 * Every run is bounded: by the schedule's duration, by maxRequests, and in the open loop by
 * maxInFlight outstanding requests (a send that would exceed it is dropped and counted as an error).
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { recordMs } from './histogram';
import { KeyPicker, type KeysConfig, seededRandom } from './keys';
import { type MqttPublisher, connectPublisher } from './mqtt';
import { type OperationContext, type OperationSpec, operationFactory, type Prepared, type PreparedHttp, weightedPicker } from './operations';
import { Recorder, type RunPart, type SecondBucket } from './recorder';
import { rateAt, type Segment, segmentAt, timeOfCount, totalDuration } from './schedule';

/** autocannon 9 ships no types: the part of its programmatic API used here. */
interface AutocannonInstance {
  stop(): void;
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTime: number) => void): void;
  on(event: 'reqError', listener: (error: Error) => void): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>, done: (error: Error | null) => void) => AutocannonInstance;

export interface EngineOptions {
  target: string;
  model: 'open' | 'closed';
  /** Closed loop only: autocannon (HTTP-only mixes) or agent. Default autocannon when possible. */
  driver?: 'autocannon' | 'agent';
  /** Open loop: the arrival schedule; closed loop: only the durations (and warm-up) count. */
  segments: Segment[];
  /** Closed loop: concurrent connections; open loop: the agent's socket limit. */
  connections: number;
  operations: OperationSpec[];
  keys: KeysConfig;
  context: Omit<OperationContext, 'keys'>;
  timeoutMs: number;
  maxRequests: number;
  maxInFlight: number;
  mqtt?: { url: string; username?: string; password?: string };
  workerIndex: number;
  tls?: { rejectUnauthorized: boolean };
  onSecond?: (bucket: SecondBucket) => void;
}

interface Pending {
  prepared: Prepared;
  kind: string;
}

function errorKind(error: NodeJS.ErrnoException | Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (error.message === 'timeout' || error.message === 'request timed out' || code === 'ETIMEDOUT') return 'timeout';
  return code ? `connection ${code}` : `error ${error.message.slice(0, 60)}`;
}

/** Sends one prepared HTTP request over the agent and calls back with (status, body) or an error. */
function httpSender(target: URL, connections: number, timeoutMs: number, tls?: { rejectUnauthorized: boolean }) {
  const secure = target.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: connections, rejectUnauthorized: tls?.rejectUnauthorized ?? true })
    : new http.Agent({ keepAlive: true, maxSockets: connections });
  const request = secure ? https.request : http.request;
  const basePath = target.pathname.replace(/\/$/, '');
  const send = (p: PreparedHttp, done: (status: number, body: string, error?: string) => void) => {
    let finished = false;
    // The timeout runs from the send, waiting for a free socket included: no answer is later than it.
    const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    const finish = (status: number, body: string, error?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done(status, body, error);
    };
    const headers: Record<string, string | number> = { ...p.request.headers };
    if (p.request.body !== undefined) headers['content-length'] = Buffer.byteLength(p.request.body);
    const req = request({ protocol: target.protocol, hostname: target.hostname, port: target.port, method: p.request.method, path: basePath + p.request.path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body.length < 1_000_000 ? (body += chunk) : undefined));
      res.on('end', () => finish(res.statusCode ?? 0, body));
      res.on('error', (error) => finish(0, '', errorKind(error)));
    });
    req.on('error', (error) => finish(0, '', errorKind(error)));
    req.end(p.request.body);
  };
  return { send, close: () => agent.destroy() };
}

/** Runs one share of a run; resolves with its part when the schedule ends, the bound is reached or `stop` aborts. */
export async function runEngine(options: EngineOptions, stop: AbortSignal): Promise<RunPart> {
  const target = new URL(options.target);
  const keys = new KeyPicker(options.keys, options.workerIndex);
  const context: OperationContext = { ...options.context, keys };
  const random = seededRandom((options.keys.seed ?? 1) * 31 + options.workerIndex + 7);
  const factories = options.operations.map((spec) => ({ weight: spec.weight, kind: spec.kind, next: operationFactory(spec, context) }));
  const pick = weightedPicker(factories, random);
  const usesMqtt = options.operations.some((o) => o.kind === 'epcis-mqtt' && o.weight > 0);
  const mqtt: MqttPublisher | undefined = usesMqtt ? await connectPublisher(options.mqtt, options.workerIndex, options.timeoutMs) : undefined;
  const driver = options.model === 'closed' ? (options.driver ?? (usesMqtt ? 'agent' : 'autocannon')) : 'agent';
  if (driver === 'autocannon' && usesMqtt) throw new Error('the autocannon driver sends HTTP only: use --driver agent for a mix with epcis-mqtt');

  const duration = totalDuration(options.segments);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const recorder = new Recorder(start, options.onSecond);
  const measuredAt = (ms: number) => segmentAt(options.segments, (ms - start) / 1000)?.measured ?? true;
  const secondTimer = setInterval(() => {
    const now = performance.now();
    recorder.tick(now, measuredAt(now), options.model === 'open' ? rateAt(options.segments, (now - start) / 1000) : undefined);
  }, 50);
  recorder.tick(start, measuredAt(start), options.model === 'open' ? rateAt(options.segments, 0) : undefined);
  let interrupted = false;
  try {
    if (driver === 'autocannon') interrupted = await closedLoopAutocannon(options, target, duration, pick, recorder, measuredAt, stop);
    else {
      const http = httpSender(target, options.connections, options.timeoutMs, options.tls);
      const execute: Execute = (pending, done) => {
        const p = pending.prepared;
        if (p.transport === 'mqtt') {
          if (!mqtt) return done('no MQTT connection');
          mqtt.publish(p.topic, p.payload, (error) => done(error));
          return;
        }
        http.send(p, (status, body, error) => {
          if (error) return done(error);
          const verdict = p.check(status, body);
          done(verdict, verdict === undefined ? p.registers : 0, status);
        });
      };
      const next = (): Pending => {
        const f = pick();
        return { kind: f.kind, prepared: f.next() };
      };
      try {
        interrupted =
          options.model === 'open'
            ? await openLoop(options, start, next, execute, recorder, (offsetSec) => segmentAt(options.segments, offsetSec)?.measured ?? true, stop)
            : await closedLoopAgent(options, start, duration, next, execute, recorder, measuredAt, stop);
      } finally {
        http.close();
      }
    }
  } finally {
    clearInterval(secondTimer);
    await mqtt?.close();
  }
  const wallMs = performance.now() - start;
  const measuredSeconds = Math.min(
    wallMs / 1000,
    options.segments.filter((s) => s.measured).reduce((sum, s) => sum + Math.max(0, Math.min(s.duration, wallMs / 1000 - s.start)), 0),
  );
  return recorder.part(options.workerIndex, measuredSeconds, wallMs, process.cpuUsage(cpuBefore), interrupted, options.model === 'open');
}

type Execute = (pending: Pending, done: (error?: string, registered?: number, status?: number) => void) => void;

/** Resolves true when stopped early (abort), false at the end of the schedule or at maxRequests. */
function openLoop(
  options: EngineOptions,
  start: number,
  next: () => Pending,
  execute: Execute,
  recorder: Recorder,
  /** By the send's offset in the schedule (seconds), not its clock time: start + offset rounds differently from run to run. */
  measuredAtOffset: (offsetSec: number) => boolean,
  stop: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    let sent = 0;
    let inFlight = 0;
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    let interrupted = false;
    const maybeFinish = () => {
      if (ended && inFlight === 0) {
        stop.removeEventListener('abort', onAbort);
        resolve(interrupted);
      }
    };
    const onAbort = () => {
      interrupted = true;
      ended = true;
      if (timer) clearTimeout(timer);
      maybeFinish();
    };
    stop.addEventListener('abort', onAbort);
    const tick = () => {
      timer = undefined;
      if (ended) return;
      const now = performance.now();
      for (;;) {
        if (sent >= options.maxRequests) {
          ended = true;
          break;
        }
        const due = timeOfCount(options.segments, sent);
        if (!Number.isFinite(due)) {
          ended = true;
          break;
        }
        const intended = start + due * 1000;
        if (intended > now) {
          timer = setTimeout(tick, Math.max(0, Math.floor(intended - now)));
          break;
        }
        sent += 1;
        const measured = measuredAtOffset(due);
        const pending = next();
        if (inFlight >= options.maxInFlight) {
          recorder.dropped += 1;
          recorder.record(pending.kind, 0, 'generator: too many requests in flight (dropped)', measured);
          continue;
        }
        inFlight += 1;
        if (measured) recordMs(recorder.sendLag, now - intended);
        execute(pending, (error, registered, status) => {
          inFlight -= 1;
          recorder.record(pending.kind, performance.now() - intended, error, measured, registered, status);
          maybeFinish();
        });
      }
      if (ended) maybeFinish();
    };
    if (stop.aborted) onAbort();
    else tick();
  });
}

function closedLoopAgent(
  options: EngineOptions,
  start: number,
  duration: number,
  next: () => Pending,
  execute: Execute,
  recorder: Recorder,
  measuredAt: (ms: number) => boolean,
  stop: AbortSignal,
): Promise<boolean> {
  const endAt = start + duration * 1000;
  let sent = 0;
  const user = async () => {
    while (!stop.aborted && sent < options.maxRequests && performance.now() < endAt) {
      sent += 1;
      const pending = next();
      const t0 = performance.now();
      const measured = measuredAt(t0);
      await new Promise<void>((resolve) =>
        execute(pending, (error, registered, status) => {
          recorder.record(pending.kind, performance.now() - t0, error, measured, registered, status);
          resolve();
        }),
      );
    }
  };
  return Promise.all(Array.from({ length: Math.max(1, options.connections) }, user)).then(() => stop.aborted);
}

function closedLoopAutocannon(
  options: EngineOptions,
  target: URL,
  duration: number,
  pick: () => { kind: string; next: () => Prepared },
  recorder: Recorder,
  measuredAt: (ms: number) => boolean,
  stop: AbortSignal,
): Promise<boolean> {
  // autocannon calls onResponse (with the connection's context) and then emits 'response' with the
  // latency, synchronously one after the other: the verdict is handed over in these two variables.
  let lastKind = '';
  let lastVerdict: string | undefined;
  let lastRegisters = 0;
  const basePath = target.pathname.replace(/\/$/, '');
  // The fast path: one resolution kind checked by status only, every key known (or every key
  // unknown): the verdict needs neither the body nor the request, so no onResponse is installed
  // (autocannon then skips converting every reply's headers) — the benchmarks' load, as cheap per
  // request as bare autocannon.
  const only = options.operations.length === 1 ? options.operations[0] : undefined;
  const statusOnly = only !== undefined && only.check === 'status' && ['resolve', 'snms-detail', 'proxy'].includes(only.kind) && !(options.keys.unknownShare! > 0);
  const expectedStatus = options.keys.allUnknown ? 404 : 200;
  const request = statusOnly
    ? {
        setupRequest: (request: any) => {
          const p = pick().next() as PreparedHttp;
          request.path = basePath + p.request.path;
          return request;
        },
      }
    : {
        setupRequest: (request: any, context: any) => {
          const f = pick();
          const p = f.next() as PreparedHttp;
          context.kind = f.kind;
          context.prepared = p;
          request.method = p.request.method;
          request.path = basePath + p.request.path;
          request.headers = p.request.headers;
          if (p.request.body !== undefined) request.body = p.request.body;
          return request;
        },
        onResponse: (status: number, body: string, context: any) => {
          lastKind = context.kind;
          const p = context.prepared as PreparedHttp;
          lastVerdict = p.check(status, body);
          lastRegisters = lastVerdict === undefined ? p.registers : 0;
        },
      };
  if (statusOnly) lastKind = only.kind;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.origin,
        connections: Math.max(1, options.connections),
        pipelining: 1,
        duration,
        timeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
        tlsOptions: options.tls,
        requests: [request],
      },
      (error: Error | null) => {
        stop.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(stop.aborted);
      },
    );
    const onAbort = () => instance.stop();
    stop.addEventListener('abort', onAbort);
    let answered = 0;
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (statusOnly) lastVerdict = status === expectedStatus ? undefined : status === 200 ? 'found an unknown handle' : `HTTP ${status}`;
      recorder.record(lastKind, responseTime, lastVerdict, measuredAt(performance.now() - responseTime), lastRegisters, status);
      answered += 1;
      if (answered === options.maxRequests) instance.stop();
    });
    instance.on('reqError', (error: Error) => {
      recorder.record('connection', 0, errorKind(error), measuredAt(performance.now()));
    });
  });
}
