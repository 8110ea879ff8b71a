import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { CheckPrefixesRequest, CreateFilingRequest, DeleteFilingRequest, FilingInfoRequest } from './generated/idis/toplevel/v1/filing';
import { AckRequest, PollRequest, UpdateFilingRequest } from './generated/idis/toplevel/v1/filing';
import { HeartbeatRequest, StatisticsReport } from './generated/idis/toplevel/v1/reporting';
import { ResolvePrefixRequest } from './generated/idis/toplevel/v1/resolution';

/**
 * Signed request metadata for every top-level call after enrolment.
 *
 * The signature covers the gRPC method path, the node and key ids, a millisecond timestamp, a
 * random nonce and the SHA-256 of the request message in protobuf binary form, encoded by the
 * generated ts-proto encoder from the message's fields. The server decodes the request and
 * re-encodes it the same way, so both sides hash identical bytes without access to the wire.
 */
export const AUTH_METADATA = {
  nodeId: 'x-idis-node-id',
  keyId: 'x-idis-key-id',
  timestamp: 'x-idis-timestamp',
  nonce: 'x-idis-nonce',
  signature: 'x-idis-signature',
} as const;

/** A signed call is accepted only when its timestamp is within this distance of the server clock. */
export const MAX_CLOCK_SKEW_MS = 300_000;

type Encoder = { encode(message: never): { finish(): Uint8Array }; fromPartial(object: never): unknown };

/** The request type of every authenticated method, by its full gRPC path. */
export const SIGNED_METHODS: Readonly<Record<string, Encoder>> = {
  '/idis.toplevel.v1.PrefixFiling/Check': CheckPrefixesRequest,
  '/idis.toplevel.v1.PrefixFiling/Create': CreateFilingRequest,
  '/idis.toplevel.v1.PrefixFiling/Update': UpdateFilingRequest,
  '/idis.toplevel.v1.PrefixFiling/Delete': DeleteFilingRequest,
  '/idis.toplevel.v1.PrefixFiling/Info': FilingInfoRequest,
  '/idis.toplevel.v1.PrefixFiling/Poll': PollRequest,
  '/idis.toplevel.v1.PrefixFiling/Ack': AckRequest,
  '/idis.toplevel.v1.PrefixResolution/Resolve': ResolvePrefixRequest,
  '/idis.toplevel.v1.Reporting/ReportStatistics': StatisticsReport,
  '/idis.toplevel.v1.Reporting/Heartbeat': HeartbeatRequest,
};

export function methodPath(service: string, method: string): string {
  return `/idis.toplevel.v1.${service}/${method}`;
}

/** SHA-256 (hex) of the request message's protobuf encoding; throws for a method that is not signed. */
export function requestDigest(method: string, message: unknown): string {
  const type = SIGNED_METHODS[method];
  if (!type) throw new Error(`${method} is not a signed top-level method`);
  const normalised = type.fromPartial((message ?? {}) as never);
  const bytes = type.encode(normalised as never).finish();
  return createHash('sha256').update(bytes).digest('hex');
}

export interface SignatureParts {
  method: string;
  nodeId: string;
  keyId: string;
  timestamp: string;
  nonce: string;
  digest: string;
}

export function canonicalString(parts: SignatureParts): string {
  return ['IDIS-HMAC-SHA256', parts.method, parts.nodeId, parts.keyId, parts.timestamp, parts.nonce, parts.digest].join('\n');
}

export function computeSignature(secretBase64: string, parts: SignatureParts): string {
  return createHmac('sha256', Buffer.from(secretBase64, 'base64')).update(canonicalString(parts)).digest('base64url');
}

/** The metadata entries a client attaches to one call. */
export function signCall(
  credentials: { nodeId: string; keyId: string; secret: string },
  method: string,
  message: unknown,
  now: number = Date.now(),
): Record<string, string> {
  const parts: SignatureParts = {
    method,
    nodeId: credentials.nodeId,
    keyId: credentials.keyId,
    timestamp: String(now),
    nonce: randomBytes(16).toString('base64url'),
    digest: requestDigest(method, message),
  };
  return {
    [AUTH_METADATA.nodeId]: parts.nodeId,
    [AUTH_METADATA.keyId]: parts.keyId,
    [AUTH_METADATA.timestamp]: parts.timestamp,
    [AUTH_METADATA.nonce]: parts.nonce,
    [AUTH_METADATA.signature]: computeSignature(credentials.secret, parts),
  };
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signatureMatches(secretBase64: string, parts: SignatureParts, presented: string): boolean {
  const expected = Buffer.from(computeSignature(secretBase64, parts));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
