import 'reflect-metadata';
import { computeEventHashId } from '@idis/epcis';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { migrations } from '../../apps/secondary-node/src/database/migrations';
import { EpcisHashCbv20Reference1796800000000 } from '../../apps/secondary-node/src/database/migrations/1796800000000-epcis-hash-cbv20-reference';
import { EdgesWithoutForeignKeys1797400000000 } from '../../apps/secondary-node/src/database/migrations/1797400000000-edges-without-foreign-keys';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The data migration that re-hashes stored events after the hash rules followed the reference generator's
 * vectors: rows written with the previous rules (their old hash IDs are given here as they were stored) get the
 * new hash ID; a node-assigned event ID moves with its edges and the declarations naming it.
 */
const OLD_SENSOR_HASH = 'ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000001?ver=CBV2.0';
const OLD_GIVEN_HASH = 'ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000002?ver=CBV2.0';
const OLD_UNKNOWN_HASH = 'ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000003?ver=CBV2.0';
const OLD_TWIN_HASH = 'ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000004?ver=CBV2.0';

const sensorEvent = (component: string) => ({
  type: 'ObjectEvent',
  eventTime: '2022-04-07T10:00:00.000Z',
  eventTimeZoneOffset: '+01:00',
  epcList: ['urn:epc:id:sgtin:4012345.011111.1'],
  action: 'OBSERVE',
  sensorElementList: [{ sensorReport: [{ type: 'gs1:Angle', value: 42.5, component, uom: 'DD' }] }],
});

describe('migration EpcisHashCbv20Reference', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('epcis_hash_migration');
    const before = new DataSource({ ...dataSourceOptions(db.url, { poolSize: 1 }), migrations: migrations.slice(0, migrations.indexOf(EpcisHashCbv20Reference1796800000000)) });
    await before.initialize();
    await before.runMigrations({ transaction: 'all' });
    await before.destroy();

    const insert = (prefix: string, eventId: string, hashId: string, document: Record<string, unknown>, corrective: string[] | null = null) =>
      db.client.query(
        `INSERT INTO epcis_events (enterprise_prefix, event_id, hash_id, event_type, event_time, event_time_zone_offset, source, document, corrective_event_ids)
         VALUES ($1, $2, $3, 'ObjectEvent', '2022-04-07T10:00:00Z', '+01:00', 'mqtt', $4, $5)`,
        [prefix, eventId, hashId, JSON.stringify(document), corrective],
      );
    // node-assigned ID (no eventID from the publisher): event_id = hash_id = the document's eventID
    await insert('88.118.1', OLD_SENSOR_HASH, OLD_SENSOR_HASH, { ...sensorEvent('latitude'), eventID: OLD_SENSOR_HASH });
    await db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('urn:epc:id:sgtin:4012345.011111.1', $1, 'epc')`, [OLD_SENSOR_HASH]);
    // a publisher's eventID stays; only the hash changes
    await insert('88.118.1', 'urn:uuid:11111111-2222-4333-8444-555555555555', OLD_GIVEN_HASH, {
      ...sensorEvent('cbv:Comp-longitude'),
      eventID: 'urn:uuid:11111111-2222-4333-8444-555555555555',
    }, [OLD_SENSOR_HASH]);
    // a prefix only the capture document declared: cannot be recomputed, left alone
    await insert('88.118.2', OLD_UNKNOWN_HASH, OLD_UNKNOWN_HASH, { ...sensorEvent('latitude'), 'acme:batch': '7', eventID: OLD_UNKNOWN_HASH });
    // the same event as the first under the new rules ("latitude" = "cbv:Comp-latitude"): keeps its ID
    await insert('88.118.3', OLD_TWIN_HASH, OLD_TWIN_HASH, { ...sensorEvent('cbv:Comp-latitude'), eventID: OLD_TWIN_HASH });

    // Up to the migration that drops the edges' foreign keys (EdgesWithoutForeignKeys, tested in
    // partitioned-store-migration.spec.ts): the re-hash must put back the keys it drops, and the
    // migrations after it keep them until then.
    const after = new DataSource({ ...dataSourceOptions(db.url, { poolSize: 1 }), migrations: migrations.slice(0, migrations.indexOf(EdgesWithoutForeignKeys1797400000000)) });
    await after.initialize();
    const applied = await after.runMigrations({ transaction: 'all' });
    await after.destroy();
    // The re-hash runs first of what this test's "after" adds (later migrations may follow it).
    expect(applied.map((m) => m.name)[0]).toBe(new EpcisHashCbv20Reference1796800000000().name);
  });

  afterAll(async () => {
    await db?.drop();
  });

  const row = async (prefix: string) =>
    (
      await db.client.query<{ event_id: string; hash_id: string; document: Record<string, unknown>; corrective_event_ids: string[] | null }>(
        `SELECT event_id, hash_id, document, corrective_event_ids FROM epcis_events WHERE enterprise_prefix = $1 ORDER BY event_id`,
        [prefix],
      )
    ).rows;

  it('gives a node-assigned event the new hash ID as its ID, in its document and its edges', async () => {
    const expected = computeEventHashId(sensorEvent('latitude'));
    expect(expected).not.toBe(OLD_SENSOR_HASH);
    const [assigned] = (await row('88.118.1')).filter((r) => r.event_id.startsWith('ni:'));
    expect(assigned).toMatchObject({ event_id: expected, hash_id: expected, document: { eventID: expected } });
    const edges = await db.client.query(`SELECT event_id FROM epcis_event_identifiers`);
    expect(edges.rows).toEqual([{ event_id: expected }]);
  });

  it("keeps a publisher's eventID, re-hashes it and renames the IDs its declaration lists", async () => {
    const [given] = (await row('88.118.1')).filter((r) => r.event_id.startsWith('urn:uuid:'));
    expect(given.hash_id).toBe(computeEventHashId(sensorEvent('cbv:Comp-longitude')));
    expect(given.document.eventID).toBe('urn:uuid:11111111-2222-4333-8444-555555555555');
    expect(given.corrective_event_ids).toEqual([computeEventHashId(sensorEvent('latitude'))]);
  });

  it('leaves an event whose namespace prefixes were declared only by its capture document', async () => {
    expect(await row('88.118.2')).toEqual([
      expect.objectContaining({ event_id: OLD_UNKNOWN_HASH, hash_id: OLD_UNKNOWN_HASH }),
    ]);
  });

  it('re-hashes a second spelling of an event already renamed but keeps its ID (event IDs stay unique)', async () => {
    expect(await row('88.118.3')).toEqual([
      expect.objectContaining({ event_id: OLD_TWIN_HASH, hash_id: computeEventHashId(sensorEvent('latitude')) }),
    ]);
  });

  it('restores the edge foreign keys', async () => {
    await expect(
      db.client.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('x', 'no-such-event', 'epc')`),
    ).rejects.toThrow(/foreign key/);
  });
});
