import { Inject, Injectable } from '@nestjs/common';
import { AccountRepository } from '../../auth/account.repository';
import { DIGEST_SEALER } from '../../auth/auth.service';
import { type DigestSealer, hashPassword } from '../../auth/password-hasher';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { EventHub } from '../../events/event-hub';
import { type GrantRow, GrantsRepository, type PartnerRow } from './grants.repository';

export interface GrantView {
  id: string;
  enterpriseId: string;
  grantee: { accountId: string; username: string; role: string; orgName: string | null };
  grantedBy: string;
  createdAt: string;
}

/** A grant the caller holds: whose events it may read. */
export interface ReceivedGrantView {
  id: string;
  enterpriseId: string;
  orgName: string;
  /** the enterprise's prefixes (events under them are readable) */
  prefixes: string[];
  createdAt: string;
}

export interface PartnerView {
  id: string;
  username: string;
  role: 'partner';
  orgName: string;
  status: string;
  createdBy: string;
  createdAt: string;
}

export interface PartnerInput {
  username: string;
  password: string;
  orgName: string;
}

/** Grants (an enterprise lets another account read its events) and partner accounts. */
@Injectable()
export class GrantsService {
  constructor(
    private readonly grants: GrantsRepository,
    private readonly accounts: AccountRepository,
    @Inject(DIGEST_SEALER) private readonly sealer: DigestSealer,
    private readonly events: EventHub,
  ) {}

  async grant(caller: Principal, enterpriseId: string, granteeUsername: string): Promise<GrantView> {
    await this.assertManages(caller, enterpriseId);
    const grantee = await this.accounts.findByUsername(granteeUsername);
    if (!grantee) {
      throw new DomainError('NOT_FOUND', `there is no account named "${granteeUsername}"`, [{ path: '/granteeUsername', message: 'unknown account' }]);
    }
    if (grantee.role === 'operator') {
      throw new DomainError('VALIDATION_FAILED', 'operators read every event already; grant partners or other enterprises', [
        { path: '/granteeUsername', message: 'is an operator' },
      ]);
    }
    if (grantee.enterpriseId === enterpriseId) {
      throw new DomainError('VALIDATION_FAILED', 'an enterprise reads its own events already', [{ path: '/granteeUsername', message: 'is this enterprise' }]);
    }
    const created = await this.grants.transaction(async (manager) => {
      const grant = await this.grants.insertGrant({ enterpriseId, granteeAccountId: grantee.id, grantedBy: caller.username }, manager);
      if (!grant) throw new DomainError('CONFLICT', `"${granteeUsername}" has already been granted access to this enterprise's events`);
      const after = toGrantView(grant);
      await this.events.emit('audit.recorded', { manager, entry: { action: 'grant.create', target: `grant:${grant.id}`, owner: enterpriseId, outcome: 'ok', after } });
      return after;
    });
    return created;
  }

  async list(caller: Principal, enterpriseId: string): Promise<{ items: GrantView[] }> {
    await this.assertManages(caller, enterpriseId);
    return { items: (await this.grants.listGrants(enterpriseId)).map(toGrantView) };
  }

  /** The grants the caller itself holds (its own account only: nothing of other grantees). */
  async received(caller: Principal): Promise<{ items: ReceivedGrantView[] }> {
    const rows = await this.grants.listGrantsReceived(caller.accountId);
    return { items: rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() })) };
  }

  async revoke(caller: Principal, enterpriseId: string, grantId: string): Promise<void> {
    await this.assertManages(caller, enterpriseId);
    await this.grants.transaction(async (manager) => {
      const before = await this.grants.findGrant(enterpriseId, grantId, manager);
      if (!before || !(await this.grants.deleteGrant(enterpriseId, grantId, manager))) {
        throw new DomainError('NOT_FOUND', `enterprise ${enterpriseId} has no grant ${grantId}`);
      }
      await this.events.emit('audit.recorded', { manager, entry: { action: 'grant.revoke', target: `grant:${grantId}`, owner: enterpriseId, outcome: 'ok', before: toGrantView(before) } });
    });
  }

  async createPartner(operator: Principal, input: PartnerInput): Promise<PartnerView> {
    const passwordHash = await hashPassword(input.password);
    const passwordDigestSealed = this.sealer.seal(input.password);
    const partner = await this.grants.transaction(async (manager) => {
      await this.grants.lockUsername(manager, input.username);
      const created = await this.accounts.insertIfAbsent({ username: input.username, passwordHash, passwordDigestSealed, role: 'partner', enterpriseId: null }, manager);
      if (!created) throw new DomainError('CONFLICT', `username "${input.username}" is taken`, [{ path: '/username', message: 'is taken' }]);
      const accountId = await this.grants.accountIdOf(manager, input.username);
      await this.grants.insertPartner(manager, { accountId, orgName: input.orgName, createdBy: operator.username });
      const row = await this.grants.findPartner(accountId, manager);
      await this.events.emit('audit.recorded', { manager, entry: { action: 'partner.create', target: `account:${input.username}`, outcome: 'ok', after: row ? toPartnerView(row) : undefined } });
      return row;
    });
    return toPartnerView(partner as PartnerRow);
  }

  async listPartners(page: number, pageSize: number): Promise<{ total: number; page: number; pageSize: number; items: PartnerView[] }> {
    const { total, items } = await this.grants.listPartners(pageSize, (page - 1) * pageSize);
    return { total, page, pageSize, items: items.map(toPartnerView) };
  }

  /** The enterprise itself or an operator; anyone else is refused before anything is revealed. */
  private async assertManages(caller: Principal, enterpriseId: string): Promise<void> {
    if (caller.role === 'operator') {
      if (!(await this.grants.enterpriseExists(enterpriseId))) throw new DomainError('NOT_FOUND', `there is no enterprise ${enterpriseId}`);
      return;
    }
    if (caller.role !== 'enterprise' || caller.enterpriseId !== enterpriseId) {
      throw new DomainError('FORBIDDEN', 'only the enterprise itself or an operator manages its grants');
    }
  }
}

function toGrantView(row: GrantRow): GrantView {
  return {
    id: row.id,
    enterpriseId: row.enterpriseId,
    grantee: { accountId: row.granteeAccountId, username: row.granteeUsername, role: row.granteeRole, orgName: row.granteeOrgName },
    grantedBy: row.grantedBy,
    createdAt: row.createdAt.toISOString(),
  };
}

function toPartnerView(row: PartnerRow): PartnerView {
  return { id: row.accountId, username: row.username, role: 'partner', orgName: row.orgName, status: row.status, createdBy: row.createdBy, createdAt: row.createdAt.toISOString() };
}
