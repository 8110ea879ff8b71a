import { parseHandle } from '@idis/identifier';
import {
  decodePacket,
  decodeResponseBody,
  decodeSiteInfo,
  encodeMessage,
  encodePacket,
  encodeResolutionRequestBody,
  OpCode,
  OpFlag,
  ResponseCode,
} from '@idis/handle-protocol';
import { DomainError } from '../errors/domain-errors';
import type { EventHub } from '../events/event-hub';
import type { RemoteResolver } from '../resolution/remote-resolver';
import type { ResolutionCache } from '../resolution/resolution-cache';
import type { ResolutionService } from '../resolution/resolution.service';
import { buildFoundRecord } from '../resolution/record-builder';
import { HandleAnswerer } from './handle-answerer';
import type { HandleProtocolConfig } from './handle-protocol.config';
import { HandleProtocolStats } from './handle-protocol-stats';
import type { SiteRecord } from './site-record';
import { SiteRecord as RealSiteRecord } from './site-record';

/**
 * The answerer's decisions around its I/O (resolution, the top-level referral) with fakes: the
 * listeners and the real resolution path are covered by tests/integration/handle-protocol.spec.ts.
 */
const config = { maxPendingLookups: 2, siteSerial: 3, publicAddress: undefined } as unknown as HandleProtocolConfig;

function request(handle: string, opFlags: number, requestId = 42): Buffer {
  const message = encodeMessage({ opCode: OpCode.RESOLUTION, responseCode: 0, opFlags, siteInfoSerial: 0, recursionCount: 0, expiration: 0 }, encodeResolutionRequestBody({ handle }));
  return encodePacket({ majorVersion: 2, minorVersion: 10, compressed: false, encrypted: false, suggestedMajor: 2, suggestedMinor: 10, sessionId: 0, requestId }, message);
}

function reply(packet: Buffer | undefined) {
  const { envelope, message } = decodePacket(packet as Buffer);
  return { requestId: envelope.requestId, ...decodeResponseBody(message.header, message.body) };
}

function answererWith(fakes: { resolve?: ResolutionService['resolve']; locate?: RemoteResolver['locate']; foreign?: boolean }) {
  const resolution = { resolve: fakes.resolve ?? (() => Promise.reject(new Error('not expected'))) } as unknown as ResolutionService;
  const remote = { isForeign: () => fakes.foreign ?? false, locate: fakes.locate ?? (() => Promise.reject(new Error('not expected'))) } as unknown as RemoteResolver;
  const cache = { invalidationSequence: 0, changedSince: () => false, memoryTrusted: true, fromMemory: () => undefined } as unknown as ResolutionCache;
  const events = { signal: jest.fn() } as unknown as EventHub;
  const site = new RealSiteRecord(config, { nodeId: 'node-a', secondaryPrefix: '88.118' } as never) as SiteRecord;
  site.publish('127.0.0.1', 2641);
  const answerer = new HandleAnswerer(resolution, cache, remote, events, new HandleProtocolStats(), site, config, { negativeTtlSeconds: 30 } as never);
  return { answerer, events };
}

const foreignRecord = () =>
  buildFoundRecord('88.200.5/x', { handle: '88.200.5/X', prefixKey: '88.200.5', valuesJson: JSON.stringify([{ index: 1, type: 'URL', data: { format: 'string', value: 'https://far.example.cn' } }]), templateVersion: null, version: 1, updatedAt: '2026-01-01T00:00:00Z' }, Date.now());

