import { Logger } from '@nestjs/common';
import type { UsageCountRows, UsageCountStore } from './usage-count.repository';
import { MAX_FOREIGN_PREFIXES, UsageCounter } from './usage-counter';

/** A store that keeps what it was given and fails on demand: the I/O boundary of UsageCounter. */
class FakeStore implements UsageCountStore {
  readonly flushed: UsageCountRows[] = [];
  homed = ['88.118.8', '88.118.9'];
  failures = 0;
  inFlight = 0;
  maxInFlight = 0;
  release: (() => void) | undefined;
  hold = false;

  async addCounts(rows: UsageCountRows): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((resolve) => (this.release = resolve));
      if (this.failures > 0) {
        this.failures -= 1;
        throw new Error('connection refused');
      }
      this.flushed.push(structuredClone(rows));
    } finally {
      this.inFlight -= 1;
    }
  }

  async homedPrefixKeys(): Promise<string[]> {
    return [...this.homed];
  }
}

type Row = [prefixKey: string, minuteIso: string, kind: string, outcome: string, count: number];

/** The rows of one flush as sorted tuples, minutes as ISO strings. */
function rowsOf(rows: UsageCountRows): Row[] {
  return rows.prefixKeys
    .map((prefixKey, i): Row => [prefixKey, new Date(rows.minutes[i] * 60_000).toISOString(), rows.kinds[i], rows.outcomes[i], rows.counts[i]])
    .sort((a, b) => a.join('|').localeCompare(b.join('|')));
}

const T0 = Date.parse('2026-11-23T12:00:00.000Z');

