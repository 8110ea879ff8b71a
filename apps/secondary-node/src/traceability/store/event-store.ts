import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NormalisedEvent } from '@idis/epcis';
import { DataSource, type EntityManager } from 'typeorm';
import type { EventSource } from './entities/epcis-event.entity';
import { EventHub } from '../../events/event-hub';
import type { AuditEntryInput } from '../../events/node-events';

export type StoreOutcome = 'stored' | 'duplicate' | 'error-declared';

/** How the audit log names a stored batch: one row per enterprise prefix in it, never per event. */
export interface BatchAudit {
  /** `epcis.capture` (POST /epcis/capture) or `epcis.ingest` (an MQTT batch). */
  action: string;
  /** The capture job or the ingestion batch, e.g. `capture:<id>`, `mqtt-batch:<id>`. */
  target: string;
  /** The request id the rows carry when the batch has no request of its own (an MQTT batch: its batch id). */
  requestId?: string;
}

export interface StoreItem {
  event: NormalisedEvent;
  /** Canonical (lower-case) enterprise prefix owning the event. */
  enterprisePrefix: string;
  source: EventSource;
}

/** A refused message or capture, kept in epcis_rejects. */
export interface RejectRecord {
  enterprisePrefix: string | null;
  source: EventSource;
  topic: string | null;
  reason: string;
  problems: Array<{ path: string; message: string }>;
  /** At most REJECT_PAYLOAD_CHARS characters are kept. */
  payload: string;
  receivedAt: Date;
}

export interface BatchResult {
  /** One outcome per item, in order. */
  outcomes: StoreOutcome[];
  counts: { stored: number; duplicates: number; errorDeclarations: number; rejected: number };
}

/** A write's result, with what the commit signal carries when the write knows it (the plain path). */
interface WrittenBatch extends BatchResult {
  recordTimeKey?: string | null;
  added?: StoreItem[];
}

/**
 * The unique eventID across owners (the primary key of epcis_event_ids, migration
 * EventsByRecordTime1797300000000): an insert that meets it reuses another enterprise's eventID.
 */
export const EVENT_ID_CONSTRAINT = 'pk_epcis_event_ids';

/**
 * Whether a failed write met another enterprise's eventID (unique_violation on the node-wide
 * event_id). The batch is refused as a whole; the caller finds which events clashed with
 * EventStore.foreignEventIds and refuses them with a reason that names neither the other owner nor
 * its event.
 */
export function isEventIdConflict(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown; driverError?: { constraint?: unknown } } | null;
  return e?.code === '23505' && (e.constraint === EVENT_ID_CONSTRAINT || e.driverError?.constraint === EVENT_ID_CONSTRAINT);
}

/** The key of an event within its owner's namespace (duplicates are per owner). */
function ownedKey(item: StoreItem): string {
  return `${item.enterprisePrefix}\u0000${item.event.eventId}`;
}

/** The first 64 KiB of a rejected payload are kept. */
export const REJECT_PAYLOAD_CHARS = 64 * 1024;

export const COUNTER_NAMES = { stored: 'stored', duplicates: 'duplicates', errorDeclarations: 'error_declarations', rejected: 'rejected' } as const;

/**
 * All writes of the traceability store. One transaction per batch, with a constant number of
 * statements whatever its size: every table is written by one `INSERT … SELECT FROM unnest(…)`
 * (array parameters, so no 65,535-placeholder limit). Events go in two steps of one statement
 * (EVENT_CTES): their ids into epcis_event_ids with
 * `ON CONFLICT (enterprise_prefix, event_id) DO NOTHING RETURNING` to learn which are new
 * (duplicates are per owner; another owner's eventID fails the batch, see isEventIdConflict), then
 * the new ones only into the record-time partitions of epcis_events; the edges of the new ones
 * only. The counters are added in the same transaction, so they never disagree with the rows.
 *
 * A batch without error declarations (the usual case) is ONE statement: the events, their edges
 * (joined to the events the insert returned), the rejects and the counters are data-modifying
 * CTEs of a single INSERT, which PostgreSQL runs atomically on its own — one round trip instead of
 * BEGIN, five statements and COMMIT, which shortens every commit the MQTT consumer waits for. A
 * batch with declarations takes the general path in an explicit transaction (the declarations
 * must see the events inserted before them).
 */