describe('HandleAnswerer', () => {
  it('refers a client that cleared REC to the serving node\'s published Handle listeners (RC_SERVICE_REFERRAL with HS_SITE)', async () => {
    const { answerer } = answererWith({
      foreign: true,
      locate: () => Promise.resolve({ found: true, prefix: '88.200.5', site: { nodeId: 'far', secondaryPrefix: '88.200', endpoints: [{ kind: 'handle-rest', url: 'http://10.0.0.9:8080' }, { kind: 'handle-tcp', url: '10.0.0.9:2641' }, { kind: 'handle-udp', url: '10.0.0.9:2641' }] }, ttlSeconds: 60 } as never),
    });
    const answer = reply(await answerer.answer(request('88.200.5/X', OpFlag.PUBLIC_ONLY)));
    expect(answer).toMatchObject({ requestId: 42, responseCode: ResponseCode.SERVICE_REFERRAL, handle: '0.NA/88.200.5' });
    expect(answer.values?.map((v) => v.type)).toEqual(['HS_SITE']);
    const site = decodeSiteInfo(answer.values?.[0].data as Uint8Array);
    expect(Buffer.from(site.servers[0].address.subarray(12)).join('.')).toBe('10.0.0.9');
    expect(site.servers[0].interfaces).toEqual([
      { type: 2, protocol: 1, port: 2641 },
      { type: 2, protocol: 0, port: 2641 },
    ]);
  });

  it('resolves for the client (as HTTP does) when REC is set, or when the serving node publishes no Handle listener', async () => {
    const resolve = jest.fn(() => Promise.resolve({ entry: foreignRecord(), tier: 'db' as const }));
    const { answerer } = answererWith({ foreign: true, resolve: resolve as never, locate: () => Promise.resolve({ found: true, prefix: '88.200.5', site: { nodeId: 'far', secondaryPrefix: '88.200', endpoints: [{ kind: 'handle-rest', url: 'http://10.0.0.9:8080' }] }, ttlSeconds: 60 } as never) });
    expect(reply(await answerer.answer(request('88.200.5/X', OpFlag.PUBLIC_ONLY | OpFlag.RECURSIVE)))).toMatchObject({ responseCode: 1, handle: '88.200.5/X' });
    expect(reply(await answerer.answer(request('88.200.5/X', OpFlag.PUBLIC_ONLY)))).toMatchObject({ responseCode: 1 });
    expect(resolve).toHaveBeenCalledWith(parseHandle('88.200.5/X'));
  });

  it('maps failures: a cross-node loop to RC 6, an unreachable node to RC 2, both with the reason', async () => {
    const loop = answererWith({ resolve: () => Promise.reject(new DomainError('REFERRAL_LOOP', 'resolution loop: node-a was already asked')) }).answerer;
    expect(reply(await loop.answer(request('88.118.8/x', OpFlag.PUBLIC_ONLY | OpFlag.RECURSIVE)))).toMatchObject({ responseCode: ResponseCode.RECURSION_COUNT_TOO_HIGH, errorMessage: expect.stringMatching(/loop/) });
    const down = answererWith({ resolve: () => Promise.reject(new DomainError('UPSTREAM_UNAVAILABLE', 'node far cannot be reached')) }).answerer;
    expect(reply(await down.answer(request('88.118.8/x', OpFlag.PUBLIC_ONLY | OpFlag.RECURSIVE)))).toMatchObject({ responseCode: ResponseCode.ERROR, errorMessage: 'node far cannot be reached' });
  });

  it('says RC_SERVER_TOO_BUSY once the pending lookups reach the limit', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { answerer } = answererWith({ resolve: () => gate.then(() => ({ entry: foreignRecord(), tier: 'db' as const })) });
    const first = answerer.answer(request('88.118.8/a', OpFlag.PUBLIC_ONLY | OpFlag.RECURSIVE, 1));
    const second = answerer.answer(request('88.118.8/b', OpFlag.PUBLIC_ONLY | OpFlag.RECURSIVE, 2));
    expect(answerer.busy).toBe(true);
    expect(reply(answerer.busyReply(request('88.118.8/c', OpFlag.PUBLIC_ONLY, 3)))).toMatchObject({ requestId: 3, responseCode: ResponseCode.SERVER_TOO_BUSY });
    release();
    await Promise.all([first, second]);
    expect(answerer.busy).toBe(false);
  });
});
