import { expectedEventId } from './event-id';
import { epcisDocument, type EpcisEvent, type FlowEvent } from './flow';
import { SeededRandom } from './random';

/**
 * Turns the event stream into MQTT messages on `idis/v1/{prefix}/events`: an EPCISDocument holding
 * one or more consecutive events of the same enterprise, or (sometimes) one bare event. Optionally
 * mixes in re-published copies of earlier messages (duplicates) and deliberately broken messages
 * (each kind below must be rejected by the node), deterministically from the seed.
 */

export const INVALID_KINDS = ['malformed-json', 'missing-action', 'bad-time-zone', 'unknown-bizstep', 'foreign-commission', 'inactive-prefix'] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

export interface MessageOptions {
  seed: number | string;
  /** 1 to 100 (default 1): a message holds 1..this many consecutive events of one enterprise. */
  maxEventsPerMessage?: number;
  /** Fraction of single-event messages sent as a bare event instead of an EPCISDocument (default 0.3). */
  bareEventFraction?: number;
  /** Probability (0 to 0.5) that a broken message follows a valid one (default 0). */
  invalidFraction?: number;
  /** Probability (0 to 0.5) that a copy of an earlier message follows a valid one (default 0). */
  duplicateFraction?: number;
  /** Kinds of broken messages to draw from (default all). */
  invalidKinds?: readonly InvalidKind[];
  /** Topics are `{topicRoot}/{prefix}/events` (default idis/v1; the node's MQTT_TOPIC_ROOT). */
  topicRoot?: string;
}

export interface SimMessage {
  topic: string;
  payload: string;
  kind: 'events' | 'duplicate' | 'invalid';
  invalidKind?: InvalidKind;
  /** Enterprise prefix of the topic. */
  enterprisePrefix: string;
  /** The enterprise that sends it, when not the topic's (the inactive-prefix kind): its credential is used. */
  publisherPrefix?: string;
  /** For 'events' and 'duplicate': the ids the node stores these events under. */
  eventIds: string[];
  /** Number of flow events in the message (0 for invalid ones; duplicates count the copies). */
  eventCount: number;
}

export class MessageOptionsError extends Error {}

export const DEFAULT_TOPIC_ROOT = 'idis/v1';

export function eventsTopic(prefix: string, topicRoot = DEFAULT_TOPIC_ROOT): string {
  return `${topicRoot}/${prefix}/events`;
}

function check(name: string, value: number, min: number, max: number, integer = false): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new MessageOptionsError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${value}`);
  }
  return value;
}

const DUPLICATE_WINDOW = 256;

export function* flowMessages(events: Iterable<FlowEvent>, options: MessageOptions): Generator<SimMessage> {
  const maxPerMessage = check('maxEventsPerMessage', options.maxEventsPerMessage ?? 1, 1, 100, true);
  const bareFraction = check('bareEventFraction', options.bareEventFraction ?? 0.3, 0, 1);
  const invalidFraction = check('invalidFraction', options.invalidFraction ?? 0, 0, 0.5);
  const duplicateFraction = check('duplicateFraction', options.duplicateFraction ?? 0, 0, 0.5);
  const kinds = options.invalidKinds ?? INVALID_KINDS;
  const topicRoot = options.topicRoot ?? DEFAULT_TOPIC_ROOT;
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(topicRoot) || topicRoot.length > 100) {
    throw new MessageOptionsError(`topicRoot must be topic levels of letters, digits, ".", "_" or "-" separated by "/", got "${topicRoot}"`);
  }
  if (invalidFraction > 0 && kinds.length === 0) throw new MessageOptionsError('invalidKinds must not be empty when invalidFraction > 0');
  const rng = new SeededRandom(`${options.seed}|messages`);
  const recent: SimMessage[] = [];
  const prefixesSeen: string[] = [];

  let pending: FlowEvent[] = [];
  let target = rng.int(1, maxPerMessage);

  function* flush(): Generator<SimMessage> {
    if (pending.length === 0) return;
    const group = pending;
    pending = [];
    target = rng.int(1, maxPerMessage);
    const prefix = group[0].enterprisePrefix;
    if (!prefixesSeen.includes(prefix)) prefixesSeen.push(prefix);
    const list = group.map((e) => e.event);
    const bare = list.length === 1 && rng.chance(bareFraction);
    const body = bare ? list[0] : epcisDocument(list, Math.max(...group.map((e) => e.time)));
    const message: SimMessage = {
      topic: eventsTopic(prefix, topicRoot),
      payload: JSON.stringify(body),
      kind: 'events',
      enterprisePrefix: prefix,
      eventIds: list.map(expectedEventId),
      eventCount: list.length,
    };
    yield message;
    recent.push(message);
    if (recent.length > DUPLICATE_WINDOW) recent.shift();
    if (rng.chance(duplicateFraction)) {
      const original = rng.pick(recent);
      yield { ...original, kind: 'duplicate' };
    }
    if (rng.chance(invalidFraction)) {
      const broken = brokenMessage(rng, rng.pick(kinds), group[group.length - 1], prefixesSeen, topicRoot);
      if (broken) yield broken;
    }
  }

  for (const event of events) {
    if (pending.length > 0 && (pending[0].enterprisePrefix !== event.enterprisePrefix || pending.length >= target)) yield* flush();
    pending.push(event);
  }
  yield* flush();
}

/** A message the node must reject; built from `basis` but with a fresh eventID so it can never pass for a real event. */
function brokenMessage(rng: SeededRandom, kind: InvalidKind, basis: FlowEvent, prefixesSeen: readonly string[], topicRoot: string): SimMessage | undefined {
  const prefix = basis.enterprisePrefix;
  const event: EpcisEvent = JSON.parse(JSON.stringify(basis.event));
  event.eventID = `urn:uuid:${rng.uuid()}`;
  let topicPrefix = prefix;
  let payload: string | undefined;
  switch (kind) {
    case 'malformed-json':
      payload = JSON.stringify(epcisDocument([event], basis.time)).slice(0, -7);
      break;
    case 'missing-action':
      if (event.type === 'TransformationEvent') return undefined; // it has no action to remove
      delete event.action;
      break;
    case 'bad-time-zone':
      event.eventTimeZoneOffset = '+8:00';
      break;
    case 'unknown-bizstep':
      event.bizStep = 'teleporting';
      break;
    case 'foreign-commission': {
      const other = prefixesSeen.find((p) => p.toLowerCase() !== prefix.toLowerCase());
      if (!other) return undefined;
      for (const key of Object.keys(event)) if (!['type', 'eventID', 'eventTime', 'eventTimeZoneOffset'].includes(key)) delete event[key];
      Object.assign(event, { type: 'ObjectEvent', epcList: [`hdl:${other}/FORGED-${rng.uuid().slice(0, 8)}`], action: 'ADD', bizStep: 'commissioning', disposition: 'active' });
      break;
    }
    case 'inactive-prefix':
      topicPrefix = `${prefix.slice(0, prefix.lastIndexOf('.'))}.99999999`;
      break;
  }
  return {
    topic: eventsTopic(topicPrefix, topicRoot),
    payload: payload ?? JSON.stringify(epcisDocument([event], basis.time)),
    kind: 'invalid',
    invalidKind: kind,
    enterprisePrefix: topicPrefix,
    ...(topicPrefix === prefix ? {} : { publisherPrefix: prefix }),
    eventIds: [],
    eventCount: 0,
  };
}
