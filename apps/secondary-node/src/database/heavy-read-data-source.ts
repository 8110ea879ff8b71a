import type { DataSourceOptions } from 'typeorm';
import { HEAVY_READ_DATA_SOURCE, type HeavyReadConfig } from '../config/heavy-read.config';
import { dataSourceOptions } from './data-source-options';

/**
 * The heavy-read pool (config/heavy-read.config.ts): the same entities on the same database, with
 * its own few connections, each with a statement timeout, and nothing to migrate.
 */
export function heavyReadDataSourceOptions(databaseUrl: string, config: HeavyReadConfig): DataSourceOptions {
  const base = dataSourceOptions(databaseUrl, { poolSize: config.poolSize });
  return {
    ...base,
    name: HEAVY_READ_DATA_SOURCE,
    migrations: [],
    extra: {
      ...(base.extra as Record<string, unknown>),
      application_name: 'idis-secondary-node-heavy-read',
      statement_timeout: config.statementTimeoutMs,
      // A read never holds a transaction open for long; neither may a stuck client.
      idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
    },
  } as DataSourceOptions;
}
