import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { migrateDatabase } from '../../apps/secondary-node/src/database/migrate';
import { PrefixDirectory } from '../../apps/secondary-node/src/registry/prefix-directory.service';
import { PrefixRepository } from '../../apps/secondary-node/src/registry/prefix.repository';
import { UsageCountRepository } from '../../apps/secondary-node/src/statistics/usage-count.repository';
import { UsageCounter } from '../../apps/secondary-node/src/statistics/usage-counter';
import { RESOLUTION_OUTCOMES, type ResolutionOutcome, REGISTRATION_OPERATIONS } from '../../apps/secondary-node/src/statistics/usage-kinds';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Two UsageCounter instances on one PostgreSQL stand for two replicas of the node behind a load
 * balancer: they count the same prefixes in the same minutes and flush at the same time.
 */
describe('usage counting with several replicas on one database', () => {
  const T0 = Date.parse('2025-06-01T08:00:00Z');
  let db: TestDatabase;
  const dataSources: DataSource[] = [];
  let clock = T0;

  async function addPrefix(prefix: string, status: string, n: number): Promise<void> {
    const application = await db.client.query<{ id: string }>(
      `INSERT INTO enterprise_applications (org_name, credit_code, contact_name, contact_phone, contact_email, requested_prefix, username, password_hash, password_digest_sealed, status)
       VALUES ($1, $2, 'Li Si', '+86 27 1234 5678', 'li@example.cn', $3, $4, 'x', 'x', $5) RETURNING id`,
      [`Org ${prefix}`, `9111010800000000${String(n).padStart(2, '0')}`, prefix, `replica-user-${n}`, status === 'pending_review' ? 'pending_review' : 'active'],
    );
    await db.client.query(`INSERT INTO enterprise_prefixes (prefix_key, prefix, status, application_id) VALUES ($1, $1, $2, $3)`, [prefix, status, application.rows[0].id]);
  }

  async function replica(): Promise<UsageCounter> {
    const dataSource = new DataSource({ ...dataSourceOptions(db.url, { poolSize: 2 }), logging: false });
    await dataSource.initialize();
    dataSources.push(dataSource);
    const counter = new UsageCounter(new UsageCountRepository(dataSource, new PrefixDirectory(new PrefixRepository(dataSource))), { flushIntervalMs: 60_000, now: () => clock });
    await counter.refreshPrefixes();
    return counter;
  }

  async function stored(): Promise<Record<string, number>> {
    const rows = await db.client.query<{ key: string; total: string }>(
      `SELECT prefix_key || ' ' || kind || ' ' || outcome AS key, sum(count)::text AS total FROM usage_counts GROUP BY 1 ORDER BY 1`,
    );
    return Object.fromEntries(rows.rows.map((r) => [r.key, Number(r.total)]));
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    db = await createTestDatabase('replicas');
    await migrateDatabase(db.url);
    await addPrefix('88.118.8', 'active', 1);
    await addPrefix('88.118.9', 'active', 2);
    await addPrefix('88.118.10', 'disabled', 3);
    await addPrefix('88.118.11', 'pending_review', 4);
  });

  afterAll(async () => {
    for (const dataSource of dataSources) if (dataSource.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await db.client.query('TRUNCATE usage_counts');
  });

  it('adds up exactly when both replicas flush the same cells concurrently, round after round', async () => {
    const [a, b] = [await replica(), await replica()];
    const prefixes = ['88.118.8', '88.118.9', '88.118.10', '88.118.11', '88.200.5'];
    const expected: Record<string, number> = {};
    const expect_ = (prefix: string, kind: string, outcome: string, n: number) => {
      const key = `${prefix === '88.118.11' || prefix === '88.200.5' ? '-' : prefix} ${kind} ${outcome}`;
      expected[key] = (expected[key] ?? 0) + n;
    };
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);

    for (let round = 0; round < 25; round += 1) {
      clock = T0 + round * 20_000; // three rounds per minute: cells are shared across rounds and replicas
      for (const counter of [a, b]) {
        for (let i = 0; i < 200; i += 1) {
          const prefix = prefixes[next() % prefixes.length];
          const outcome = RESOLUTION_OUTCOMES[next() % RESOLUTION_OUTCOMES.length] as ResolutionOutcome;
          counter.recordResolution(prefix, outcome);
          expect_(prefix, 'resolution', outcome, 1);
        }
        const operation = REGISTRATION_OPERATIONS[round % 3];
        counter.recordRegistrations('88.118.8', 100 + round, operation);
        expect_('88.118.8', 'registration', operation, 100 + round);
      }
      // Both flush at once, several times over (an empty flush writes nothing); counts recorded while
      // the flushes are in flight go into the next ones.
      const flushes = [a.flush(), b.flush(), a.flush()];
      a.recordResolution('88.118.9', 'l1');
      b.recordResolution('88.118.9', 'l1');
      expect_('88.118.9', 'resolution', 'l1', 2);
      flushes.push(b.flush());
      await Promise.all(flushes);
    }

    expect(await stored()).toEqual(expected);
    const total = Object.values(expected).reduce((x, y) => x + y, 0);
    const sum = await db.client.query<{ n: string }>(`SELECT sum(count)::text AS n FROM usage_counts`);
    expect(Number(sum.rows[0].n)).toBe(total);
    // 25 rounds of 20 s span 9 minutes; each row is one (prefix, minute, kind, outcome).
    const minutes = await db.client.query<{ n: number }>(`SELECT count(DISTINCT minute)::int AS n FROM usage_counts`);
    expect(minutes.rows[0].n).toBe(9);
    expect(a.health()).toMatchObject({ failedFlushes: 0, unflushedCells: 0 });
    expect(b.health()).toMatchObject({ failedFlushes: 0, unflushedCells: 0 });
  });

  it('counts approved prefixes (active or disabled) under their own key and pending ones under "-"', async () => {
    const counter = await replica();
    expect(counter.health().homedPrefixes).toBe(3);
    for (const prefix of ['88.118.8', '88.118.10', '88.118.11', 'no-such-prefix']) counter.recordResolution(prefix, 'db');
    await counter.flush();
    expect(await stored()).toEqual({ '- resolution db': 2, '88.118.10 resolution db': 1, '88.118.8 resolution db': 1 });
  });

  it('keeps what it counted while the table is unavailable and writes it exactly once when it returns', async () => {
    const [a, b] = [await replica(), await replica()];
    clock = T0;
    a.recordResolution('88.118.8', 'l1');
    b.recordResolution('88.118.8', 'l1');
    await a.flush();

    await db.client.query('ALTER TABLE usage_counts RENAME TO usage_counts_away');
    try {
      for (let i = 0; i < 10; i += 1) a.recordResolution('88.118.8', 'l1');
      b.recordRegistrations('88.118.9', 2000, 'create');
      await expect(a.flush()).rejects.toThrow(/usage_counts/);
      await expect(b.flush()).rejects.toThrow(/usage_counts/);
      clock = T0 + 60_000;
      a.recordResolution('88.118.8', 'l2');
      await expect(a.flush()).rejects.toThrow(/usage_counts/);
    } finally {
      await db.client.query('ALTER TABLE usage_counts_away RENAME TO usage_counts');
    }
    expect(a.health()).toMatchObject({ failedFlushes: 2, unflushedCells: 2, droppedCounts: 0 });

    await Promise.all([a.flush(), b.flush()]);
    const rows = await db.client.query<{ prefix_key: string; minute: Date; outcome: string; count: string }>(
      `SELECT prefix_key, minute, outcome, count FROM usage_counts ORDER BY prefix_key, minute, outcome`,
    );
    expect(rows.rows.map((r) => [r.prefix_key, r.minute.toISOString(), r.outcome, Number(r.count)])).toEqual([
      ['88.118.8', '2025-06-01T08:00:00.000Z', 'l1', 12],
      ['88.118.8', '2025-06-01T08:01:00.000Z', 'l2', 1],
      ['88.118.9', '2025-06-01T08:00:00.000Z', 'create', 2000],
    ]);
    await Promise.all([a.flush(), b.flush()]);
    expect((await stored())['88.118.8 resolution l1']).toBe(12);
  });
});
