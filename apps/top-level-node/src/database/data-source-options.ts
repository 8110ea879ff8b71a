import type { DataSourceOptions } from 'typeorm';
import { postgresDataSourceOptions } from '@idis/runtime/database';
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

/** The options of the top-level node's own database (app, migration step, tests). */
export function dataSourceOptions(databaseUrl: string, overrides: { poolSize?: number } = {}): DataSourceOptions {
  return postgresDataSourceOptions(databaseUrl, { applicationName: 'idis-top-level-node', entities, migrations }, overrides);
}
