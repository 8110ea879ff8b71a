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

  register(name: string, check: () => HealthReport): void {
    if (this.checks.has(name)) throw new Error(`health check "${name}" is registered twice`);
    this.checks.set(name, check);
  }

  /** The named check, or undefined when nothing registered it (e.g. a module left out of a test). */
  check(name: string): HealthReport | undefined {
    return this.checks.get(name)?.();
  }

  /** Every registered check, by name, in registration order. */
  all(): Record<string, HealthReport> {
    const reports: Record<string, HealthReport> = {};
    for (const [name, check] of this.checks) reports[name] = check();
    return reports;
  }
}

/** The one HealthBoard of the node, available everywhere. */
@Global()
@Module({ providers: [HealthBoard], exports: [HealthBoard] })
export class HealthBoardModule {}
