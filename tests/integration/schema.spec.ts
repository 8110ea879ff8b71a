import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { migrateDatabase } from '../../apps/secondary-node/src/database/migrate';
import { migrations } from '../../apps/secondary-node/src/database/migrations';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const APP_TABLES = ['accounts', 'data_templates', 'enterprise_applications', 'enterprise_prefixes', 'enterprises', 'identifiers', 'node_enrolment', 'partner_grants', 'partners', 'template_items', 'upstream_outbox', 'usage_counts', 'usage_counts_hourly', 'usage_counts_daily', 'usage_rollup_settings', 'epcis_events', 'epcis_event_ids', 'epcis_event_identifiers', 'epcis_containment', 'epcis_derivations', 'epcis_rejects', 'epcis_capture_jobs', 'ingestion_counters', 'login_throttle', 'api_keys', 'mqtt_credentials'].sort();

/** Tables the migrations create that no entity maps, written with SQL only: the audit log's (audit/audit.repository.ts), EPCIS named queries and subscriptions (traceability/subscriptions). */
const SQL_ONLY_TABLES = ['audit_chain_head', 'audit_checkpoints', 'audit_log', 'epcis_named_queries', 'epcis_subscriptions'];

async function tablesOf(db: TestDatabase): Promise<string[]> {
  const result = await db.client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return result.rows.map((row) => row.table_name);
}

/** The SQL TypeORM would run to make the database match the entities (what migration:check prints). */
async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

describe('database schema', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('schema');
    dataSource = new DataSource(dataSourceOptions(db.url, { poolSize: 2 }));
    await dataSource.initialize();
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('never synchronises: the schema comes from migrations only', async () => {
    const options = dataSourceOptions('postgres://localhost/idis');
    expect(options.synchronize).toBe(false);
    expect(options.migrationsRun).toBe(false);
    expect(options.migrations).toBe(migrations);
    expect(migrations.length).toBeGreaterThan(0);
    // Initialising a data source did not create any table by itself.
    expect(await tablesOf(db)).toEqual([]);
  });

  it('creates every table from the migrations, and then the entities need no further change', async () => {
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    expect(applied.map((m) => m.name)).toEqual(migrations.map((m) => new m().name));
    expect(await tablesOf(db)).toEqual([...APP_TABLES, ...SQL_ONLY_TABLES, 'schema_migrations'].sort());
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  it('applies nothing twice (the app’s own migrateDatabase is idempotent)', async () => {
    await expect(migrateDatabase(db.url)).resolves.toEqual([]);
    const recorded = await db.client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY id');
    expect(recorded.rows.map((r) => r.name)).toEqual(migrations.map((m) => new m().name));
  });

  it('migrates down to an empty schema, which the schema check notices, and up again', async () => {
    for (let i = 0; i < migrations.length; i += 1) await dataSource.undoLastMigration({ transaction: 'all' });
    expect(await tablesOf(db)).toEqual(['schema_migrations']);
    const missing = await pendingSchemaChanges(dataSource);
    const created = missing.map((q) => /^CREATE TABLE "([^"]+)"/.exec(q)?.[1]).filter((t): t is string => t !== undefined);
    expect(created.sort()).toEqual(APP_TABLES);

    await dataSource.runMigrations({ transaction: 'all' });
    expect(await tablesOf(db)).toEqual([...APP_TABLES, ...SQL_ONLY_TABLES, 'schema_migrations'].sort());
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  it('leaves a working schema after down and up: constraints hold', async () => {
    await expect(
      db.client.query(`INSERT INTO accounts (username, password_hash, password_digest_sealed, role) VALUES ('x', 'h', 'd', 'enterprise')`),
    ).rejects.toThrow(/ck_accounts_enterprise_role/);
    await expect(
      db.client.query(`INSERT INTO accounts (username, password_hash, password_digest_sealed, role) VALUES ('x', 'h', 'd', 'root')`),
    ).rejects.toThrow(/ck_accounts_role/);
    await db.client.query(`INSERT INTO accounts (username, password_hash, password_digest_sealed, role) VALUES ('x', 'h', 'd', 'operator')`);
    await expect(
      db.client.query(`INSERT INTO accounts (username, password_hash, password_digest_sealed, role) VALUES ('x', 'h', 'd', 'operator')`),
    ).rejects.toThrow(/uq_accounts_username/);
    const row = await db.client.query<{ id: string; status: string }>(`SELECT id, status FROM accounts WHERE username = 'x'`);
    expect(row.rows[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row.rows[0].status).toBe('active');
  });
});
