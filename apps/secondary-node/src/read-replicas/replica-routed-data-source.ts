import { DataSource, type DataSourceOptions, type QueryRunner } from 'typeorm';
import type { ReadReplicas } from './read-replicas';

/**
 * The heavy-read data source when replicas are configured: a plain query (`dataSource.query(sql,
 * params)`, how listings, statistics, EPCIS queries and trace read) goes to a replica in rotation,
 * and to this data source's own pool on the primary when none can take it. Anything through a
 * query runner or the entity manager stays on the primary.
 */
export class ReplicaRoutedDataSource extends DataSource {
  constructor(
    options: DataSourceOptions,
    private readonly replicas: ReadReplicas,
  ) {
    super(options);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's own signature
  override async query<T = any>(query: string, parameters?: any[], queryRunner?: QueryRunner): Promise<T> {
    if (queryRunner === undefined) {
      const rows = await this.replicas.heavyRead(query, parameters);
      if (rows !== undefined) return rows as T;
    }
    return super.query<T>(query, parameters, queryRunner);
  }
}
