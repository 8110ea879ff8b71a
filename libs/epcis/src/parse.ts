import { namespacesFromContext } from './hash';
import { normaliseEvent } from './normalise';
import { ProblemList, childPath } from './problems';
import { DEFAULT_EPCIS_LIMITS, EPCIS_EVENT_TYPES, EpcisLimits, NormalisedEvent, ParseEpcisResult } from './types';
import { checkBounds, dateTimeAt, isExtensionEventType, isExtensionName, isObject, short, validateEvent } from './validate';

/** Refuses malformed UTF-8 (and drops a leading byte order mark, as the standard decoder does); reusable, as it never streams. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const DOCUMENT_FIELDS = new Set([
  '@context', 'type', 'schemaVersion', 'creationDate', 'epcisBody', 'id', 'instanceIdentifier', 'sender', 'receiver', 'epcisHeader',
]);

/**
 * Parses an MQTT payload / capture body: an EPCISDocument (epcisBody.eventList) or one event. The payload is
 * accepted or rejected as a unit: one bad event rejects it, and every problem found is listed (up to a cap).
 * Never throws for any input.
 */
export function parseEpcisPayload(payload: Buffer | string, limits: Partial<EpcisLimits> = {}): ParseEpcisResult {
  const l: EpcisLimits = { ...DEFAULT_EPCIS_LIMITS, ...limits };
  const problems = new ProblemList(l.maxProblems);
  const fail = (message: string): ParseEpcisResult => ({ ok: false, problems: [{ path: '$', message }] });

  const size = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
  if (size > l.maxPayloadBytes) return fail(`payload is ${size} bytes; the limit is ${l.maxPayloadBytes}`);

  let text: string;
  if (typeof payload === 'string') {
    text = payload;
  } else {
    try {
      text = UTF8.decode(payload);
    } catch {
      return fail('payload is not valid UTF-8');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    return fail(`payload is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(root)) return fail('payload must be a JSON object: an EPCISDocument or a single EPCIS event');

  checkBounds(root, '$', l, problems);

  let events: { raw: unknown; path: string }[];
  let namespaces: Record<string, string> = {};
  if (root.type === 'EPCISDocument') {
    namespaces = namespacesFromContext(root['@context']);
    events = documentEvents(root, l, problems);
  } else if ((typeof root.type === 'string' && (EPCIS_EVENT_TYPES as readonly string[]).includes(root.type)) || isExtensionEventType(root.type)) {
    events = [{ raw: root, path: '$' }];
  } else {
    problems.add(
      '$.type',
      `payload type ${short(root.type)} is neither "EPCISDocument" nor an EPCIS event type (${EPCIS_EVENT_TYPES.join(', ')}, or an extension event type)`,
    );
    return { ok: false, problems: problems.result() };
  }

  const validated = events.map(({ raw, path }) => {
    const own = isObject(raw) ? namespacesFromContext(raw['@context']) : {};
    return { raw, path, facts: validateEvent(raw, path, l, problems, { ...namespaces, ...own }) };
  });
  if (problems.total > 0) return { ok: false, problems: problems.result() };

  const normalised: NormalisedEvent[] = [];
  for (const { raw, path, facts } of validated) {
    const own = isObject(raw) ? namespacesFromContext(raw['@context']) : {};
    const event = normaliseEvent(facts!, raw as Record<string, unknown>, { ...namespaces, ...own }, l, path, problems);
    if (event) normalised.push(event);
  }
  if (problems.total > 0) return { ok: false, problems: problems.result() };
  return { ok: true, events: normalised };
}

function documentEvents(doc: Record<string, unknown>, limits: EpcisLimits, problems: ProblemList): { raw: unknown; path: string }[] {
  for (const key of Object.keys(doc)) {
    if (!DOCUMENT_FIELDS.has(key) && !isExtensionName(key)) {
      problems.add(
        childPath('$', key),
        `unknown field ${JSON.stringify(key)} in the EPCISDocument; extension fields must be namespaced, e.g. "example:${key}"`,
      );
    }
  }
  const version = doc.schemaVersion;
  if (version === undefined) {
    problems.add('$.schemaVersion', 'schemaVersion is required ("2.0")');
  } else if (typeof version !== 'string' || !/^2(\.\d+)*$/.test(version)) {
    problems.add('$.schemaVersion', `schemaVersion must be "2.0" (EPCIS 2.x), got ${short(version)}`);
  }
  if (doc.creationDate === undefined) problems.add('$.creationDate', 'creationDate is required');
  else dateTimeAt(doc.creationDate, '$.creationDate', problems);

  const body = doc.epcisBody;
  if (!isObject(body)) {
    problems.add('$.epcisBody', 'epcisBody is required: an object with an eventList');
    return [];
  }
  for (const key of Object.keys(body)) {
    if (key !== 'eventList' && !isExtensionName(key)) {
      problems.add(childPath('$.epcisBody', key), `unknown field ${JSON.stringify(key)} in epcisBody`);
    }
  }
  const list = body.eventList;
  if (!Array.isArray(list)) {
    problems.add('$.epcisBody.eventList', 'epcisBody.eventList is required: a list of events');
    return [];
  }
  if (list.length > limits.maxEventsPerDocument) {
    problems.add(
      '$.epcisBody.eventList',
      `the document has ${list.length} events; the limit is ${limits.maxEventsPerDocument} per document`,
    );
    return [];
  }
  return list.map((raw, i) => ({ raw, path: `$.epcisBody.eventList[${i}]` }));
}
