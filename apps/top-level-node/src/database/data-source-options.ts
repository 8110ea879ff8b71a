import type { DataSourceOptions } from 'typeorm';
import { FilingTransactionEntity } from '../filing/filing-transaction.entity';
import { FilingEntity } from '../filing/filing.entity';
import { ReviewMessageEntity } from '../filing/review-message.entity';
import { NodeEntity } from '../nodes/node.entity';
import { RequestNonceEntity } from '../nodes/request-nonce.entity';
import { ReportedVolumeEntity } from '../reporting/reported-volume.entity';
import { SequenceGapEntity } from '../reporting/sequence-gap.entity';
import { StatisticsReportEntity } from '../reporting/statistics-report.entity';
import { migrations } from './migrations';

export const entities = [
  NodeEntity,
  RequestNonceEntity,
  FilingEntity,
  FilingTransactionEntity,
  ReviewMessageEntity,
  StatisticsReportEntity,
  ReportedVolumeEntity,
  SequenceGapEntity,
];

/**
 * The one set of options of the top-level node's own database, used by the app, its migration
 * step and the tests. The schema comes from migrations only: never synchronize.
 */
export function dataSourceOptions(databaseUrl: string, overrides: { poolSize?: number } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    poolSize: overrides.poolSize ?? 10,
    extra: { application_name: 'idis-top-level-node' },
  };
}
