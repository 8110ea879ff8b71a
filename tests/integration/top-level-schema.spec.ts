import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/top-level-node/src/database/data-source-options';
import { migrateTopLevelDatabase } from '../../apps/top-level-node/src/database/migrate';
import { migrations } from '../../apps/top-level-node/src/database/migrations';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const TABLES = ['filing_transactions', 'filings', 'nodes', 'reported_volumes', 'request_nonces', 'review_messages', 'sequence_gaps', 'statistics_reports'];

async function tablesOf(db: TestDatabase): Promise<string[]> {
  const result = await db.client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return result.rows.map((row) => row.table_name);
}

async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  return (await dataSource.driver.createSchemaBuilder().log()).upQueries.map((query) => query.query);
}

describe('top-level node database schema', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('toplevel_schema');
    dataSource = new DataSource(dataSourceOptions(db.url, { poolSize: 2 }));
    await dataSource.initialize();
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('never synchronises: the schema comes from its own migrations only', async () => {
    const options = dataSourceOptions('postgres://localhost/idis_top');
    expect(options.synchronize).toBe(false);
    expect(options.migrationsRun).toBe(false);
    expect(options.migrations).toBe(migrations);
    expect(await tablesOf(db)).toEqual([]);
  });

  it('creates every table from the migrations, and then the entities need no further change', async () => {
    expect(await migrateTopLevelDatabase(db.url)).toEqual(migrations.map((m) => new m().name));
    expect(await tablesOf(db)).toEqual([...TABLES, 'schema_migrations'].sort());
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    await expect(migrateTopLevelDatabase(db.url)).resolves.toEqual([]);
  });

  it('migrates down to an empty schema, which the check notices, and up again', async () => {
    for (let i = 0; i < migrations.length; i += 1) await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await tablesOf(db)).toEqual(['schema_migrations']);
    const created = (await pendingSchemaChanges(dataSource)).map((q) => /^CREATE TABLE "([^"]+)"/.exec(q)?.[1]).filter((t): t is string => t !== undefined);
    expect(created.sort()).toEqual(TABLES);
    await dataSource.runMigrations({ transaction: 'all' });
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  it('constraints hold: one node per secondary prefix, known filing states, non-negative volumes', async () => {
    const node = `INSERT INTO nodes (node_id, secondary_prefix, prefix_key, key_id, secret_sealed, credentials_issued_at) VALUES ($1, '88.118', '88.118', 'k', 'plain:x', now())`;
    await db.client.query(node, ['a']);
    await expect(db.client.query(node, ['b'])).rejects.toThrow(/uq_nodes_prefix_key/);
    await expect(db.client.query(`INSERT INTO filings (prefix_key, prefix, node_id, status, enterprise) VALUES ('88.118.8', '88.118.8', 'a', 'lost', '{}')`)).rejects.toThrow(/ck_filings_status/);
    await expect(
      db.client.query(`INSERT INTO reported_volumes (node_id, period_start, period_end, prefix, registrations, resolutions, not_found, errors) VALUES ('a', now(), now(), '-', -1, 0, 0, 0)`),
    ).rejects.toThrow(/ck_reported_volumes_counts/);
    await db.client.query(`INSERT INTO request_nonces (node_id, nonce, expires_at) VALUES ('a', 'n', now())`);
    await expect(db.client.query(`INSERT INTO request_nonces (node_id, nonce, expires_at) VALUES ('a', 'n', now())`)).rejects.toThrow(/pk_request_nonces/);
  });
});
