import { parseEpcisPayload } from '@idis/epcis';
import { DataSource } from 'typeorm';
import { EventHub } from '../../apps/secondary-node/src/events/event-hub';
import { EventStore } from '../../apps/secondary-node/src/traceability/store/event-store';
import { EventFeed } from '../../apps/secondary-node/src/traceability/subscriptions/event-feed';
import { at, epcisDocument, objectEvent, seedEvents } from '../support/epcis-seed';
import { TestNode } from '../support/test-node';

/**
 * The subscriptions' feed takes the events this replica commits as the store hands them over
 * (signal `epcis.events-committed`) and never reads them back; a transaction it was not handed
 * (another replica's) is found by the per-record-time count, waits one advance (its signal may be
 * on its way) and is then read from the database once. Either way the feed holds every event
 * once, in (record time, eventID) order, exactly as the database has them.
 */
const PREFIX = '88.118.36';

describe('EventFeed: committed events from memory, other replicas’ from the database', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await TestNode.start();
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('holds every event once and in order, reading back only the transactions it was not handed', async () => {
    const dataSource = node.app.get(DataSource);
    // A feed of its own (the node's is driven by its delivery loop), fed by this node's store.
    const feed = new EventFeed(dataSource);
    const off = node.app.get(EventHub).onSignal('epcis.events-committed', (batch) => feed.publish(batch));
    // "Another replica": a store on the same database whose commits this feed is not told of.
    const otherReplica = new EventStore(dataSource, new EventHub());
    try {
      await feed.advance();
      let serial = 0;
      const events = (count: number) => Array.from({ length: count }, () => objectEvent({ time: at(0, (serial += 1)), epcs: [`hdl:${PREFIX}/FEED-${serial}`], bizStep: 'shipping' }));
      const local = await seedEvents(node, PREFIX, events(30));
      const parsed = parseEpcisPayload(JSON.stringify(epcisDocument(events(20))));
      if (!parsed.ok) throw new Error('test events do not parse');
      expect(await otherReplica.storeBatch(parsed.events.map((event) => ({ event, enterprisePrefix: PREFIX, source: 'capture' as const })))).toEqual(new Array(20).fill('stored'));
      const localAfter = await seedEvents(node, PREFIX, events(10));

      // The horizon passes a transaction only once no statement that started before it is still
      // running on a writer connection of the node (a background task may hold it back a moment):
      // advance until the feed has passed all three transactions (bounded).
      const timeKeys = await node.db.client.query<{ first: string; last: string }>(
        `SELECT to_char(min(record_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first,
                to_char(max(record_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last
           FROM epcis_events WHERE enterprise_prefix = $1`,
        [PREFIX],
      );
      const { first: firstKey, last: lastKey } = timeKeys.rows[0];
      const passed = () => (feed.horizon()?.time ?? '') > lastKey;
      const advances: string[][] = [];
      for (let round = 0; round < 50 && !passed(); round += 1) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20));
        advances.push((await feed.advance()).events.map((event) => event.eventId));
      }
      expect(passed()).toBe(true);
      const ids = (list: Array<{ eventId: string }>) => list.map((event) => event.eventId).sort();
      // This replica's transactions from memory, the other replica's read back once, in record-time order.
      expect(advances.flat()).toEqual([...ids(local), ...ids(parsed.events), ...ids(localAfter)]);
      expect(feed.counts).toEqual({ handed: 40, readBack: 20 });
      // The other replica's transaction, seen without its events, waited one advance (its signal
      // may be on its way): it never came in the advance that took this replica's first one.
      const withLocal = advances.find((list) => list.includes(local[0].eventId)) as string[];
      expect(withLocal.some((id) => ids(parsed.events).includes(id))).toBe(false);
      // Never read again.
      await feed.advance();
      expect(feed.counts).toEqual({ handed: 40, readBack: 20 });

      // What the feed holds is the database's order, event for event.
      const inDatabase = await node.db.client.query<{ event_id: string }>(
        `SELECT event_id FROM epcis_events WHERE enterprise_prefix = $1 ORDER BY record_time, event_id COLLATE "C"`,
        [PREFIX],
      );
      const held = feed.tail({ time: '1970-01-01T00:00:00.000000Z', eventId: '' });
      expect(held).toBeNull(); // older than the cache: a scan would read the database
      const cached = (await feed.scan({ time: firstKey, eventId: '' })).events;
      expect(cached.map((event) => event.eventId)).toEqual(inDatabase.rows.map((row) => row.event_id));

      // A feed that starts now (a replica whose first subscription arrives) reaches back to a
      // subscription's older position with one read, then covers it from memory.
      const later = new EventFeed(dataSource);
      await later.advance();
      const from = { time: firstKey, eventId: '' };
      expect(later.tail(from)).toBeNull();
      expect(await later.extendBack(from)).toBe(true);
      expect((later.tail(from) as { events: Array<{ eventId: string }> }).events.map((event) => event.eventId)).toEqual(inDatabase.rows.map((row) => row.event_id));
    } finally {
      off();
    }
  });
});
