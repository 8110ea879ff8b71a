import { Inject, Injectable, Logger } from '@nestjs/common';
import { filterValues, type HandleJsonValue, IdentifierError, type ParsedHandle, parseHandle, visibleValues } from '@idis/identifier';
import {
  decodeGenericRequest,
  decodeMessage,
  decodeResolutionRequest,
  encodeMessage,
  encodePacket,
  encodeValueList,
  errorResponseBody,
  HandleProtocolError,
  OpCode,
  referralResponseBody,
  replyVersion,
  REPLY_ECHO_FLAGS,
  requestDigest,
  resolutionResponseBody,
  ResponseCode,
  SERVER_MINOR,
  SUPPORTED_MAJOR,
  wireValueFromJson,
  type DecodedMessage,
  type Envelope,
} from '@idis/handle-protocol';
// The per-request path imports from the modules themselves: a name read through the package index is a getter call.
import { ENVELOPE_SIZE, OpFlag } from '@idis/handle-protocol/constants';
import { plainResolutionHandleLength, REQUEST_HANDLE_AT, stampReply } from '@idis/handle-protocol/reply-stamp';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import type { ResolutionOutcome } from '../events/node-events';
import { RemoteResolver } from '../resolution/remote-resolver';
import { ResolutionCache } from '../resolution/resolution-cache';
import { RESOLUTION_CONFIG, type ResolutionConfig } from '../resolution/resolution.config';
import { ResolutionService } from '../resolution/resolution.service';
import type { CacheEntry, FoundRecord } from '../resolution/resolution.types';
import { HANDLE_PROTOCOL_CONFIG, type HandleProtocolConfig } from './handle-protocol.config';
import { HandleProtocolStats } from './handle-protocol-stats';
import { hashHandleBytes, type ReplyTemplate, ReplyTemplates } from './reply-templates';
import { HANDLE_TCP_ENDPOINT, HANDLE_UDP_ENDPOINT, SiteRecord } from './site-record';

/** Handle.Net's default message lifetime (AbstractMessage: now + 12 h). */
const EXPIRATION_SECONDS = 43_200;
const MAX_TEMPLATES = 100_000;
/** What a referral points clients at: the responsible node's Handle protocol listeners. */
const REFERRAL_ENDPOINTS = [HANDLE_TCP_ENDPOINT, HANDLE_UDP_ENDPOINT] as const;
/** The RECURSIVE and DO_NOT_REFER bits in their bytes of the big-endian OpFlags word (bytes 0 and 1). */
const RECURSIVE_BYTE = OpFlag.RECURSIVE >>> 24;
const DO_NOT_REFER_BYTE = (OpFlag.DO_NOT_REFER >>> 16) & 0xff;
const NOT_SUPPORTED_AUTH =
  'this node does not authenticate Handle protocol clients yet (no challenge-response, sessions or signed requests): send the request unsigned with the public-only flag, or use the Handle REST API over HTTPS with credentials';

/** What a request turned into: a whole reply packet (envelope + message), or nothing to send. */
export type Answer = Buffer | undefined;

interface RequestContext {
  envelope: Envelope;
  message: DecodedMessage;
  version: { major: number; minor: number };
  /** ResolutionCache.invalidationSequence when the lookup started (for a prepared reply built from it). */
  sequence?: number;
}

/**
 * The Handle protocol's request handling, shared by the UDP and TCP listeners: decodes a request,
 * resolves through the same ResolutionService (L1 → L2 → PostgreSQL → top-level referral) as the
 * HTTP front doors, and writes the reply. A plain resolution of a record in L1 is answered from
 * a reply prepared at the previous miss (`preparedTemplate`): a copy and five stamped fields.
 */
@Injectable()
export class HandleAnswerer {
  private readonly logger = new Logger('HandleProtocol');
  private readonly templates: ReplyTemplates;
  private pendingLookups = 0;
  /** Templates with prepared replies not yet reported to the statistics (notePrepared): the first unreportedCount (reused, never truncated). */
  private readonly unreported: ReplyTemplate[] = [];
  private unreportedCount = 0;
  private reportScheduled = false;

  constructor(
    private readonly resolution: ResolutionService,
    private readonly cache: ResolutionCache,
    private readonly remote: RemoteResolver,
    private readonly events: EventHub,
    private readonly stats: HandleProtocolStats,
    private readonly site: SiteRecord,
    @Inject(HANDLE_PROTOCOL_CONFIG) private readonly config: HandleProtocolConfig,
    @Inject(RESOLUTION_CONFIG) private readonly resolutionConfig: ResolutionConfig,
  ) {
    this.templates = new ReplyTemplates(cache, MAX_TEMPLATES);
  }

