import { Injectable } from '@nestjs/common';
import { PrefixRepository } from './prefix.repository';

const REFRESH_MS = 5000;

/**
 * The set of enterprise prefixes homed (active) on this node, kept in memory and refreshed every
 * few seconds, so hot paths (a flood of unknown identifiers, per-prefix counters) never ask the
 * database whether a prefix is ours. A prefix approved on this process is visible at once.
 */
@Injectable()
export class PrefixDirectory {
  private homed = new Set<string>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(private readonly prefixes: PrefixRepository) {}

  /** Whether the prefix is active here, as of at most REFRESH_MS ago. */
  async isHomed(prefixKey: string): Promise<boolean> {
    if (Date.now() - this.loadedAt > REFRESH_MS) await this.refresh();
    return this.homed.has(prefixKey);
  }

  /** The last known set, without waiting (may be up to REFRESH_MS old). */
  snapshot(): ReadonlySet<string> {
    if (Date.now() - this.loadedAt > REFRESH_MS) void this.refresh().catch(() => undefined);
    return this.homed;
  }

  /**
   * Every prefix assigned to an enterprise here, whatever its state (filing, active, disabled):
   * statistics count these under their own key. The homed set above is its served (active) part.
   */
  assignedPrefixKeys(): Promise<string[]> {
    return this.prefixes.listAssignedKeys();
  }

  refresh(): Promise<void> {
    this.loading ??= this.prefixes
      .listActive()
      .then((rows) => {
        this.homed = new Set(rows.map((row) => row.prefixKey));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}
