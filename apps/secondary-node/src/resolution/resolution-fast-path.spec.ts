import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventHub } from '../events/event-hub';
import { missedL1Before, ResolutionFastPath } from './resolution-fast-path';
import type { ResolutionConfig } from './resolution.config';
import type { ResolutionService } from './resolution.service';
import type { CacheEntry, Resolution } from './resolution.types';

/** A request as Node's HTTP server hands it over: only what the fast path reads. */
function incoming(url: string, headers: Record<string, string> = {}, method = 'GET'): IncomingMessage {
  return { method, url, headers, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
}

/** A response that records what was written to it. */
function recorder() {
  const written: { status?: number; headers?: string[]; body?: Buffer | undefined; ended: boolean; destroyed?: Error } = { ended: false };
  const response = {
    headersSent: false,
    writeHead(status: number, headers: string[]) {
      written.status = status;
      written.headers = headers;
      this.headersSent = true;
      return this;
    },
    end(body?: Buffer) {
      written.body = body;
      written.ended = true;
      return this;
    },
    destroy(error: Error) {
      written.destroyed = error;
    },
  };
  return { response: response as unknown as ServerResponse, written };
}

const found = (): CacheEntry => ({
  kind: 'found',
  handle: '88.118.8/A-1',
  handleKey: '88.118.8/a-1',
  prefixKey: '88.118.8',
  values: [],
  valuesJson: '[]',
  publicValuesJson: '[]',
  templateVersion: null,
  version: 1,
  updatedAt: '2026-12-07T00:00:00.000Z',
  ttlSeconds: 600,
  loadedAt: Date.now(),
  etag: 'v1',
}) as unknown as CacheEntry;

function fastPath(remembered: Resolution | undefined) {
  const lookups: string[] = [];
  const signals: unknown[][] = [];
  const resolution = {
    fromMemory: (parsed: { key: string }) => {
      lookups.push(parsed.key);
      return remembered;
    },
  } as unknown as ResolutionService;
  const events = { signal: (...args: unknown[]) => signals.push(args) } as unknown as EventHub;
  const path = new ResolutionFastPath(resolution, events, { negativeTtlSeconds: 30 } as ResolutionConfig);
  // install() opens it; the server here is a stand-in with Fastify's one listener.
  const routed: IncomingMessage[] = [];
  const listeners: Array<(request: IncomingMessage, response: ServerResponse) => void> = [(request) => routed.push(request)];
  const server = {
    listeners: () => [...listeners],
    removeListener: (_name: string, listener: (typeof listeners)[number]) => listeners.splice(listeners.indexOf(listener), 1),
    on: (_name: string, listener: (typeof listeners)[number]) => listeners.push(listener),
  };
  path.install(server as never, { maxUrlLength: 200 });
  const dispatch = (request: IncomingMessage, response: ServerResponse) => listeners[0](request, response);
  return { path, lookups, signals, routed, dispatch };
}

describe('ResolutionFastPath', () => {
  it('answers an anonymous L1 hit itself and signals the observation; the route never sees it', () => {
    const { lookups, signals, routed, dispatch, path } = fastPath({ entry: found(), tier: 'l1' });
    const { response, written } = recorder();
    dispatch(incoming('/api/handles/88.118.8/A-1'), response);
    expect(routed).toHaveLength(0);
    expect(lookups).toEqual(['88.118.8/a-1']);
    expect(written.status).toBe(200);
    expect(JSON.parse((written.body as Buffer).toString('utf8'))).toEqual({ responseCode: 1, handle: '88.118.8/A-1', values: [] });
    expect(written.headers).toEqual(expect.arrayContaining(['etag', 'cache-control', 'vary', 'content-type', 'content-length', 'x-content-type-options']));
    expect(signals).toEqual([['resolution.observed', '88.118.8', 'l1', expect.any(Number), 'handle_rest']]);
    expect(path.answers).toBe(1);
  });

  it.each([
    ['another method', incoming('/api/handles/88.118.8/A-1', {}, 'HEAD')],
    ['another path', incoming('/api/v1/identifiers')],
    ['a query string', incoming('/api/handles/88.118.8/A-1?index=1')],
    ['a percent-encoded NUL', incoming('/api/handles/88.118.8/A%00-1')],
    ['a URL over the limit', incoming(`/api/handles/88.118.8/${'A'.repeat(200)}`)],
    ['a bearer token', incoming('/api/handles/88.118.8/A-1', { authorization: 'Bearer x' })],
    ['an API key', incoming('/api/handles/88.118.8/A-1', { 'x-api-key': 'idk_x' })],
    ['X-IDIS-Via', incoming('/api/handles/88.118.8/A-1', { 'x-idis-via': 'node-a' })],
    ['a handle that does not parse', incoming('/api/handles/no-slash')],
  ])('hands %s to the route without reading L1 or writing', (_what, request) => {
    const { lookups, routed, dispatch, path } = fastPath({ entry: found(), tier: 'l1' });
    const { response, written } = recorder();
    dispatch(request, response);
    expect(routed).toEqual([request]);
    expect(lookups).toEqual([]);
    expect(written).toEqual({ ended: false });
    expect(path.answers).toBe(0);
  });

  it('hands an L1 miss to the route, marked so that the route does not read L1 again', () => {
    const { lookups, routed, dispatch } = fastPath(undefined);
    const { response, written } = recorder();
    const request = incoming('/api/handles/88.118.8/A-1');
    dispatch(request, response);
    expect(lookups).toHaveLength(1);
    expect(routed).toEqual([request]);
    expect(written).toEqual({ ended: false });
    expect(missedL1Before(request)).toBe(true);
  });

  it('hands the request to the route when rendering fails before anything was written', () => {
    const broken = Object.defineProperty({ ...found() }, 'publicValuesJson', {
      get(): string {
        throw new Error('broken entry');
      },
    }) as CacheEntry;
    const { routed, dispatch, path, signals } = fastPath({ entry: broken, tier: 'l1' });
    const { response, written } = recorder();
    const request = incoming('/api/handles/88.118.8/A-1');
    dispatch(request, response);
    expect(routed).toEqual([request]);
    expect(written).toEqual({ ended: false });
    expect(path.answers).toBe(0);
    expect(signals).toEqual([]);
  });

  it('stops answering once the module is destroyed (shutdown): Fastify answers from then on', () => {
    const { routed, dispatch, path } = fastPath({ entry: found(), tier: 'l1' });
    path.onModuleDestroy();
    const request = incoming('/api/handles/88.118.8/A-1');
    dispatch(request, recorder().response);
    expect(routed).toEqual([request]);
  });

  it('refuses to go in front of anything but exactly one request listener', () => {
    const path = new ResolutionFastPath({} as ResolutionService, {} as EventHub, { negativeTtlSeconds: 30 } as ResolutionConfig);
    expect(() => path.install({ listeners: () => [] } as never, { maxUrlLength: 100 })).toThrow(/exactly one request listener; the server has 0/);
  });
});
