import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type EngineOptions, runEngine } from './engine';
import { decodeHistogram, summarise } from './histogram';
import { segmentsOf } from './schedule';

/**
 * A local Handle-REST-shaped server: answers /api/handles/{h} with {"handle":h}; `stall(ms)` holds
 * every answer until the stall ends (as a server stuck in a GC pause or a lock would).
 */
function startServer(options: { wrongHandle?: boolean } = {}): Promise<{ server: Server; url: string; arrivals: number[]; stall: (ms: number) => void }> {
  const arrivals: number[] = [];
  let stalledUntil = 0;
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    const handle = decodeURIComponent((req.url ?? '').replace(/^\/api\/handles\//, '').split('?')[0]);
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ responseCode: 1, handle: options.wrongHandle ? `${handle}X` : handle, values: [] }));
    };
    const wait = stalledUntil - performance.now();
    if (wait > 0) setTimeout(answer, wait);
    else answer();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, stall: (ms) => (stalledUntil = performance.now() + ms) })),
  );
}

function options(url: string, overrides: Partial<EngineOptions>): EngineOptions {
  return {
    target: url,
    model: 'open',
    segments: segmentsOf([{ kind: 'constant', duration: 2 }], 100),
    connections: 64,
    operations: [{ kind: 'resolve', weight: 1 }],
    keys: { prefix: '88.118.8', source: { series: { stem: 'LT-', pad: 7, start: 1, count: 1000 } }, distribution: { kind: 'uniform' }, seed: 1 },
    context: { prefix: '88.118.8', templateVersion: '1.0', runTag: 'test', mqttTopicRoot: 'idis/v1' },
    timeoutMs: 10_000,
    maxRequests: 1_000_000,
    maxInFlight: 10_000,
    workerIndex: 0,
    ...overrides,
  };
}

describe('load engine against a local server', () => {
  let target: Awaited<ReturnType<typeof startServer>>;
  beforeEach(async () => (target = await startServer()));
  afterEach(() => new Promise<void>((resolve) => target.server.close(() => resolve())));

  it('open loop sends on schedule: 200/s for 3 s is 600 requests spread evenly, whatever the answers take', async () => {
    const part = await runEngine(options(target.url, { segments: segmentsOf([{ kind: 'constant', duration: 3 }], 200) }), new AbortController().signal);
    expect(part.requests).toBe(600);
    expect(part.ok).toBe(600);
    expect(target.arrivals).toHaveLength(600);
    // Each request arrives near its due time t0 + i / 200 (t0: the median offset, as the very first
    // request also waits for its connection): the median deviation is a few ms, and the run spans the
    // 3 s of the schedule (a loaded CI machine gets generous bounds).
    const raw = target.arrivals.map((t, i) => t - i * 5);
    const t0 = [...raw].sort((a, b) => a - b)[300];
    const deviations = raw.map((o) => Math.abs(o - t0)).sort((a, b) => a - b);
    expect(deviations[300]).toBeLessThan(10);
    expect(deviations[570]).toBeLessThan(100);
    const span = target.arrivals[599] - target.arrivals[0];
    expect(span).toBeGreaterThan(2900);
    expect(span).toBeLessThan(3300);
    // The generator itself kept up: sends left close to their intended time.
    const lag = summarise(decodeHistogram(part.sendLag as string));
    expect(lag.p50).toBeLessThan(20);
  }, 60_000);

  it('open loop measures from the intended send time: a 1 s stall shows in the percentiles (no coordinated omission); the closed loop hides it', async () => {
    const stallAfter = (ms: number) => setTimeout(() => target.stall(1000), ms);
    stallAfter(1000);
    const open = await runEngine(options(target.url, { segments: segmentsOf([{ kind: 'constant', duration: 4 }], 100) }), new AbortController().signal);
    const openLatency = summarise(decodeHistogram(open.histogram));
    // ~100 of 400 requests fell due during the stall and waited up to 1 s from their intended time.
    expect(open.requests).toBe(400);
    expect(openLatency.p90).toBeGreaterThan(300);
    expect(openLatency.max).toBeGreaterThan(800);

    stallAfter(1000);
    const closed = await runEngine(options(target.url, { model: 'closed', driver: 'agent', connections: 1, segments: segmentsOf([{ kind: 'constant', duration: 4 }], 0) }), new AbortController().signal);
    const closedLatency = summarise(decodeHistogram(closed.histogram));
    // One connection waited through the stall once; it sent nothing meanwhile, so only one sample is slow.
    expect(closedLatency.max).toBeGreaterThan(800);
    expect(closed.requests).toBeGreaterThan(100);
    expect(closedLatency.p90).toBeLessThan(100);
  }, 60_000);

  it('closed loop on autocannon and on the agent: bounded by duration and by maxRequests', async () => {
    const byTime = await runEngine(options(target.url, { model: 'closed', driver: 'autocannon', connections: 4, segments: segmentsOf([{ kind: 'constant', duration: 1 }], 0) }), new AbortController().signal);
    expect(byTime.requests).toBeGreaterThan(50);
    expect(byTime.errors).toBe(0);
    expect(byTime.wallSeconds).toBeLessThan(10);
    const byCount = await runEngine(options(target.url, { model: 'closed', driver: 'agent', connections: 4, maxRequests: 123, segments: segmentsOf([{ kind: 'constant', duration: 30 }], 0) }), new AbortController().signal);
    expect(byCount.requests).toBe(123);
    expect(byCount.wallSeconds).toBeLessThan(25);
  }, 60_000);

  it('stops at once when aborted and returns the partial part', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 700);
    const part = await runEngine(options(target.url, { segments: segmentsOf([{ kind: 'constant', duration: 30 }], 100) }), controller.signal);
    expect(part.interrupted).toBe(true);
    expect(part.requests).toBeGreaterThan(20);
    expect(part.requests).toBeLessThan(1000);
  }, 60_000);
});

describe('answers are checked', () => {
  it('counts a resolution that answers for another handle as an error, with both drivers', async () => {
    const target = await startServer({ wrongHandle: true });
    try {
      for (const driver of ['autocannon', 'agent'] as const) {
        const part = await runEngine(options(target.url, { model: 'closed', driver, connections: 2, maxRequests: 50, segments: segmentsOf([{ kind: 'constant', duration: 5 }], 0) }), new AbortController().signal);
        expect(part.ok).toBe(0);
        expect(part.errors).toBeGreaterThanOrEqual(50);
        expect(part.errorsByKind['resolve: wrong handle in reply']).toBeGreaterThanOrEqual(50);
      }
    } finally {
      await new Promise<void>((resolve) => target.server.close(() => resolve()));
    }
  }, 60_000);

  it('counts refused connections as errors of their own kind', async () => {
    const part = await runEngine(options('http://127.0.0.1:9', { segments: segmentsOf([{ kind: 'constant', duration: 0.5 }], 20) }), new AbortController().signal);
    expect(part.ok).toBe(0);
    expect(part.errors).toBe(10);
    expect(Object.keys(part.errorsByKind)).toEqual(['resolve: connection ECONNREFUSED']);
  }, 60_000);
});
