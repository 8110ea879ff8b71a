import { migrateUnderAdvisoryLock } from '@idis/runtime/database';
import { dataSourceOptions } from './data-source-options';

/** Applies pending migrations of the top-level node's own database (under an advisory lock); returns the names applied. */
export function migrateTopLevelDatabase(databaseUrl: string): Promise<string[]> {
  return migrateUnderAdvisoryLock(dataSourceOptions(databaseUrl, { poolSize: 1 }), 'idis-top-level-node:migrations');
}
