import type { AccountEntity } from '../../auth/account.entity';
import type { AccountRepository } from '../../auth/account.repository';
import { hashPassword } from '../../auth/password-hasher';
import { AccountPasswordVerifier, MAX_SECRET_LENGTH } from './handle-credential-verifier';

function account(overrides: Partial<AccountEntity>): AccountEntity {
  return {
    id: 'acc-1',
    username: 'acme',
    passwordHash: '',
    passwordDigestSealed: '',
    role: 'enterprise',
    status: 'active',
    tokenVersion: 1,
    enterpriseId: 'ent-1',
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...overrides,
  };
}

/** The accounts table as the verifier reads it: one query per call, the rows it returns. */
class FakeAccounts {
  rows: AccountEntity[] = [];
  calls: string[] = [];
  findByEnterprise(enterpriseId: string): Promise<AccountEntity[]> {
    this.calls.push(enterpriseId);
    return Promise.resolve(this.rows.filter((a) => a.enterpriseId === enterpriseId));
  }
}

describe('AccountPasswordVerifier', () => {
  let accounts: FakeAccounts;
  let verifier: AccountPasswordVerifier;

  beforeAll(async () => {
    accounts = new FakeAccounts();
    accounts.rows = [account({ passwordHash: await hashPassword('enterprise-pass-1') })];
    verifier = new AccountPasswordVerifier(accounts as unknown as AccountRepository);
  });

  it('returns the account as an enterprise principal for the right password, nothing for a wrong one', async () => {
    expect(await verifier.verify('ent-1', 'enterprise-pass-1')).toEqual({ accountId: 'acc-1', username: 'acme', role: 'enterprise', enterpriseId: 'ent-1' });
    expect(await verifier.verify('ent-1', 'enterprise-pass-2')).toBeUndefined();
    expect(await verifier.verify('ent-2', 'enterprise-pass-1')).toBeUndefined();
  });

  it('refuses an empty or oversized secret without looking anything up', async () => {
    const before = accounts.calls.length;
    expect(await verifier.verify('ent-1', '')).toBeUndefined();
    expect(await verifier.verify('ent-1', 'x'.repeat(MAX_SECRET_LENGTH + 1))).toBeUndefined();
    expect(accounts.calls.length).toBe(before);
  });

  it('refuses a disabled account even with a remembered password', async () => {
    expect(await verifier.verify('ent-1', 'enterprise-pass-1')).toBeDefined();
    const active = accounts.rows[0];
    accounts.rows = [{ ...active, status: 'disabled' }];
    expect(await verifier.verify('ent-1', 'enterprise-pass-1')).toBeUndefined();
    accounts.rows = [active];
  });

  it('forgets a remembered password once the stored hash changes (a password change)', async () => {
    expect(await verifier.verify('ent-1', 'enterprise-pass-1')).toBeDefined();
    const old = accounts.rows[0];
    accounts.rows = [{ ...old, passwordHash: await hashPassword('new-password-1') }];
    expect(await verifier.verify('ent-1', 'enterprise-pass-1')).toBeUndefined();
    expect(await verifier.verify('ent-1', 'new-password-1')).toBeDefined();
    accounts.rows = [old];
  });
});
