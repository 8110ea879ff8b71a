import { Inject, Injectable, Logger } from '@nestjs/common';
import { creditCodeProblem, parseAssignablePrefix, parsePrefix } from '@idis/identifier';
import { AccountRepository } from '../auth/account.repository';
import { DIGEST_SEALER } from '../auth/auth.service';
import { type DigestSealer, hashPassword } from '../auth/password-hasher';
import type { Principal } from '../auth/principal';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { DomainError } from '../errors/domain-errors';
import { keysetRows } from '../http/keyset-rows';
import { EventHub } from '../events/event-hub';
import type { AuditEntryInput, NodeEvents } from '../events/node-events';
import type { EntityManager } from 'typeorm';
import { type ApplicationCursor, type ApplicationFilter, ApplicationRepository } from './application.repository';
import type { ApplicationStatus, EnterpriseApplicationEntity } from './entities/enterprise-application.entity';
import type { EnterpriseStatus } from './entities/enterprise.entity';
import type { PrefixStatus } from './entities/enterprise-prefix.entity';
import { PrefixDirectory } from './prefix-directory.service';
import { PrefixRepository } from './prefix.repository';
import { REGISTRY_CONFIG, type RegistryConfig } from './registry.config';

export interface ApplicationInput {
  orgName: string;
  creditCode: string;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  requestedPrefix: string;
  username: string;
  password: string;
}

/** What an operator (or an enterprise, within its own) filters the applications listing on. */
export type ApplicationListFilter = Omit<ApplicationFilter, 'enterpriseId'>;

/** The application's review reason when the outbox finds the prefix filed by another node. */
export const FILED_ELSEWHERE_REASON = 'prefix already filed at the top level by another node';

export interface ApplicationView {
  id: string;
  status: ApplicationStatus;
  orgName: string;
  creditCode: string;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  requestedPrefix: string;
  username: string;
  enterpriseId: string | null;
  reviewReason: string | null;
  reviewedBy: string | null;
  reviewedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EnterpriseView {
  id: string;
  orgName: string;
  creditCode: string;
  status: EnterpriseStatus;
  prefixes: Array<{ prefix: string; status: PrefixStatus }>;
  /** Filing deletions queued for the top-level node (client transaction ids); empty when unlinked. */
  filingDeletes: string[];
}

/**
 * Enterprise prefix applications (实名审核): an enterprise applies, an operator approves or rejects.
 * Approval creates the enterprise and its account and activates the prefix, in one transaction.
 * When linked to a top-level node, an application is checked there first (EPP check before
 * create), approval files the prefix (approved → filing → active), and an operator's
 * deactivation deletes the filing.
 */
@Injectable()
export class ApplicationsService {
  private readonly logger = new Logger('Registry');

  constructor(
    private readonly applications: ApplicationRepository,
    private readonly prefixes: PrefixRepository,
    private readonly directory: PrefixDirectory,
    private readonly accounts: AccountRepository,
    @Inject(DIGEST_SEALER) private readonly sealer: DigestSealer,
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(REGISTRY_CONFIG) private readonly registryConfig: RegistryConfig,
    private readonly events: EventHub,
  ) {
    events.on('filing.completed', (outcome) => this.applyFilingOutcome(outcome));
  }

  /** With a top-level node, an approved prefix is filed there first (approved → filing → active). */
  private get filingRequired(): boolean {
    return this.registryConfig.filingRequired;
  }

