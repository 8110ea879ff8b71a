import { DataSource, type DataSourceOptions } from 'typeorm';

/** What differs between the apps' PostgreSQL data sources. */
export interface PostgresSchema {
  /** Shown in pg_stat_activity (`application_name`). */
  applicationName: string;
  entities: NonNullable<DataSourceOptions['entities']>;
  migrations: NonNullable<DataSourceOptions['migrations']>;
  /** Which extension generates UUIDs (TypeORM's default when unset). */
  uuidExtension?: 'pgcrypto' | 'uuid-ossp';
}

/**
 * The one set of options of an app's own PostgreSQL database, for the app, its migration step and
 * the tests. The schema comes from migrations only: never synchronize.
 */
export function postgresDataSourceOptions(databaseUrl: string, schema: PostgresSchema, overrides: { poolSize?: number } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    migrationsRun: false,
    ...(schema.uuidExtension ? { uuidExtension: schema.uuidExtension } : {}),
    logging: ['error'],
    poolSize: overrides.poolSize ?? 10,
    extra: { application_name: schema.applicationName },
  };
}

/**
 * Applies pending migrations (all in one transaction) under the PostgreSQL advisory lock
 * `hashtext(lockName)`, so several processes starting together do not race; returns the names of
 * the migrations applied. `options` should ask for a pool of one connection: the lock is held by
 * the session that takes it.
 */
export async function migrateUnderAdvisoryLock(options: DataSourceOptions, lockName: string): Promise<string[]> {
  const dataSource = new DataSource({ ...options });
  await dataSource.initialize();
  try {
    await dataSource.query('SELECT pg_advisory_lock(hashtext($1))', [lockName]);
    try {
      return (await dataSource.runMigrations({ transaction: 'all' })).map((m) => m.name);
    } finally {
      await dataSource.query('SELECT pg_advisory_unlock(hashtext($1))', [lockName]);
    }
  } finally {
    await dataSource.destroy();
  }
}
