import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvePrefixResponse } from '@idis/contracts';
import { type HandleJsonValue, type ParsedHandle, parsePrefix } from '@idis/identifier';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { UPSTREAM_CONFIG, type UpstreamConfig } from '../upstream/upstream.config';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import { TopLevelLink } from '../upstream/top-level-link';
import { buildFoundRecord } from './record-builder';
import type { CacheEntry, MissingRecord } from './resolution.types';

/** The header naming the nodes a cross-node resolution has passed through, in order. */
export const VIA_HEADER = 'x-idis-via';
/** A resolution is refused rather than forwarded once it has passed this many nodes. */
export const MAX_HOPS = 4;
/** Referrals kept (per prefix); beyond it the oldest are dropped. */
const MAX_REFERRALS = 10_000;
/** How long an expired referral may still be used while the top level cannot be reached. */
const STALE_REFERRAL_MS = 24 * 3600_000;
/** Largest record body accepted from another node. */
const MAX_REMOTE_BODY_BYTES = 1024 * 1024;
/**
 * How often a cached referral whose site lacks the endpoints a caller needs (e.g. the Handle
 * protocol listeners, announced a heartbeat after enrolment) is asked for again before its TTL ends.
 */
export const INCOMPLETE_REFERRAL_RECHECK_MS = 5_000;

interface Referral {
  answer: ResolvePrefixResponse;
  expiresAt: number;
  /** When the top level gave this answer (Date.now()). */
  fetchedAt: number;
}

/**
 * Resolution of identifiers whose prefix is not under this node's secondary prefix: asks the top
 * level which node serves the prefix (PrefixResolution.Resolve, answer cached for its ttl_seconds,
 * and used past that while the top level is unreachable), then fetches the record from that node's
 * Handle REST API. The caller (ResolutionCache) caches the result like a local record, so a cached
 * foreign record costs what a cached local one does.
 *
 * Loops are cut with the X-IDIS-Via header: a request that already passed this node, or more than
 * MAX_HOPS nodes, is refused (HTTP 508, Handle RC 6).
 */
