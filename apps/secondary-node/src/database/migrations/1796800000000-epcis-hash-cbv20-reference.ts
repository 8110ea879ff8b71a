import { computeEventHashId, undeclaredPrefixes } from '@idis/epcis';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const EDGES: Array<[table: string, constraint: string]> = [
  ['epcis_event_identifiers', 'fk_epcis_event_identifiers_event'],
  ['epcis_containment', 'fk_epcis_containment_event'],
  ['epcis_derivations', 'fk_epcis_derivations_event'],
];

const PAGE = 1000;

interface Row {
  enterprise_prefix: string;
  event_id: string;
  hash_id: string;
  document: Record<string, unknown>;
}

/**
 * The CBV 2.0 event hash ID now follows the reference generator's published vectors (libs/epcis README, "Event
 * hash ID"): sensor data, class/pattern/CPI identifiers, escaped serials, CURIE vocabulary values and extensions
 * inside standard fields hash differently than before. Stored events are re-hashed so that a lookup by hash ID
 * and duplicate detection keep working:
 *
 * - hash_id becomes the new hash ID wherever it changed;
 * - an event whose ID the node assigned (event_id = hash_id: the publisher gave no eventID) takes the new hash ID
 *   as its event_id too, in its document's eventID, its edges and the corrective IDs of declarations that name it:
 *   a redelivery of the same message (still without eventID) then meets it as a duplicate, as it did before;
 *   unless another event of the node already has that ID (two spellings the new rules consider the same
 *   event), in which case only its hash_id changes;
 * - an event whose field names use a CURIE prefix that only the capturing document's @context declared (not
 *   kept with events stored before this release) cannot be re-hashed here and keeps its values; the count is
 *   logged. Events stored from now on carry such prefixes in their own @context (@idis/epcis documentPrefixesOf).
 *
 * Irreversible (the previous rules are not kept); down() leaves the rows as they are.
 */
export class EpcisHashCbv20Reference1796800000000 implements MigrationInterface {
  name = 'EpcisHashCbv20Reference1796800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, constraint] of EDGES) await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
    let after: [string, string] | null = null;
    let rehashed = 0;
    let renamed = 0;
    let skipped = 0;
    const claimed = new Set<string>();
    for (;;) {
      const rows: Row[] = await queryRunner.query(
        `SELECT enterprise_prefix, event_id, hash_id, document FROM epcis_events
          ${after ? 'WHERE (enterprise_prefix, event_id) > ($1, $2)' : ''}
          ORDER BY enterprise_prefix, event_id LIMIT ${PAGE}`,
        after ?? [],
      );
      if (rows.length === 0) break;
      after = [rows[rows.length - 1].enterprise_prefix, rows[rows.length - 1].event_id];

      const changes: Array<{ prefix: string; oldId: string; newId: string; hash: string }> = [];
      for (const row of rows) {
        if (undeclaredPrefixes(row.document).length > 0) {
          skipped++;
          continue;
        }
        const hash = computeEventHashId(row.document);
        if (hash === row.hash_id) continue;
        const assigned = row.event_id === row.hash_id;
        changes.push({ prefix: row.enterprise_prefix, oldId: row.event_id, newId: assigned ? hash : row.event_id, hash });
      }
      if (changes.length === 0) continue;

      const wanted = changes.filter((c) => c.newId !== c.oldId).map((c) => c.newId);
      const taken: Array<{ event_id: string }> = wanted.length
        ? await queryRunner.query(`SELECT event_id FROM epcis_events WHERE event_id = ANY($1::text[])`, [wanted])
        : [];
      const existing = new Set(taken.map((r) => r.event_id));
      for (const c of changes) {
        if (c.newId === c.oldId) continue;
        if (existing.has(c.newId) || claimed.has(c.newId)) c.newId = c.oldId;
        else claimed.add(c.newId);
      }

      const col = <K extends keyof (typeof changes)[number]>(k: K) => changes.map((c) => c[k]);
      await queryRunner.query(
        `UPDATE epcis_events e
            SET hash_id = c.hash,
                event_id = c.new_id,
                document = CASE WHEN c.new_id <> c.old_id THEN jsonb_set(e.document, '{eventID}', to_jsonb(c.new_id)) ELSE e.document END
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS c(prefix, old_id, new_id, hash)
          WHERE e.enterprise_prefix = c.prefix AND e.event_id = c.old_id`,
        [col('prefix'), col('oldId'), col('newId'), col('hash')],
      );
      const moved = changes.filter((c) => c.newId !== c.oldId);
      rehashed += changes.length;
      renamed += moved.length;
      if (moved.length === 0) continue;
      const oldIds = moved.map((c) => c.oldId);
      const newIds = moved.map((c) => c.newId);
      for (const [table] of EDGES) {
        await queryRunner.query(
          `UPDATE "${table}" t SET event_id = m.new_id FROM unnest($1::text[], $2::text[]) AS m(old_id, new_id) WHERE t.event_id = m.old_id`,
          [oldIds, newIds],
        );
      }
      await queryRunner.query(
        `UPDATE epcis_events e
            SET corrective_event_ids = (SELECT array_agg(COALESCE(m.new_id, t.id) ORDER BY t.n)
                                          FROM unnest(e.corrective_event_ids) WITH ORDINALITY AS t(id, n)
                                          LEFT JOIN unnest($1::text[], $2::text[]) AS m(old_id, new_id) ON m.old_id = t.id)
          WHERE e.corrective_event_ids && $1::text[]`,
        [oldIds, newIds],
      );
    }
    for (const [table, constraint] of EDGES) {
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" FOREIGN KEY ("event_id") REFERENCES "epcis_events"("event_id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      );
    }
    if (rehashed > 0 || skipped > 0) {
      queryRunner.connection.logger.log(
        'info',
        `EPCIS hash IDs: ${rehashed} events re-hashed (${renamed} node-assigned event IDs renamed); ` +
          `${skipped} events use namespace prefixes declared only by their capture document and keep their hash ID`,
      );
    }
  }

  public async down(): Promise<void> {
    // The previous hash rules are not kept: the rows stay as they are.
  }
}
