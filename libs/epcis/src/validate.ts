import { checkIdentifier } from './identifiers';
import { ProblemList, childPath } from './problems';
import { EVENT_TIME_ZONE_OFFSET, parseDateTime } from './time';
import { EPCIS_EVENT_TYPES, EpcisAction, EpcisEventType, EpcisLimits, EventTypeName, IdentifierRole } from './types';
import { CbvVocabulary, checkVocabularyValue, isAbsoluteUri } from './vocabulary';

/** What validation learnt about a valid event; normalisation builds the NormalisedEvent from it. */
export interface EventFacts {
  type: EventTypeName;
  eventTime: Date;
  eventTimeZoneOffset: string;
  eventId: string | null;
  action: EpcisAction | null;
  bizStep: string | null;
  disposition: string | null;
  readPoint: string | null;
  bizLocation: string | null;
  errorDeclaration: { declarationTime: Date; reason: string | null; correctiveEventIds: string[] } | null;
  /** canonical parentID */
  parentId: string | null;
  /** canonical identifiers per role, in the order given */
  lists: Partial<Record<IdentifierRole, string[]>>;
}

const COMMON_FIELDS = ['type', 'eventTime', 'eventTimeZoneOffset', 'recordTime', 'eventID', 'certificationInfo', 'errorDeclaration', '@context'];
const WHERE_WHY = ['bizStep', 'disposition', 'persistentDisposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'sourceList', 'destinationList', 'sensorElementList'];

const TYPE_FIELDS: Record<EpcisEventType, ReadonlySet<string>> = {
  ObjectEvent: new Set([...COMMON_FIELDS, ...WHERE_WHY, 'action', 'epcList', 'quantityList', 'ilmd']),
  AggregationEvent: new Set([...COMMON_FIELDS, ...WHERE_WHY, 'action', 'parentID', 'childEPCs', 'childQuantityList']),
  TransactionEvent: new Set([...COMMON_FIELDS, ...WHERE_WHY, 'action', 'parentID', 'epcList', 'quantityList']),
  TransformationEvent: new Set([
    ...COMMON_FIELDS, ...WHERE_WHY, 'inputEPCList', 'inputQuantityList', 'outputEPCList', 'outputQuantityList', 'transformationID', 'ilmd',
  ]),
  AssociationEvent: new Set([...COMMON_FIELDS, ...WHERE_WHY, 'action', 'parentID', 'childEPCs', 'childQuantityList']),
};

const ALL_EVENT_FIELDS = new Set(Object.values(TYPE_FIELDS).flatMap((s) => [...s]));

/** The fields an event of `type` may have: an extension event type may use any field of the standard ones. */
function fieldsOf(type: EventTypeName): ReadonlySet<string> {
  return isStandardEventType(type) ? TYPE_FIELDS[type] : ALL_EVENT_FIELDS;
}

function isStandardEventType(type: string): type is EpcisEventType {
  return (EPCIS_EVENT_TYPES as readonly string[]).includes(type);
}

/** Namespaces of GS1 itself: an extension event type cannot be named in them. */
const RESERVED_TYPE_NAMESPACES = /^(epcis|cbv|gs1|rdf|rdfs|owl|xsd|dcterms):|^https?:\/\/(ref\.gs1\.org|gs1\.org|www\.gs1\.org|id\.gs1\.org|ns\.gs1\.org)\/|^urn:epcglobal:/i;

/**
 * Whether `type` names an extension event type (EPCIS 2.0 lets a user namespace define event types
 * beyond the five): a CURIE (`example:CalibrationEvent`, its prefix declared in the @context) or an
 * absolute URI, outside GS1's own namespaces.
 */
export function isExtensionEventType(type: unknown): type is string {
  if (typeof type !== 'string' || isStandardEventType(type)) return false;
  const trimmed = type.trim();
  return trimmed === type && isExtensionName(type) && isAbsoluteUri(type) && !RESERVED_TYPE_NAMESPACES.test(type);
}

const EPC_LIST_ROLES: [string, IdentifierRole][] = [
  ['epcList', 'epc'],
  ['childEPCs', 'child'],
  ['inputEPCList', 'input'],
  ['outputEPCList', 'output'],
];
const QUANTITY_LIST_ROLES: [string, IdentifierRole][] = [
  ['quantityList', 'quantity'],
  ['childQuantityList', 'childQuantity'],
  ['inputQuantityList', 'inputQuantity'],
  ['outputQuantityList', 'outputQuantity'],
];

const UOM = /^[A-Z0-9]{2,3}$/;
const MAX_DEPTH = 32;

/**
 * Checks string lengths and nesting depth of any JSON value (the whole payload), so that later checks and the
 * hash only ever see bounded input.
 */
export function checkBounds(value: unknown, path: string, limits: EpcisLimits, problems: ProblemList, depth = 0): void {
  // Almost every payload is within bounds: find that out without building a path for every value.
  if (depth === 0 && withinBounds(value, limits, 0)) return;
  if (typeof value === 'string') {
    if (value.length > limits.maxStringLength) {
      problems.add(path, `string is ${value.length} characters; the limit is ${limits.maxStringLength}`);
    }
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_DEPTH) {
    problems.add(path, `nesting is deeper than ${MAX_DEPTH} levels`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkBounds(v, childPath(path, i), limits, problems, depth + 1));
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const p = childPath(path, key.length > 64 ? `${key.slice(0, 64)}…` : key);
    if (key.length > limits.maxStringLength) {
      problems.add(p, `field name is ${key.length} characters; the limit is ${limits.maxStringLength}`);
    }
    checkBounds(v, p, limits, problems, depth + 1);
  }
}

/** Whether checkBounds would find nothing to report. */
function withinBounds(value: unknown, limits: EpcisLimits, depth: number): boolean {
  if (typeof value === 'string') return value.length <= limits.maxStringLength;
  if (value === null || typeof value !== 'object') return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) if (!withinBounds(value[i], limits, depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (key.length > limits.maxStringLength || !withinBounds((value as Record<string, unknown>)[key], limits, depth + 1)) return false;
  }
  return true;
}

/** Validates one event (§1.2–1.3); returns its facts, or null when it has problems (all of them reported). */
export function validateEvent(
  event: unknown,
  path: string,
  limits: EpcisLimits,
  problems: ProblemList,
  namespaces: Record<string, string> = {},
): EventFacts | null {
  const before = problems.total;
  if (!isObject(event)) {
    problems.add(path, 'an event must be a JSON object');
    return null;
  }
  const v = new EventValidator(event, path, limits, problems, namespaces);
  const facts = v.run();
  return problems.total === before ? facts : null;
}

class EventValidator {
  constructor(
    private readonly e: Record<string, unknown>,
    private readonly path: string,
    private readonly limits: EpcisLimits,
    private readonly problems: ProblemList,
    /** prefixes the document and the event declare (for CURIEs such as an extension event type) */
    private readonly namespaces: Record<string, string> = {},
  ) {}

  private at(key: string | number, ...more: (string | number)[]): string {
    return [key, ...more].reduce<string>((p, k) => childPath(p, k), this.path);
  }

  private problem(key: string | null, message: string): void {
    this.problems.add(key === null ? this.path : this.at(key), message);
  }

  run(): EventFacts | null {
    const type = this.checkType();
    const eventTime = this.requiredDateTime('eventTime');
    const offset = this.checkOffset();
    this.optionalDateTime('recordTime');
    const eventId = this.optionalUri('eventID');
    this.checkCertificationInfo();
    const errorDeclaration = this.checkErrorDeclaration();
    if (type === null) return null;

    this.checkFieldNames(type);
    const action = this.checkAction(type);
    const bizStep = this.vocabulary('bizStep', 'bizStep');
    const disposition = this.vocabulary('disposition', 'disposition');
    this.checkPersistentDisposition();
    const readPoint = this.checkLocation('readPoint');
    const bizLocation = this.checkLocation('bizLocation');
    this.checkTypedList('bizTransactionList', 'bizTransaction', 'bizTransactionType', false);
    this.checkTypedList('sourceList', 'source', 'sourceDestinationType', true);
    this.checkTypedList('destinationList', 'destination', 'sourceDestinationType', true);
    this.checkSensorElements();
    this.optionalUri('transformationID');
    this.checkIlmd(type, action);

    const { parentId, lists } = this.checkIdentifiers(type);
    this.checkWhat(type, action);

    if (eventTime === null || offset === null) return null;
    return {
      type, eventTime, eventTimeZoneOffset: offset, eventId, action, bizStep, disposition, readPoint, bizLocation,
      errorDeclaration, parentId, lists,
    };
  }

  private checkType(): EventTypeName | null {
    const type = this.e.type;
    if (type === undefined) {
      this.problem('type', `type is required (one of ${EPCIS_EVENT_TYPES.join(', ')}, or an extension event type such as "example:MyEvent")`);
      return null;
    }
    if (typeof type === 'string' && isStandardEventType(type)) return type;
    if (isExtensionEventType(type)) {
      const prefix = type.slice(0, type.indexOf(':'));
      // A CURIE's prefix must be declared; a URI (http:, https:, urn:…) names itself.
      if (!/^(https?|urn)$/i.test(prefix) && this.namespaces[prefix] === undefined) {
        this.problem('type', `extension event type ${JSON.stringify(type)} uses the prefix "${prefix}", which no @context declares`);
        return null;
      }
      return type;
    }
    this.problem(
      'type',
      `unsupported event type ${short(type)}; expected one of ${EPCIS_EVENT_TYPES.join(', ')}, or an extension event type (a URI or a CURIE of a declared user namespace)`,
    );
    return null;
  }

  private checkFieldNames(type: EventTypeName): void {
    const allowed = fieldsOf(type);
    for (const key of Object.keys(this.e)) {
      if (allowed.has(key) || isExtensionName(key)) continue;
      if (key === 'action' && type === 'TransformationEvent') {
        this.problem(key, 'a TransformationEvent must not have an action');
      } else if (ALL_EVENT_FIELDS.has(key)) {
        this.problem(key, `field ${JSON.stringify(key)} is not allowed in a ${type}`);
      } else {
        this.problem(
          key,
          `unknown field ${JSON.stringify(key)} in a ${type}; extension fields must be namespaced, e.g. "example:${key}"`,
        );
      }
    }
  }

  private requiredDateTime(key: string): Date | null {
    if (this.e[key] === undefined) {
      this.problem(key, `${key} is required`);
      return null;
    }
    return this.optionalDateTime(key);
  }

  private optionalDateTime(key: string): Date | null {
    return dateTimeAt(this.e[key], this.at(key), this.problems);
  }

  private checkOffset(): string | null {
    const offset = this.e.eventTimeZoneOffset;
    if (offset === undefined) {
      this.problem('eventTimeZoneOffset', 'eventTimeZoneOffset is required, e.g. "+08:00"');
      return null;
    }
    if (typeof offset !== 'string' || !EVENT_TIME_ZONE_OFFSET.test(offset)) {
      this.problem(
        'eventTimeZoneOffset',
        `eventTimeZoneOffset ${JSON.stringify(offset)} must look like "+08:00" (±hh:mm from -13:59 to +14:00)`,
      );
      return null;
    }
    return offset;
  }

  private optionalUri(key: string): string | null {
    const value = this.e[key];
    if (value === undefined) return null;
    if (typeof value !== 'string' || !isAbsoluteUri(value.trim())) {
      this.problem(key, `${key} must be an absolute URI (e.g. "urn:uuid:…"), got ${short(value)}`);
      return null;
    }
    return value.trim();
  }

  private checkCertificationInfo(): void {
    const value = this.e.certificationInfo;
    if (value === undefined) return;
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, i) => {
      if (typeof item !== 'string' || !isAbsoluteUri(item)) {
        const path = Array.isArray(value) ? this.at('certificationInfo', i) : this.at('certificationInfo');
        this.problems.add(path, `certificationInfo must be a URI or a list of URIs, got ${short(item)}`);
      }
    });
  }

  private checkErrorDeclaration(): EventFacts['errorDeclaration'] {
    const value = this.e.errorDeclaration;
    if (value === undefined) return null;
    if (!isObject(value)) {
      this.problem('errorDeclaration', 'errorDeclaration must be an object {declarationTime, reason?, correctiveEventIDs?}');
      return null;
    }
    const path = this.at('errorDeclaration');
    let declarationTime: Date | null = null;
    if (value.declarationTime === undefined) {
      this.problems.add(childPath(path, 'declarationTime'), 'errorDeclaration.declarationTime is required');
    } else {
      declarationTime = dateTimeAt(value.declarationTime, childPath(path, 'declarationTime'), this.problems);
    }
    let reason: string | null = null;
    if (value.reason !== undefined) {
      if (typeof value.reason !== 'string') {
        this.problems.add(childPath(path, 'reason'), 'reason must be a string (a CBV error reason or a URI)');
      } else {
        const message = checkVocabularyValue('errorReason', value.reason.trim());
        if (message) this.problems.add(childPath(path, 'reason'), message);
        else reason = value.reason.trim();
      }
    }
    const correctiveEventIds: string[] = [];
    if (value.correctiveEventIDs !== undefined) {
      if (!Array.isArray(value.correctiveEventIDs)) {
        this.problems.add(childPath(path, 'correctiveEventIDs'), 'correctiveEventIDs must be a list of event IDs');
      } else {
        value.correctiveEventIDs.forEach((id, i) => {
          if (typeof id !== 'string' || !isAbsoluteUri(id.trim())) {
            this.problems.add(childPath(childPath(path, 'correctiveEventIDs'), i), `an event ID must be an absolute URI, got ${short(id)}`);
          } else {
            correctiveEventIds.push(id.trim());
          }
        });
      }
    }
    this.checkExtensionKeys(value, path, ['declarationTime', 'reason', 'correctiveEventIDs'], 'errorDeclaration');
    return declarationTime === null ? null : { declarationTime, reason, correctiveEventIds };
  }

  private checkAction(type: EventTypeName): EpcisAction | null {
    if (type === 'TransformationEvent') return null; // an action is reported by checkFieldNames
    const action = this.e.action;
    // An extension event type has an action only when its namespace gives it one.
    if (action === undefined && !isStandardEventType(type)) return null;
    if (action === undefined) {
      this.problem('action', `action is required in a ${type} (ADD, OBSERVE or DELETE)`);
      return null;
    }
    if (action !== 'ADD' && action !== 'OBSERVE' && action !== 'DELETE') {
      this.problem('action', `action must be ADD, OBSERVE or DELETE, got ${short(action)}`);
      return null;
    }
    return action;
  }

  private vocabulary(key: string, vocabulary: CbvVocabulary): string | null {
    const value = this.e[key];
    if (value === undefined) return null;
    if (typeof value !== 'string') {
      this.problem(key, `${key} must be a string (a CBV word or a URI), got ${short(value)}`);
      return null;
    }
    const message = checkVocabularyValue(vocabulary, value.trim());
    if (message) {
      this.problem(key, message);
      return null;
    }
    return value.trim();
  }

  private checkPersistentDisposition(): void {
    const value = this.e.persistentDisposition;
    if (value === undefined) return;
    const path = this.at('persistentDisposition');
    if (!isObject(value)) {
      this.problems.add(path, 'persistentDisposition must be an object {set?: [...], unset?: [...]}');
      return;
    }
    let entries = 0;
    for (const key of ['set', 'unset']) {
      const list = value[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        this.problems.add(childPath(path, key), `persistentDisposition.${key} must be a list of dispositions`);
        continue;
      }
      entries += list.length;
      list.forEach((d, i) => {
        const message = typeof d === 'string' ? checkVocabularyValue('disposition', d.trim()) : `a disposition must be a string, got ${short(d)}`;
        if (message) this.problems.add(childPath(childPath(path, key), i), message);
      });
    }
    if (entries === 0) this.problems.add(path, 'persistentDisposition needs at least one disposition in set or unset');
    this.checkExtensionKeys(value, path, ['set', 'unset'], 'persistentDisposition');
  }

  private checkLocation(key: 'readPoint' | 'bizLocation'): string | null {
    const value = this.e[key];
    if (value === undefined) return null;
    const path = this.at(key);
    if (!isObject(value)) {
      this.problems.add(path, `${key} must be an object {"id": "<location URI>"}`);
      return null;
    }
    this.checkExtensionKeys(value, path, ['id'], key);
    if (value.id === undefined) {
      this.problems.add(childPath(path, 'id'), `${key}.id is required`);
      return null;
    }
    return this.identifierAt(value.id, childPath(path, 'id'), null);
  }

  private checkTypedList(key: string, valueKey: string, vocabulary: CbvVocabulary, typeRequired: boolean): void {
    const list = this.e[key];
    if (list === undefined) return;
    const path = this.at(key);
    if (!Array.isArray(list)) {
      this.problems.add(path, `${key} must be a list of {type${typeRequired ? '' : '?'}, ${valueKey}} objects`);
      return;
    }
    list.forEach((entry, i) => {
      const p = childPath(path, i);
      if (!isObject(entry)) {
        this.problems.add(p, `each ${key} entry must be an object {type${typeRequired ? '' : '?'}, ${valueKey}}`);
        return;
      }
      if (entry.type === undefined) {
        if (typeRequired) this.problems.add(childPath(p, 'type'), `type is required in a ${key} entry`);
      } else if (typeof entry.type !== 'string') {
        this.problems.add(childPath(p, 'type'), `type must be a string, got ${short(entry.type)}`);
      } else {
        const message = checkVocabularyValue(vocabulary, entry.type.trim());
        if (message) this.problems.add(childPath(p, 'type'), message);
      }
      if (entry[valueKey] === undefined) {
        this.problems.add(childPath(p, valueKey), `${valueKey} is required in a ${key} entry`);
      } else if (valueKey === 'bizTransaction') {
        const v = entry[valueKey];
        if (typeof v !== 'string' || !isAbsoluteUri(v.trim())) {
          this.problems.add(childPath(p, valueKey), `bizTransaction must be an absolute URI, got ${short(v)}`);
        }
      } else {
        this.identifierAt(entry[valueKey], childPath(p, valueKey), null);
      }
      this.checkExtensionKeys(entry, p, ['type', valueKey], `${key} entry`);
    });
  }

  private checkSensorElements(): void {
    const list = this.e.sensorElementList;
    if (list === undefined) return;
    const path = this.at('sensorElementList');
    if (!Array.isArray(list)) {
      this.problems.add(path, 'sensorElementList must be a list of {sensorMetadata?, sensorReport: [...]} objects');
      return;
    }
    list.forEach((element, i) => {
      const p = childPath(path, i);
      if (!isObject(element)) {
        this.problems.add(p, 'a sensorElement must be an object {sensorMetadata?, sensorReport: [...]}');
        return;
      }
      if (element.sensorMetadata !== undefined && !isObject(element.sensorMetadata)) {
        this.problems.add(childPath(p, 'sensorMetadata'), 'sensorMetadata must be an object');
      }
      const reports = element.sensorReport;
      if (!Array.isArray(reports) || reports.length === 0) {
        this.problems.add(childPath(p, 'sensorReport'), 'sensorReport must be a non-empty list of objects');
      } else {
        reports.forEach((r, j) => {
          if (!isObject(r)) this.problems.add(childPath(childPath(p, 'sensorReport'), j), 'a sensorReport must be an object');
        });
      }
      this.checkExtensionKeys(element, p, ['sensorMetadata', 'sensorReport'], 'sensorElement');
    });
  }

  private checkIlmd(type: EventTypeName, action: EpcisAction | null): void {
    const ilmd = this.e.ilmd;
    if (ilmd === undefined) return;
    if (!isObject(ilmd)) {
      this.problem('ilmd', 'ilmd must be an object of namespaced fields');
      return;
    }
    if (type === 'ObjectEvent' && action !== null && action !== 'ADD') {
      this.problem('ilmd', `ilmd is only allowed in an ObjectEvent with action ADD, not ${action}`);
    }
    this.checkExtensionKeys(ilmd, this.at('ilmd'), [], 'ilmd');
  }

  private checkIdentifiers(type: EventTypeName): { parentId: string | null; lists: EventFacts['lists'] } {
    const allowed = fieldsOf(type);
    let count = this.e.parentID !== undefined && allowed.has('parentID') ? 1 : 0;
    for (const [key] of [...EPC_LIST_ROLES, ...QUANTITY_LIST_ROLES]) {
      const list = this.e[key];
      if (allowed.has(key) && Array.isArray(list)) count += list.length;
    }
    if (count > this.limits.maxIdentifiersPerEvent) {
      this.problem(null, `the event mentions ${count} identifiers; the limit is ${this.limits.maxIdentifiersPerEvent} per event`);
      return { parentId: null, lists: {} };
    }

    let parentId: string | null = null;
    if (allowed.has('parentID') && this.e.parentID !== undefined) {
      parentId = this.identifierAt(this.e.parentID, this.at('parentID'), 'instance');
    }
    const lists: EventFacts['lists'] = {};
    for (const [key, role] of EPC_LIST_ROLES) {
      const list = this.e[key];
      if (!allowed.has(key) || list === undefined) continue;
      if (!Array.isArray(list)) {
        this.problem(key, `${key} must be a list of identifiers`);
        continue;
      }
      lists[role] = list
        .map((id, i) => this.identifierAt(id, () => this.at(key, i), 'instance'))
        .filter((id): id is string => id !== null);
    }
    for (const [key, role] of QUANTITY_LIST_ROLES) {
      const list = this.e[key];
      if (!allowed.has(key) || list === undefined) continue;
      if (!Array.isArray(list)) {
        this.problem(key, `${key} must be a list of {epcClass, quantity?, uom?} objects`);
        continue;
      }
      lists[role] = list
        .map((q, i) => this.quantityElement(q, () => this.at(key, i)))
        .filter((id): id is string => id !== null);
    }
    return { parentId, lists };
  }

  private quantityElement(q: unknown, pathOf: () => string): string | null {
    const path = pathOf();
    if (!isObject(q)) {
      this.problems.add(path, 'a quantity element must be an object {epcClass, quantity?, uom?}');
      return null;
    }
    this.checkExtensionKeys(q, path, ['epcClass', 'quantity', 'uom'], 'quantity element');
    if (q.quantity !== undefined && (typeof q.quantity !== 'number' || !Number.isFinite(q.quantity) || q.quantity < 0)) {
      this.problems.add(childPath(path, 'quantity'), `quantity must be a number ≥ 0, got ${short(q.quantity)}`);
    }
    if (q.uom !== undefined) {
      if (typeof q.uom !== 'string' || !UOM.test(q.uom)) {
        this.problems.add(childPath(path, 'uom'), `uom must be a UN/ECE Rec 20 code of 2–3 capitals or digits (e.g. "KGM"), got ${short(q.uom)}`);
      } else if (q.quantity === undefined) {
        this.problems.add(childPath(path, 'uom'), 'uom is only allowed together with a quantity');
      }
    }
    if (q.epcClass === undefined) {
      this.problems.add(childPath(path, 'epcClass'), 'epcClass is required in a quantity element');
      return null;
    }
    return this.identifierAt(q.epcClass, childPath(path, 'epcClass'), 'class');
  }

  /** Validates an identifier value; `expect` checks the granularity of GS1 keys (EPC URNs and Digital Links). */
  /** `path` may be given as a function: it is only needed when there is a problem to report. */
  private identifierAt(value: unknown, pathOf: string | (() => string), expect: 'instance' | 'class' | null): string | null {
    if (typeof value !== 'string') {
      this.problems.add(pathText(pathOf), `an identifier must be a string, got ${short(value)}`);
      return null;
    }
    const checked = checkIdentifier(value);
    if (!checked.ok) {
      this.problems.add(pathText(pathOf), checked.reason);
      return null;
    }
    const gs1 = checked.value.kind === 'epc' || checked.value.kind === 'dl';
    if (gs1 && expect === 'instance' && checked.granularity === 'class') {
      this.problems.add(
        pathText(pathOf),
        `${JSON.stringify(value)} identifies a class or lot, not one object; put it in a quantity list as epcClass`,
      );
      return null;
    }
    if (gs1 && expect === 'class' && checked.granularity === 'instance') {
      this.problems.add(
        pathText(pathOf),
        `${JSON.stringify(value)} identifies one object, not a class; use a class-level identifier ` +
          '(urn:epc:class:lgtin:…, urn:epc:idpat:sgtin:…, https://id.gs1.org/01/{gtin}[/10/{lot}]) or put it in an EPC list',
      );
      return null;
    }
    return checked.value.canonical;
  }

  private checkWhat(type: EventTypeName, action: EpcisAction | null): void {
    const given = (key: string) => Array.isArray(this.e[key]);
    const nonEmpty = (key: string) => Array.isArray(this.e[key]) && (this.e[key] as unknown[]).length > 0;
    switch (type) {
      case 'ObjectEvent':
        if (!given('epcList') && !nonEmpty('quantityList') && !(nonEmpty('sensorElementList') && this.e.readPoint !== undefined)) {
          this.problem(null, 'an ObjectEvent needs an epcList, a non-empty quantityList, or a sensorElementList with a readPoint');
        }
        break;
      case 'AggregationEvent':
        if (!nonEmpty('childEPCs') && !nonEmpty('childQuantityList') && action !== 'DELETE') {
          this.problem(null, 'an AggregationEvent needs at least one child in childEPCs or childQuantityList (unless action is DELETE)');
        }
        if ((action === 'ADD' || action === 'DELETE') && this.e.parentID === undefined) {
          this.problem('parentID', `parentID is required in an AggregationEvent with action ${action}`);
        }
        break;
      case 'TransactionEvent':
        if (this.e.bizTransactionList === undefined || !nonEmpty('bizTransactionList')) {
          this.problem('bizTransactionList', 'a TransactionEvent needs a non-empty bizTransactionList');
        }
        if (!given('epcList') && !nonEmpty('quantityList') && action !== 'DELETE') {
          this.problem(null, 'a TransactionEvent needs an epcList or a non-empty quantityList (unless action is DELETE)');
        }
        break;
      case 'TransformationEvent': {
        const input = nonEmpty('inputEPCList') || nonEmpty('inputQuantityList');
        const output = nonEmpty('outputEPCList') || nonEmpty('outputQuantityList');
        if (!(input && output) && !((input || output) && this.e.transformationID !== undefined)) {
          this.problem(
            null,
            'a TransformationEvent needs at least one input (inputEPCList/inputQuantityList) and one output ' +
              '(outputEPCList/outputQuantityList), or one of them plus a transformationID',
          );
        }
        break;
      }
      case 'AssociationEvent':
        if (this.e.parentID === undefined) this.problem('parentID', 'parentID is required in an AssociationEvent');
        if (!nonEmpty('childEPCs') && !nonEmpty('childQuantityList') && action !== 'DELETE') {
          this.problem(null, 'an AssociationEvent needs at least one child in childEPCs or childQuantityList (unless action is DELETE)');
        }
        break;
    }
  }

  private checkExtensionKeys(obj: Record<string, unknown>, path: string, known: string[], what: string): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key) || isExtensionName(key)) continue;
      this.problems.add(
        childPath(path, key),
        `unknown field ${JSON.stringify(key)} in ${what}; extension fields must be namespaced, e.g. "example:${key}"`,
      );
    }
  }
}

function pathText(path: string | (() => string)): string {
  return typeof path === 'string' ? path : path();
}

export function dateTimeAt(value: unknown, path: string, problems: ProblemList): Date | null {
  if (value === undefined) return null;
  const ms = typeof value === 'string' ? parseDateTime(value.trim()) : null;
  if (ms === null) {
    problems.add(path, `${short(value)} is not an ISO 8601 date-time with an offset, e.g. "2025-01-15T08:00:00.000+08:00"`);
    return null;
  }
  return new Date(ms);
}

/** Extension names are CURIEs (`example:foo`) or absolute IRIs: anything with a ":" that is not a JSON-LD keyword. */
export function isExtensionName(key: string): boolean {
  return key.indexOf(':') > 0 && !key.startsWith('@');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function short(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
