import { migrateUnderAdvisoryLock } from '@idis/runtime/database';
import { dataSourceOptions } from './data-source-options';

/** Applies pending migrations under an advisory lock, so several replicas starting together do not race; returns the names applied. */
export function migrateDatabase(databaseUrl: string): Promise<string[]> {
  return migrateUnderAdvisoryLock(dataSourceOptions(databaseUrl, { poolSize: 1 }), 'idis-secondary-node:migrations');
}