@Injectable()
export class EventStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventHub,
  ) {}

  /**
   * Stores a batch: new events with their edges; an error declaration whose original exists marks
   * the original (error_* columns, and errorDeclaration in its document) instead of inserting; a
   * declaration whose original is not here yet is stored as the event itself (it is a copy of it).
   */
  async storeBatch(items: StoreItem[], audit?: BatchAudit): Promise<StoreOutcome[]> {
    return (await this.commitBatch(items, [], audit)).outcomes;
  }

  /**
   * storeBatch plus rejects, in one transaction (the MQTT consumer acknowledges after it). With
   * `audit`, the batch's audit rows (one per enterprise prefix) are appended in that transaction.
   */
  async commitBatch(items: StoreItem[], rejects: RejectRecord[], audit?: BatchAudit): Promise<BatchResult> {
    if (items.length === 0 && rejects.length === 0) return { outcomes: [], counts: { stored: 0, duplicates: 0, errorDeclarations: 0, rejected: 0 } };
    const plain = !items.some((item) => item.event.errorDeclaration);
    const audited = audit !== undefined && items.length > 0 && this.events.hasListeners('audit.batch-recorded');
    const result =
      plain && !audited
        ? await this.writePlainBatch(items, rejects)
        : await this.dataSource.transaction(async (manager) => {
            const written = plain ? await this.writePlainBatch(items, rejects, manager) : await this.writeBatch(manager, items, rejects);
            if (audited) await this.events.emit('audit.batch-recorded', { manager, entries: batchEntries(items, written.outcomes, audit), requestId: audit.requestId });
            return written;
          });
    if (result.counts.stored > 0) {
      this.events.signal('epcis.events-committed', { stored: result.counts.stored, recordTimeKey: result.recordTimeKey ?? null, events: result.added ?? null });
    }
    return { outcomes: result.outcomes, counts: result.counts };
  }

  /** Which of these eventIDs another enterprise than `prefixKey` already uses (they cannot be stored for it). */
  async foreignEventIds(prefixKey: string, eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows: Array<{ event_id: string }> = await this.dataSource.query(
      `SELECT event_id FROM epcis_event_ids WHERE event_id = ANY($1::text[]) AND enterprise_prefix <> $2`,
      [eventIds, prefixKey],
    );
    return new Set(rows.map((row) => row.event_id));
  }

  /** Totals kept in ingestion_counters (exact, additive across replicas). */
  async counters(): Promise<Record<string, number>> {
    const rows: Array<{ name: string; value: string }> = await this.dataSource.query(`SELECT name, value FROM ingestion_counters`);
    return Object.fromEntries(rows.map((row) => [row.name, Number(row.value)]));
  }

  private async writeBatch(manager: EntityManager, items: StoreItem[], rejects: RejectRecord[]): Promise<WrittenBatch> {
    const outcomes: StoreOutcome[] = new Array(items.length);
    // The first copy of an eventId of one owner in the batch is the candidate; later copies are
    // duplicates of it. (The same eventId of two owners makes the insert fail: a conflict.)
    const plain = new Map<string, number>();
    const declarations = new Map<string, number>();
    items.forEach((item, index) => {
      const target = item.event.errorDeclaration ? declarations : plain;
      if (target.has(ownedKey(item))) outcomes[index] = 'duplicate';
      else target.set(ownedKey(item), index);
    });

    const inserted = await this.insertEvents(manager, [...plain.values()].map((i) => items[i]), false);
    const newEvents: StoreItem[] = [];
    for (const index of plain.values()) {
      const isNew = inserted.has(items[index].event.eventId);
      outcomes[index] = isNew ? 'stored' : 'duplicate';
      if (isNew) newEvents.push(items[index]);
    }

    if (declarations.size > 0) {
      const declared = [...declarations.values()].map((i) => items[i]);
      const marked = await this.markDeclared(manager, declared);
      const missing = declared.filter((item) => !marked.has(item.event.eventId));
      // Originals not here yet: store the declaration itself (already marked); when the original
      // arrives later it is a duplicate of this row.
      const insertedDeclarations = missing.length > 0 ? await this.insertEvents(manager, missing, true) : new Set<string>();
      for (const index of declarations.values()) {
        const eventId = items[index].event.eventId;
        if (marked.get(eventId) === true || insertedDeclarations.has(eventId)) outcomes[index] = 'error-declared';
        else outcomes[index] = 'duplicate';
      }
      for (const item of missing) if (insertedDeclarations.has(item.event.eventId)) newEvents.push(item);
    }

    await this.insertEdges(manager, newEvents);
    if (rejects.length > 0) await this.insertRejects(manager, rejects);

    const counts = {
      // Rows added to epcis_events (a declaration whose original is missing is one of them).
      stored: newEvents.length,
      duplicates: outcomes.filter((o) => o === 'duplicate').length,
      errorDeclarations: outcomes.filter((o) => o === 'error-declared').length,
      rejected: rejects.length,
    };
    await this.addCounters(manager, counts);
    return { outcomes, counts };
  }

  /**
   * A batch without error declarations, in one statement (see the class comment). The first copy
   * of an eventId in the batch is the candidate, later copies are duplicates of it; a candidate
   * the insert does not return was stored before (a redelivery). Edges are sent for every
   * candidate and kept for the new events only.
   */
  private async writePlainBatch(items: StoreItem[], rejects: RejectRecord[], manager: EntityManager = this.dataSource.manager): Promise<WrittenBatch> {
    const outcomes: StoreOutcome[] = new Array(items.length);
    const candidates: StoreItem[] = [];
    const first = new Map<string, number>();
    let duplicatesInBatch = 0;
    items.forEach((item, index) => {
      if (first.has(ownedKey(item))) {
        outcomes[index] = 'duplicate';
        duplicatesInBatch += 1;
      } else {
        first.set(ownedKey(item), index);
        candidates.push(item);
      }
    });
    const events = eventRows(candidates, false);
    const edges = edgeColumns(candidates);
    const rejected = rejectColumns(rejects);
    const rows: Array<{ event_id: string; record_time_key: string }> = await manager.query(
      PLAIN_BATCH_SQL,
      [events, ...edges, ...rejected, duplicatesInBatch, candidates.length, rejects.length],
    );
    const inserted = new Set(rows.map((row) => row.event_id));
    const added: StoreItem[] = [];
    for (const index of first.values()) {
      const stored = inserted.has(items[index].event.eventId);
      outcomes[index] = stored ? 'stored' : 'duplicate';
      if (stored) added.push(items[index]);
    }
    const counts = {
      stored: inserted.size,
      duplicates: duplicatesInBatch + candidates.length - inserted.size,
      errorDeclarations: 0,
      rejected: rejects.length,
    };
    return { outcomes, counts, recordTimeKey: rows.length > 0 ? rows[0].record_time_key : null, added };
  }

  /** Inserts events, returns the eventIds that were new. */
  private async insertEvents(manager: EntityManager, items: StoreItem[], declared: boolean): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const rows: Array<{ event_id: string }> = await manager.query(INSERT_EVENTS_SQL, [eventRows(items, declared)]);
    return new Set(rows.map((row) => row.event_id));
  }

  /**
   * Marks originals as declared erroneous, the declarer's own only: a declaration names an
   * eventID, and an event of another enterprise is never touched (the declaration then finds no
   * original, and storing it as the event itself meets the other owner's eventID: a conflict).
   * Returns, per eventId of the declarer that exists: true when this declaration marked it, false
   * when it was already declared (a redelivered declaration).
   */
  private async markDeclared(manager: EntityManager, items: StoreItem[]): Promise<Map<string, boolean>> {
    const rows: Array<{ event_id: string; marked: boolean }> = await manager.query(
      `WITH d AS (
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
                AS u(event_id, declared_at, reason, corrective, declaration, enterprise_prefix)
       ), marked AS (
         UPDATE epcis_events e
            SET error_declared_at = d.declared_at,
                error_reason = d.reason,
                corrective_event_ids = ARRAY(SELECT jsonb_array_elements_text(d.corrective::jsonb)),
                document = e.document || jsonb_build_object('errorDeclaration', d.declaration::jsonb)
           FROM d
          WHERE e.enterprise_prefix = d.enterprise_prefix AND e.event_id = d.event_id AND e.error_declared_at IS NULL
         RETURNING e.event_id
       )
       SELECT e.event_id, (m.event_id IS NOT NULL) AS marked
         FROM epcis_events e JOIN d ON d.enterprise_prefix = e.enterprise_prefix AND d.event_id = e.event_id
         LEFT JOIN marked m ON m.event_id = e.event_id`,
      [
        items.map((i) => i.event.eventId),
        items.map((i) => (i.event.errorDeclaration as NonNullable<NormalisedEvent['errorDeclaration']>).declarationTime.toISOString()),
        items.map((i) => i.event.errorDeclaration?.reason ?? null),
        items.map((i) => JSON.stringify(i.event.errorDeclaration?.correctiveEventIds ?? [])),
        items.map((i) => JSON.stringify(i.event.document.errorDeclaration ?? {})),
        items.map((i) => i.enterprisePrefix),
      ],
    );
    // The SELECT sees the table as it was before the UPDATE (same statement snapshot): a row the
    // UPDATE marked shows marked = true; one already declared shows false.
    return new Map(rows.map((row) => [row.event_id, row.marked]));
  }

  private async insertEdges(manager: EntityManager, items: StoreItem[]): Promise<void> {
    const [identifierIds, identifierEvents, roles, parents, children, containmentEvents, actions, containmentTimes, inputs, outputs, derivationEvents, derivationTimes] =
      edgeColumns(items);
    if (identifierIds.length > 0) {
      await manager.query(
        `INSERT INTO epcis_event_identifiers (identifier, event_id, role)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
        [identifierIds, identifierEvents, roles],
      );
    }
    if (parents.length > 0) {
      await manager.query(
        `INSERT INTO epcis_containment (parent, child, event_id, action, event_time)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) ON CONFLICT DO NOTHING`,
        [parents, children, containmentEvents, actions, containmentTimes],
      );
    }
    if (inputs.length > 0) {
      await manager.query(
        `INSERT INTO epcis_derivations (input, output, event_id, event_time)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) ON CONFLICT DO NOTHING`,
        [inputs, outputs, derivationEvents, derivationTimes],
      );
    }
  }

  private async insertRejects(manager: EntityManager, rejects: RejectRecord[]): Promise<void> {
    await manager.query(INSERT_REJECTS_SQL, rejectColumns(rejects));
  }

  /** Additive upsert; rows in name order so that concurrent batches lock them in the same order. */
  private async addCounters(manager: EntityManager, counts: BatchResult['counts']): Promise<void> {
    const names: string[] = [];
    const values: number[] = [];
    for (const key of Object.keys(COUNTER_NAMES) as Array<keyof typeof COUNTER_NAMES>) {
      if (counts[key] > 0) {
        names.push(COUNTER_NAMES[key]);
        values.push(counts[key]);
      }
    }
    if (names.length === 0) return;
    await manager.query(
      `INSERT INTO ingestion_counters AS c (name, value)
       SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(name, value) ORDER BY u.name
       ON CONFLICT (name) DO UPDATE SET value = c.value + EXCLUDED.value`,
      [names, values],
    );
  }
}

/**
 * Events from one JSON array parameter ($1, see eventRows): one object per event, the document
 * nested as it is (parsed once by PostgreSQL, never escaped into a string first). Three CTEs: `src`
 * the parsed events, `keys` their ids added to epcis_event_ids (the owner's key is the arbiter, so a
 * redelivery adds nothing and another owner's eventID fails on pk_epcis_event_ids), `ins` the events
 * whose id was new, with its record time (the partition they go to). `ins` returns their event_id.
 */
const EVENT_CTES = `src AS (SELECT r FROM jsonb_array_elements($1::jsonb) AS r),
  keys AS (
    INSERT INTO epcis_event_ids (event_id, enterprise_prefix)
    SELECT r->>'e', r->>'p' FROM src
    ON CONFLICT (enterprise_prefix, event_id) DO NOTHING
    RETURNING event_id, enterprise_prefix, record_time),
  ins AS (
    INSERT INTO epcis_events (event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, record_time, action, biz_step,
                              disposition, read_point, biz_location, error_declared_at, error_reason, corrective_event_ids, source, document)
    SELECT k.event_id, r->>'h', r->>'t', k.enterprise_prefix, (r->>'at')::timestamptz, r->>'tz', k.record_time, r->>'a', r->>'bs', r->>'ds', r->>'rp', r->>'bl',
           (r->>'da')::timestamptz, r->>'dr',
           CASE WHEN r->>'da' IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(r->'dc')) END,
           r->>'s', r->'d'
      FROM src JOIN keys k ON k.event_id = src.r->>'e' AND k.enterprise_prefix = src.r->>'p'
    RETURNING event_id)`;

/** EVENT_CTES on their own: the event_id of every event inserted. */
const INSERT_EVENTS_SQL = `WITH ${EVENT_CTES} SELECT event_id FROM ins`;

/** Rejects from 7 array parameters ($1–$7, see rejectColumns). */
const INSERT_REJECTS_SQL = `INSERT INTO epcis_rejects (enterprise_prefix, source, topic, reason, problems, payload, received_at)
       SELECT u.prefix, u.source, u.topic, u.reason, u.problems::jsonb, u.payload, u.received_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
              AS u(prefix, source, topic, reason, problems, payload, received_at)`;

/**
 * A batch without error declarations as one statement: EVENT_CTES ($1), the edges of
 * the events it inserted (identifiers $2–$4, containment $5–$9, derivations $10–$13, see
 * edgeColumns), the rejects ($14–$20, see rejectColumns) and the counters: $21 duplicates within
 * the batch, $22 candidate events, $23 rejects. Returns the event_id of every event it inserted,
 * with the transaction's record time (now(), the record_time of every row it inserted) as a time key.
 *
 * The edges are plain INSERTs, without ON CONFLICT (whose arbiter check cost a quarter of each
 * edge's insert): their events are new in this statement, each event's edges are unique (the
 * normaliser keeps one each of (identifier, role), (parent, child) and (input, output)), and a
 * batch's candidates are one per eventID and owner, so no edge can meet an existing one.
 */
const PLAIN_BATCH_SQL = `WITH ${EVENT_CTES},
  new_identifiers AS (
    INSERT INTO epcis_event_identifiers (identifier, event_id, role)
    SELECT e.identifier, e.event_id, e.role FROM unnest($2::text[], $3::text[], $4::text[]) AS e(identifier, event_id, role)
      JOIN ins ON ins.event_id = e.event_id),
  new_containment AS (
    INSERT INTO epcis_containment (parent, child, event_id, action, event_time)
    SELECT c.parent, c.child, c.event_id, c.action, c.event_time
      FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[]) AS c(parent, child, event_id, action, event_time)
      JOIN ins ON ins.event_id = c.event_id),
  new_derivations AS (
    INSERT INTO epcis_derivations (input, output, event_id, event_time)
    SELECT d.input, d.output, d.event_id, d.event_time
      FROM unnest($10::text[], $11::text[], $12::text[], $13::timestamptz[]) AS d(input, output, event_id, event_time)
      JOIN ins ON ins.event_id = d.event_id),
  new_rejects AS (${INSERT_REJECTS_SQL.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + 13}`)}),
  new_counters AS (
    INSERT INTO ingestion_counters AS c (name, value)
    SELECT v.name, v.value
      FROM (SELECT count(*) AS stored FROM ins) n,
           LATERAL (VALUES ('${COUNTER_NAMES.duplicates}', $21::bigint + $22::bigint - n.stored), ('${COUNTER_NAMES.rejected}', $23::bigint), ('${COUNTER_NAMES.stored}', n.stored)) AS v(name, value)
     WHERE v.value > 0
     ORDER BY v.name
    ON CONFLICT (name) DO UPDATE SET value = c.value + EXCLUDED.value)
  SELECT event_id, (SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) AS record_time_key FROM ins`;

/**
 * The parameter of EVENT_CTES: the events as one JSON array (one string for pg to send as
 * it is, where text[] columns are escaped element by element). The error_* fields are filled only
 * for `declared` (a declaration stored as the event itself). When every event keeps its document
 * as text (documentJson), the texts are spliced in as the rows' last field: the same JSON as
 * stringifying the trees, without making them again.
 */
export function eventRows(items: StoreItem[], declared: boolean): string {
  let asText = items.length > 0;
  for (let k = 0; k < items.length && asText; k += 1) asText = items[k].event.documentJson !== undefined;
  const rows = new Array<object>(items.length);
  for (let k = 0; k < items.length; k += 1) {
    const { event, enterprisePrefix, source } = items[k];
    const declaration = declared ? event.errorDeclaration : null;
    const row: Record<string, unknown> = {
      e: event.eventId,
      h: event.hashId,
      t: event.type,
      p: enterprisePrefix,
      at: event.eventTime.toISOString(),
      tz: event.eventTimeZoneOffset,
      a: event.action,
      bs: event.bizStep,
      ds: event.disposition,
      rp: event.readPoint,
      bl: event.bizLocation,
      da: declaration ? declaration.declarationTime.toISOString() : null,
      dr: declaration ? declaration.reason : null,
      dc: declaration ? declaration.correctiveEventIds : null,
      s: source,
    };
    // Documents kept as text (withDocumentAsText) go in as they are, below.
    if (!asText) row.d = event.document;
    rows[k] = row;
  }
  if (!asText) return JSON.stringify(rows);
  const texts = new Array<string>(items.length);
  for (let k = 0; k < items.length; k += 1) {
    const row = JSON.stringify(rows[k]);
    texts[k] = `${row.slice(0, -1)},"d":${items[k].event.documentJson as string}}`;
  }
  return `[${texts.join(',')}]`;
}

/**
 * The edge rows of the events, as 12 arrays: identifiers (identifier, event_id, role), containment
 * (parent, child, event_id, action, event_time), derivations (input, output, event_id, event_time).
 */
function edgeColumns(items: StoreItem[]): string[][] {
  const columns: string[][] = Array.from({ length: 12 }, () => []);
  const [identifierIds, identifierEvents, roles, parents, children, containmentEvents, actions, containmentTimes, inputs, outputs, derivationEvents, derivationTimes] =
    columns;
  for (const { event } of items) {
    for (const ref of event.identifiers) {
      identifierIds.push(ref.id);
      identifierEvents.push(event.eventId);
      roles.push(ref.role);
    }
    if (event.containment.length === 0 && event.derivations.length === 0) continue;
    const time = event.eventTime.toISOString();
    for (const link of event.containment) {
      parents.push(link.parent);
      children.push(link.child);
      containmentEvents.push(event.eventId);
      actions.push(link.action);
      containmentTimes.push(time);
    }
    for (const link of event.derivations) {
      inputs.push(link.input);
      outputs.push(link.output);
      derivationEvents.push(event.eventId);
      derivationTimes.push(time);
    }
  }
  return columns;
}

/** The 7 columns of INSERT_REJECTS_SQL. */
function rejectColumns(rejects: RejectRecord[]): unknown[][] {
  return [
    rejects.map((r) => r.enterprisePrefix),
    rejects.map((r) => r.source),
    rejects.map((r) => (r.topic === null ? null : toStorableText(r.topic))),
    rejects.map((r) => r.reason),
    // jsonb cannot hold \u0000 nor a lone surrogate either, and a problem may quote (a cut piece of) the payload.
    rejects.map((r) => JSON.stringify(r.problems, (_key, value: unknown) => (typeof value === 'string' ? toStorableJsonText(value) : value))),
    rejects.map((r) => toStorableText(r.payload.slice(0, REJECT_PAYLOAD_CHARS))),
    rejects.map((r) => r.receivedAt.toISOString()),
  ];
}

/** jsonb also refuses an unpaired surrogate (\udac6 escaped alone): such halves become U+FFFD as well. */
function toStorableJsonText(text: string): string {
  return toStorableText(text).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD');
}

/** PostgreSQL text cannot hold NUL; a rejected payload may contain anything. */
function toStorableText(text: string): string {
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\uFFFD') : text;
}

/** One audit entry per enterprise prefix of the batch: the ids of the events it stored (as a digest) and its counts. */
function batchEntries(items: StoreItem[], outcomes: StoreOutcome[], audit: BatchAudit): AuditEntryInput[] {
  // Keys in sorted order: the audit digests this with the native JSON.stringify, not its canonical writer.
  const byOwner = new Map<string, { duplicates: number; errorDeclarations: number; stored: string[] }>();
  items.forEach((item, index) => {
    const owner = byOwner.get(item.enterprisePrefix) ?? { duplicates: 0, errorDeclarations: 0, stored: [] };
    byOwner.set(item.enterprisePrefix, owner);
    if (outcomes[index] === 'stored') owner.stored.push(item.event.eventId);
    else if (outcomes[index] === 'duplicate') owner.duplicates += 1;
    else owner.errorDeclarations += 1;
  });
  return [...byOwner].map(([owner, after]) => ({ action: audit.action, target: audit.target, owner, outcome: 'ok' as const, after }));
}