@Injectable()
export class RemoteResolver {
  private readonly logger = new Logger('RemoteResolution');
  private readonly secondaryKey: string;
  private readonly referrals = new Map<string, Referral>();
  private readonly inflight = new Map<string, Promise<ResolvePrefixResponse>>();

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(UPSTREAM_CONFIG) private readonly upstream: UpstreamConfig,
    private readonly link: TopLevelLink,
    private readonly events: EventHub,
  ) {
    this.secondaryKey = parsePrefix(config.secondaryPrefix).prefixKey;
  }

  /** Whether a prefix belongs to another node (only when linked to a top level: unlinked, everything is local). */
  isForeign(prefixKey: string): boolean {
    if (!this.link.configured) return false;
    return prefixKey !== this.secondaryKey && !prefixKey.startsWith(`${this.secondaryKey}.`);
  }

  /** Refuses a request that would loop or take too many hops; returns the via list to forward. */
  forwardedVia(via: readonly string[]): string[] {
    const me = this.config.nodeId;
    if (via.includes(me)) {
      throw new DomainError('REFERRAL_LOOP', `resolution loop: this node (${me}) was already asked on this path (${via.join(' → ')})`);
    }
    if (via.length >= MAX_HOPS) {
      throw new DomainError('REFERRAL_LOOP', `resolution path too long: ${via.length} nodes (${via.join(' → ')}), at most ${MAX_HOPS} hops are followed`);
    }
    return [...via, me];
  }

  async load(parsed: ParsedHandle, via: readonly string[]): Promise<CacheEntry> {
    const forwarded = this.forwardedVia(via);
    const referral = await this.referralFor(parsed.prefixKey, parsed.prefix);
    const now = Date.now();
    if (!referral.found || !referral.site) return missing(parsed, now, { prefixUnknown: true });
    const site = referral.site;
    if (site.nodeId === this.config.nodeId) {
      throw new DomainError('REFERRAL_LOOP', `the top-level node says this node (${site.nodeId}) serves prefix ${referral.prefix}, but it is not under its prefix ${this.config.secondaryPrefix}`);
    }
    // Only the filed prefix itself, not every sub-prefix under it (those could be made up without end).
    if (referral.prefix.toLowerCase() === parsed.prefixKey) this.events.signal('foreign-prefix.located', parsed.prefixKey);
    const endpoint = site.endpoints.find((e) => e.kind === 'handle-rest');
    if (!endpoint || !/^https?:\/\//i.test(endpoint.url)) {
      throw new DomainError('UPSTREAM_FAILED', `node ${site.nodeId} serving prefix ${referral.prefix} publishes no Handle REST endpoint`);
    }
    return this.fetchRecord(parsed, endpoint.url.replace(/\/+$/, ''), site.nodeId, forwarded, now);
  }

  /**
   * Which node serves a foreign prefix: the top level's answer, cached like the referrals
   * resolution uses (a front door that refers its client instead of resolving for it).
   * `endpointKinds`: what the caller refers its client to (e.g. handle-tcp, handle-udp). A cached
   * answer whose site publishes none of them is incomplete rather than final: the node may have
   * announced them since (they follow its enrolment by a heartbeat), so it is asked for again at
   * most every INCOMPLETE_REFERRAL_RECHECK_MS (and still used if the top level cannot be reached).
   */
  locate(parsed: ParsedHandle, endpointKinds: readonly string[] = []): Promise<ResolvePrefixResponse> {
    return this.referralFor(parsed.prefixKey, parsed.prefix, endpointKinds);
  }

  /** Drops every cached referral (tests, and an operator who knows the map changed). */
  forgetReferrals(): void {
    this.referrals.clear();
  }

  private async referralFor(prefixKey: string, prefix: string, endpointKinds: readonly string[] = []): Promise<ResolvePrefixResponse> {
    const cached = this.referrals.get(prefixKey);
    const now = Date.now();
    if (cached && cached.expiresAt > now && (now - cached.fetchedAt < INCOMPLETE_REFERRAL_RECHECK_MS || publishesAny(cached.answer, endpointKinds))) return cached.answer;
    try {
      return await this.askTopLevel(prefixKey, prefix);
    } catch (error) {
      if (cached && cached.expiresAt + STALE_REFERRAL_MS > Date.now()) return cached.answer;
      if (error instanceof DomainError) throw error;
      throw new DomainError(
        'UPSTREAM_UNAVAILABLE',
        `the top-level node cannot be reached to find the node serving prefix ${prefix}, and no answer is cached: ${(error as { details?: string; message?: string }).details || (error as Error).message}`,
      );
    }
  }

  private askTopLevel(prefixKey: string, prefix: string): Promise<ResolvePrefixResponse> {
    let asking = this.inflight.get(prefixKey);
    if (!asking) {
      asking = this.link
        .call((client, credentials) => client.resolvePrefix({ prefix }, credentials))
        .then((answer) => {
          const ttlMs = Math.max(0, Math.min(answer.ttlSeconds, 172_800)) * 1000;
          if (this.referrals.size >= MAX_REFERRALS) this.referrals.delete(this.referrals.keys().next().value as string);
          this.referrals.delete(prefixKey);
          const fetchedAt = Date.now();
          this.referrals.set(prefixKey, { answer, expiresAt: fetchedAt + ttlMs, fetchedAt });
          return answer;
        })
        .finally(() => this.inflight.delete(prefixKey));
      this.inflight.set(prefixKey, asking);
    }
    return asking;
  }

  private async fetchRecord(parsed: ParsedHandle, baseUrl: string, nodeId: string, via: string[], now: number): Promise<CacheEntry> {
    const url = `${baseUrl}/api/handles/${encodeURIComponent(parsed.handle).replace(/%2F/gi, '/')}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json', [VIA_HEADER]: via.join(',') },
        signal: AbortSignal.timeout(this.upstream.remoteFetchTimeoutMs),
        redirect: 'error',
      });
      text = await readLimited(response, MAX_REMOTE_BODY_BYTES);
    } catch (error) {
      throw new DomainError('UPSTREAM_UNAVAILABLE', `node ${nodeId} serving prefix ${parsed.prefix} cannot be reached: ${(error as Error).message}`);
    }
    const body = parseJson(text);
    if (response.status === 200 && body && Array.isArray(body.values) && body.values.every(isHandleValue)) {
      const values = body.values as HandleJsonValue[];
      const updatedAt = latestTimestamp(values);
      return buildFoundRecord(parsed.key, { handle: typeof body.handle === 'string' ? body.handle : parsed.handle, prefixKey: parsed.prefixKey, valuesJson: JSON.stringify(values), templateVersion: null, version: 1, updatedAt }, now);
    }
    if (response.status === 404 && body?.responseCode === 100) return missing(parsed, now, { servedBy: nodeId });
    if (response.status === 508) {
      throw new DomainError('REFERRAL_LOOP', `node ${nodeId} refused the resolution as a loop: ${typeof body?.message === 'string' ? body.message : 'loop detected'}`);
    }
    if (response.status === 503 || response.status === 502 || response.status === 504) {
      throw new DomainError('UPSTREAM_UNAVAILABLE', `node ${nodeId} serving prefix ${parsed.prefix} could not answer (HTTP ${response.status})`);
    }
    this.logger.warn(`node ${nodeId} answered ${url} with HTTP ${response.status}`);
    throw new DomainError('UPSTREAM_FAILED', `node ${nodeId} serving prefix ${parsed.prefix} answered HTTP ${response.status}${typeof body?.message === 'string' ? `: ${body.message}` : ''}`);
  }
}

/** Whether the answer is final for a caller that needs one of `kinds`: no site to refer to, or a site that publishes one. */
function publishesAny(answer: ResolvePrefixResponse, kinds: readonly string[]): boolean {
  if (kinds.length === 0 || !answer.found || !answer.site) return true;
  return answer.site.endpoints.some((e) => kinds.includes(e.kind));
}

function missing(parsed: ParsedHandle, now: number, extra: Pick<MissingRecord, 'prefixUnknown' | 'servedBy'>): MissingRecord {
  return { kind: 'missing', handleKey: parsed.key, prefixKey: parsed.prefixKey, loadedAt: now, ...extra };
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) throw new Error(`the record is larger than ${limit} bytes`);
  const text = await response.text();
  if (Buffer.byteLength(text) > limit) throw new Error(`the record is larger than ${limit} bytes`);
  return text;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isHandleValue(value: unknown): boolean {
  const v = value as HandleJsonValue;
  return !!v && typeof v === 'object' && Number.isInteger(v.index) && typeof v.type === 'string' && !!v.data && typeof v.data === 'object' && typeof v.data.format === 'string';
}

function latestTimestamp(values: HandleJsonValue[]): string {
  let latest = 0;
  for (const value of values) {
    const at = value.timestamp ? Date.parse(value.timestamp) : Number.NaN;
    if (Number.isFinite(at) && at > latest) latest = at;
  }
  return new Date(latest).toISOString();
}
