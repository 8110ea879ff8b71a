import { ENVELOPE_SIZE, MAX_UDP_DATA_SIZE } from './constants';
import { checkEnvelope, type Envelope, encodeEnvelope } from './envelope';
import { malformed } from './errors';

/**
 * Splits a message into UDP packets (RFC 3652 §2.3): one packet when it fits in 512 bytes;
 * otherwise 492-byte pieces, each behind an envelope with TC set, SequenceNumber 0, 1, 2… and
 * MessageLength of the whole message (Handle.Net's HdlUdpRequestHandler does the same).
 */
export function fragmentMessage(envelope: Omit<Envelope, 'messageLength' | 'truncated' | 'sequenceNumber'>, message: Uint8Array, dataSize = MAX_UDP_DATA_SIZE): Buffer[] {
  if (message.length <= dataSize) {
    const packet = Buffer.allocUnsafe(ENVELOPE_SIZE + message.length);
    encodeEnvelope({ ...envelope, truncated: false, sequenceNumber: 0, messageLength: message.length }, packet, 0);
    packet.set(message, ENVELOPE_SIZE);
    return [packet];
  }
  const packets: Buffer[] = [];
  for (let offset = 0, sequence = 0; offset < message.length; offset += dataSize, sequence += 1) {
    const piece = message.subarray(offset, Math.min(message.length, offset + dataSize));
    const packet = Buffer.allocUnsafe(ENVELOPE_SIZE + piece.length);
    encodeEnvelope({ ...envelope, truncated: true, sequenceNumber: sequence, messageLength: message.length }, packet, 0);
    packet.set(piece, ENVELOPE_SIZE);
    packets.push(packet);
  }
  return packets;
}

export interface ReassemblyLimits {
  /** Largest message accepted in pieces (requests are small; far below Handle.Net's 256 KiB). */
  maxMessageLength: number;
  /** Incomplete messages kept at once (all sources). */
  maxPending: number;
  /** Incomplete messages kept per source. */
  maxPendingPerSource: number;
  /** How long the pieces of one message may take to arrive. */
  timeoutMs: number;
  /** Bytes of fragment payload per packet (492 for 512-byte datagrams). */
  dataSize: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = Object.freeze({
  maxMessageLength: 16 * 1024,
  maxPending: 1024,
  maxPendingPerSource: 8,
  timeoutMs: 5000,
  dataSize: MAX_UDP_DATA_SIZE,
});

interface Pending {
  source: string;
  first: Envelope;
  pieces: Array<Uint8Array | undefined>;
  received: number;
  bytes: number;
  deadline: number;
}

export type ReassemblyResult =
  | { status: 'complete'; envelope: Envelope; message: Buffer }
  | { status: 'pending' }
  | { status: 'refused'; reason: string };

/** A message whose pieces did not all arrive in time: the server answers it with an error. */
export interface ExpiredMessage {
  source: string;
  envelope: Envelope;
  received: number;
  expected: number;
}

/**
 * Collects the pieces of multi-packet UDP messages. Memory is bounded by what actually arrived:
 * each piece is copied when it arrives (never a buffer of the claimed length), the claimed
 * length is capped, and the number of incomplete messages per source and overall is capped.
 */
export class UdpReassembler {
  private readonly pending = new Map<string, Pending>();
  private readonly perSource = new Map<string, number>();

  constructor(private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS) {}

  get size(): number {
    return this.pending.size;
  }

  /** `packet` is one datagram whose envelope has TC set. */
  add(source: string, packet: Uint8Array, now: number): ReassemblyResult {
    let envelope: Envelope;
    try {
      envelope = decodeFragmentEnvelope(packet);
    } catch (error) {
      return { status: 'refused', reason: (error as Error).message };
    }
    const { dataSize, maxMessageLength } = this.limits;
    if (envelope.messageLength > maxMessageLength) {
      return { status: 'refused', reason: `a multi-packet request of ${envelope.messageLength} bytes exceeds the limit of ${maxMessageLength}` };
    }
    const expected = Math.ceil(envelope.messageLength / dataSize);
    const payload = packet.subarray(ENVELOPE_SIZE);
    const sequence = envelope.sequenceNumber;
    if (sequence >= expected) return { status: 'refused', reason: `fragment ${sequence} of a message of ${expected} fragments` };
    const wanted = sequence === expected - 1 ? envelope.messageLength - sequence * dataSize : dataSize;
    if (payload.length !== wanted) return { status: 'refused', reason: `fragment ${sequence} carries ${payload.length} bytes, ${wanted} expected` };
    const key = `${source}|${envelope.requestId}`;
    let entry = this.pending.get(key);
    if (entry && entry.first.messageLength !== envelope.messageLength) {
      return { status: 'refused', reason: 'fragments of one request disagree on the message length' };
    }
    if (!entry) {
      if (this.pending.size >= this.limits.maxPending) return { status: 'refused', reason: 'too many incomplete multi-packet requests' };
      const count = this.perSource.get(source) ?? 0;
      if (count >= this.limits.maxPendingPerSource) return { status: 'refused', reason: 'too many incomplete multi-packet requests from this source' };
      entry = { source, first: envelope, pieces: new Array<Uint8Array | undefined>(expected), received: 0, bytes: 0, deadline: now + this.limits.timeoutMs };
      this.pending.set(key, entry);
      this.perSource.set(source, count + 1);
    }
    if (entry.pieces[sequence] === undefined) {
      entry.pieces[sequence] = Buffer.from(payload);
      entry.received += 1;
      entry.bytes += payload.length;
    }
    if (entry.received < expected) return { status: 'pending' };
    this.drop(key, entry);
    return { status: 'complete', envelope: { ...entry.first, truncated: false, sequenceNumber: 0 }, message: Buffer.concat(entry.pieces as Uint8Array[], entry.bytes) };
  }

  /** Removes and returns the messages whose time ran out. */
  sweep(now: number): ExpiredMessage[] {
    const expired: ExpiredMessage[] = [];
    for (const [key, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.drop(key, entry);
      expired.push({ source: entry.source, envelope: entry.first, received: entry.received, expected: entry.pieces.length });
    }
    return expired;
  }

  private drop(key: string, entry: Pending): void {
    this.pending.delete(key);
    const count = (this.perSource.get(entry.source) ?? 1) - 1;
    if (count <= 0) this.perSource.delete(entry.source);
    else this.perSource.set(entry.source, count);
  }
}

function decodeFragmentEnvelope(packet: Uint8Array): Envelope {
  if (packet.length < ENVELOPE_SIZE) throw malformed('packet shorter than the envelope');
  const view = Buffer.from(packet.buffer, packet.byteOffset, ENVELOPE_SIZE);
  const envelope: Envelope = {
    majorVersion: view[0],
    minorVersion: view[1],
    compressed: (view[2] & 0x80) !== 0,
    encrypted: (view[2] & 0x40) !== 0,
    truncated: (view[2] & 0x20) !== 0,
    suggestedMajor: view[2] & 0x03,
    suggestedMinor: view[3],
    sessionId: view.readUInt32BE(4),
    requestId: view.readUInt32BE(8),
    sequenceNumber: view.readUInt32BE(12),
    messageLength: view.readUInt32BE(16),
  };
  checkEnvelope(envelope);
  return envelope;
}
