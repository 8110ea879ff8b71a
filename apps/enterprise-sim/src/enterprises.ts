import { creditCodeCheckCharacter } from '@idis/identifier';
import type { SimEnterprise, SimIdentifier } from './flow';
import { hashString } from './random';
import { type Application, MAX_SNMS_BATCH, NodeApiError, type NodeClient, type SnmsRecord } from './node-client';

/**
 * Brings the simulated enterprises to life on a node, idempotently: reuse an account that already
 * exists, approve a pending application, apply otherwise; then wait (bounded) until the prefix is
 * active (approval may pass through `approved` → `filing` → `active` while the top-level node files
 * it). Also defines each enterprise's SNMS template and registers its identifiers in batches.
 */

export interface EnterpriseSetupOptions {
  /** Password of every simulated enterprise account. */
  password: string;
  /** Operator credentials, needed only when an application must be approved. */
  operator?: { username: string; password: string };
  /** How long to wait for a prefix to become active (default 60 s). */
  activationTimeoutMs?: number;
  /** Poll interval while waiting (default 200 ms). */
  pollIntervalMs?: number;
  log?: (line: string) => void;
}

export interface ReadyEnterprise extends SimEnterprise {
  username: string;
  /** Native API bearer token. */
  token: string;
  /** SNMS token from /identity/token (templates and batch registration use it, as enterprise systems do). */
  snmsToken: string;
  applicationId: string;
  /** The enterprise the active application created (its MQTT credentials are asked for under it). */
  enterpriseId: string | null;
  /** 'created' (applied and approved now), 'approved' (an earlier application approved now) or 'reused'. */
  setup: 'created' | 'approved' | 'reused';
}

export class EnterpriseSetupError extends Error {}

export function simUsername(prefix: string): string {
  return `sim-${prefix.replace(/[^A-Za-z0-9_.@-]/g, '_')}`.slice(0, 50);
}

/** A valid unified social credit code (GB 32100) derived from the prefix, so re-runs ask with the same one. */
export function simCreditCode(prefix: string, attempt = 0): string {
  const serial = String(hashString(`${prefix}#${attempt}`) % 1_000_000_000).padStart(9, '0');
  const first17 = `91420100${serial}`; // 91 = enterprise, 420100 = Wuhan
  return `${first17}${creditCodeCheckCharacter(first17)}`;
}

function sameprefix(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export async function ensureEnterprise(client: NodeClient, enterprise: SimEnterprise, options: EnterpriseSetupOptions): Promise<ReadyEnterprise> {
  const username = simUsername(enterprise.prefix);
  const log = options.log ?? (() => undefined);
  let operatorToken: string | undefined;
  const operator = async () => {
    if (operatorToken) return operatorToken;
    if (!options.operator) {
      throw new EnterpriseSetupError(`enterprise ${enterprise.prefix} must be approved by an operator: set SIM_OPERATOR_PASSWORD (and SIM_OPERATOR_USERNAME if not "operator")`);
    }
    const token = await client.tryLogin(options.operator.username, options.operator.password);
    if (!token) throw new EnterpriseSetupError(`operator login of "${options.operator.username}" refused: check SIM_OPERATOR_USERNAME / SIM_OPERATOR_PASSWORD`);
    operatorToken = token;
    return token;
  };

  let setup: ReadyEnterprise['setup'] = 'reused';
  let token = await client.tryLogin(username, options.password);
  let application: Application | undefined;
  if (token) {
    application = (await client.findApplications(enterprise.prefix, token)).find((a) => sameprefix(a.requestedPrefix, enterprise.prefix) && a.status !== 'rejected');
    if (!application) throw new EnterpriseSetupError(`account ${username} exists but holds no application for prefix ${enterprise.prefix}`);
  } else {
    const found = (await client.findApplications(enterprise.prefix, await operator())).filter((a) => sameprefix(a.requestedPrefix, enterprise.prefix) && a.status !== 'rejected');
    application = found[0];
    if (application && application.username !== username) {
      throw new EnterpriseSetupError(`prefix ${enterprise.prefix} is already held or requested by account "${application.username}"; choose other codes (SIM_PREFIX_BASE)`);
    }
    if (application && application.status !== 'pending_review') {
      throw new EnterpriseSetupError(`account ${username} exists for prefix ${enterprise.prefix} but refused the password: set SIM_ENTERPRISE_PASSWORD to the one used before`);
    }
    if (!application) {
      application = await applyWithFreshCreditCode(client, enterprise, username, options.password);
      setup = 'created';
    } else {
      setup = 'approved';
    }
    log(`approving ${enterprise.prefix} (${enterprise.name})`);
    application = await client.approve(application.id, await operator());
  }

  application = await waitUntilActive(client, application, token ?? (await operator()), options);
  token ??= await client.login(username, options.password);
  const snmsToken = await client.snmsLogin(username, options.password);
  return { ...enterprise, username, token, snmsToken, applicationId: application.id, enterpriseId: application.enterpriseId ?? null, setup };
}

async function applyWithFreshCreditCode(client: NodeClient, enterprise: SimEnterprise, username: string, password: string): Promise<Application> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await client.apply({
        orgName: enterprise.name,
        creditCode: simCreditCode(enterprise.prefix, attempt),
        contactName: '张伟 Zhang Wei',
        contactPhone: '+86 27 8765 4321',
        contactEmail: `${username.replace(/[^A-Za-z0-9.-]/g, '-')}@sim.example.cn`,
        requestedPrefix: enterprise.prefix,
        username,
        password,
      });
    } catch (error) {
      // Another enterprise already uses this derived credit code: derive the next one (a few tries).
      const creditClash = error instanceof NodeApiError && error.status === 409 && /credit code/i.test(error.message);
      if (!creditClash || attempt >= 4) throw error;
    }
  }
}