  /**
   * The prepared reply that answers the request at `packet[at, at + length)` (`now`: Date.now()),
   * or undefined (then `answer` must be used): a plain resolution of a record in L1 that was
   * answered before. Synchronous, no allocation: the hot path. The caller copies it into its output
   * with writePrepared and then reports it with notePrepared.
   */
  preparedTemplate(packet: Buffer, at: number, length: number, now: number): ReplyTemplate | undefined {
    const handleLength = plainResolutionHandleLength(packet, at, length);
    if (handleLength < 0) return undefined;
    const template = this.templates.current(packet, at + REQUEST_HANDLE_AT, handleLength, now);
    if (template === undefined) return undefined;
    if (template.hasPrivateValues && (packet.readUInt32BE(at + ENVELOPE_SIZE + 8) & OpFlag.PUBLIC_ONLY) === 0) return undefined;
    // Another node's record, asked for without recursion: the client may be referred there (resolve).
    if (template.foreign && (packet[at + ENVELOPE_SIZE + 8] & RECURSIVE_BYTE) === 0 && (packet[at + ENVELOPE_SIZE + 9] & DO_NOT_REFER_BYTE) === 0) return undefined;
    return template;
  }

  /** Copies `template`'s reply into `target` at `at` and stamps it for the request at `request[requestAt…]`. */
  writePrepared(template: ReplyTemplate, request: Buffer, requestAt: number, target: Buffer, at: number, now: number): void {
    target.set(template.packet, at);
    stampReply(target, request, ((now / 1000) | 0) + EXPIRATION_SECONDS, at, requestAt);
  }

  /**
   * A prepared reply was sent, `seconds` after its request arrived. Counted at once in the
   * listeners' counters; the statistics and the latency histogram get it at the end of the event
   * loop turn, one signal per run of replies of the same prefix and outcome instead of one per reply.
   */
  notePrepared(template: ReplyTemplate, seconds: number): void {
    this.stats.preparedReplies += 1;
    if (template.unreported === 0) this.unreported[this.unreportedCount++] = template;
    template.unreported += 1;
    template.unreportedSeconds += seconds;
    if (!this.reportScheduled) {
      this.reportScheduled = true;
      setImmediate(this.reportPrepared);
    }
  }

  /** Signals the prepared replies not yet reported (also called when the listeners close). */
  readonly reportPrepared = (): void => {
    this.reportScheduled = false;
    const list = this.unreported;
    const length = this.unreportedCount;
    this.unreportedCount = 0;
    let i = 0;
    while (i < length) {
      const { prefixKey, outcome } = list[i];
      let count = 0;
      let seconds = 0;
      for (; i < length && list[i].prefixKey === prefixKey && list[i].outcome === outcome; i += 1) {
        count += list[i].unreported;
        seconds += list[i].unreportedSeconds;
        list[i].unreported = 0;
        list[i].unreportedSeconds = 0;
      }
      this.events.signal('resolution.observed-many', prefixKey, outcome, seconds, 'handle', count);
    }
  };

