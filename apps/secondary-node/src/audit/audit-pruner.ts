import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PeriodicTask } from '@idis/runtime';
import { NODE_SECRET } from '../auth/node-secret';
import { CheckpointSigner } from './audit-chain';
import { AUDIT_CONFIG, type AuditConfig } from './audit.config';
import { AuditRepository } from './audit.repository';

/** Rows removed per transaction: a large backlog is pruned over several ticks, never in one long lock. */
const PRUNE_BATCH_ROWS = 10_000;
const DAY_MS = 86_400_000;

/**
 * Retention (AUDIT_RETENTION_DAYS): removes rows older than that from the start of the chain and
 * leaves a checkpoint signed with the node secret (HMAC) naming the last row removed, from which
 * `npm run audit:verify` walks the rest. Every replica runs it; an advisory lock lets one prune.
 */
@Injectable()
export class AuditPruner implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly signer: CheckpointSigner;
  private readonly task: PeriodicTask<number>;

  constructor(
    private readonly repository: AuditRepository,
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @Inject(NODE_SECRET) nodeSecret: string,
  ) {
    this.signer = new CheckpointSigner(nodeSecret);
    this.task = new PeriodicTask(() => this.pruneExpired(), {
      intervalMs: config.pruneIntervalMs,
      onError: (error) => this.logger.warn(`audit pruning failed, retrying at the next tick: ${(error as Error).message}`),
    });
  }

  onModuleInit(): void {
    if (this.config.retentionDays > 0) this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** Prunes everything past retention (or before `cutoff`); returns the number of rows removed. */
  async pruneExpired(cutoff: Date = new Date(Date.now() - this.config.retentionDays * DAY_MS)): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.repository.prune(cutoff, PRUNE_BATCH_ROWS, this.signer);
      if (!result) break;
      total += result.pruned;
      this.logger.log({ msg: 'audit rows pruned', pruned: result.pruned, throughSeq: result.checkpoint.throughSeq });
      if (result.pruned < PRUNE_BATCH_ROWS) break;
    }
    return total;
  }
}
