import {
  ENV_FLAG_COMPRESSED,
  ENV_FLAG_ENCRYPTED,
  ENV_FLAG_TRUNCATED,
  ENV_SUGGESTED_MAJOR_MASK,
  ENVELOPE_SIZE,
  HEADER_SIZE,
  MAX_MESSAGE_LENGTH,
} from './constants';
import { HandleProtocolError, malformed } from './errors';
import { ResponseCode } from './constants';

/** RFC 3652 §2.2.1: the 20 bytes in front of every message (and of every UDP fragment). */
export interface Envelope {
  majorVersion: number;
  minorVersion: number;
  compressed: boolean;
  encrypted: boolean;
  truncated: boolean;
  /** Handle.Net: the version the sender would rather speak (0.0 = same as major/minor). */
  suggestedMajor: number;
  suggestedMinor: number;
  sessionId: number;
  requestId: number;
  /** Fragment number of a truncated (multi-packet) message; 0 otherwise. */
  sequenceNumber: number;
  /** Bytes of the whole message after the envelope (not of this fragment). */
  messageLength: number;
}

/** The protocol versions this codec reads and writes: 2.0 … 2.11 (Handle.Net 9 sends 2.x). */
export const SUPPORTED_MAJOR = 2;
export const SERVER_MINOR = 10;

export function encodeEnvelope(envelope: Envelope, target: Buffer = Buffer.allocUnsafe(ENVELOPE_SIZE), offset = 0): Buffer {
  target[offset] = envelope.majorVersion;
  target[offset + 1] = envelope.minorVersion;
  target[offset + 2] =
    (envelope.compressed ? ENV_FLAG_COMPRESSED : 0) |
    (envelope.encrypted ? ENV_FLAG_ENCRYPTED : 0) |
    (envelope.truncated ? ENV_FLAG_TRUNCATED : 0) |
    (envelope.suggestedMajor & ENV_SUGGESTED_MAJOR_MASK);
  target[offset + 3] = envelope.suggestedMinor;
  target.writeUInt32BE(envelope.sessionId >>> 0, offset + 4);
  target.writeUInt32BE(envelope.requestId >>> 0, offset + 8);
  target.writeUInt32BE(envelope.sequenceNumber >>> 0, offset + 12);
  target.writeUInt32BE(envelope.messageLength >>> 0, offset + 16);
  return target;
}

/**
 * Reads the envelope at `offset`. Refuses (RC_PROTOCOL_ERROR) a short packet, a message longer
 * than Handle.Net's 256 KiB limit or shorter than a header, and a major version other than 2.
 */
export function decodeEnvelope(bytes: Uint8Array, offset = 0): Envelope {
  if (bytes.length - offset < ENVELOPE_SIZE) throw malformed(`packet of ${bytes.length - offset} bytes is shorter than the 20-byte envelope`);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + offset, ENVELOPE_SIZE);
  const flags = view[2];
  const envelope: Envelope = {
    majorVersion: view[0],
    minorVersion: view[1],
    compressed: (flags & ENV_FLAG_COMPRESSED) !== 0,
    encrypted: (flags & ENV_FLAG_ENCRYPTED) !== 0,
    truncated: (flags & ENV_FLAG_TRUNCATED) !== 0,
    suggestedMajor: flags & ENV_SUGGESTED_MAJOR_MASK,
    suggestedMinor: view[3],
    sessionId: view.readUInt32BE(4),
    requestId: view.readUInt32BE(8),
    sequenceNumber: view.readUInt32BE(12),
    messageLength: view.readUInt32BE(16),
  };
  checkEnvelope(envelope);
  return envelope;
}

export function checkEnvelope(envelope: Envelope): void {
  if (envelope.majorVersion !== SUPPORTED_MAJOR) {
    throw new HandleProtocolError(
      ResponseCode.PROTOCOL_ERROR,
      `protocol version ${envelope.majorVersion}.${envelope.minorVersion} is not supported: this server speaks ${SUPPORTED_MAJOR}.0 to ${SUPPORTED_MAJOR}.${SERVER_MINOR}`,
    );
  }
  if (envelope.messageLength > MAX_MESSAGE_LENGTH) {
    throw malformed(`message length ${envelope.messageLength} exceeds the limit of ${MAX_MESSAGE_LENGTH} bytes`);
  }
  if (envelope.messageLength < HEADER_SIZE) {
    throw malformed(`message length ${envelope.messageLength} is shorter than the 24-byte header`);
  }
}

/**
 * The version a reply is written in: what the request suggests (or speaks, without a suggestion),
 * but no higher than this server's 2.10 (Handle.Net AbstractResponse + setSupportedProtocolVersion).
 */
export function replyVersion(request: Pick<Envelope, 'majorVersion' | 'minorVersion' | 'suggestedMajor' | 'suggestedMinor'>): { major: number; minor: number } {
  let major = request.suggestedMajor === 0 ? request.majorVersion : request.suggestedMajor;
  let minor = request.suggestedMajor === 0 ? request.minorVersion : request.suggestedMinor;
  if (major > SUPPORTED_MAJOR || (major === SUPPORTED_MAJOR && minor > SERVER_MINOR)) {
    major = SUPPORTED_MAJOR;
    minor = SERVER_MINOR;
  }
  return { major, minor };
}

/** True when `version` is at least major.minor. */
export function atLeast(version: { major: number; minor: number }, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}
