import { createHash } from 'node:crypto';
import { DIGEST_LENGTH, DigestAlgorithm, ENVELOPE_SIZE, HEADER_SIZE, MAX_HANDLE_LENGTH, OpCode, OpFlag, ResponseCode } from './constants';
import { atLeast, decodeEnvelope, type Envelope, encodeEnvelope } from './envelope';
import { HandleProtocolError, malformed } from './errors';
import { decodeHeader, encodeHeader, type Header } from './header';
import { BoundedReader } from './reader';
import { readValueList, type WireValue } from './values';
import { ByteWriter } from './writer';

/** Index and type lists of a resolution request: at most this many entries each. */
export const MAX_QUERY_INDEXES = 1024;
export const MAX_QUERY_TYPES = 256;
/** Longest type in a type list. */
export const MAX_QUERY_TYPE_BYTES = 1024;

/** A message after the envelope: header, body and the (possibly absent or empty) credential. */
export interface DecodedMessage {
  header: Header;
  /** The body (a view into the message bytes). */
  body: Uint8Array;
  /** Credential bytes after its length field; undefined when the message ends with the body, empty when the length is 0. */
  credential: Uint8Array | undefined;
  /** Header + body: what a request digest (RD) is computed over. */
  signedPart: Uint8Array;
}

/**
 * Reads a whole message (the `messageLength` bytes after the envelope). The credential section is
 * optional on input (Handle.Net reads one only when there is room); a credential length that does
 * not fit what is left is refused.
 */
export function decodeMessage(message: Uint8Array): DecodedMessage {
  const header = decodeHeader(message, 0, message.length);
  const bodyEnd = HEADER_SIZE + header.bodyLength;
  const body = message.subarray(HEADER_SIZE, bodyEnd);
  let credential: Uint8Array | undefined;
  const rest = message.length - bodyEnd;
  if (rest > 0) {
    const reader = new BoundedReader(message, bodyEnd, message.length, 'credential');
    credential = reader.bytesField('credential');
    if (reader.remaining !== 0) throw malformed(`${reader.remaining} unexpected bytes after the credential`);
  }
  return { header, body, credential, signedPart: message.subarray(0, bodyEnd) };
}

/** Envelope + message of one unfragmented packet (or a TCP frame). */
export function decodePacket(packet: Uint8Array): { envelope: Envelope; message: DecodedMessage } {
  const envelope = decodeEnvelope(packet);
  if (envelope.truncated) throw malformed('a truncated fragment cannot be decoded on its own; reassemble it first');
  if (envelope.messageLength !== packet.length - ENVELOPE_SIZE) {
    throw malformed(`envelope says the message is ${envelope.messageLength} bytes but the packet carries ${packet.length - ENVELOPE_SIZE}`);
  }
  return { envelope, message: decodeMessage(packet.subarray(ENVELOPE_SIZE)) };
}

export interface ResolutionRequest {
  handle: string;
  /** The handle exactly as its bytes arrived (echoed in the reply). */
  handleBytes: Uint8Array;
  indexes: number[];
  types: string[];
}

/** OC_RESOLUTION body (RFC 3652 §3.2.1): Handle, IndexList, TypeList — nothing after them. */
export function decodeResolutionRequest(body: Uint8Array): ResolutionRequest {
  const reader = new BoundedReader(body, 0, body.length, 'resolution request');
  const handleBytes = reader.bytesField('handle', MAX_HANDLE_LENGTH);
  let handle: string;
  try {
    handle = new TextDecoder('utf-8', { fatal: true }).decode(handleBytes);
  } catch {
    throw new HandleProtocolError(ResponseCode.INVALID_HANDLE, 'the handle is not valid UTF-8');
  }
  const indexCount = reader.count('index list', 4, MAX_QUERY_INDEXES);
  const indexes: number[] = [];
  for (let i = 0; i < indexCount; i += 1) indexes.push(reader.u32('index'));
  const typeCount = reader.count('type list', 4, MAX_QUERY_TYPES);
  const types: string[] = [];
  for (let i = 0; i < typeCount; i += 1) types.push(reader.utf8('type', MAX_QUERY_TYPE_BYTES));
  if (reader.remaining !== 0) throw malformed(`${reader.remaining} unexpected bytes after the type list`);
  return { handle, handleBytes, indexes, types };
}

/** Body of a request that carries only a handle (OC_GET_SITEINFO and other "generic" requests); may be empty. */
export function decodeGenericRequest(body: Uint8Array): { handle: string } {
  if (body.length === 0) return { handle: '' };
  const reader = new BoundedReader(body, 0, body.length, 'request');
  const handle = reader.utf8('handle', MAX_HANDLE_LENGTH);
  return { handle };
}

export function encodeResolutionRequestBody(request: { handle: string | Uint8Array; indexes?: readonly number[]; types?: readonly string[] }): Buffer {
  const writer = new ByteWriter(64);
  writer.bytesField(typeof request.handle === 'string' ? Buffer.from(request.handle, 'utf8') : request.handle);
  const indexes = request.indexes ?? [];
  writer.u32(indexes.length);
  for (const index of indexes) writer.u32(index);
  const types = request.types ?? [];
  writer.u32(types.length);
  for (const type of types) writer.utf8(type);
  return writer.toBuffer();
}