  async apply(input: ApplicationInput): Promise<ApplicationView> {
    const prefix = this.checkRequestedPrefix(input.requestedPrefix);
    const creditProblem = creditCodeProblem(input.creditCode);
    if (creditProblem) {
      throw new DomainError('VALIDATION_FAILED', `creditCode is not a valid unified social credit code: ${creditProblem}`, [
        { path: '/creditCode', message: creditProblem },
      ]);
    }
    // Check before create (EPP): upstream refuses a prefix filed by another node, nothing written.
    await this.events.emit('prefix.requested', { prefix: prefix.prefix });
    const passwordHash = await hashPassword(input.password);
    const passwordDigestSealed = this.sealer.seal(input.password);
    const saved = await this.applications.transaction(async (manager) => {
      await this.applications.lockNames(manager, `user:${input.username.toLowerCase()}`, `credit:${input.creditCode}`);
      if ((await this.accounts.usernameTaken(input.username, manager)) || (await this.applications.pendingWith(manager, 'username', input.username))) {
        throw new DomainError('CONFLICT', `username "${input.username}" is already taken`, [{ path: '/username', message: 'is already taken' }]);
      }
      if (
        (await this.applications.enterpriseWithCreditCode(manager, input.creditCode)) ||
        (await this.applications.pendingWith(manager, 'creditCode', input.creditCode))
      ) {
        throw new DomainError('CONFLICT', `an enterprise with credit code ${input.creditCode} is already registered or under review`, [
          { path: '/creditCode', message: 'is already registered or under review' },
        ]);
      }
      const application = await this.applications.insert(manager, {
        orgName: input.orgName,
        creditCode: input.creditCode,
        contactName: input.contactName,
        contactPhone: input.contactPhone,
        contactEmail: input.contactEmail,
        requestedPrefix: prefix.prefix,
        username: input.username,
        passwordHash,
        passwordDigestSealed,
        status: 'pending_review',
      });
      const reserved = await this.prefixes.reserve(manager, { prefixKey: prefix.prefixKey, prefix: prefix.prefix, applicationId: application.id });
      if (!reserved) {
        throw new DomainError('PREFIX_UNAVAILABLE', `prefix ${prefix.prefix} is already assigned or requested`, [
          { path: '/requestedPrefix', message: 'is already assigned or requested' },
        ]);
      }
      // No owner: the applicant is nobody yet, and a rejected prefix may later go to someone else.
      await this.audited(manager, { action: 'application.create', target: `application:${application.id}`, outcome: 'ok', after: applicationState(application) });
      return application;
    });
    return toView(saved);
  }

  async approve(id: string, operator: Principal): Promise<ApplicationView> {
    const approved = await this.applications.transaction(async (manager) => {
      const application = await this.pendingForReview(id, 'approve', manager);
      await this.applications.lockNames(manager, `user:${application.username.toLowerCase()}`, `credit:${application.creditCode}`);
      if (await this.applications.enterpriseWithCreditCode(manager, application.creditCode)) {
        throw new DomainError('CONFLICT', `an enterprise with credit code ${application.creditCode} already exists`);
      }
      const enterprise = await this.applications.insertEnterprise(manager, {
        orgName: application.orgName,
        creditCode: application.creditCode,
        contactName: application.contactName,
        contactPhone: application.contactPhone,
        contactEmail: application.contactEmail,
        status: 'active',
      });
      const created = await this.accounts.insertIfAbsent(
        {
          username: application.username,
          passwordHash: application.passwordHash,
          passwordDigestSealed: application.passwordDigestSealed,
          role: 'enterprise',
          enterpriseId: enterprise.id,
        },
        manager,
      );
      if (!created) throw new DomainError('CONFLICT', `username "${application.username}" was taken meanwhile; reject this application`);
      if (this.filingRequired) {
        // Filed at the top level first: the prefix stays unserved until the top level accepts it
        // (FilingPoller). The outbox row commits with the approval, so the filing cannot be lost.
        await this.prefixes.assignAndSetStatus(manager, application.id, enterprise.id, 'filing');
        await this.events.emit('filing.requested', {
          manager,
          filing: {
            action: 'create',
            clientTransactionId: `filing-create-${application.id}`,
            prefix: application.requestedPrefix,
            applicationId: application.id,
            enterprise: {
              orgName: application.orgName,
              creditCode: application.creditCode,
              contactName: application.contactName,
              contactPhone: application.contactPhone,
              contactEmail: application.contactEmail,
            },
          },
        });
        application.status = 'filing';
      } else {
        // Unlinked (no TOP_LEVEL_URL in the services profile): nothing to file with, so an approved
        // prefix is active at once.
        await this.prefixes.assignAndSetStatus(manager, application.id, enterprise.id, 'active');
        application.status = 'active';
      }
      application.enterpriseId = enterprise.id;
      application.reviewedBy = operator.username;
      application.reviewedAt = new Date();
      const saved = await this.applications.save(manager, application);
      await this.audited(manager, {
        action: 'application.approve',
        target: `application:${application.id}`,
        owner: enterprise.id,
        outcome: 'ok',
        before: { status: 'pending_review' },
        after: { ...applicationState(saved), enterpriseId: enterprise.id },
      });
      return saved;
    });
    if (approved.status === 'active') await this.notePrefixServed(approved.requestedPrefix);
    return toView(approved);
  }