async function waitUntilActive(client: NodeClient, application: Application, token: string, options: EnterpriseSetupOptions): Promise<Application> {
  const deadline = Date.now() + (options.activationTimeoutMs ?? 60_000);
  const interval = options.pollIntervalMs ?? 200;
  let current = application;
  for (;;) {
    if (current.status === 'active') return current;
    if (current.status === 'rejected') {
      throw new EnterpriseSetupError(`application for ${current.requestedPrefix} was rejected${current.reviewReason ? `: ${current.reviewReason}` : ''}`);
    }
    if (Date.now() + interval > deadline) {
      throw new EnterpriseSetupError(`prefix ${current.requestedPrefix} is still ${current.status} after ${options.activationTimeoutMs ?? 60_000} ms (is the top-level node filing it?)`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
    current = await client.getApplication(current.id, token);
  }
}

export const SIM_TEMPLATE_VERSION = 'sim-1.0';

/** The simulator's SNMS template: name (2000, required), kind (2001), lot (2002), owner (2003). */
export function simTemplate(prefix: string): Record<string, unknown> {
  const item = (name: string, idType: string, idIndex: number, required: boolean) => ({
    name,
    idType,
    idIndex,
    required,
    metadata: { type: 'string', minLength: required ? 1 : 0, maxLength: 255 },
  });
  return {
    prefix,
    version: SIM_TEMPLATE_VERSION,
    industryCategory: 'C',
    industrySpecific: '38',
    industryTrade: '384',
    industrySubclass: '3841',
    type: 1,
    description: 'IDIS enterprise simulator: supply-chain items, lots and locations',
    items: [item('名称 name', 'name', 2000, true), item('类别 kind', 'kind', 2001, false), item('批次 lot', 'lot', 2002, false), item('所有者 owner', 'owner', 2003, false)],
  };
}

export async function ensureTemplate(client: NodeClient, enterprise: ReadyEnterprise): Promise<'created' | 'reused'> {
  if (await client.getTemplate(enterprise.snmsToken, enterprise.prefix, SIM_TEMPLATE_VERSION)) return 'reused';
  try {
    await client.createTemplate(enterprise.snmsToken, simTemplate(enterprise.prefix));
    return 'created';
  } catch (error) {
    if (error instanceof NodeApiError && error.status === 409) return 'reused'; // created meanwhile
    throw error;
  }
}

export interface RegistrationResult {
  created: number;
  existing: number;
  failed: number;
  batches: number;
  /** The first few failures, "handle: message". */
  failures: string[];
}

function clip(text: string): string {
  return text.length > 255 ? `${text.slice(0, 254)}…` : text;
}

export function snmsRecord(identifier: SimIdentifier, owner: SimEnterprise): SnmsRecord {
  const value = (index: number, type: string, text: string) => ({ index, type, data: { format: 'string' as const, value: clip(text) } });
  return {
    handle: identifier.handle,
    templateVersion: SIM_TEMPLATE_VERSION,
    value: [value(2000, 'name', identifier.name), value(2001, 'kind', identifier.kind), value(2002, 'lot', identifier.lot), value(2003, 'owner', owner.name)],
  };
}

/** Registers `identifiers` through the SNMS batch API; an identifier that already exists counts as done. */
export async function registerIdentifiers(
  client: NodeClient,
  enterprise: ReadyEnterprise,
  identifiers: readonly SimIdentifier[],
  batchSize = 500,
): Promise<RegistrationResult> {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_SNMS_BATCH) throw new Error(`batch size must be 1 to ${MAX_SNMS_BATCH}, got ${batchSize}`);
  const result: RegistrationResult = { created: 0, existing: 0, failed: 0, batches: 0, failures: [] };
  for (let i = 0; i < identifiers.length; i += batchSize) {
    const records = identifiers.slice(i, i + batchSize).map((identifier) => snmsRecord(identifier, enterprise));
    const replies = await client.batchCreate(enterprise.snmsToken, records);
    result.batches += 1;
    for (const reply of replies) {
      if (reply.code === 1) result.created += 1;
      else if (reply.reason === 'HANDLE_ALREADY_EXISTS') result.existing += 1;
      else {
        result.failed += 1;
        if (result.failures.length < 10) result.failures.push(`${reply.handle}: ${reply.msg}`);
      }
    }
  }
  return result;
}