  /**
   * Any complete request (one datagram, a reassembled message, or a TCP frame). Malformed input is
   * answered RC_PROTOCOL_ERROR when it carries a request id to answer to; a packet too short for
   * an envelope gets no answer.
   */
  answer(packet: Buffer): Answer | Promise<Answer> {
    if (packet.length < ENVELOPE_SIZE) {
      this.stats.malformed += 1;
      return undefined;
    }
    const envelope = rawEnvelope(packet);
    const version = replyVersion(envelope);
    if (envelope.majorVersion !== SUPPORTED_MAJOR) {
      this.stats.malformed += 1;
      return this.error(envelope, undefined, { major: SUPPORTED_MAJOR, minor: SERVER_MINOR }, ResponseCode.PROTOCOL_ERROR, `protocol version ${envelope.majorVersion}.${envelope.minorVersion} is not supported: this server speaks ${SUPPORTED_MAJOR}.0 to ${SUPPORTED_MAJOR}.${SERVER_MINOR}`);
    }
    let message: DecodedMessage;
    try {
      if (envelope.messageLength !== packet.length - ENVELOPE_SIZE) {
        throw new HandleProtocolError(ResponseCode.PROTOCOL_ERROR, `envelope says the message is ${envelope.messageLength} bytes but ${packet.length - ENVELOPE_SIZE} arrived`);
      }
      message = decodeMessage(packet.subarray(ENVELOPE_SIZE));
    } catch (error) {
      this.stats.malformed += 1;
      return this.error(envelope, undefined, version, codeOf(error), (error as Error).message);
    }
    const context: RequestContext = { envelope, message, version };
    const { header } = message;
    if (header.responseCode !== 0) {
      this.stats.malformed += 1;
      return this.error(envelope, message, version, ResponseCode.PROTOCOL_ERROR, `a request must have response code 0, got ${header.responseCode}`);
    }
    if (envelope.compressed || envelope.encrypted) {
      return this.error(envelope, message, version, ResponseCode.OPERATION_NOT_SUPPORTED, 'compressed and encrypted messages are not supported');
    }
    if (envelope.sessionId !== 0 || (message.credential !== undefined && message.credential.length > 0) || (header.opFlags & (OpFlag.CERTIFIED | OpFlag.ENCRYPT)) !== 0) {
      return this.error(envelope, message, version, ResponseCode.OPERATION_NOT_SUPPORTED, NOT_SUPPORTED_AUTH);
    }
    switch (header.opCode) {
      case OpCode.RESOLUTION:
        return this.resolve(context);
      case OpCode.GET_SITE_INFO:
        return this.siteInfo(context);
      case OpCode.CHALLENGE_RESPONSE:
      case OpCode.VERIFY_RESPONSE:
      case OpCode.SESSION_SETUP:
      case OpCode.SESSION_TERMINATE:
      case OpCode.SESSION_EXCHANGEKEY:
        return this.error(envelope, message, version, ResponseCode.OPERATION_NOT_SUPPORTED, NOT_SUPPORTED_AUTH);
      default:
        return this.error(envelope, message, version, ResponseCode.OPERATION_NOT_SUPPORTED, `operation ${header.opCode} is not supported here: this node answers OC_RESOLUTION (1) and OC_GET_SITEINFO (2); administration goes through the Handle REST API`);
    }
  }

  /** RC_PROTOCOL_ERROR answered from a request's envelope alone (e.g. a TCP request over the size limit). */
  refuse(envelopeBytes: Buffer, text: string): Answer {
    this.stats.malformed += 1;
    if (envelopeBytes.length < ENVELOPE_SIZE) return undefined;
    const envelope = rawEnvelope(envelopeBytes);
    return this.error(envelope, undefined, replyVersion(envelope), ResponseCode.PROTOCOL_ERROR, text);
  }

  /** RC_PROTOCOL_ERROR for a multi-packet request whose pieces did not all arrive in time. */
  incomplete(envelope: Envelope, received: number, expected: number): Buffer {
    this.stats.incompleteMessages += 1;
    return this.error(envelope, undefined, replyVersion(envelope), ResponseCode.PROTOCOL_ERROR, `incomplete message: ${received} of ${expected} packets arrived`);
  }

  private siteInfo({ envelope, message, version }: RequestContext): Answer {
    try {
      decodeGenericRequest(message.body);
    } catch (error) {
      this.stats.malformed += 1;
      return this.error(envelope, message, version, codeOf(error), (error as Error).message);
    }
    return this.reply(envelope, message, version, ResponseCode.SUCCESS, this.site.encoded());
  }

  private resolve(context: RequestContext): Answer | Promise<Answer> {
    const { envelope, message, version } = context;
    const started = performance.now();
    let request: ReturnType<typeof decodeResolutionRequest>;
    let parsed: ParsedHandle;
    try {
      request = decodeResolutionRequest(message.body);
      parsed = parseHandle(request.handle);
    } catch (error) {
      if (!(error instanceof IdentifierError)) this.stats.malformed += 1;
      this.observe('-', 'error', started);
      const code = error instanceof IdentifierError ? ResponseCode.INVALID_HANDLE : codeOf(error);
      return this.error(envelope, message, version, code, (error as Error).message);
    }
    const flags = message.header.opFlags;
    context.sequence = this.cache.invalidationSequence;
    const wantsReferral = (flags & OpFlag.RECURSIVE) === 0 && (flags & OpFlag.DO_NOT_REFER) === 0;
    if (wantsReferral && this.remote.isForeign(parsed.prefixKey)) {
      return this.track(this.referOrResolve(context, request, parsed, started));
    }
    const remembered = this.resolution.resolve(parsed);
    return this.track(remembered.then(
      ({ entry, tier }) => this.found(context, request, parsed, entry, entry.kind === 'missing' ? 'not_found' : tier, started),
      (error: unknown) => this.failed(context, parsed, error, started),
    ));
  }

  /** Counts the lookups in flight (answered RC_SERVER_TOO_BUSY beyond the limit by the listeners). */
  private track(lookup: Promise<Answer>): Promise<Answer> {
    this.pendingLookups += 1;
    const done = () => {
      this.pendingLookups -= 1;
    };
    lookup.then(done, done);
    return lookup;
  }