  private async applyFilingOutcome({ prefix, outcome, reason, filedElsewhere }: NodeEvents['filing.completed']): Promise<void> {
    if (filedElsewhere) {
      await this.rejectFiledElsewhere(prefix);
      return;
    }
    const view = await this.completeFiling(prefix, outcome, reason);
    if (view?.status === 'active') this.logger.log(`prefix ${prefix} accepted by the top-level node: now active`);
    else if (view) this.logger.warn(`prefix ${prefix} rejected by the top-level node: ${reason}`);
  }

  /**
   * The top level's review of a filed prefix (collected by the upstream FilingPoller): approved →
   * the prefix is served from now on; rejected → the application is rejected with the top level's
   * reason and the prefix is released. Idempotent: an outcome for an application that is no longer
   * filing (already applied, e.g. by another replica) changes nothing and returns undefined.
   */
  async completeFiling(prefix: string, outcome: 'approved' | 'rejected', reason: string): Promise<ApplicationView | undefined> {
    return this.endFiling(prefix, outcome, `rejected by the top-level node: ${reason || 'no reason given'}`);
  }

  /**
   * The outbox found, before filing, that the top level has the prefix filed or pending for
   * another node: the application is rejected (FILED_ELSEWHERE_REASON) and the prefix released,
   * so the operator sees it. Idempotent like completeFiling.
   */
  async rejectFiledElsewhere(prefix: string): Promise<ApplicationView | undefined> {
    return this.endFiling(prefix, 'rejected', FILED_ELSEWHERE_REASON);
  }

  private async endFiling(prefix: string, outcome: 'approved' | 'rejected', rejectionReason: string): Promise<ApplicationView | undefined> {
    const completed = await this.applications.transaction(async (manager) => {
      const application = await this.applications.findFilingByPrefix(manager, prefix);
      if (!application) return undefined;
      if (outcome === 'approved') {
        await this.prefixes.setStatusForApplication(manager, application.id, 'active');
        application.status = 'active';
      } else {
        await this.prefixes.releaseFiledForApplication(manager, application.id);
        application.status = 'rejected';
        application.reviewReason = rejectionReason.slice(0, 1000);
      }
      const saved = await this.applications.save(manager, application);
      // Decided by the top-level node, not by a caller of this node: the row has no actor.
      await this.audited(manager, {
        action: outcome === 'approved' ? 'filing.approved' : 'filing.rejected',
        target: `application:${application.id}`,
        owner: application.enterpriseId ?? undefined,
        outcome: 'ok',
        before: { status: 'filing' },
        after: applicationState(saved),
      });
      return saved;
    });
    if (completed?.status === 'active') await this.notePrefixServed(completed.requestedPrefix);
    return completed ? toView(completed) : undefined;
  }

  /** The prefix is served from now on: known to the proxy at once, and announced (statistics count it under its own key). */
  private async notePrefixServed(prefix: string): Promise<void> {
    await this.directory.refresh();
    await this.events.emit('prefix.homed', { prefix, prefixKey: prefix.toLowerCase() });
  }

  async reject(id: string, reason: string, operator: Principal): Promise<ApplicationView> {
    const rejected = await this.applications.transaction(async (manager) => {
      const application = await this.pendingForReview(id, 'reject', manager);
      await this.prefixes.releaseForApplication(manager, application.id);
      application.status = 'rejected';
      application.reviewReason = reason;
      application.reviewedBy = operator.username;
      application.reviewedAt = new Date();
      const saved = await this.applications.save(manager, application);
      await this.audited(manager, { action: 'application.reject', target: `application:${application.id}`, outcome: 'ok', before: { status: 'pending_review' }, after: applicationState(saved) });
      return saved;
    });
    return toView(rejected);
  }

