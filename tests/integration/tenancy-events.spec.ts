import type { MqttClient } from 'mqtt';
import { parseEpcisPayload } from '@idis/epcis';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { migrations } from '../../apps/secondary-node/src/database/migrations';
import { EventStore, isEventIdConflict } from '../../apps/secondary-node/src/traceability/store/event-store';
import { type EnterpriseFixture, TestNode } from '../support/test-node';
import { createTestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';
import { consumerReady, countRows, endClient, epcisDocument, ingestionEnv, ingestionStatus, objectEvent, publish, testClient } from './ingestion-harness';

/** What a conflict may never reveal: the other owner, its account, or anything of its event. */
function expectRevealsNothing(text: string, victim: EnterpriseFixture, victimSecret: string): void {
  for (const hidden of [victim.prefix, victim.username, victimSecret]) expect({ hidden, found: text.includes(hidden) }).toEqual({ hidden, found: false });
}

function declarationOf(event: Record<string, unknown>, reason = 'incorrect_data') {
  return { ...event, errorDeclaration: { declarationTime: '2025-01-16T09:00:00.000+08:00', reason } };
}

function aggregation(eventID: string, parent: string, children: string[]) {
  return { type: 'AggregationEvent', eventID, eventTime: '2025-01-15T08:05:00.000+08:00', eventTimeZoneOffset: '+08:00', parentID: parent, childEPCs: children, action: 'ADD', bizStep: 'packing' };
}

/** Event ids are per owner; error declarations touch the declarer's own events only (capture and store). */
describe('traceability tenancy: error declarations and eventIDs across enterprises (capture)', () => {
  let node: TestNode;
  let acme: EnterpriseFixture; // the victim
  let mallory: EnterpriseFixture; // the other tenant trying to cross
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    mallory = await node.approvedEnterprise('88.118.66', 'mallory');
    operator = await node.operatorToken();
  });

  afterAll(async () => {
    await node?.stop();
  });

  const capture = (who: EnterpriseFixture, events: Array<Record<string, unknown>>) => node.request('POST', '/epcis/capture', { token: who.token, body: epcisDocument(events) });
  const traceBack = async (handle: string) => (await node.request('GET', `/api/v1/trace/${handle}?direction=back`, { token: operator })).body;

  it('refuses another enterprise’s error declaration: the victim’s event and genealogy stay intact', async () => {
    const packing = aggregation('urn:uuid:0d5f7a52-0000-4000-8000-00000000a001', 'hdl:88.118.8/CASE-A', ['hdl:88.118.8/BIKE-A1', 'hdl:88.118.8/BIKE-A2']);
    expect((await capture(acme, [packing])).status).toBe(202);
    expect((await traceBack('88.118.8/CASE-A')).graph.edges).toHaveLength(2);

    const eventsBefore = await node.db.client.query(`SELECT event_id, error_declared_at, document FROM epcis_events ORDER BY event_id`);
    const reply = await capture(mallory, [declarationOf(packing)]);
    // Nothing changed in the events (only mallory's failed job is recorded).
    expect((await node.db.client.query(`SELECT event_id, error_declared_at, document FROM epcis_events ORDER BY event_id`)).rows).toEqual(eventsBefore.rows);
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ status: 'failed', success: false, stored: 0, errorCode: 'EVENT_ID_CONFLICT', enterprisePrefix: '88.118.66' });
    // RFC 7807 problems with their EPCISException type (the capture job resource's errors).
    expect(reply.body.errors).toEqual([
      {
        type: 'epcisException:ValidationException',
        title: 'Event ID not available',
        status: 409,
        path: 'epcisBody.eventList[0].eventID',
        message: expect.stringMatching(/cannot be used by your enterprise/),
        detail: expect.stringMatching(/cannot be used by your enterprise/),
        eventID: packing.eventID,
      },
    ]);
    expectRevealsNothing(reply.text, acme, 'CASE-A');

    const row = (await node.db.client.query(`SELECT enterprise_prefix, error_declared_at, document FROM epcis_events WHERE event_id = $1`, [packing.eventID])).rows;
    expect(row).toEqual([{ enterprise_prefix: '88.118.8', error_declared_at: null, document: expect.not.objectContaining({ errorDeclaration: expect.anything() }) }]);
    const graph = (await traceBack('88.118.8/CASE-A')).graph;
    expect(graph.edges.map((e: { to: string }) => e.to).sort()).toEqual(['hdl:88.118.8/BIKE-A1', 'hdl:88.118.8/BIKE-A2']);

    // The owner itself still declares its own event erroneous, and the edges go.
    const own = await capture(acme, [declarationOf(packing)]);
    expect(own.status).toBe(202);
    expect((await node.db.client.query(`SELECT error_reason FROM epcis_events WHERE event_id = $1`, [packing.eventID])).rows).toEqual([{ error_reason: 'incorrect_data' }]);
    expect((await traceBack('88.118.8/CASE-A')).graph.edges).toHaveLength(0);
  });

  it('refuses a cross-owner declaration in the store itself (never marks another owner’s row)', async () => {
    const event = aggregation('urn:uuid:0d5f7a52-0000-4000-8000-00000000a002', 'hdl:88.118.8/CASE-B', ['hdl:88.118.8/BIKE-B1']);
    expect((await capture(acme, [event])).status).toBe(202);
    const parsed = parseEpcisPayload(JSON.stringify(epcisDocument([declarationOf(event, 'did_not_occur')])));
    if (!parsed.ok) throw new Error('declaration does not parse');
    const store = node.app.get(EventStore);
    const failure = await store.storeBatch([{ event: parsed.events[0], enterprisePrefix: '88.118.66', source: 'capture' }]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isEventIdConflict(failure)).toBe(true);
    expect((await node.db.client.query(`SELECT enterprise_prefix, error_reason FROM epcis_events WHERE event_id = $1`, [event.eventID])).rows).toEqual([
      { enterprise_prefix: '88.118.8', error_reason: null },
    ]);
  });

  it('keeps duplicates per owner: the owner re-sending is a duplicate, another owner reusing the eventID is refused with 409', async () => {
    const mine = objectEvent({ epcs: ['hdl:88.118.8/SECRET-PART-1'], bizStep: 'shipping' });
    expect((await capture(acme, [mine])).body).toMatchObject({ status: 'succeeded', stored: 1 });
    expect((await capture(acme, [mine])).body).toMatchObject({ status: 'succeeded', stored: 0, duplicates: 1 });

    // Mallory reuses acme's eventID for an event of its own, in a document with a fresh event.
    const fresh = objectEvent({ epcs: ['hdl:88.118.66/OWN-1'] });
    const reuse = objectEvent({ epcs: ['hdl:88.118.66/OWN-2'], eventID: mine.eventID as string });
    const jobsBefore = await countRows(node, 'SELECT 1 FROM epcis_capture_jobs');
    const reply = await capture(mallory, [fresh, reuse]);
    expect(reply.status).toBe(409);
    expect(reply.headers.get('location')).toBe(`/epcis/capture/${reply.body.captureID}`);
    expect(reply.body).toMatchObject({ status: 'failed', stored: 0, duplicates: 0, eventCount: 2, errorCode: 'EVENT_ID_CONFLICT' });
    expect(reply.body.errors).toEqual([
      {
        type: 'epcisException:ValidationException',
        title: 'Event ID not available',
        status: 409,
        path: 'epcisBody.eventList[1].eventID',
        message: expect.stringMatching(/event_id_conflict/),
        detail: expect.stringMatching(/event_id_conflict/),
        eventID: mine.eventID,
      },
    ]);
    expectRevealsNothing(reply.text, acme, 'SECRET-PART');
    expect(reply.text).not.toMatch(/duplicate key|violates|constraint|uq_epcis|pk_epcis/);
    // All or nothing: the fresh event was not stored either; the job says why, to mallory only.
    expect(await countRows(node, `SELECT 1 FROM epcis_events WHERE enterprise_prefix = '88.118.66'`)).toBe(0);
    expect(await countRows(node, 'SELECT 1 FROM epcis_capture_jobs')).toBe(jobsBefore + 1);
    const job = await node.request('GET', `/epcis/capture/${reply.body.captureID}`, { token: mallory.token });
    expect(job.body).toMatchObject({ status: 'failed', errorCode: 'EVENT_ID_CONFLICT' });
    expect((await node.request('GET', `/epcis/capture/${reply.body.captureID}`, { token: acme.token })).status).toBe(404);

    // The eventID still names acme's event, for acme; mallory cannot read it.
    const read = await node.request('GET', `/epcis/events/${encodeURIComponent(mine.eventID as string)}`, { token: acme.token });
    expect(read.body.epcisBody.queryResults.resultsBody.eventList[0].epcList).toEqual(['hdl:88.118.8/SECRET-PART-1']);
    const crossRead = await node.request('GET', `/epcis/events/${encodeURIComponent(mine.eventID as string)}`, { token: mallory.token });
    expect(crossRead.status).toBe(403);
    expect(crossRead.text).not.toContain('SECRET-PART');
    const listed = await node.request('GET', '/epcis/events?perPage=100', { token: mallory.token });
    expect(listed.text).not.toContain('SECRET-PART');

    // With its own eventIDs mallory's document is stored.
    const fixed = await capture(mallory, [fresh, objectEvent({ epcs: ['hdl:88.118.66/OWN-2'] })]);
    expect(fixed.body).toMatchObject({ status: 'succeeded', stored: 2 });
  });

  it('finds an event by its hash ID among the caller’s own when two owners published the same content', async () => {
    const content = { type: 'ObjectEvent', eventTime: '2025-03-01T10:00:00.000+08:00', eventTimeZoneOffset: '+08:00', epcList: ['urn:epc:id:sgtin:0614141.107346.9001'], action: 'OBSERVE' };
    const a = { ...content, eventID: 'urn:uuid:0d5f7a52-0000-4000-8000-00000000b001' };
    const m = { ...content, eventID: 'urn:uuid:0d5f7a52-0000-4000-8000-00000000b002' };
    expect((await capture(acme, [a])).status).toBe(202);
    expect((await capture(mallory, [m])).status).toBe(202);
    const hash = (await node.db.client.query(`SELECT hash_id FROM epcis_events WHERE event_id = $1`, [a.eventID])).rows[0].hash_id as string;
    for (const [who, expected] of [[acme, a.eventID], [mallory, m.eventID]] as const) {
      const reply = await node.request('GET', `/epcis/events/${encodeURIComponent(hash)}`, { token: who.token });
      expect(reply.status).toBe(200);
      expect(reply.body.epcisBody.queryResults.resultsBody.eventList[0].eventID).toBe(expected);
    }
  });
});

