import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The real PostgreSQL the tests use (trust auth on loopback); override with TEST_PG_URL. */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** An empty database of its own on a PostgreSQL server, for a test file or a benchmark run. */
export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops it, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

/**
 * Creates the empty database `name` (lower-case letters, digits and underscores) on the server of
 * `adminUrl` (a connection to an existing database there, with the right to create databases).
 * The one place where tests and benchmarks make their scratch databases.
 */
export async function createScratchDatabase(name: string, adminUrl: string = TEST_PG_ADMIN_URL): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const withAdmin = async (sql: string) => {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  await withAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => withAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export interface TestDatabase extends ScratchDatabase {
  /** A connection for assertions on what is stored. */
  client: Client;
}

/** A fresh, empty database per test file, dropped afterwards, so suites never see each other's rows. */
export async function createTestDatabase(label = 'it'): Promise<TestDatabase> {
  const scratch = await createScratchDatabase(`idis_${label}_${randomBytes(5).toString('hex')}`);
  const client = new Client({ connectionString: scratch.url });
  await client.connect();
  return {
    ...scratch,
    client,
    async drop() {
      await client.end();
      await scratch.drop();
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
