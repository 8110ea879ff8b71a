import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { type FilingOperationName, FilingTransactionEntity, type ReviewOutcome } from './filing-transaction.entity';
import { FilingEntity, type FilingState } from './filing.entity';
import { ReviewMessageEntity } from './review-message.entity';

/** The statements a filing operation or a review runs inside one transaction. */
export class FilingStore {
  constructor(private readonly manager: EntityManager) {}

  findTransaction(nodeId: string, clientTransactionId: string): Promise<FilingTransactionEntity | null> {
    return this.manager.findOne(FilingTransactionEntity, { where: { nodeId, clientTransactionId } });
  }

  lockFiling(prefixKey: string): Promise<FilingEntity | null> {
    return this.manager.findOne(FilingEntity, { where: { prefixKey }, lock: { mode: 'pessimistic_write' } });
  }

  async insertTransaction(transaction: FilingTransactionEntity): Promise<void> {
    await this.manager.insert(FilingTransactionEntity, transaction);
  }

  async saveFiling(filing: FilingEntity): Promise<void> {
    await this.manager.upsert(FilingEntity, filing, ['prefixKey']);
  }

  /** The oldest undecided transaction due for automatic review, locked; others reviewing skip it. */
  claimDue(now: Date): Promise<FilingTransactionEntity | null> {
    return this.manager
      .createQueryBuilder(FilingTransactionEntity, 't')
      .where('t.outcome IS NULL AND t.review_due_at <= :now', { now })
      .orderBy('t.review_due_at', 'ASC')
      .limit(1)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getOne();
  }

  /** The undecided transaction of a prefix, locked (at most one exists). */
  claimPendingOf(prefixKey: string): Promise<FilingTransactionEntity | null> {
    return this.manager
      .createQueryBuilder(FilingTransactionEntity, 't')
      .where('t.prefix_key = :prefixKey AND t.outcome IS NULL', { prefixKey })
      .orderBy('t.submitted_at', 'ASC')
      .limit(1)
      .setLock('pessimistic_write')
      .getOne();
  }

  async completeTransaction(serverTransactionId: string, outcome: ReviewOutcome, reason: string, reviewedAt: Date): Promise<void> {
    await this.manager.update(FilingTransactionEntity, { serverTransactionId }, { outcome, reviewReason: reason, reviewedAt });
  }

  async enqueueMessage(message: ReviewMessageEntity): Promise<void> {
    await this.manager.insert(ReviewMessageEntity, message);
  }
}

export interface FilingPage {
  items: FilingEntity[];
  total: number;
}

/** All SQL on filings, their transactions and the review queue. */
@Injectable()
export class FilingRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction; with a prefix key, serialised with every other operation on that prefix. */
  inTransaction<T>(prefixKey: string | undefined, work: (store: FilingStore) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      if (prefixKey !== undefined) await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`filing:${prefixKey}`]);
      return work(new FilingStore(manager));
    });
  }

  findTransaction(nodeId: string, clientTransactionId: string): Promise<FilingTransactionEntity | null> {
    return this.dataSource.getRepository(FilingTransactionEntity).findOne({ where: { nodeId, clientTransactionId } });
  }

  findFiling(prefixKey: string): Promise<FilingEntity | null> {
    return this.dataSource.getRepository(FilingEntity).findOne({ where: { prefixKey } });
  }

  findFilings(prefixKeys: string[]): Promise<FilingEntity[]> {
    if (prefixKeys.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(FilingEntity).find({ where: { prefixKey: In(prefixKeys) } });
  }

  findTransactionById(serverTransactionId: string): Promise<FilingTransactionEntity | null> {
    return this.dataSource.getRepository(FilingTransactionEntity).findOne({ where: { serverTransactionId } });
  }

  /** The latest transactions of a prefix, newest first. */
  transactionsOf(prefixKey: string, limit: number): Promise<FilingTransactionEntity[]> {
    return this.dataSource.getRepository(FilingTransactionEntity).find({ where: { prefixKey }, order: { submittedAt: 'DESC' }, take: limit });
  }

  /** The approved filing with the longest prefix among the candidates (a prefix and its ancestors). */
  async longestApproved(prefixKeys: string[]): Promise<FilingEntity | null> {
    if (prefixKeys.length === 0) return null;
    return this.dataSource
      .getRepository(FilingEntity)
      .createQueryBuilder('f')
      .where('f.prefix_key IN (:...keys) AND f.status = :status', { keys: prefixKeys, status: 'approved' })
      .orderBy('length(f.prefix_key)', 'DESC')
      .limit(1)
      .getOne();
  }

  async list(filter: { status?: FilingState; nodeId?: string; awaitingReview?: boolean; page: number; pageSize: number }): Promise<FilingPage> {
    const query = this.dataSource.getRepository(FilingEntity).createQueryBuilder('f');
    if (filter.status) query.andWhere('f.status = :status', { status: filter.status });
    if (filter.nodeId) query.andWhere('f.node_id = :nodeId', { nodeId: filter.nodeId });
    if (filter.awaitingReview !== undefined) query.andWhere(`f.pending_transaction_id IS ${filter.awaitingReview ? 'NOT ' : ''}NULL`);
    const [items, total] = await query
      .orderBy('f.updated_at', 'DESC')
      .addOrderBy('f.prefix_key', 'ASC')
      .skip((filter.page - 1) * filter.pageSize)
      .take(filter.pageSize)
      .getManyAndCount();
    return { items, total };
  }

  /** The operation (create, update, delete) of each transaction id given, for those that exist. */
  async operationsOf(serverTransactionIds: string[]): Promise<Map<string, FilingOperationName>> {
    if (serverTransactionIds.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(FilingTransactionEntity)
      .find({ select: { serverTransactionId: true, operation: true }, where: { serverTransactionId: In(serverTransactionIds) } });
    return new Map(rows.map((row) => [row.serverTransactionId, row.operation]));
  }

  async oldestMessage(nodeId: string): Promise<{ message: ReviewMessageEntity | null; count: number }> {
    const repository = this.dataSource.getRepository(ReviewMessageEntity);
    const [message, count] = await Promise.all([
      repository.findOne({ where: { nodeId }, order: { reviewedAt: 'ASC', messageId: 'ASC' } }),
      repository.count({ where: { nodeId } }),
    ]);
    return { message, count };
  }

  async removeMessage(nodeId: string, messageId: string): Promise<{ removed: boolean; count: number }> {
    const repository = this.dataSource.getRepository(ReviewMessageEntity);
    const result = await repository.delete({ nodeId, messageId });
    return { removed: (result.affected ?? 0) > 0, count: await repository.count({ where: { nodeId } }) };
  }
}
