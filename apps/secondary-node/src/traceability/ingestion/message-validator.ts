import { handleLookupKey, parsePrefix } from '@idis/identifier';
import { type EpcisProblem, type NormalisedEvent, parseEpcisPayload } from '@idis/epcis';
import { findNulPointer } from '../../http/nul-guard';

/** Stable machine reasons of a rejected message or capture (epcis_rejects.reason, the rejects topic). */
export type RejectReason = 'invalid_topic' | 'prefix_not_active' | 'payload_too_large' | 'invalid_payload' | 'foreign_commissioning' | 'storage_error' | 'event_id_conflict' | 'rate_limited';

/** A rate limit on messages per enterprise prefix (limits/): undefined admits, a text refuses with that reason. */
export type MessageAdmission = (prefixKey: string) => string | undefined;

export type Verdict =
  | { ok: true; prefixKey: string; events: NormalisedEvent[] }
  | { ok: false; prefixKey: string | null; reason: RejectReason; problems: EpcisProblem[]; eventIds?: string[] };

/** Whether an enterprise prefix is active on this node (the registry's PrefixDirectory behind it). */
export interface ActivePrefixes {
  isActive(prefixKey: string): Promise<boolean>;
}

export interface ValidationLimits {
  maxPayloadBytes: number;
  maxEventsPerDocument: number;
}

/**
 * Decides what one MQTT message is: events of an active enterprise prefix, or a reject with its
 * reason. Order: topic, prefix active here, size, EPCIS parse (C's @idis/epcis, which refuses a whole
 * document when one event is bad), then the commissioning rule.
 */
export class MessageValidator {
  private readonly eventsSuffix = '/events';

  constructor(
    private readonly topicRoot: string,
    private readonly prefixes: ActivePrefixes,
    private readonly limits: ValidationLimits,
    private readonly admission?: MessageAdmission,
  ) {}

  /** The enterprise prefix segment of `{root}/{prefix}/events`, or null when the topic is not of that shape. */
  topicPrefix(topic: string): string | null {
    const head = `${this.topicRoot}/`;
    if (!topic.startsWith(head) || !topic.endsWith(this.eventsSuffix)) return null;
    const segment = topic.slice(head.length, topic.length - this.eventsSuffix.length);
    if (segment.length === 0 || segment.includes('/')) return null;
    return segment;
  }

  async validate(topic: string, payload: Buffer): Promise<Verdict> {
    const segment = this.topicPrefix(topic);
    if (segment === null) {
      return { ok: false, prefixKey: null, reason: 'invalid_topic', problems: [{ path: 'topic', message: `topic must be ${this.topicRoot}/{enterprisePrefix}/events` }] };
    }
    let prefixKey: string;
    try {
      prefixKey = parsePrefix(segment).prefixKey;
    } catch (error) {
      return { ok: false, prefixKey: null, reason: 'invalid_topic', problems: [{ path: 'topic', message: `not an enterprise prefix: ${(error as Error).message}` }] };
    }
    if (!(await this.prefixes.isActive(prefixKey))) {
      return { ok: false, prefixKey, reason: 'prefix_not_active', problems: [{ path: 'topic', message: `enterprise prefix ${segment} is not active on this node` }] };
    }
    // Counted before parsing, so a flood costs no parse; the message is kept as a reject (not lost) and acknowledged.
    const refused = this.admission?.(prefixKey);
    if (refused !== undefined) return { ok: false, prefixKey, reason: 'rate_limited', problems: [{ path: '', message: refused }] };
    return this.validatePayload(prefixKey, payload);
  }

  /** The checks after the topic: size, EPCIS validity, commissioning under the enterprise's own prefix. */
  validatePayload(prefixKey: string, payload: Buffer | string): Verdict {
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (bytes > this.limits.maxPayloadBytes) {
      return { ok: false, prefixKey, reason: 'payload_too_large', problems: [{ path: '', message: `payload is ${bytes} bytes; the limit is ${this.limits.maxPayloadBytes}` }] };
    }
    const parsed = parseEpcisPayload(payload, { maxPayloadBytes: this.limits.maxPayloadBytes, maxEventsPerDocument: this.limits.maxEventsPerDocument });
    if (!parsed.ok) return { ok: false, prefixKey, reason: 'invalid_payload', problems: parsed.problems };
    const nul = nulInDocument(payload);
    if (nul) return { ok: false, prefixKey, reason: 'storage_error', problems: [nul], eventIds: parsed.events.map((e) => e.eventId) };
    const foreign = foreignCommissioning(parsed.events, prefixKey);
    if (foreign.length > 0) {
      return { ok: false, prefixKey, reason: 'foreign_commissioning', problems: foreign, eventIds: parsed.events.map((e) => e.eventId) };
    }
    return { ok: true, prefixKey, events: parsed.events };
  }
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so a document with a NUL (the JSON escape \u0000)
 * is refused as a whole before it reaches the database, with the place of the NUL. The text is
 * searched for the escape first, so the usual document costs one scan.
 */
function nulInDocument(payload: Buffer | string): { path: string; message: string } | null {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  if (!/\\u0000/i.test(text)) return null;
  const found = findNulPointer(JSON.parse(text));
  if (!found) return null;
  return { path: found.pointer || '/', message: `${found.pointer || '/'} contains the NUL character U+0000 at position ${found.position}, which cannot be stored` };
}

/**
 * An enterprise may commission only hdl: handles directly under its own prefix (88.118.8/… for
 * 88.118.8; not 88.118.9/… and not the derived prefix 88.118.8.1, which may belong to someone else).
 */
export function foreignCommissioning(events: NormalisedEvent[], prefixKey: string): EpcisProblem[] {
  const problems: EpcisProblem[] = [];
  events.forEach((event, index) => {
    for (const commissioned of event.commissioned) {
      const handle = /^hdl:/i.test(commissioned) ? commissioned.slice(4) : commissioned;
      const slash = handle.indexOf('/');
      const handlePrefix = handleLookupKey(slash < 0 ? handle : handle.slice(0, slash));
      if (handlePrefix !== prefixKey) {
        problems.push({ path: `epcisBody.eventList[${index}]`, message: `commissions ${commissioned}, which is not under the enterprise prefix ${prefixKey}` });
      }
    }
  });
  return problems;
}
