import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HEAVY_READ_DATA_SOURCE } from '../config/heavy-read.config';
import { type ApplicationStatus, EnterpriseApplicationEntity } from './entities/enterprise-application.entity';
import { EnterpriseEntity, type EnterpriseStatus } from './entities/enterprise.entity';

/** What the applications listing filters on; `enterpriseId` scopes it to one enterprise's own. */
export interface ApplicationFilter {
  status?: ApplicationStatus;
  enterpriseId?: string;
  q?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
}

/** Where an export page resumes: the last row's created_at (PostgreSQL text) and id. */
export interface ApplicationCursor {
  createdAt: string;
  id: string;
}

export interface ApplicationPage {
  items: EnterpriseApplicationEntity[];
  total: number;
}

@Injectable()
export class ApplicationRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    /** The search listing runs on the heavy-read pool (config/heavy-read.config.ts); the main pool where there is none (a partial test module). */
    @Optional() @InjectDataSource(HEAVY_READ_DATA_SOURCE) private readonly heavyReadPool?: DataSource,
  ) {}

  private get heavyReads(): DataSource {
    return this.heavyReadPool ?? this.dataSource;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Serialises applications that compete for the same username or credit code. */
  async lockNames(manager: EntityManager, ...names: string[]): Promise<void> {
    for (const name of [...names].sort()) {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`application:${name}`]);
    }
  }

  insert(manager: EntityManager, application: Partial<EnterpriseApplicationEntity>): Promise<EnterpriseApplicationEntity> {
    return manager.getRepository(EnterpriseApplicationEntity).save(manager.getRepository(EnterpriseApplicationEntity).create(application));
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<EnterpriseApplicationEntity | null> {
    return manager.getRepository(EnterpriseApplicationEntity).findOne({ where: { id }, lock: lock ? { mode: 'pessimistic_write' } : undefined });
  }

  /** The application whose prefix is being filed at the top level, locked; undefined if none is filing. */
  async findFilingByPrefix(manager: EntityManager, prefix: string): Promise<EnterpriseApplicationEntity | undefined> {
    const found = await manager
      .getRepository(EnterpriseApplicationEntity)
      .createQueryBuilder('a')
      .where('lower(a.requested_prefix) = lower(:prefix)', { prefix })
      .andWhere(`a.status = 'filing'`)
      .setLock('pessimistic_write')
      .getOne();
    return found ?? undefined;
  }

  findEnterprise(manager: EntityManager, id: string, lock = false): Promise<EnterpriseEntity | null> {
    return manager.getRepository(EnterpriseEntity).findOne({ where: { id }, lock: lock ? { mode: 'pessimistic_write' } : undefined });
  }

  async setEnterpriseStatus(manager: EntityManager, id: string, status: EnterpriseStatus): Promise<void> {
    await manager.getRepository(EnterpriseEntity).update({ id }, { status });
  }

  async save(manager: EntityManager, application: EnterpriseApplicationEntity): Promise<EnterpriseApplicationEntity> {
    return manager.getRepository(EnterpriseApplicationEntity).save(application);
  }

  /** Usernames compare case-insensitively, as accounts do. */
  async pendingWith(manager: EntityManager, field: 'username' | 'creditCode', value: string): Promise<boolean> {
    const query = manager.getRepository(EnterpriseApplicationEntity).createQueryBuilder('a').where(`a.status = 'pending_review'`);
    if (field === 'username') query.andWhere('lower(a.username) = lower(:value)', { value });
    else query.andWhere('a.creditCode = :value', { value });
    return (await query.getCount()) > 0;
  }

  async enterpriseWithCreditCode(manager: EntityManager, creditCode: string): Promise<boolean> {
    return (await manager.getRepository(EnterpriseEntity).count({ where: { creditCode } })) > 0;
  }

  insertEnterprise(manager: EntityManager, enterprise: Partial<EnterpriseEntity>): Promise<EnterpriseEntity> {
    return manager.getRepository(EnterpriseEntity).save(manager.getRepository(EnterpriseEntity).create(enterprise));
  }

  async page(filter: ApplicationFilter, page: number, pageSize: number): Promise<ApplicationPage> {
    const [items, total] = await this.filtered(filter)
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'ASC')
      .skip(page * pageSize)
      .take(pageSize)
      .getManyAndCount();
    return { items, total };
  }

  /**
   * One page of an export in the listing's order (newest first), after the keyset cursor of the
   * previous page. The cursor carries created_at as PostgreSQL's own text (microseconds), which a
   * JavaScript Date would round to milliseconds and so skip or repeat rows.
   */
  async exportPage(filter: ApplicationFilter, after: ApplicationCursor | undefined, limit: number): Promise<Array<{ application: EnterpriseApplicationEntity; cursor: ApplicationCursor }>> {
    const query = this.filtered(filter).addSelect('a.created_at::text', 'cursor_at');
    if (after) query.andWhere('(a.created_at < CAST(:afterAt AS timestamptz) OR (a.created_at = CAST(:afterAt AS timestamptz) AND a.id > :afterId))', { afterAt: after.createdAt, afterId: after.id });
    const { entities, raw } = await query.orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'ASC').limit(limit).getRawAndEntities<{ a_id: string; cursor_at: string }>();
    const cursors = new Map(raw.map((row) => [row.a_id, row.cursor_at]));
    return entities.map((application) => ({ application, cursor: { createdAt: cursors.get(application.id) as string, id: application.id } }));
  }

  private filtered(filter: ApplicationFilter) {
    const query = this.heavyReads.getRepository(EnterpriseApplicationEntity).createQueryBuilder('a');
    if (filter.status) query.andWhere('a.status = :status', { status: filter.status });
    if (filter.enterpriseId) query.andWhere('a.enterprise_id = :enterpriseId', { enterpriseId: filter.enterpriseId });
    if (filter.q) {
      query.andWhere('(a.org_name ILIKE :q OR a.requested_prefix ILIKE :q OR a.credit_code ILIKE :q)', { q: `%${escapeLike(filter.q)}%` });
    }
    if (filter.from) query.andWhere('a.created_at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('a.created_at < :to', { to: filter.to });
    return query;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