describe('traceability tenancy over MQTT: a clash is a reject of the document, with a reason that reveals nothing', () => {
  const env = ingestionEnv('tenancy');
  const root = env.MQTT_TOPIC_ROOT;
  let node: TestNode;
  let publisher: MqttClient;
  let watcher: MqttClient;
  let acme: EnterpriseFixture;
  const notices: Array<{ topic: string; body: any }> = [];
  const eventsTopic = (prefix: string) => `${root}/${prefix}/events`;

  beforeAll(async () => {
    node = await TestNode.start(env);
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    await node.approvedEnterprise('88.118.66', 'mallory');
    await consumerReady(node);
    publisher = await testClient();
    watcher = await testClient();
    watcher.on('message', (topic, payload) => notices.push({ topic, body: JSON.parse(payload.toString()) }));
    await new Promise<void>((resolve, reject) => watcher.subscribe(`${root}/+/rejects`, { qos: 1 }, (error) => (error ? reject(error) : resolve())));
  });

  afterAll(async () => {
    await endClient(publisher);
    await endClient(watcher);
    await node?.stop();
  });

  it('rejects another owner’s eventID and another owner’s error declaration; the victim’s row is untouched', async () => {
    const original = aggregation('urn:uuid:0d5f7a52-0000-4000-8000-00000000c001', 'hdl:88.118.8/CASE-M', ['hdl:88.118.8/BIKE-M1']);
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(original));
    await waitFor('the original', async () => (await countRows(node, 'SELECT 1 FROM epcis_events WHERE event_id = $1', [original.eventID])) === 1);

    const before = await ingestionStatus(node);
    const good = objectEvent({ epcs: ['hdl:88.118.66/GOOD-1'] });
    const reuse = objectEvent({ epcs: ['hdl:88.118.66/MINE-1'], eventID: original.eventID });
    // Three messages of one batch: a good one, a reuse of acme's eventID, a declaration of acme's event.
    await Promise.all([
      publish(publisher, eventsTopic('88.118.66'), JSON.stringify(good)),
      publish(publisher, eventsTopic('88.118.66'), JSON.stringify(epcisDocument([objectEvent({ epcs: ['hdl:88.118.66/MINE-2'] }), reuse]))),
      publish(publisher, eventsTopic('88.118.66'), JSON.stringify(declarationOf(original))),
    ]);
    await waitFor('one stored, two rejected', async () => {
      const status = await ingestionStatus(node);
      return status.storedTotal === before.storedTotal + 1 && status.rejectedTotal === before.rejectedTotal + 2;
    });
    expect(await countRows(node, 'SELECT 1 FROM epcis_events WHERE event_id = $1', [good.eventID])).toBe(1);
    expect(await countRows(node, `SELECT 1 FROM epcis_events WHERE enterprise_prefix = '88.118.66'`)).toBe(1);
    const victim = (await node.db.client.query(`SELECT enterprise_prefix, error_declared_at FROM epcis_events WHERE event_id = $1`, [original.eventID])).rows;
    expect(victim).toEqual([{ enterprise_prefix: '88.118.8', error_declared_at: null }]);

    const rejects = (await node.db.client.query(`SELECT reason, problems, enterprise_prefix FROM epcis_rejects ORDER BY id DESC LIMIT 2`)).rows;
    expect(rejects.map((r) => r.reason)).toEqual(['event_id_conflict', 'event_id_conflict']);
    expect(rejects.every((r) => r.enterprise_prefix === '88.118.66')).toBe(true);
    const paths = rejects.flatMap((r) => r.problems.map((p: { path: string }) => p.path)).sort();
    expect(paths).toEqual(['epcisBody.eventList[0].eventID', 'epcisBody.eventList[1].eventID']);
    expectRevealsNothing(JSON.stringify(rejects), acme, 'CASE-M');
    expect(JSON.stringify(rejects)).not.toMatch(/duplicate key|violates|constraint|uq_epcis/);

    const announced = await waitFor('two notices', () => {
      const found = notices.filter((n) => n.topic === `${root}/88.118.66/rejects` && n.body.reason === 'event_id_conflict');
      return found.length === 2 ? found : undefined;
    });
    expectRevealsNothing(JSON.stringify(announced), acme, 'CASE-M');
    expect(notices.some((n) => n.topic === `${root}/88.118.8/rejects`)).toBe(false);
  });

  it('keeps the owner’s own redelivery a duplicate', async () => {
    const event = objectEvent({ epcs: ['hdl:88.118.8/REDELIVER-1'] });
    const before = await ingestionStatus(node);
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(event));
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(event));
    await waitFor('stored once, then a duplicate', async () => {
      const status = await ingestionStatus(node);
      return status.storedTotal === before.storedTotal + 1 && status.duplicatesTotal === before.duplicatesTotal + 1;
    });
    expect((await ingestionStatus(node)).rejectedTotal).toBe(before.rejectedTotal);
  });
});