  /**
   * An operator deactivates an enterprise: its active prefixes are disabled (no resolution, no
   * registration from now on), the enterprise is suspended, and, when linked, a filing-delete per
   * prefix is written to the outbox in the same transaction. After the commit every cached record
   * is evicted on every replica (deactivation is rare; the cache refills from PostgreSQL) and the
   * proxy forgets the prefix. Refused while a prefix is still being filed (the top level has
   * nothing to delete yet) and for an enterprise already suspended.
   */
  async deactivateEnterprise(enterpriseId: string, reason: string, operator: Principal): Promise<EnterpriseView> {
    const view = await this.applications.transaction(async (manager) => {
      const enterprise = await this.applications.findEnterprise(manager, enterpriseId, true);
      if (!enterprise) throw new DomainError('ENTERPRISE_NOT_FOUND', `enterprise ${enterpriseId} not found`);
      if (enterprise.status !== 'active') {
        throw new DomainError('ILLEGAL_TRANSITION', `enterprise ${enterpriseId} is already deactivated (${enterprise.status})`);
      }
      const underReview = (await this.prefixes.listForEnterprise(enterpriseId, manager)).find((p) => p.status !== 'active' && p.status !== 'disabled');
      if (underReview) {
        throw new DomainError('ILLEGAL_TRANSITION', `prefix ${underReview.prefix} of enterprise ${enterpriseId} is ${underReview.status.replace('_', ' ')}: deactivate it once the top-level node has accepted it`);
      }
      const disabled = await this.prefixes.disableActiveOfEnterprise(manager, enterpriseId);
      await this.applications.setEnterpriseStatus(manager, enterpriseId, 'suspended');
      const filingDeletes: string[] = [];
      if (this.filingRequired) {
        for (const prefix of disabled) {
          // One delete per application: a prefix is deactivated at most once (it is never re-enabled).
          const clientTransactionId = `filing-delete-${prefix.applicationId}`;
          await this.events.emit('filing.requested', {
            manager,
            filing: { action: 'delete', clientTransactionId, prefix: prefix.prefix, applicationId: prefix.applicationId, reason: `deactivated by ${operator.username}: ${reason}`.slice(0, 500) },
          });
          filingDeletes.push(clientTransactionId);
        }
      }
      const prefixes = await this.prefixes.listForEnterprise(enterpriseId, manager);
      await this.events.emit('enterprise.deactivated', { manager, enterpriseId, prefixes: prefixes.map((p) => p.prefix) });
      await this.audited(manager, {
        action: 'enterprise.deactivate',
        target: `enterprise:${enterpriseId}`,
        owner: enterpriseId,
        outcome: 'ok',
        reason: reason.slice(0, 200),
        before: { status: enterprise.status, prefixes: disabled.map((p) => p.prefix) },
        after: { status: 'suspended', prefixes: prefixes.map((p) => ({ prefix: p.prefix, status: p.status })), filingDeletes },
      });
      const view: EnterpriseView = {
        id: enterprise.id,
        orgName: enterprise.orgName,
        creditCode: enterprise.creditCode,
        status: 'suspended' as const,
        prefixes: prefixes.map((p) => ({ prefix: p.prefix, status: p.status })),
        filingDeletes,
      };
      return { view, disabled };
    });
    await this.events.emit('records.invalidate-all', { reason: `enterprise ${enterpriseId} deactivated` });
    await this.directory.refresh();
    await this.events.emit('prefix.unhomed', { prefixes: view.disabled.map((p) => ({ prefix: p.prefix, prefixKey: p.prefixKey })) });
    return view.view;
  }

  /** Records the change in the audit log inside its transaction (last, just before the commit). */
  private audited(manager: EntityManager, entry: AuditEntryInput): Promise<void> {
    return this.events.emit('audit.recorded', { manager, entry });
  }

  async get(id: string, caller: Principal): Promise<ApplicationView> {
    const application = await this.applications.findById(id);
    if (!application || (caller.role !== 'operator' && application.enterpriseId !== caller.enterpriseId)) {
      throw new DomainError('APPLICATION_NOT_FOUND', `application ${id} not found`);
    }
    return toView(application);
  }

