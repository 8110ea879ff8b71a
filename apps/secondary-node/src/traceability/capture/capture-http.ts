import { DomainError } from '../../errors/domain-errors';
import type { QueryValue } from '../../http/query-params';
import type { CaptureErrorBehaviour } from '../store/entities/capture-job.entity';

/**
 * The HTTP side of the EPCIS 2.0 REST binding's capture interface (gs1/EPCIS "REST Bindings/openapi.yaml"):
 * the GS1-* headers, the media types a capture may be sent and answered in, and the discovery
 * headers of OPTIONS /epcis/capture and /epcis/events.
 */

/** The EPCIS and CBV versions this node speaks (as the query side announces them). */
export const EPCIS_VERSION = '2.0.0';
export const CBV_VERSION = '2.0.0';

/** What every capture reply carries. */
export const CAPTURE_VERSION_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'GS1-EPCIS-Version': EPCIS_VERSION, 'GS1-CBV-Version': CBV_VERSION });

/** The bodies a capture accepts: JSON and JSON-LD (the binding's content negotiation). */
export const CAPTURE_MEDIA_TYPES = ['application/json', 'application/ld+json'] as const;
export type CaptureMediaType = (typeof CAPTURE_MEDIA_TYPES)[number];

/** A version the client asks for in GS1-EPCIS-Version / GS1-CBV-Version: any spelling of 2.0. */
const VERSION_2 = /^2(\.0){0,2}$/;

/** The limits announced in GS1-EPCIS-Capture-Limit (events per call) and GS1-EPCIS-Capture-File-Size-Limit (octets). */
export interface CaptureLimits {
  maxEvents: number;
  maxBytes: number;
}

export function captureLimitHeaders(limits: CaptureLimits): Record<string, string> {
  return { 'GS1-EPCIS-Capture-Limit': String(limits.maxEvents), 'GS1-EPCIS-Capture-File-Size-Limit': String(limits.maxBytes) };
}

/**
 * The discovery headers of an OPTIONS reply (openapi 204CaptureEndpointDiscovery /
 * 204WritableResourcesDiscovery): versions, the EPC format of replies, and for /capture the limits
 * and the default error behaviour.
 */
export function discoveryHeaders(allow: string, limits?: CaptureLimits): Record<string, string> {
  return {
    allow,
    'GS1-EPCIS-Version': EPCIS_VERSION,
    'GS1-EPCIS-Min': EPCIS_VERSION,
    'GS1-EPCIS-Max': EPCIS_VERSION,
    'GS1-CBV-Version': CBV_VERSION,
    'GS1-CBV-Min': CBV_VERSION,
    'GS1-CBV-Max': CBV_VERSION,
    // Events are returned as they were captured (the node does not translate identifiers).
    'GS1-EPC-Format': 'Never_Translates',
    'GS1-Vendor-Version': 'idis-secondary-node',
    ...(limits ? { ...captureLimitHeaders(limits), 'GS1-Capture-Error-Behaviour': 'rollback' } : {}),
  };
}

/** The bare media type of a Content-Type header (lower case, without parameters), or null. */
export function mediaTypeOf(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const type = contentType.split(';', 1)[0].trim().toLowerCase();
  return type.length > 0 ? type : null;
}

/** 415 unless the body is application/json or application/ld+json (charset, if given, UTF-8). */
export function requireCaptureContentType(contentType: string | undefined): CaptureMediaType {
  const type = mediaTypeOf(contentType);
  if (type === null || !(CAPTURE_MEDIA_TYPES as readonly string[]).includes(type)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `a capture is sent as application/ld+json or application/json, not ${type ?? 'without a Content-Type'}`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `a capture is JSON in UTF-8, not charset=${charset}`);
  }
  return type as CaptureMediaType;
}

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  /** position in the header, for ties */
  order: number;
}

function mediaRanges(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  accept.split(',').forEach((part, order) => {
    const [range, ...params] = part.split(';');
    const [type, subtype] = range.trim().toLowerCase().split('/');
    if (!type || !subtype) return;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name.toLowerCase() === 'q') {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({ type, subtype, q, order });
  });
  return ranges;
}

/** How specifically a range names `mediaType` (3 exact, 2 type/*, 1 * / *), or 0 when it does not cover it. */
function specificity(range: MediaRange, mediaType: string): number {
  const [type, subtype] = mediaType.split('/');
  if (range.type === type && range.subtype === subtype) return 3;
  if (range.type === type && range.subtype === '*') return 2;
  if (range.type === '*' && range.subtype === '*') return 1;
  return 0;
}

/**
 * The media type of a JSON reply by the Accept header (RFC 9110 §12.5.1): the most specific range
 * that names a type decides its quality; among the acceptable ones the highest quality wins, then
 * the order of `offered`. No Accept header: the first offered. Nothing acceptable: 406.
 */