describe('migration: events keyed by (enterprise_prefix, event_id), existing rows kept', () => {
  it('keeps the events and their edges, and refuses a second owner of an eventID afterwards', async () => {
    const db = await createTestDatabase('evkeys');
    // The schema just before this migration (later migrations then run after it, as on an upgrade).
    const at = migrations.findIndex((m) => m.name === 'EventIdsPerOwner1796400000000');
    expect(at).toBeGreaterThan(0);
    const older = new DataSource({ ...dataSourceOptions(db.url, { poolSize: 1 }), migrations: migrations.slice(0, at) });
    try {
      await older.initialize();
      await older.runMigrations({ transaction: 'all' });
      await older.query(
        `INSERT INTO epcis_events (event_id, hash_id, event_type, enterprise_prefix, event_time, event_time_zone_offset, source, document)
         VALUES ('urn:uuid:old-1', 'h1', 'ObjectEvent', '88.118.8', now(), '+08:00', 'mqtt', '{}'), ('urn:uuid:old-2', 'h2', 'ObjectEvent', '88.118.9', now(), '+08:00', 'mqtt', '{}')`,
      );
      await older.query(`INSERT INTO epcis_event_identifiers (identifier, event_id, role) VALUES ('hdl:88.118.8/A', 'urn:uuid:old-1', 'epc')`);
      await older.destroy();

      const current = new DataSource(dataSourceOptions(db.url, { poolSize: 1 }));
      await current.initialize();
      try {
        expect((await current.runMigrations({ transaction: 'all' })).map((m) => m.name)).toEqual(migrations.slice(at).map((m) => m.name));
        expect(await current.query(`SELECT event_id, enterprise_prefix FROM epcis_events ORDER BY event_id`)).toEqual([
          { event_id: 'urn:uuid:old-1', enterprise_prefix: '88.118.8' },
          { event_id: 'urn:uuid:old-2', enterprise_prefix: '88.118.9' },
        ]);
        expect(await current.query(`SELECT event_id FROM epcis_event_identifiers`)).toEqual([{ event_id: 'urn:uuid:old-1' }]);
        // The keys now live in epcis_event_ids (EventsByRecordTime1797300000000): the owner's key and the node-wide eventID.
        const keyOf = async (table: string, constraint: string) =>
          (
            await current.query(
              `SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                WHERE c.conrelid = $1::regclass AND c.conname = $2 ORDER BY array_position(c.conkey, a.attnum)`,
              [table, constraint],
            )
          ).map((r: { attname: string }) => r.attname);
        expect(await keyOf('epcis_event_ids', 'uq_epcis_event_ids_owner')).toEqual(['enterprise_prefix', 'event_id']);
        expect(await keyOf('epcis_event_ids', 'pk_epcis_event_ids')).toEqual(['event_id']);
        expect(await current.query(`SELECT event_id, enterprise_prefix FROM epcis_event_ids ORDER BY event_id`)).toEqual([
          { event_id: 'urn:uuid:old-1', enterprise_prefix: '88.118.8' },
          { event_id: 'urn:uuid:old-2', enterprise_prefix: '88.118.9' },
        ]);
        await expect(current.query(`INSERT INTO epcis_event_ids (event_id, enterprise_prefix) VALUES ('urn:uuid:old-1', '88.118.9')`)).rejects.toThrow(/pk_epcis_event_ids/);
        // And down again: the old key comes back with the rows.
        await current.undoLastMigration({ transaction: 'all' });
        expect(await countEvents(current)).toBe(2);
      } finally {
        await current.destroy();
      }
    } finally {
      if (older.isInitialized) await older.destroy();
      await db.drop();
    }
  });
});

async function countEvents(dataSource: DataSource): Promise<number> {
  return Number((await dataSource.query(`SELECT count(*)::int AS n FROM epcis_events`))[0].n);
}
