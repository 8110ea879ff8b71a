import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/**
 * Applies pending migrations under an advisory lock, so several replicas starting together
 * do not race; returns the names of the migrations applied.
 */
export async function migrateDatabase(databaseUrl: string): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions(databaseUrl, { poolSize: 1 }) });
  await dataSource.initialize();
  try {
    await dataSource.query(`SELECT pg_advisory_lock(hashtext('idis-secondary-node:migrations'))`);
    try {
      return (await dataSource.runMigrations({ transaction: 'all' })).map((m) => m.name);
    } finally {
      await dataSource.query(`SELECT pg_advisory_unlock(hashtext('idis-secondary-node:migrations'))`);
    }
  } finally {
    await dataSource.destroy();
  }
}