export function negotiateReplyType(accept: string | undefined, offered: readonly string[] = ['application/json', 'application/ld+json']): string {
  if (accept === undefined || accept.trim() === '') return offered[0];
  const ranges = mediaRanges(accept);
  let best: { type: string; q: number; order: number } | null = null;
  offered.forEach((type, index) => {
    let chosen: MediaRange | null = null;
    let chosenSpecificity = 0;
    for (const range of ranges) {
      const s = specificity(range, type);
      if (s > chosenSpecificity) {
        chosen = range;
        chosenSpecificity = s;
      }
    }
    if (!chosen || (chosen as MediaRange).q <= 0) return;
    const q = (chosen as MediaRange).q;
    const order = chosenSpecificity === 3 ? (chosen as MediaRange).order : ranges.length + index;
    if (!best || q > best.q || (q === best.q && order < best.order)) best = { type, q, order };
  });
  if (!best) throw new DomainError('NOT_ACCEPTABLE', `this resource is JSON: accept ${offered.join(' or ')} (the Accept header was ${JSON.stringify(accept.slice(0, 200))})`);
  return (best as { type: string }).type;
}

/** GS1-Capture-Error-Behaviour: rollback (the default) or proceed; anything else is a 400. */
export function errorBehaviourOf(header: string | undefined): CaptureErrorBehaviour {
  if (header === undefined || header.trim() === '') return 'rollback';
  const value = header.trim().toLowerCase();
  if (value === 'rollback' || value === 'proceed') return value;
  throw new DomainError('VALIDATION_FAILED', `GS1-Capture-Error-Behaviour must be rollback or proceed, got ${JSON.stringify(header.slice(0, 64))}`, [
    { path: 'GS1-Capture-Error-Behaviour', message: 'must be rollback or proceed' },
  ]);
}

/**
 * GS1-EPCIS-Version and GS1-CBV-Version of a request: absent, or 2.0 (this node speaks EPCIS 2.0
 * and CBV 2.0 only). Another version cannot be honoured: 406, as the binding answers a client whose
 * GS1-* requirements the server cannot meet.
 */
export function requireSupportedVersions(epcisVersion: string | undefined, cbvVersion: string | undefined): void {
  for (const [name, value] of [['GS1-EPCIS-Version', epcisVersion], ['GS1-CBV-Version', cbvVersion]] as const) {
    if (value === undefined || value.trim() === '') continue;
    if (!VERSION_2.test(value.trim())) {
      throw new DomainError('NOT_ACCEPTABLE', `${name} ${JSON.stringify(value.slice(0, 32))} is not supported: this node speaks ${name === 'GS1-EPCIS-Version' ? 'EPCIS' : 'CBV'} ${name === 'GS1-EPCIS-Version' ? EPCIS_VERSION : CBV_VERSION}`, [
        { path: name, message: `supported: ${name === 'GS1-EPCIS-Version' ? EPCIS_VERSION : CBV_VERSION}` },
      ]);
    }
  }
}

/**
 * The size of a capture body as sent: its Content-Length, or (chunked) the size of the parsed
 * JSON written again, which is at most what was sent.
 */
export function bodyBytes(request: { headers: Record<string, string | string[] | undefined> }, body: unknown): number {
  const length = request.headers['content-length'];
  if (typeof length === 'string' && /^\d{1,12}$/.test(length)) return Number(length);
  return body === undefined ? 0 : Buffer.byteLength(JSON.stringify(body) ?? '');
}

/** The paths a capture is POSTed to. */
export function isCapturePath(url: string): boolean {
  const path = url.split('?', 1)[0];
  return path === '/epcis/capture' || path === '/epcis/events';
}

export function rejectUnknownParameters(query: Record<string, QueryValue> | undefined, known: string[]): void {
  const unknown = Object.keys(query ?? {}).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new DomainError('VALIDATION_FAILED', `unknown query parameter ${unknown.join(', ')}; expected ${known.join(' or ')}`, unknown.map((name) => ({ path: name, message: 'unknown parameter' })));
  }
}

/**
 * The checks every capture POST makes before reading its body: a capture media type, a reply
 * type the client accepts (returned), EPCIS/CBV 2.0, and no query parameter but `prefix`.
 */
export function checkCaptureRequest(headers: Record<string, string | undefined>, query: Record<string, QueryValue> | undefined): string {
  requireCaptureContentType(headers['content-type']);
  const replyType = negotiateReplyType(headers.accept);
  requireSupportedVersions(headers['gs1-epcis-version'], headers['gs1-cbv-version']);
  rejectUnknownParameters(query, ['prefix']);
  return replyType;
}
