import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NormalisedEvent } from '@idis/epcis';
import { DataSource, type EntityManager } from 'typeorm';
import type { EventSource } from './entities/epcis-event.entity';

export type StoreOutcome = 'stored' | 'duplicate' | 'error-declared';

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

/** The first 64 KiB of a rejected payload are kept. */
export const REJECT_PAYLOAD_CHARS = 64 * 1024;

export const COUNTER_NAMES = { stored: 'stored', duplicates: 'duplicates', errorDeclarations: 'error_declarations', rejected: 'rejected' } as const;

/**
 * All writes of the traceability store. One transaction per batch, with a constant number of
 * statements whatever its size: every table is written by one `INSERT … SELECT FROM unnest(…)`
 * (array parameters, so no 65,535-placeholder limit), events first with
 * `ON CONFLICT (event_id) DO NOTHING RETURNING event_id` to learn which are new, then the edges of
 * the new ones only. The counters are added in the same transaction, so they never disagree with
 * the rows.
 */
@Injectable()
export class EventStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores a batch: new events with their edges; an error declaration whose original exists marks
   * the original (error_* columns, and errorDeclaration in its document) instead of inserting; a
   * declaration whose original is not here yet is stored as the event itself (it is a copy of it).
   */
  async storeBatch(items: StoreItem[]): Promise<StoreOutcome[]> {
    return (await this.commitBatch(items, [])).outcomes;
  }

  /** storeBatch plus rejects, in one transaction (the MQTT consumer acknowledges after it). */
  async commitBatch(items: StoreItem[], rejects: RejectRecord[]): Promise<BatchResult> {
    if (items.length === 0 && rejects.length === 0) return { outcomes: [], counts: { stored: 0, duplicates: 0, errorDeclarations: 0, rejected: 0 } };
    return this.dataSource.transaction((manager) => this.writeBatch(manager, items, rejects));
  }

  /** Totals kept in ingestion_counters (exact, additive across replicas). */
  async counters(): Promise<Record<string, number>> {
    const rows: Array<{ name: string; value: string }> = await this.dataSource.query(`SELECT name, value FROM ingestion_counters`);
    return Object.fromEntries(rows.map((row) => [row.name, Number(row.value)]));
  }

  private async writeBatch(manager: EntityManager, items: StoreItem[], rejects: RejectRecord[]): Promise<BatchResult> {
    const outcomes: StoreOutcome[] = new Array(items.length);
    // The first copy of an eventId in the batch is the candidate; later copies are duplicates of it.
    const plain = new Map<string, number>();
    const declarations = new Map<string, number>();
    items.forEach((item, index) => {
      const target = item.event.errorDeclaration ? declarations : plain;
      if (target.has(item.event.eventId)) outcomes[index] = 'duplicate';
      else target.set(item.event.eventId, index);
    });

    const inserted = await this.insertEvents(manager, [...plain.values()].map((i) => items[i]), false);
    for (const [eventId, index] of plain) outcomes[index] = inserted.has(eventId) ? 'stored' : 'duplicate';
    const newEvents = [...inserted].map((eventId) => items[plain.get(eventId) as number]);

    if (declarations.size > 0) {
      const declared = [...declarations.values()].map((i) => items[i]);
      const marked = await this.markDeclared(manager, declared);
      const missing = declared.filter((item) => !marked.has(item.event.eventId));
      // Originals not here yet: store the declaration itself (already marked); when the original
      // arrives later it is a duplicate of this row.
      const insertedDeclarations = missing.length > 0 ? await this.insertEvents(manager, missing, true) : new Set<string>();
      for (const [eventId, index] of declarations) {
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

  /** Inserts events, returns the eventIds that were new. */
  private async insertEvents(manager: EntityManager, items: StoreItem[], declared: boolean): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const col = <T>(pick: (item: StoreItem) => T) => items.map(pick);
    const rows: Array<{ event_id: string }> = await manager.query(
      `INSERT INTO epcis_events (event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, action, biz_step,
                                 disposition, read_point, biz_location, error_declared_at, error_reason, corrective_event_ids, source, document)
       SELECT u.event_id, u.hash_id, u.event_type, u.enterprise_prefix, u.event_time, u.tz, u.action, u.biz_step, u.disposition, u.read_point,
              u.biz_location, u.declared_at, u.reason,
              CASE WHEN u.declared_at IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(u.corrective::jsonb)) END,
              u.source, u.document::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::text[], $11::text[], $12::timestamptz[], $13::text[], $14::text[], $15::text[], $16::text[])
              AS u(event_id, hash_id, event_type, enterprise_prefix, event_time, tz, action, biz_step, disposition, read_point, biz_location,
                   declared_at, reason, corrective, source, document)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [
        col((i) => i.event.eventId),
        col((i) => i.event.hashId),
        col((i) => i.event.type),
        col((i) => i.enterprisePrefix),
        col((i) => i.event.eventTime.toISOString()),
        col((i) => i.event.eventTimeZoneOffset),
        col((i) => i.event.action),
        col((i) => i.event.bizStep),
        col((i) => i.event.disposition),
        col((i) => i.event.readPoint),
        col((i) => i.event.bizLocation),
        col((i) => (declared && i.event.errorDeclaration ? i.event.errorDeclaration.declarationTime.toISOString() : null)),
        col((i) => (declared && i.event.errorDeclaration ? i.event.errorDeclaration.reason : null)),
        col((i) => (declared && i.event.errorDeclaration ? JSON.stringify(i.event.errorDeclaration.correctiveEventIds) : null)),
        col((i) => i.source),
        col((i) => JSON.stringify(i.event.document)),
      ],
    );
    return new Set(rows.map((row) => row.event_id));
  }

  /**
   * Marks originals as declared erroneous. Returns, per eventId that exists: true when this
   * declaration marked it, false when it was already declared (a redelivered declaration).
   */
  private async markDeclared(manager: EntityManager, items: StoreItem[]): Promise<Map<string, boolean>> {
    const rows: Array<{ event_id: string; marked: boolean }> = await manager.query(
      `WITH d AS (
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[])
                AS u(event_id, declared_at, reason, corrective, declaration)
       ), marked AS (
         UPDATE epcis_events e
            SET error_declared_at = d.declared_at,
                error_reason = d.reason,
                corrective_event_ids = ARRAY(SELECT jsonb_array_elements_text(d.corrective::jsonb)),
                document = e.document || jsonb_build_object('errorDeclaration', d.declaration::jsonb)
           FROM d
          WHERE e.event_id = d.event_id AND e.error_declared_at IS NULL
         RETURNING e.event_id
       )
       SELECT e.event_id, (m.event_id IS NOT NULL) AS marked
         FROM epcis_events e JOIN d ON d.event_id = e.event_id LEFT JOIN marked m ON m.event_id = e.event_id`,
      [
        items.map((i) => i.event.eventId),
        items.map((i) => (i.event.errorDeclaration as NonNullable<NormalisedEvent['errorDeclaration']>).declarationTime.toISOString()),
        items.map((i) => i.event.errorDeclaration?.reason ?? null),
        items.map((i) => JSON.stringify(i.event.errorDeclaration?.correctiveEventIds ?? [])),
        items.map((i) => JSON.stringify(i.event.document.errorDeclaration ?? {})),
      ],
    );
    // The SELECT sees the table as it was before the UPDATE (same statement snapshot): a row the
    // UPDATE marked shows marked = true; one already declared shows false.
    return new Map(rows.map((row) => [row.event_id, row.marked]));
  }

  private async insertEdges(manager: EntityManager, items: StoreItem[]): Promise<void> {
    const identifiers: { id: string[]; event: string[]; role: string[] } = { id: [], event: [], role: [] };
    const containment: { parent: string[]; child: string[]; event: string[]; action: string[]; time: string[] } = { parent: [], child: [], event: [], action: [], time: [] };
    const derivations: { input: string[]; output: string[]; event: string[]; time: string[] } = { input: [], output: [], event: [], time: [] };
    for (const { event } of items) {
      const time = event.eventTime.toISOString();
      for (const ref of event.identifiers) {
        identifiers.id.push(ref.id);
        identifiers.event.push(event.eventId);
        identifiers.role.push(ref.role);
      }
      for (const link of event.containment) {
        containment.parent.push(link.parent);
        containment.child.push(link.child);
        containment.event.push(event.eventId);
        containment.action.push(link.action);
        containment.time.push(time);
      }
      for (const link of event.derivations) {
        derivations.input.push(link.input);
        derivations.output.push(link.output);
        derivations.event.push(event.eventId);
        derivations.time.push(time);
      }
    }
    if (identifiers.id.length > 0) {
      await manager.query(
        `INSERT INTO epcis_event_identifiers (identifier, event_id, role)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
        [identifiers.id, identifiers.event, identifiers.role],
      );
    }
    if (containment.parent.length > 0) {
      await manager.query(
        `INSERT INTO epcis_containment (parent, child, event_id, action, event_time)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) ON CONFLICT DO NOTHING`,
        [containment.parent, containment.child, containment.event, containment.action, containment.time],
      );
    }
    if (derivations.input.length > 0) {
      await manager.query(
        `INSERT INTO epcis_derivations (input, output, event_id, event_time)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) ON CONFLICT DO NOTHING`,
        [derivations.input, derivations.output, derivations.event, derivations.time],
      );
    }
  }

  private async insertRejects(manager: EntityManager, rejects: RejectRecord[]): Promise<void> {
    await manager.query(
      `INSERT INTO epcis_rejects (enterprise_prefix, source, topic, reason, problems, payload, received_at)
       SELECT u.prefix, u.source, u.topic, u.reason, u.problems::jsonb, u.payload, u.received_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
              AS u(prefix, source, topic, reason, problems, payload, received_at)`,
      [
        rejects.map((r) => r.enterprisePrefix),
        rejects.map((r) => r.source),
        rejects.map((r) => r.topic),
        rejects.map((r) => r.reason),
        rejects.map((r) => JSON.stringify(r.problems)),
        rejects.map((r) => toStorableText(r.payload.slice(0, REJECT_PAYLOAD_CHARS))),
        rejects.map((r) => r.receivedAt.toISOString()),
      ],
    );
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

/** PostgreSQL text cannot hold NUL; a rejected payload may contain anything. */
function toStorableText(text: string): string {
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\uFFFD') : text;
}
