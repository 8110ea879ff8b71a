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

      // First advance: this replica's first transaction from memory; the other replica's is new, so the feed stops before it.
      const first = await feed.advance();
      expect(first.events.map((event) => event.eventId)).toEqual(local.map((event) => event.eventId).sort());
      expect(feed.counts).toEqual({ handed: 30, readBack: 0 });
      // Second: the other replica's transaction read back (once), then this replica's second from memory.
      const second = await feed.advance();
      expect(second.events.map((event) => event.eventId)).toEqual([...parsed.events.map((event) => event.eventId).sort(), ...localAfter.map((event) => event.eventId).sort()]);
      expect(feed.counts).toEqual({ handed: 40, readBack: 20 });
      await feed.advance();
      expect(feed.counts).toEqual({ handed: 40, readBack: 20 });

      // What the feed holds is the database's order, event for event.
      const inDatabase = await node.db.client.query<{ event_id: string }>(
        `SELECT event_id FROM epcis_events WHERE enterprise_prefix = $1 ORDER BY record_time, event_id COLLATE "C"`,
        [PREFIX],
      );
      const held = feed.tail({ time: '1970-01-01T00:00:00.000000Z', eventId: '' });
      expect(held).toBeNull(); // older than the cache: a scan would read the database
      const cached = (await feed.scan({ time: first.events[0].recordTimeKey, eventId: '' })).events;
      expect(cached.map((event) => event.eventId)).toEqual(inDatabase.rows.map((row) => row.event_id));

      // A feed that starts now (a replica whose first subscription arrives) reaches back to a
      // subscription's older position with one read, then covers it from memory.
      const later = new EventFeed(dataSource);
      await later.advance();
      const from = { time: first.events[0].recordTimeKey, eventId: '' };
      expect(later.tail(from)).toBeNull();
      expect(await later.extendBack(from)).toBe(true);
      expect((later.tail(from) as { events: Array<{ eventId: string }> }).events.map((event) => event.eventId)).toEqual(inDatabase.rows.map((row) => row.event_id));
    } finally {
      off();
    }
  });
});