  /** Whether another cache miss may start (the listeners refuse with RC_SERVER_TOO_BUSY otherwise). */
  get busy(): boolean {
    return this.pendingLookups >= this.config.maxPendingLookups;
  }

  busyReply(packet: Buffer): Answer {
    this.stats.busyRefusals += 1;
    if (packet.length < ENVELOPE_SIZE) return undefined;
    const envelope = rawEnvelope(packet);
    return this.error(envelope, undefined, replyVersion(envelope), ResponseCode.SERVER_TOO_BUSY, 'server too busy: try again shortly');
  }

  private async referOrResolve(context: RequestContext, request: ReturnType<typeof decodeResolutionRequest>, parsed: ParsedHandle, started: number): Promise<Answer> {
    try {
      const referral = await this.remote.locate(parsed, REFERRAL_ENDPOINTS);
      const sites = referral?.site ? this.site.foreignSiteValues(referral.site.endpoints) : undefined;
      if (referral?.site && sites) {
        this.observe(parsed.prefixKey, 'db', started);
        const body = referralResponseBody(`0.NA/${referral.prefix}`, encodeValueList(sites), this.digestFor(context));
        return this.reply(context.envelope, context.message, context.version, ResponseCode.SERVICE_REFERRAL, body);
      }
      // The responsible node publishes no Handle protocol listener: resolve for the client, as HTTP does.
      const { entry, tier } = await this.resolution.resolve(parsed);
      return this.found(context, request, parsed, entry, entry.kind === 'missing' ? 'not_found' : tier, started);
    } catch (error) {
      return this.failed(context, parsed, error, started);
    }
  }

  private found(context: RequestContext, request: ReturnType<typeof decodeResolutionRequest>, parsed: ParsedHandle, entry: CacheEntry, outcome: ResolutionOutcome, started: number): Answer {
    const { envelope, message, version } = context;
    const flags = message.header.opFlags;
    const plain = request.indexes.length === 0 && request.types.length === 0 && (flags & OpFlag.REQUEST_DIGEST) === 0;
    if (entry.kind === 'missing') {
      this.observe(parsed.prefixKey, 'not_found', started);
      const reason = entry.prefixUnknown ? ` (prefix ${parsed.prefix} is not known to the top-level node)` : '';
      const reply = this.error(envelope, message, version, ResponseCode.HANDLE_NOT_FOUND, `handle ${request.handle} not found${reason}`);
      if (plain && (flags & OpFlag.PUBLIC_ONLY) !== 0) this.rememberReply(context, request.handleBytes, entry, parsed, 'not_found', false, reply);
      return reply;
    }
    const hasPrivateValues = entry.publicValuesJson !== entry.valuesJson;
    if ((flags & OpFlag.PUBLIC_ONLY) === 0 && hasPrivateValues) {
      this.observe(parsed.prefixKey, outcome, started);
      return this.error(envelope, message, version, ResponseCode.AUTHENTICATION_NEEDED, `handle ${request.handle} has values that only its administrators may read, and ${NOT_SUPPORTED_AUTH}`);
    }
    const visible = visibleValues(entry.values, false);
    const chosen = filterValues(visible, { indexes: request.indexes, types: request.types });
    if (!plain && chosen.length === 0 && (request.indexes.length > 0 || request.types.length > 0)) {
      this.observe(parsed.prefixKey, outcome, started);
      return this.error(envelope, message, version, ResponseCode.VALUES_NOT_FOUND, `handle ${request.handle} has no public values of the requested indexes or types`);
    }
    const body = resolutionResponseBody(request.handleBytes, this.valueList(entry, chosen, plain), this.digestFor(context));
    const reply = this.reply(envelope, message, version, ResponseCode.SUCCESS, body);
    this.observe(parsed.prefixKey, outcome, started);
    if (plain) this.rememberReply(context, request.handleBytes, entry, parsed, 'l1', hasPrivateValues, reply);
    return reply;
  }

  private valueList(entry: FoundRecord, values: HandleJsonValue[], _plain: boolean): Buffer {
    try {
      return encodeValueList(values.map(wireValueFromJson));
    } catch (error) {
      this.logger.warn(`values of ${entry.handle} could not be encoded for the Handle protocol: ${(error as Error).message}`);
      throw error;
    }
  }

