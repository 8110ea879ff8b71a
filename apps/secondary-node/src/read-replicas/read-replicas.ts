import { Logger } from '@nestjs/common';
import { PeriodicTask } from '@idis/runtime';
import { Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { describeDatabase, type ReadReplicaConfig } from '../config/read-replicas.config';
import type { HeavyReadConfig } from '../config/heavy-read.config';
import { compareLsn, parseLsn } from './lsn';

/** Marks (keys written but maybe not yet replayed) kept at most; beyond, one global mark replaces them. */
const MAX_MARKS = 50_000;
/** Primary WAL positions remembered for measuring lag (one per poll in which the primary moved). */
const MAX_SAMPLES = 4096;
/** A replica's probe or a new connection that takes longer than this counts as a failure. */
const PROBE_TIMEOUT_MS = 2000;
/**
 * A resolution statement (a primary-key lookup) that a replica has not answered within this is
 * abandoned (its connection dropped) and run on the primary: a frozen replica must not hold
 * resolutions longer than that.
 */
const RESOLUTION_READ_TIMEOUT_MS = 2000;

export type ReadKind = 'resolution' | 'heavy';

/** What /health and /metrics show of one replica. */
export interface ReplicaStatus {
  /** host:port/database (no credentials). */
  replica: string;
  up: boolean;
  inRotation: boolean;
  /** Seconds behind the primary (0 when caught up); undefined until measured. */
  lagSeconds: number | undefined;
  replayLsn: string | undefined;
  replayPaused: boolean;
  /** Statements this replica served, by kind. */
  served: Record<ReadKind, number>;
  error?: string;
}

interface Replica {
  name: string;
  resolutionPool: Pool;
  heavyPool: Pool;
  probePool: Pool;
  up: boolean;
  replay: bigint | undefined;
  paused: boolean;
  lagMs: number | undefined;
  inRotation: boolean;
  served: Record<ReadKind, number>;
  error?: string;
}

/**
 * The node's PostgreSQL streaming replicas (DATABASE_READ_URLS): which of them may serve a read.
 *
 * - Health: every `pollIntervalMs` one poll reads the primary's `pg_current_wal_lsn()` and each
 *   replica's `pg_last_wal_replay_lsn()`. A replica that does not answer, is not in recovery, or
 *   whose replay lags the primary by more than `maxLagMs` leaves the rotation; it comes back at the
 *   first poll that finds it answering and within the bound. No replica in rotation: the primary.
 * - Lag: the primary's WAL positions are remembered with the time they were seen; a replica's lag
 *   is the age of the oldest position it has not replayed yet (0 when it has replayed the newest),
 *   so an idle primary does not make a caught-up replica look behind.
 * - Read-your-writes: a write's cache invalidation (local, or heard from another node process on
 *   the invalidation channel: both after the commit) marks its keys at once; a marked key is read
 *   from the primary. The next poll, which starts after the mark, binds it to the primary's WAL
 *   position (at or past the commit); from then on a replica that has replayed past that position
 *   may serve it again, and once every replica in rotation has, the mark is dropped (it becomes
 *   the floor every replica must have passed to serve identifiers). At most MAX_MARKS marks; on
 *   overflow (or a flush of everything) one global mark stands for all keys.
 *
 * A statement that fails on a replica for a replica's reason (connection lost, recovery conflict,
 * shutting down) takes it out of the rotation and runs again on the primary: a dying replica costs
 * latency, not failed reads.
 */
export class ReadReplicas {
  private readonly logger = new Logger('ReadReplicas');
  private readonly replicas: Replica[];
  private readonly primaryPool: Pool;
  private readonly poller: PeriodicTask<void>;
  /** The replicas that may serve reads now (recomputed by every poll and on a replica failure). */
  private rotation: Replica[] = [];
  private cursor = 0;
  /** Number of the next poll to start: a mark made now is bound by that poll. */
  private pollSequence = 1;
  /** Keys written whose WAL position is not known yet → the poll number that will bind them. */
  private readonly awaiting = new Map<string, number>();
  /** Keys written → the primary's WAL position at or past their commit. */
  private readonly pinned = new Map<string, bigint>();
  /** Set when every key is marked (overflow, flush): the poll number that binds it. */
  private globalAwaiting: number | undefined;
  /** Every replica must have replayed this far to serve any identifier (dropped marks end up here). */
  private floor = 0n;
  /** The primary's WAL positions with the time (performance.now) they were first seen, oldest first. */
  private readonly samples: Array<{ lsn: bigint; at: number }> = [];
  private primaryError: string | undefined;
  /** Reads the primary served because no replica could, by kind (only counted with replicas configured). */
  readonly primaryReads: Record<ReadKind, number> = { resolution: 0, heavy: 0 };

  constructor(
    private readonly config: ReadReplicaConfig,
    primaryUrl: string,
    heavyReads: HeavyReadConfig,
  ) {
    this.primaryPool = new Pool({ connectionString: primaryUrl, max: 1, connectionTimeoutMillis: PROBE_TIMEOUT_MS, query_timeout: PROBE_TIMEOUT_MS, application_name: 'idis-secondary-node-replica-monitor' });
    this.primaryPool.on('error', () => undefined);
    this.replicas = config.urls.map((url) => {
      const replica: Replica = {
        name: describeDatabase(url) ?? 'replica',
        resolutionPool: new Pool({ connectionString: url, max: config.poolSize, connectionTimeoutMillis: PROBE_TIMEOUT_MS, query_timeout: RESOLUTION_READ_TIMEOUT_MS, application_name: 'idis-secondary-node-replica' }),
        heavyPool: new Pool({
          connectionString: url,
          max: heavyReads.poolSize,
          connectionTimeoutMillis: PROBE_TIMEOUT_MS,
          application_name: 'idis-secondary-node-replica-heavy-read',
          statement_timeout: heavyReads.statementTimeoutMs,
          // The server ends a long statement (422 QUERY_TOO_EXPENSIVE); this catches a replica that no longer answers at all.
          query_timeout: heavyReads.statementTimeoutMs + PROBE_TIMEOUT_MS,
        }),
        probePool: new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: PROBE_TIMEOUT_MS, query_timeout: PROBE_TIMEOUT_MS, application_name: 'idis-secondary-node-replica-monitor' }),
        up: false,
        replay: undefined,
        paused: false,
        lagMs: undefined,
        inRotation: false,
        served: { resolution: 0, heavy: 0 },
      };
      // An idle connection that breaks (the replica died) must not crash the process.
      for (const pool of [replica.resolutionPool, replica.heavyPool, replica.probePool]) pool.on('error', () => undefined);
      return replica;
    });
    this.poller = new PeriodicTask(() => this.poll(), { intervalMs: config.pollIntervalMs, onError: (error) => this.logger.warn(`replica poll failed: ${(error as Error).message}`) });
  }

  start(): void {
    this.poller.start();
    void this.poller.runNow();
  }

  async stop(): Promise<void> {
    await this.poller.stop();
    await Promise.all([this.primaryPool.end(), ...this.replicas.flatMap((r) => [r.resolutionPool.end(), r.heavyPool.end(), r.probePool.end()])]);
  }

  /** Polls now (or joins the poll running); resolves when it is done. */
  async refresh(): Promise<void> {
    await this.poller.runNow();
  }

  /**
   * `keys` were written (committed): read them from the primary until the replicas have replayed
   * past the write. Synchronous: the mark holds from now on.
   */
  noteWrite(keys: readonly string[]): void {
    // Marked one by one even under a global mark: the poll that binds that one may already have
    // read the primary's position before this commit.
    if (this.awaiting.size + this.pinned.size + keys.length > MAX_MARKS) {
      this.noteWriteAll();
      return;
    }
    for (const key of keys) {
      this.pinned.delete(key);
      this.awaiting.set(key, this.pollSequence);
    }
  }

  /** Everything may have changed (a prefix disabled, a cache flush): every identifier from the primary until the replicas catch up. */
  noteWriteAll(): void {
    this.globalAwaiting = this.pollSequence;
    this.awaiting.clear();
    this.pinned.clear();
  }

  /**
   * The pool to run a resolution statement for `keys` on: a replica in rotation that has replayed
   * past every mark on them (round-robin), or undefined for the primary.
   */
  resolutionPool(keys: readonly string[]): Pool | undefined {
    const rotation = this.rotation;
    if (rotation.length === 0 || this.globalAwaiting !== undefined) return this.viaPrimary('resolution');
    let needed = this.floor;
    if (this.awaiting.size > 0 || this.pinned.size > 0) {
      for (const key of keys) {
        if (this.awaiting.has(key)) return this.viaPrimary('resolution');
        const lsn = this.pinned.get(key);
        if (lsn !== undefined && lsn > needed) needed = lsn;
      }
    }
    const replica = this.pick(rotation, needed);
    if (!replica) return this.viaPrimary('resolution');
    replica.served.resolution += 1;
    return replica.resolutionPool;
  }

  /**
   * Runs a resolution statement on a replica that may serve `keys`, or on `primary`. A replica
   * failing for a replica's reason is taken out of rotation and the statement runs on the primary.
   */
  async queryForKeys<R extends QueryResultRow>(keys: readonly string[], statement: QueryConfig, primary: Pool): Promise<QueryResult<R>> {
    const pool = this.resolutionPool(keys);
    if (!pool) return primary.query<R>(statement);
    try {
      return await pool.query<R>(statement);
    } catch (error) {
      if (!this.isReplicaTrouble(error)) throw error;
      this.dropFromRotation(pool, error);
      this.primaryReads.resolution += 1;
      return primary.query<R>(statement);
    }
  }

  /**
   * Runs a heavy read (a SELECT of a listing, statistics, EPCIS query or trace) on a replica in
   * rotation; undefined when none can take it (the caller runs it on the primary's heavy-read pool).
   */
  async heavyRead(sql: string, parameters: readonly unknown[] | undefined): Promise<unknown[] | undefined> {
    const rotation = this.rotation;
    if (rotation.length === 0 || !/^\s*(select|with)\b/i.test(sql)) {
      this.viaPrimary('heavy');
      return undefined;
    }
    const replica = this.pick(rotation, 0n);
    if (!replica) {
      this.viaPrimary('heavy');
      return undefined;
    }
    replica.served.heavy += 1;
    try {
      const result = await replica.heavyPool.query(sql, parameters as unknown[] | undefined);
      return result.rows;
    } catch (error) {
      // A statement that writes (read-only transaction) belongs on the primary; it says nothing of the replica.
      if ((error as { code?: string }).code === '25006') return this.viaPrimary('heavy');
      if (!this.isReplicaTrouble(error)) throw error;
      this.dropFromRotation(replica.heavyPool, error);
      return this.viaPrimary('heavy');
    }
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((r) => ({
      replica: r.name,
      up: r.up,
      inRotation: r.inRotation,
      lagSeconds: r.lagMs === undefined ? undefined : r.lagMs / 1000,
      replayLsn: r.replay === undefined ? undefined : formatLsn(r.replay),
      replayPaused: r.paused,
      served: { ...r.served },
      ...(r.error ? { error: r.error } : {}),
    }));
  }

  /** Marks waiting for replicas to replay (bounded by MAX_MARKS), and whether one global mark stands. */
  pendingMarks(): { keys: number; global: boolean } {
    return { keys: this.awaiting.size + this.pinned.size, global: this.globalAwaiting !== undefined };
  }

  get primaryProblem(): string | undefined {
    return this.primaryError;
  }

  private viaPrimary(kind: ReadKind): undefined {
    this.primaryReads[kind] += 1;
    return undefined;
  }

  private pick(rotation: Replica[], needed: bigint): Replica | undefined {
    const count = rotation.length;
    for (let i = 0; i < count; i += 1) {
      const replica = rotation[(this.cursor + i) % count];
      if ((replica.replay as bigint) >= needed) {
        this.cursor = (this.cursor + i + 1) % count;
        return replica;
      }
    }
    return undefined;
  }

  /** Connection lost or refused, the replica shutting down or in a recovery conflict: not the statement's fault. */
  private isReplicaTrouble(error: unknown): boolean {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') return true;
    return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '40001' || code === '53300' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE';
  }

  private dropFromRotation(pool: Pool, error: unknown): void {
    const replica = this.replicas.find((r) => r.resolutionPool === pool || r.heavyPool === pool);
    if (!replica || !replica.inRotation) return;
    replica.up = false;
    replica.inRotation = false;
    replica.error = (error as Error).message;
    this.rotation = this.rotation.filter((r) => r !== replica);
    this.logger.warn(`replica ${replica.name} left the rotation: ${replica.error}`);
  }

  private async poll(): Promise<void> {
    const sequence = this.pollSequence;
    this.pollSequence += 1;
    const [primary] = await Promise.all([this.readPrimary(), ...this.replicas.map((r) => this.probe(r))]);
    const now = performance.now();
    if (primary !== undefined) {
      const newest = this.samples[this.samples.length - 1];
      if (!newest || primary > newest.lsn) this.samples.push({ lsn: primary, at: now });
      if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
      this.bindMarks(sequence, primary);
    }
    for (const replica of this.replicas) replica.lagMs = replica.up ? this.lagOf(replica, now) : replica.lagMs;
    const before = this.rotation;
    this.rotation = this.replicas.filter((r) => {
      r.inRotation = r.up && r.replay !== undefined && r.lagMs !== undefined && r.lagMs <= this.config.maxLagMs && primary !== undefined;
      return r.inRotation;
    });
    for (const replica of this.replicas) {
      if (before.includes(replica) !== replica.inRotation) {
        this.logger.warn(`replica ${replica.name} ${replica.inRotation ? 'is back in' : 'left'} the rotation (lag ${replica.lagMs === undefined ? 'unknown' : `${replica.lagMs.toFixed(0)} ms`}${replica.error ? `, ${replica.error}` : ''})`);
      }
    }
    this.dropReplayedMarks();
  }

  private async readPrimary(): Promise<bigint | undefined> {
    try {
      const { rows } = await this.primaryPool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      this.primaryError = undefined;
      return parseLsn(rows[0].lsn);
    } catch (error) {
      this.primaryError = (error as Error).message;
      return undefined;
    }
  }

  private async probe(replica: Replica): Promise<void> {
    try {
      const { rows } = await replica.probePool.query<{ standby: boolean; replay: string | null; paused: boolean }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay, pg_is_in_recovery() AND pg_is_wal_replay_paused() AS paused',
      );
      const { standby, replay, paused } = rows[0];
      if (!standby || replay === null) {
        replica.up = false;
        replica.error = 'not a streaming standby (pg_is_in_recovery() is false)';
        return;
      }
      const position = parseLsn(replay);
      replica.replay = replica.replay === undefined || position > replica.replay ? position : replica.replay;
      replica.paused = paused;
      replica.up = true;
      replica.error = undefined;
    } catch (error) {
      replica.up = false;
      replica.error = (error as Error).message;
    }
  }

  /** Milliseconds since the primary first showed a WAL position this replica has not replayed yet (0: caught up). */
  private lagOf(replica: Replica, now: number): number | undefined {
    if (replica.replay === undefined || this.samples.length === 0) return undefined;
    for (const sample of this.samples) {
      if (sample.lsn > replica.replay) return now - sample.at;
    }
    return 0;
  }

  private bindMarks(sequence: number, primary: bigint): void {
    if (this.globalAwaiting !== undefined && this.globalAwaiting <= sequence) {
      this.globalAwaiting = undefined;
      this.floor = primary > this.floor ? primary : this.floor;
    }
    for (const [key, bindingPoll] of this.awaiting) {
      if (bindingPoll <= sequence) {
        this.awaiting.delete(key);
        this.pinned.set(key, primary);
      }
    }
  }

  /** Marks every replica in rotation has replayed past are dropped; the floor keeps what they said. */
  private dropReplayedMarks(): void {
    if (this.rotation.length === 0) return;
    let replayedByAll: bigint | undefined;
    for (const replica of this.rotation) {
      const replay = replica.replay as bigint;
      if (replayedByAll === undefined || replay < replayedByAll) replayedByAll = replay;
    }
    const horizon = replayedByAll as bigint;
    let raised = this.floor;
    for (const [key, lsn] of this.pinned) {
      if (lsn <= horizon) {
        this.pinned.delete(key);
        if (lsn > raised) raised = lsn;
      }
    }
    this.floor = raised;
    // Samples every replica in rotation has replayed no longer measure anyone's lag, unless a replica out of rotation still needs them.
    const slowest = this.replicas.reduce<bigint | undefined>((min, r) => (r.replay === undefined ? min : min === undefined || r.replay < min ? r.replay : min), undefined);
    if (slowest !== undefined) {
      let drop = 0;
      while (drop < this.samples.length - 1 && compareLsn(this.samples[drop].lsn, slowest) <= 0) drop += 1;
      if (drop > 0) this.samples.splice(0, drop);
    }
  }
}

function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