/** Header + body + credential (an empty credential: u32 0, as Handle.Net writes unsigned messages). */
export function encodeMessage(header: Omit<Header, 'bodyLength'>, body: Uint8Array): Buffer {
  const message = Buffer.allocUnsafe(HEADER_SIZE + body.length + 4);
  encodeHeader({ ...header, bodyLength: body.length }, message, 0);
  message.set(body, HEADER_SIZE);
  message.writeUInt32BE(0, HEADER_SIZE + body.length);
  return message;
}

/** Envelope + message as one buffer (the TCP frame, or a packet small enough for one datagram). */
export function encodePacket(envelope: Omit<Envelope, 'messageLength' | 'truncated' | 'sequenceNumber'>, message: Uint8Array): Buffer {
  const packet = Buffer.allocUnsafe(ENVELOPE_SIZE + message.length);
  encodeEnvelope({ ...envelope, truncated: false, sequenceNumber: 0, messageLength: message.length }, packet, 0);
  packet.set(message, ENVELOPE_SIZE);
  return packet;
}

/**
 * The RequestDigest a reply carries when the request set RD: Handle.Net uses SHA-256 from 2.7 on,
 * SHA-1 from 2.1, and MD5 with a length prefix ("old format") before (AbstractResponse.takeDigestOfRequest).
 */
export function requestDigest(signedPart: Uint8Array, version: { major: number; minor: number }): Buffer {
  if (!atLeast(version, 2, 1)) {
    const digest = createHash('md5').update(signedPart).digest();
    return new ByteWriter(24).bytesField(digest).toBuffer();
  }
  const sha256 = atLeast(version, 2, 7);
  const digest = createHash(sha256 ? 'sha256' : 'sha1').update(signedPart).digest();
  return Buffer.concat([Buffer.from([sha256 ? DigestAlgorithm.SHA256 : DigestAlgorithm.SHA1]), digest]);
}

/** Reads (and skips) a RequestDigest at the start of a reply body whose header has RD. */
export function readRequestDigest(reader: BoundedReader): { algorithm: number; digest: Uint8Array } {
  const algorithm = reader.u8('digest algorithm');
  if (algorithm === DigestAlgorithm.MD5_OLD_FORMAT) {
    reader.offset -= 1;
    return { algorithm, digest: reader.bytesField('request digest', 64) };
  }
  const length = DIGEST_LENGTH[algorithm];
  if (length === undefined) throw malformed(`unknown request digest algorithm ${algorithm}`);
  return { algorithm, digest: reader.fixed(length, 'request digest') };
}

/** Body of a successful OC_RESOLUTION reply (RFC 3652 §3.2.2): [digest] Handle, ValueList. */
export function resolutionResponseBody(handleBytes: Uint8Array, valueList: Uint8Array, digest?: Uint8Array): Buffer {
  const writer = new ByteWriter(8 + handleBytes.length + valueList.length + (digest?.length ?? 0));
  if (digest) writer.raw(digest);
  return writer.bytesField(handleBytes).raw(valueList).toBuffer();
}

/**
 * Body of an error reply (RFC 3652 §3.3): [digest] ErrorMessage UTF8. Always present, also for
 * RC_HANDLE_NOT_FOUND, because Handle.Net clients from 2.1 on read the message field unconditionally.
 */
export function errorResponseBody(message: string, digest?: Uint8Array): Buffer {
  const writer = new ByteWriter(16 + message.length * 3);
  if (digest) writer.raw(digest);
  return writer.utf8(message).toBuffer();
}

/** Body of an RC_SERVICE_REFERRAL reply (RFC 3652 §3.4): [digest] ReferralHandle, [ValueList of HS_SITE values]. */
export function referralResponseBody(referralHandle: string, valueList: Uint8Array | undefined, digest?: Uint8Array): Buffer {
  const writer = new ByteWriter(64 + (valueList?.length ?? 0));
  if (digest) writer.raw(digest);
  writer.utf8(referralHandle);
  if (valueList) writer.raw(valueList);
  return writer.toBuffer();
}

export interface DecodedResponse {
  responseCode: number;
  opCode: number;
  digest?: { algorithm: number; digest: Uint8Array };
  handle?: string;
  values?: WireValue[];
  errorMessage?: string;
  site?: Uint8Array;
}

/** Reads a reply body by its response and op codes (what a client does; used by tests and tools). */
export function decodeResponseBody(header: Header, body: Uint8Array): DecodedResponse {
  const reader = new BoundedReader(body, 0, body.length, 'response');
  const out: DecodedResponse = { responseCode: header.responseCode, opCode: header.opCode };
  if ((header.opFlags & OpFlag.REQUEST_DIGEST) !== 0) out.digest = readRequestDigest(reader);
  if (header.responseCode === ResponseCode.SUCCESS && header.opCode === OpCode.RESOLUTION) {
    out.handle = reader.utf8('handle', MAX_HANDLE_LENGTH);
    out.values = readValueList(reader);
  } else if (header.responseCode === ResponseCode.SUCCESS && header.opCode === OpCode.GET_SITE_INFO) {
    out.site = Buffer.from(reader.fixed(reader.remaining, 'site info'));
  } else if (header.responseCode === ResponseCode.SERVICE_REFERRAL || header.responseCode === ResponseCode.PREFIX_REFERRAL) {
    out.handle = reader.utf8('referral handle', MAX_HANDLE_LENGTH);
    if (reader.remaining > 0) out.values = readValueList(reader);
  } else {
    out.errorMessage = reader.utf8('error message', reader.remaining);
  }
  if (reader.remaining !== 0) throw malformed(`${reader.remaining} unexpected bytes at the end of the response body`);
  return out;
}
