import type { NormalisedEvent } from '@idis/epcis';
import type { EntityManager } from 'typeorm';

/** How an identifier changed; statistics count registrations by it. */
export type RegistrationOperation = 'create' | 'update' | 'delete';
/** What one resolution ended in: the tier that answered a found record, a not-found, or an error. */
export type ResolutionOutcome = 'l1' | 'l2' | 'db' | 'not_found' | 'error';
/**
 * The front door a resolution came through: Handle REST `/api/handles/…`, SNMS
 * `/identityv2/data/detail`, the proxy `/{prefix}/{suffix}`, another secondary node (either HTTP
 * door with an X-IDIS-Via header), or the Handle native protocol.
 */
export type ResolutionDoor = 'handle_rest' | 'snms' | 'proxy' | 'cross_node' | 'handle';

/** One committed identifier write: its lookup key and its enterprise prefix key. */
export interface WrittenIdentifier {
  handleKey: string;
  prefixKey: string;
}

/** The enterprise data a filing carries to the top-level node. */
export interface FilingEnterprise {
  orgName: string;
  creditCode: string;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
}

/** The events one transaction added to epcis_events (signal `epcis.events-committed`). */
export interface CommittedEvents {
  /** How many rows the transaction added. */
  stored: number;
  /**
   * The transaction's record_time (PostgreSQL now(), shared by all its events) as a UTC time key
   * with microseconds, and the events it added, as stored; both null when not known.
   */
  recordTimeKey: string | null;
  events: ReadonlyArray<{ event: NormalisedEvent; enterprisePrefix: string }> | null;
}

/** A filing the top-level node must receive, written in the transaction of the local change. */
export type FilingRequest =
  | { action: 'create'; clientTransactionId: string; prefix: string; applicationId: string; enterprise: FilingEnterprise }
  | { action: 'delete'; clientTransactionId: string; prefix: string; applicationId: string; reason: string };

/**
 * One change (or refusal) the audit log must record. The emitter says what happened; who asked
 * (principal, role, API key), the request id and the client IP come from the request context.
 * `before` and `after` are stored as digests, never as values (they may hold secrets).
 */
export interface AuditEntryInput {
  /** Dotted verb, e.g. `handle.create`, `grant.create`, `enterprise.deactivate`, `auth.refused`. */
  action: string;
  /** What was acted on, e.g. a handle, `enterprise:<id>`, `account:<username>`, `api-key:<id>`. */
  target: string;
  /** The enterprise prefix (or enterprise id) that owns the target, when one does: enterprises see their own rows. */
  owner?: string;
  outcome: 'ok' | 'refused';
  before?: unknown;
  after?: unknown;
  /**
   * `after` as canonical JSON text (object keys sorted at every level, as the audit digest writes
   * it), when the emitter already holds that text: it is digested as it is, not serialised again.
   * Given instead of `after`.
   */
  afterJson?: string;
  /** A short reason for a refusal (an error code), never a secret. */
  reason?: string;
}

/**
 * The awaited events of the node: `EventHub.emit(name, payload)` resolves once every listener
 * has finished, and rejects (after all of them ran) when one failed. An emitter awaits before it
 * acknowledges, so whatever a listener does is done (or the request fails) by then.
 */
export interface NodeEvents {
  /**
   * Identifiers were created, updated or deleted (committed). Listeners: the resolution caches
   * evict them in this process, in Redis and on every replica; statistics count the registrations.
   */
  'identifiers.written': { operation: RegistrationOperation; records: readonly WrittenIdentifier[] };
  /** Every cached record must go (an enterprise's prefixes were disabled). */
  'records.invalidate-all': { reason: string };
  /** An enterprise prefix is served here from now on (approved, or accepted by the top level). */
  'prefix.homed': { prefix: string; prefixKey: string };
  /** Enterprise prefixes are no longer served here (their enterprise was deactivated). */
  'prefix.unhomed': { prefixes: ReadonlyArray<{ prefix: string; prefixKey: string }> };
  /**
   * An enterprise applies for `prefix`, before anything is written. A listener may refuse the
   * application by throwing a DomainError (upstream: the prefix is filed by another node).
   */
  'prefix.requested': { prefix: string };
  /**
   * Inside the transaction of an approval or a deactivation: the filing must reach the top-level
   * node. The listener writes it with `manager`, so it commits (or not) with the local change.
   */
  'filing.requested': { manager: EntityManager; filing: FilingRequest };
  /**
   * The top level's review of a prefix filing came back, or the prefix turned out to be filed by
   * another node before it was filed (`filedElsewhere`). The registry applies it; upstream
   * acknowledges the outcome to the top level only after this event has been handled.
   */
  'filing.completed': { prefix: string; outcome: 'approved' | 'rejected'; reason: string; filedElsewhere?: boolean };
  /**
   * Something the audit log records. With `manager`, inside the transaction of the change: the row
   * commits (or not) with it. Without (a refused call, a change that has no transaction), the
   * listener writes on its own.
   */
  'audit.recorded': { manager?: EntityManager; entry: AuditEntryInput };
  /**
   * Many entries of one change (a batch of identifiers: one row per item), appended with one
   * statement inside the transaction of the change.
   */
  'audit.batch-recorded': { manager: EntityManager; entries: readonly AuditEntryInput[]; requestId?: string };
  /**
   * Inside the transaction of an enterprise's deactivation: its sign-ins, tokens, API keys and
   * MQTT credentials stop working. Listeners revoke what they own with `manager`, so the
   * revocation commits with the deactivation (or neither does).
   */
  'enterprise.deactivated': { manager: EntityManager; enterpriseId: string; prefixes: readonly string[] };
}

/**
 * Synchronous signals for the hot paths: `EventHub.signal(name, ...args)` calls every listener at
 * once, with positional arguments (nothing is allocated per signal). Listeners must be cheap and
 * must not throw.
 */
export interface NodeSignals {
  /** One resolution answered by a front door: enterprise prefix key ('-' if unparsable), outcome, seconds from request to answer, the door. */
  'resolution.observed': [prefixKey: string, outcome: ResolutionOutcome, seconds: number, door: ResolutionDoor];
  /**
   * `count` resolutions of one prefix, outcome and door answered together (the Handle protocol's
   * prepared replies, reported once per event loop turn): `seconds` is their summed time from request to answer.
   */
  'resolution.observed-many': [prefixKey: string, outcome: ResolutionOutcome, seconds: number, door: ResolutionDoor, count: number];
  /** The top-level node located a foreign enterprise prefix: a real prefix filed by another node. */
  'foreign-prefix.located': [prefixKey: string];
  /**
   * EPCIS events were committed (after the transaction), with the events themselves when the
   * store knows them exactly as stored. Subscriptions (traceability/subscriptions) match them in
   * memory instead of reading them back; what they were not handed (other replicas' commits, a
   * batch with error declarations) they learn of from the database.
   */
  'epcis.events-committed': [batch: CommittedEvents];
}
