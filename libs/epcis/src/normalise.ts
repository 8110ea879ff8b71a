import { computeEventHashId, documentPrefixesOf } from './hash';
import { ProblemList } from './problems';
import { EpcisLimits, IdentifierRef, IdentifierRole, NormalisedEvent } from './types';
import { EventFacts } from './validate';

/** Builds the NormalisedEvent of a validated event; null (with a problem) when it would exceed a derived limit. */
export function normaliseEvent(
  facts: EventFacts,
  raw: Record<string, unknown>,
  namespaces: Record<string, string>,
  limits: EpcisLimits,
  path: string,
  problems: ProblemList,
): NormalisedEvent | null {
  const { lists } = facts;
  const of = (...roles: IdentifierRole[]) => unique(roles.flatMap((r) => lists[r] ?? []));

  const derivations: NormalisedEvent['derivations'] = [];
  if (facts.type === 'TransformationEvent') {
    const inputs = of('input', 'inputQuantity');
    const outputs = of('output', 'outputQuantity');
    if (inputs.length * outputs.length > limits.maxDerivationsPerEvent) {
      problems.add(
        path,
        `${inputs.length} inputs × ${outputs.length} outputs make ${inputs.length * outputs.length} derivation pairs; ` +
          `the limit is ${limits.maxDerivationsPerEvent} per TransformationEvent (split it, or share a transformationID)`,
      );
      return null;
    }
    for (const input of inputs) for (const output of outputs) derivations.push({ input, output });
  }

  const containment: NormalisedEvent['containment'] = [];
  if (facts.type === 'AggregationEvent' && facts.parentId !== null && (facts.action === 'ADD' || facts.action === 'DELETE')) {
    const action = facts.action;
    const parent = facts.parentId;
    for (const child of of('child', 'childQuantity')) containment.push({ parent, child, action });
  }

  const identifiers: IdentifierRef[] = [];
  const seen = new Set<string>();
  const addRef = (id: string, role: IdentifierRole) => {
    const key = `${role}\u0000${id}`;
    if (seen.has(key)) return;
    seen.add(key);
    identifiers.push({ id, role });
  };
  if (facts.parentId !== null) addRef(facts.parentId, 'parent');
  for (const [role, ids] of Object.entries(lists) as [IdentifierRole, string[]][]) for (const id of ids) addRef(id, role);

  const commissioned =
    facts.type === 'ObjectEvent' && facts.action === 'ADD' ? of('epc').filter((id) => id.startsWith('hdl:')) : [];

  const hashId = computeEventHashId(raw, { namespaces });
  const eventId = facts.eventId ?? hashId;
  // Prefixes only the document declared travel with the event (its hash stays recomputable from what is stored).
  const prefixes = documentPrefixesOf(raw, namespaces);
  const contextual = prefixes === null ? raw : { ...raw, '@context': [...contextEntries(raw['@context']), prefixes] };
  return {
    eventId,
    hashId,
    eventIdGiven: facts.eventId !== null,
    type: facts.type,
    eventTime: facts.eventTime,
    eventTimeZoneOffset: facts.eventTimeZoneOffset,
    action: facts.action,
    bizStep: facts.bizStep,
    disposition: facts.disposition,
    readPoint: facts.readPoint,
    bizLocation: facts.bizLocation,
    errorDeclaration: facts.errorDeclaration,
    identifiers,
    containment,
    derivations,
    commissioned,
    document: facts.eventId !== null ? contextual : { ...contextual, eventID: hashId },
  };
}

function contextEntries(context: unknown): unknown[] {
  if (context === undefined || context === null) return [];
  return Array.isArray(context) ? context : [context];
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
