export type EpcisEventType =
  | 'ObjectEvent'
  | 'AggregationEvent'
  | 'TransactionEvent'
  | 'TransformationEvent'
  | 'AssociationEvent';

export const EPCIS_EVENT_TYPES: readonly EpcisEventType[] = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
];

/**
 * An event type of the standard (EpcisEventType) or an extension event type: a URI or a CURIE of a
 * user namespace (e.g. "example:CalibrationEvent"), never one of GS1's own namespaces.
 */
export type EventTypeName = EpcisEventType | (string & { readonly extensionEventType?: never });

export type IdentifierRole =
  | 'epc'
  | 'parent'
  | 'child'
  | 'input'
  | 'output'
  | 'quantity'
  | 'childQuantity'
  | 'inputQuantity'
  | 'outputQuantity';

export interface IdentifierRef {
  /** canonical form used as the key in storage and queries (see canonicalIdentifier) */
  id: string;
  role: IdentifierRole;
}

export type EpcisAction = 'ADD' | 'OBSERVE' | 'DELETE';

export interface NormalisedEvent {
  /** eventID as given, else the CBV 2.0 hash ID computed here ("ni:///sha-256;<hex>?ver=CBV2.0") */
  eventId: string;
  /** always the computed CBV 2.0 hash ID, even when eventID was given */
  hashId: string;
  eventIdGiven: boolean;
  /** one of EPCIS_EVENT_TYPES, or an extension event type as given (see isExtensionEventType) */
  type: EventTypeName;
  eventTime: Date;
  /** as given, e.g. "+08:00" */
  eventTimeZoneOffset: string;
  action: EpcisAction | null;
  /** as given (bare CBV word or URI) */
  bizStep: string | null;
  disposition: string | null;
  /** canonical identifier of readPoint.id */
  readPoint: string | null;
  bizLocation: string | null;
  /** present when the event is an error declaration for an earlier event */
  errorDeclaration: { declarationTime: Date; reason: string | null; correctiveEventIds: string[] } | null;
  /** every identifier the event mentions, with its role; canonical forms, de-duplicated per (id, role) */
  identifiers: IdentifierRef[];
  /** containment changes of an AggregationEvent (ADD/DELETE with a parentID): parent × children; [] otherwise */
  containment: { parent: string; child: string; action: 'ADD' | 'DELETE' }[];
  /** derivation of a TransformationEvent: every (input, output) pair; [] otherwise */
  derivations: { input: string; output: string }[];
  /** canonical `hdl:` identifiers in the epcList of an ObjectEvent with action ADD (commissioning) */
  commissioned: string[];
  /**
   * the event JSON as received, with eventID filled in when it was computed, and with an `@context` entry for the
   * namespace prefixes its field names use that only the document declared
   */
  document: Record<string, unknown>;
  /**
   * JSON.stringify(document), set when a caller keeps the document as text while the event waits
   * (the node's ingestion: a waiting message then holds one string instead of an object tree);
   * `document` is then read from it on demand.
   */
  documentJson?: string;
  /** Object.keys(document), set with documentJson. */
  documentKeys?: readonly string[];
}

export interface EpcisProblem {
  /** JSON-path-like location, e.g. `$.epcisBody.eventList[2].epcList[0]`; `$` is the payload as a whole */
  path: string;
  message: string;
}

export type ParseEpcisResult = { ok: true; events: NormalisedEvent[] } | { ok: false; problems: EpcisProblem[] };

export interface EpcisLimits {
  maxPayloadBytes: number;
  maxEventsPerDocument: number;
  /** identifiers in EPC lists, quantity lists and parentID of one event, together */
  maxIdentifiersPerEvent: number;
  /** every string in the payload (identifiers, vocabulary values, extension values) */
  maxStringLength: number;
  /** input × output pairs one TransformationEvent may produce */
  maxDerivationsPerEvent: number;
  /** problems listed before the list is cut */
  maxProblems: number;
}

export const DEFAULT_EPCIS_LIMITS: EpcisLimits = Object.freeze({
  maxPayloadBytes: 1024 * 1024,
  maxEventsPerDocument: 1000,
  maxIdentifiersPerEvent: 10_000,
  maxStringLength: 2048,
  maxDerivationsPerEvent: 100_000,
  maxProblems: 50,
});
