import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/**
 * Applies pending migrations of the top-level node's own database under an advisory lock, so two
 * processes starting together do not race; returns the names of the migrations applied.
 */
export async function migrateTopLevelDatabase(databaseUrl: string): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions(databaseUrl, { poolSize: 1 }) });
  await dataSource.initialize();
  try {
    await dataSource.query(`SELECT pg_advisory_lock(hashtext('idis-top-level-node:migrations'))`);
    try {
      return (await dataSource.runMigrations({ transaction: 'all' })).map((m) => m.name);
    } finally {
      await dataSource.query(`SELECT pg_advisory_unlock(hashtext('idis-top-level-node:migrations'))`);
    }
  } finally {
    await dataSource.destroy();
  }
}