describe('UsageCounter', () => {
  let store: FakeStore;
  let clock: number;
  let counter: UsageCounter;

  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => jest.restoreAllMocks());

  beforeEach(async () => {
    store = new FakeStore();
    clock = T0;
    counter = new UsageCounter(store, { flushIntervalMs: 5000, now: () => clock });
    await counter.refreshPrefixes();
  });

  it('counts the front door of each resolution in the same cell, as kind door', async () => {
    counter.recordResolution('88.118.8', 'l1', 'handle_rest');
    counter.recordResolution('88.118.8', 'db', 'handle_rest');
    counter.recordResolution('88.118.8', 'not_found', 'proxy');
    counter.recordResolution('86.100.1', 'error', 'cross_node'); // not homed: the '-' cell
    counter.recordResolution('88.118.9', 'l2', 'snms');
    counter.recordResolution('88.118.9', 'l2', 'handle');
    counter.recordResolution('88.118.9', 'l2'); // no door given: only the outcome

    await counter.flush();

    const doors = rowsOf(store.flushed[0]).filter(([, , kind]) => kind === 'door');
    expect(doors).toEqual([
      ['-', '2026-11-23T12:00:00.000Z', 'door', 'cross_node', 1],
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'door', 'handle_rest', 2],
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'door', 'proxy', 1],
      ['88.118.9', '2026-11-23T12:00:00.000Z', 'door', 'handle', 1],
      ['88.118.9', '2026-11-23T12:00:00.000Z', 'door', 'snms', 1],
    ]);
    expect(rowsOf(store.flushed[0]).filter(([, , kind]) => kind === 'resolution').reduce((sum, row) => sum + row[4], 0)).toBe(7);
    // Doors are not resolutions of their own in the lifetime totals.
    expect(Object.values(counter.resolutionTotals()).reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('adds up resolutions per prefix, minute and outcome and writes them in one statement', async () => {
    for (let i = 0; i < 5; i += 1) counter.recordResolution('88.118.8', 'l1');
    counter.recordResolution('88.118.8', 'l2');
    counter.recordResolution('88.118.8', 'db');
    counter.recordResolution('88.118.9', 'not_found');
    counter.recordResolution('88.118.9', 'error');
    counter.recordResolution('88.118.9', 'error');

    await counter.flush();

    expect(store.flushed).toHaveLength(1);
    expect(rowsOf(store.flushed[0])).toEqual([
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'db', 1],
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 5],
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l2', 1],
      ['88.118.9', '2026-11-23T12:00:00.000Z', 'resolution', 'error', 2],
      ['88.118.9', '2026-11-23T12:00:00.000Z', 'resolution', 'not_found', 1],
    ]);
  });

  it('buckets by the minute of the clock, the boundary belonging to the new minute', async () => {
    clock = T0 + 59_999;
    counter.recordResolution('88.118.8', 'l1');
    clock = T0 + 60_000;
    counter.recordResolution('88.118.8', 'l1');
    counter.recordResolution('88.118.8', 'l1');
    clock = T0 + 3 * 60_000 + 30_000;
    counter.recordRegistrations('88.118.8', 7, 'create');

    await counter.flush();

    expect(rowsOf(store.flushed[0])).toEqual([
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 1],
      ['88.118.8', '2026-11-23T12:01:00.000Z', 'resolution', 'l1', 2],
      ['88.118.8', '2026-11-23T12:03:00.000Z', 'registration', 'create', 7],
    ]);
  });

  it('keeps each (prefix, minute, kind, outcome) once per flush even when the clock steps back', async () => {
    counter.recordResolution('88.118.8', 'l1');
    clock = T0 + 60_000;
    counter.recordResolution('88.118.8', 'l1');
    clock = T0 + 10_000; // NTP step back into the previous minute
    counter.recordResolution('88.118.8', 'l1');

    await counter.flush();

    expect(rowsOf(store.flushed[0])).toEqual([
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 2],
      ['88.118.8', '2026-11-23T12:01:00.000Z', 'resolution', 'l1', 1],
    ]);
  });

  it('counts prefixes not homed here, and unparsable handles, under "-"', async () => {
    counter.recordResolution('88.200.5', 'db');
    counter.recordResolution('86.100.1', 'not_found');
    counter.recordResolution('-', 'error');
    counter.recordResolution('88.118.8', 'l1');
    counter.recordRegistrations('88.118.77', 3, 'update');

    await counter.flush();

    expect(rowsOf(store.flushed[0])).toEqual([
      ['-', '2026-11-23T12:00:00.000Z', 'registration', 'update', 3],
      ['-', '2026-11-23T12:00:00.000Z', 'resolution', 'db', 1],
      ['-', '2026-11-23T12:00:00.000Z', 'resolution', 'error', 1],
      ['-', '2026-11-23T12:00:00.000Z', 'resolution', 'not_found', 1],
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 1],
    ]);
    expect(counter.health().unflushedCells).toBe(0);
  });

  it('bounds the keys it holds by the homed prefixes, whatever callers send', () => {
    for (let i = 0; i < 10_000; i += 1) counter.recordResolution(`88.${i}.1`, 'not_found');
    counter.recordResolution('88.118.8', 'l1');
    expect(counter.health().unflushedCells).toBe(2);
  });

  it('counts a prefix under its own key once it is announced or found by a refresh', async () => {
    counter.recordResolution('88.118.10', 'db');
    await counter.flush();
    counter.notePrefixHomed('88.118.10');
    counter.recordResolution('88.118.10', 'db');
    store.homed = ['88.118.8', '88.118.11'];
    await counter.refreshPrefixes();
    counter.recordResolution('88.118.11', 'l2');
    counter.recordResolution('88.118.9', 'l2');

    await counter.flush();

    expect(rowsOf(store.flushed[0])).toEqual([['-', '2026-11-23T12:00:00.000Z', 'resolution', 'db', 1]]);
    expect(rowsOf(store.flushed[1])).toEqual([
      ['-', '2026-11-23T12:00:00.000Z', 'resolution', 'l2', 1],
      ['88.118.10', '2026-11-23T12:00:00.000Z', 'resolution', 'db', 1],
      ['88.118.11', '2026-11-23T12:00:00.000Z', 'resolution', 'l2', 1],
    ]);
  });

  it('does not let a refresh that was already loading forget a prefix announced meanwhile', async () => {
    let finishLoad: (keys: string[]) => void = () => undefined;
    store.homedPrefixKeys = () => new Promise<string[]>((resolve) => (finishLoad = resolve));
    const refresh = counter.refreshPrefixes();
    counter.notePrefixHomed('88.118.12');
    finishLoad(['88.118.8']);
    await refresh;

    counter.recordResolution('88.118.12', 'l1');
    await counter.flush();
    expect(rowsOf(store.flushed[0])).toEqual([['88.118.12', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 1]]);
  });

  it('adds registration batches and ignores counts that are not positive integers', async () => {
    counter.recordRegistrations('88.118.8', 2000, 'create');
    counter.recordRegistrations('88.118.8', 1500, 'create');
    counter.recordRegistrations('88.118.8', 1, 'delete');
    counter.recordRegistrations('88.118.8', 0, 'update');
    counter.recordRegistrations('88.118.8', -4, 'update');
    counter.recordRegistrations('88.118.8', 2.5, 'update');
    counter.recordRegistrations('88.118.8', Number.NaN, 'update');

    await counter.flush();

    expect(rowsOf(store.flushed[0])).toEqual([
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'registration', 'create', 3500],
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'registration', 'delete', 1],
    ]);
    expect(counter.registrationTotals()).toEqual({ create: 3500, update: 0, delete: 1 });
  });

  it('does not call the database when there is nothing to write', async () => {
    await counter.flush();
    counter.recordResolution('88.118.8', 'l1');
    await counter.flush();
    await counter.flush();
    expect(store.flushed).toHaveLength(1);
  });

  it('keeps the counts of a failed flush and writes them, merged with newer ones, with the next', async () => {
    counter.recordResolution('88.118.8', 'l1');
    counter.recordResolution('88.118.8', 'l1');
    counter.recordRegistrations('88.118.9', 10, 'create');
    store.failures = 2;

    await expect(counter.flush()).rejects.toThrow('connection refused');
    counter.recordResolution('88.118.8', 'l1');
    clock = T0 + 60_000;
    counter.recordResolution('88.118.8', 'db');
    await expect(counter.flush()).rejects.toThrow('connection refused');
    expect(counter.health()).toMatchObject({ failedFlushes: 2, flushes: 0, droppedCounts: 0, unflushedCells: 3 });

    await counter.flush();

    expect(store.flushed).toHaveLength(1);
    expect(rowsOf(store.flushed[0])).toEqual([
      ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 3],
      ['88.118.8', '2026-11-23T12:01:00.000Z', 'resolution', 'db', 1],
      ['88.118.9', '2026-11-23T12:00:00.000Z', 'registration', 'create', 10],
    ]);
    expect(counter.health()).toMatchObject({ flushes: 1, unflushedCells: 0 });
  });

  it('counts what arrives while a flush is writing into the next flush, and never runs two at once', async () => {
    counter.recordResolution('88.118.8', 'l1');
    store.hold = true;
    const first = counter.flush();
    await Promise.resolve();
    counter.recordResolution('88.118.8', 'l1');
    counter.recordResolution('88.118.8', 'l2');
    const second = counter.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.inFlight).toBe(1);
    store.hold = false;
    store.release?.();
    await first;
    await second;

    expect(store.maxInFlight).toBe(1);
    expect(store.flushed.map(rowsOf)).toEqual([
      [['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 1]],
      [
        ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 1],
        ['88.118.8', '2026-11-23T12:00:00.000Z', 'resolution', 'l2', 1],
      ],
    ]);
  });

  it('bounds memory during a long outage by dropping the oldest minutes, and says how much it dropped', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error');
    counter = new UsageCounter(store, { flushIntervalMs: 5000, now: () => clock, maxUnflushedCells: 4 });
    await counter.refreshPrefixes();
    store.failures = Number.POSITIVE_INFINITY;
    for (let minute = 0; minute < 5; minute += 1) {
      clock = T0 + minute * 60_000;
      counter.recordResolution('88.118.8', 'l1');
      counter.recordResolution('88.118.9', 'db');
      counter.recordResolution('88.118.9', 'db');
      await expect(counter.flush()).rejects.toThrow();
    }
    expect(counter.health()).toMatchObject({ unflushedCells: 4, droppedCounts: 9 });
    expect(errors.mock.calls.map((call) => call[0])).toEqual([
      'statistics for 2026-11-23T12:00:00.000Z dropped (3 counts): the database has refused flushes for too long',
      'statistics for 2026-11-23T12:01:00.000Z dropped (3 counts): the database has refused flushes for too long',
      'statistics for 2026-11-23T12:02:00.000Z dropped (3 counts): the database has refused flushes for too long',
    ]);

    store.failures = 0;
    await counter.flush();
    expect(rowsOf(store.flushed[0])).toEqual([
      ['88.118.8', '2026-11-23T12:03:00.000Z', 'resolution', 'l1', 1],
      ['88.118.8', '2026-11-23T12:04:00.000Z', 'resolution', 'l1', 1],
      ['88.118.9', '2026-11-23T12:03:00.000Z', 'resolution', 'db', 2],
      ['88.118.9', '2026-11-23T12:04:00.000Z', 'resolution', 'db', 2],
    ]);
  });

  it('keeps totals since start for Prometheus, unaffected by flushing', async () => {
    counter.recordResolution('88.118.8', 'l1');
    counter.recordResolution('88.200.1', 'not_found');
    await counter.flush();
    counter.recordResolution('88.118.8', 'l1');
    counter.recordResolution('88.118.8', 'error');
    expect(counter.resolutionTotals()).toEqual({ l1: 2, l2: 0, db: 0, not_found: 1, error: 1 });
  });

  it('loads the homed prefixes on start, survives a database that is not there yet, and flushes on stop', async () => {
    const fresh = new UsageCounter(store, { flushIntervalMs: 60_000, now: () => clock });
    store.homedPrefixKeys = () => Promise.reject(new Error('database starting up'));
    await fresh.start();
    expect(fresh.health().homedPrefixes).toBe(0);
    fresh.recordResolution('88.118.8', 'l1');
    await fresh.stop();
    expect(rowsOf(store.flushed[0])).toEqual([['-', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 1]]);

    const other = new UsageCounter(new FakeStore(), { flushIntervalMs: 60_000 });
    await other.start();
    expect(other.health().homedPrefixes).toBe(2);
    await other.stop();
  });

  it('counts a foreign prefix the top level located under its own key, keeps it across refreshes, and caps how many', async () => {
    counter.recordResolution('88.200.5', 'db');
    counter.noteForeignPrefix('88.200.5');
    counter.recordResolution('88.200.5', 'l1');
    counter.recordResolution('88.200.6', 'not_found');
    counter.noteForeignPrefix('-');
    await counter.refreshPrefixes();
    counter.recordResolution('88.200.5', 'l1');
    expect(counter.countsSeparately('88.200.5')).toBe(true);
    expect(counter.countsSeparately('88.200.6')).toBe(false);
    expect(counter.countsSeparately('-')).toBe(false);
    await counter.flush();
    expect(rowsOf(store.flushed[0])).toEqual([
      ['-', '2026-11-23T12:00:00.000Z', 'resolution', 'db', 1],
      ['-', '2026-11-23T12:00:00.000Z', 'resolution', 'not_found', 1],
      ['88.200.5', '2026-11-23T12:00:00.000Z', 'resolution', 'l1', 2],
    ]);

    for (let i = 0; i < MAX_FOREIGN_PREFIXES + 10; i += 1) counter.noteForeignPrefix(`88.300.${i}`);
    expect(counter.countsSeparately(`88.300.${MAX_FOREIGN_PREFIXES - 2}`)).toBe(true);
    expect(counter.countsSeparately(`88.300.${MAX_FOREIGN_PREFIXES + 5}`)).toBe(false);
  });

  it('reports, rather than throws, counts it cannot write at shutdown', async () => {
    counter.recordResolution('88.118.8', 'l1');
    store.failures = 1;
    const errors = jest.spyOn(Logger.prototype, 'error');
    await expect(counter.stop()).resolves.toBeUndefined();
    expect(errors).toHaveBeenCalledWith('statistics of 1 prefix-minutes could not be written at shutdown: connection refused');
    expect(counter.health()).toMatchObject({ unflushedCells: 1, failedFlushes: 1 });
  });
});
