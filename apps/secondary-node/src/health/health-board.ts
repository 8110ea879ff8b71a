import { Global, Injectable, Module } from '@nestjs/common';

/** What one part of the node says about itself: its status and whatever detail /health shows. */
export interface HealthReport {
  /** 'down' degrades the node (it still serves); 'starting' and 'not-configured' do not. */
  status: 'up' | 'down' | 'starting' | 'not-configured';
  detail: object;
}

/**
 * Where the node's parts (the resolution caches, the top-level link) put their health, and where
 * /health and the heartbeat to the top level read it. Health imports no capability: each one
 * registers a cheap synchronous check here.
 */
@Injectable()
export class HealthBoard {
  private readonly checks = new Map<string, () => HealthReport>();
  private readonly probes = new Map<string, () => Promise<HealthReport>>();
  private diagnosticsAccess: DiagnosticsAccess = () => false;

  register(name: string, check: () => HealthReport): void {
    if (this.checks.has(name)) throw new Error(`health check "${name}" is registered twice`);
    this.checks.set(name, check);
  }

  /** The named check, or undefined when nothing registered it (e.g. a module left out of a test). */
  check(name: string): HealthReport | undefined {
    return this.checks.get(name)?.();
  }

  /**
   * A check that must ask a dependency (a Redis PING): /health runs it with a short timeout, so a
   * frozen dependency shows as down instead of as whatever it last said.
   */
  registerProbe(name: string, probe: () => Promise<HealthReport>): void {
    if (this.checks.has(name) || this.probes.has(name)) throw new Error(`health check "${name}" is registered twice`);
    this.probes.set(name, probe);
  }

  /** Every probe, run at once; one that does not answer within `timeoutMs` is down. */
  async probeAll(timeoutMs: number): Promise<Record<string, HealthReport>> {
    const entries = await Promise.all([...this.probes].map(async ([name, probe]) => [name, await withinTimeout(probe, timeoutMs)] as const));
    return Object.fromEntries(entries);
  }

  /** Who may see the diagnostics of /health (set by auth-aware code; nobody by default). */
  setDiagnosticsAccess(access: DiagnosticsAccess): void {
    this.diagnosticsAccess = access;
  }

  /** May this caller (its request headers) see the checks' detail? Throws for a bad credential. */
  mayViewDiagnostics(headers: Record<string, string | string[] | undefined>): boolean | Promise<boolean> {
    return this.diagnosticsAccess(headers);
  }

  /** Every registered check, by name, in registration order. */
  all(): Record<string, HealthReport> {
    const reports: Record<string, HealthReport> = {};
    for (const [name, check] of this.checks) reports[name] = check();
    return reports;
  }
}

/** Decides from the request headers whether the caller may see internal detail (operators). */
export type DiagnosticsAccess = (headers: Record<string, string | string[] | undefined>) => boolean | Promise<boolean>;

async function withinTimeout(probe: () => Promise<HealthReport>, timeoutMs: number): Promise<HealthReport> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<HealthReport>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'down', detail: { status: 'down', error: `no answer within ${timeoutMs} ms` } }), timeoutMs);
  });
  try {
    return await Promise.race([probe().catch((error: unknown) => ({ status: 'down' as const, detail: { status: 'down', error: (error as Error).message } })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The one HealthBoard of the node, available everywhere. */
@Global()
@Module({ providers: [HealthBoard], exports: [HealthBoard] })
export class HealthBoardModule {}