  private rememberReply(context: RequestContext, handleBytes: Uint8Array, entry: CacheEntry, parsed: ParsedHandle, outcome: ResolutionOutcome, hasPrivateValues: boolean, packet: Answer): void {
    if (!packet || context.sequence === undefined) return;
    // The record's lifetime as L1 keeps it: its TTL (or the not-found TTL) from when it was read.
    const ttlSeconds = entry.kind === 'found' ? entry.ttlSeconds : this.resolutionConfig.negativeTtlSeconds;
    const expiresAt = entry.loadedAt + ttlSeconds * 1000;
    const key = Buffer.from(handleBytes);
    const template: ReplyTemplate = {
      key,
      hash: hashHandleBytes(key, 0, key.length),
      next: undefined,
      handleKey: parsed.key,
      prefixKey: parsed.prefixKey,
      outcome,
      hasPrivateValues,
      foreign: this.remote.isForeign(parsed.prefixKey),
      expiresAt,
      sequence: context.sequence,
      packet,
      unreported: 0,
      unreportedSeconds: 0,
    };
    this.templates.remember(template);
  }

  private failed(context: RequestContext, parsed: ParsedHandle, error: unknown, started: number): Answer {
    this.observe(parsed.prefixKey, 'error', started);
    const { envelope, message, version } = context;
    if (error instanceof DomainError) {
      if (error.code === 'REFERRAL_LOOP') return this.error(envelope, message, version, ResponseCode.RECURSION_COUNT_TOO_HIGH, error.message);
      if (error.code === 'INVALID_HANDLE') return this.error(envelope, message, version, ResponseCode.INVALID_HANDLE, error.message);
      return this.error(envelope, message, version, ResponseCode.ERROR, error.message);
    }
    this.logger.error(`Handle protocol resolution of ${parsed.handle} failed: ${(error as Error)?.stack ?? String(error)}`);
    return this.error(envelope, message, version, ResponseCode.ERROR, 'the server could not resolve the handle; see its log');
  }

  private digestFor(context: RequestContext): Buffer | undefined {
    return (context.message.header.opFlags & OpFlag.REQUEST_DIGEST) !== 0 ? requestDigest(context.message.signedPart, context.version) : undefined;
  }

  private error(envelope: Envelope, message: DecodedMessage | undefined, version: { major: number; minor: number }, code: number, text: string): Buffer {
    const digest = message && (message.header.opFlags & OpFlag.REQUEST_DIGEST) !== 0 ? requestDigest(message.signedPart, version) : undefined;
    return this.reply(envelope, message, version, code, errorResponseBody(text, digest));
  }

  private reply(envelope: Envelope, message: DecodedMessage | undefined, version: { major: number; minor: number }, responseCode: number, body: Uint8Array): Buffer {
    const requestFlags = message?.header.opFlags ?? 0;
    const digestFlag = requestFlags & OpFlag.REQUEST_DIGEST;
    const encoded = encodeMessage(
      {
        opCode: message?.header.opCode ?? OpCode.RESERVED,
        responseCode,
        opFlags: ((requestFlags & REPLY_ECHO_FLAGS) | digestFlag) >>> 0,
        siteInfoSerial: this.config.siteSerial,
        recursionCount: message?.header.recursionCount ?? 0,
        expiration: ((Date.now() / 1000) | 0) + EXPIRATION_SECONDS,
      },
      body,
    );
    return encodePacket(
      { majorVersion: version.major, minorVersion: version.minor, compressed: false, encrypted: false, suggestedMajor: SUPPORTED_MAJOR, suggestedMinor: SERVER_MINOR, sessionId: envelope.sessionId, requestId: envelope.requestId },
      encoded,
    );
  }

  private observe(prefixKey: string, outcome: ResolutionOutcome, started: number): void {
    this.events.signal('resolution.observed', prefixKey, outcome, (performance.now() - started) / 1000, 'handle');
  }
}

/** The envelope fields of any packet of at least 20 bytes, without judging them. */
export function rawEnvelope(packet: Buffer): Envelope {
  return {
    majorVersion: packet[0],
    minorVersion: packet[1],
    compressed: (packet[2] & 0x80) !== 0,
    encrypted: (packet[2] & 0x40) !== 0,
    truncated: (packet[2] & 0x20) !== 0,
    suggestedMajor: packet[2] & 0x03,
    suggestedMinor: packet[3],
    sessionId: packet.readUInt32BE(4),
    requestId: packet.readUInt32BE(8),
    sequenceNumber: packet.readUInt32BE(12),
    messageLength: packet.readUInt32BE(16),
  };
}

function codeOf(error: unknown): number {
  return error instanceof HandleProtocolError ? error.responseCode : ResponseCode.PROTOCOL_ERROR;
}
