import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The real PostgreSQL the tests use (trust auth on loopback); override with TEST_PG_URL. */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  /** A connection for assertions on what is stored. */
  client: Client;
  drop(): Promise<void>;
}

/** A fresh, empty database per test file, dropped afterwards, so suites never see each other's rows. */
export async function createTestDatabase(label = 'it'): Promise<TestDatabase> {
  const name = `idis_${label}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return {
    url: url.toString(),
    name,
    client,
    async drop() {
      await client.end();
      const dropper = new Client({ connectionString: TEST_PG_ADMIN_URL });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

const TABLES = ['accounts', 'enterprises', 'enterprise_applications', 'enterprise_prefixes', 'data_templates', 'template_items', 'identifiers'];

/**
 * A digest of every row of every table: equal fingerprints before and after a refused request
 * prove that the request changed nothing.
 */
export async function databaseFingerprint(client: Client): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of TABLES) {
    const rows = await client.query<{ digest: string | null; count: string }>(
      `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest, count(*) AS count FROM ${table} t`,
    );
    result[table] = `${rows.rows[0].count}:${rows.rows[0].digest}`;
  }
  return result;
}
