import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { ThrottleState } from './login-throttle-policy';

interface RawState {
  attempts: number;
  last_attempt_at: Date;
  locked_until: Date | null;
  now: Date;
}

/**
 * The login_throttle rows. Each change is a read-decide-write under the row's lock, using the
 * database's clock so that replicas with skewed clocks agree on when a lock ends.
 */
@Injectable()
export class LoginThrottleRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Locks the row of `username` (creating an empty one), hands its state and the database time to
   * `decide`, and stores what it returns. Returns whatever `decide` returned.
   */
  async update<T extends { state: ThrottleState }>(username: string, decide: (current: ThrottleState | null, now: Date) => T): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const current = await this.lockRow(manager, username);
      const decision = decide(current.attempts === 0 && current.locked_until === null ? null : toState(current), current.now);
      await manager.query(`UPDATE login_throttle SET attempts = $2, last_attempt_at = $3, locked_until = $4 WHERE username_key = lower($1)`, [
        username,
        decision.state.attempts,
        decision.state.lastAttemptAt,
        decision.state.lockedUntil,
      ]);
      return decision;
    });
  }

  /** The state after a failed check, read under the row lock (other attempts may have counted meanwhile); undefined when a success or an unlock cleared it. */
  async settle<T extends { state: ThrottleState }>(username: string, decide: (current: ThrottleState, now: Date) => T): Promise<T | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const rows: RawState[] = await manager.query(
        `SELECT attempts, last_attempt_at, locked_until, now() AS now FROM login_throttle WHERE username_key = lower($1) FOR UPDATE`,
        [username],
      );
      if (rows.length === 0) return undefined;
      const decision = decide(toState(rows[0]), rows[0].now);
      await manager.query(`UPDATE login_throttle SET attempts = $2, last_attempt_at = $3, locked_until = $4 WHERE username_key = lower($1)`, [
        username,
        decision.state.attempts,
        decision.state.lastAttemptAt,
        decision.state.lockedUntil,
      ]);
      return decision;
    });
  }

  /** A successful sign-in or an operator's unlock: the count starts from zero. Returns whether there was anything to clear. */
  async clear(username: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result: unknown = await manager.query(`DELETE FROM login_throttle WHERE username_key = lower($1) RETURNING username_key`, [username]);
    const rows = result as unknown[];
    return (Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows).length > 0;
  }

  /** Forgets failures counted for the name, without a write when there are none (the common case). */
  async clearIfCounted(username: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM login_throttle WHERE username_key = lower($1)`, [username]);
    if (rows.length > 0) await this.clear(username);
  }

  /** Whether the username is locked now (for an operator's view). */
  async lockedUntil(username: string): Promise<Date | null> {
    const rows: Array<{ locked_until: Date }> = await this.dataSource.query(
      `SELECT locked_until FROM login_throttle WHERE username_key = lower($1) AND locked_until > now()`,
      [username],
    );
    return rows.length === 0 ? null : rows[0].locked_until;
  }

  /** Drops rows that no longer hold anything: quiet for a lock period and not locked. */
  async prune(lockSeconds: number): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM login_throttle
        WHERE last_attempt_at < now() - make_interval(secs => $1) AND (locked_until IS NULL OR locked_until < now())`,
      [lockSeconds],
    );
  }

  /**
   * The row of `username`, created when missing, locked until the transaction ends. One statement:
   * an INSERT followed by a SELECT could find no row when a concurrent success cleared it between
   * the two (seen as a 500 under parallel sign-ins).
   */
  private async lockRow(manager: EntityManager, username: string): Promise<RawState> {
    const rows: RawState[] = await manager.query(
      `INSERT INTO login_throttle (username_key, attempts, last_attempt_at) VALUES (lower($1), 0, now())
       ON CONFLICT (username_key) DO UPDATE SET username_key = EXCLUDED.username_key
       RETURNING attempts, last_attempt_at, locked_until, now() AS now`,
      [username],
    );
    return rows[0];
  }
}

function toState(row: RawState): ThrottleState {
  return { attempts: row.attempts, lastAttemptAt: row.last_attempt_at, lockedUntil: row.locked_until };
}