  async list(caller: Principal, filter: ApplicationListFilter, page: number, pageSize: number) {
    const scoped = this.scopedFilter(caller, filter);
    if (!scoped) return { items: [], total: 0, page, pageSize };
    const result = await this.applications.page(scoped, page, pageSize);
    return { items: result.items.map(toView), total: result.total, page, pageSize };
  }

  /**
   * Every application the listing would show (same scope and filter, newest first) for a CSV
   * export, read a page at a time; `total` is counted first so the reply can announce it.
   */
  async exportList(caller: Principal, filter: ApplicationListFilter): Promise<{ total: number; rows: AsyncIterable<ApplicationView> }> {
    const scoped = this.scopedFilter(caller, filter);
    if (!scoped) return { total: 0, rows: noRows() };
    const repository = this.applications;
    const { total } = await repository.page(scoped, 0, 1);
    async function* rows(): AsyncGenerator<ApplicationView> {
      const pages = keysetRows((after: ApplicationCursor | undefined, limit) => repository.exportPage(scoped as ApplicationFilter, after, limit), (row) => row.cursor);
      for await (const row of pages) yield toView(row.application);
    }
    return { total, rows: rows() };
  }

  /** Operators see every application, an enterprise its own; anyone else nothing (never an unscoped listing). */
  private scopedFilter(caller: Principal, filter: ApplicationListFilter): ApplicationFilter | undefined {
    if (caller.role === 'operator') return filter;
    if (!caller.enterpriseId) return undefined;
    return { ...filter, enterpriseId: caller.enterpriseId };
  }

  private async pendingForReview(id: string, action: 'approve' | 'reject', manager: Parameters<ApplicationRepository['findById']>[1]): Promise<EnterpriseApplicationEntity> {
    const application = await this.applications.findById(id, manager, true);
    if (!application) throw new DomainError('APPLICATION_NOT_FOUND', `application ${id} not found`);
    if (application.status !== 'pending_review') {
      throw new DomainError('ILLEGAL_TRANSITION', `cannot ${action} application ${id}: it is ${application.status.replace('_', ' ')}, only a pending_review application can be reviewed`);
    }
    return application;
  }

  private checkRequestedPrefix(requested: string) {
    let parsed;
    try {
      parsed = parseAssignablePrefix(requested);
    } catch (error) {
      throw new DomainError('VALIDATION_FAILED', `requestedPrefix is invalid: ${(error as Error).message}`, [
        { path: '/requestedPrefix', message: (error as Error).message },
      ]);
    }
    const secondary = parsePrefix(this.config.secondaryPrefix);
    const underThisNode =
      parsed.segments.length === secondary.segments.length + 1 && parsed.prefixKey.startsWith(`${secondary.prefixKey}.`);
    if (!underThisNode) {
      throw new DomainError('VALIDATION_FAILED', `requestedPrefix must be ${secondary.prefix}.<enterprise code> (one segment under this node's prefix ${secondary.prefix})`, [
        { path: '/requestedPrefix', message: `must be directly under ${secondary.prefix}` },
      ]);
    }
    return parsed;
  }
}

/** An application as the audit log digests it: what was applied for and decided, never the password hash. */
function applicationState(a: EnterpriseApplicationEntity) {
  const { passwordHash: _hash, passwordDigestSealed: _sealed, ...rest } = a;
  return rest;
}

function toView(a: EnterpriseApplicationEntity): ApplicationView {
  return {
    id: a.id,
    status: a.status,
    orgName: a.orgName,
    creditCode: a.creditCode,
    contactName: a.contactName,
    contactPhone: a.contactPhone,
    contactEmail: a.contactEmail,
    requestedPrefix: a.requestedPrefix,
    username: a.username,
    // `?? null`: a freshly inserted entity leaves unset nullable columns undefined; the reply keeps one shape.
    enterpriseId: a.enterpriseId ?? null,
    reviewReason: a.reviewReason ?? null,
    reviewedBy: a.reviewedBy ?? null,
    reviewedAt: a.reviewedAt ? a.reviewedAt.toISOString() : null,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

async function* noRows(): AsyncGenerator<ApplicationView> {
  // An empty export: nothing to read.
}
