import { type BeforeApplicationShutdown, Logger, type OnModuleInit } from '@nestjs/common';
import type { UsageCountRows, UsageCountStore } from './usage-count.repository';
import {
  DOOR_SLOT,
  MINUTE_MS,
  OTHER_PREFIXES,
  REGISTRATION_OPERATIONS,
  REGISTRATION_SLOT,
  type RegistrationOperation,
  RESOLUTION_DOORS,
  type ResolutionDoor,
  RESOLUTION_OUTCOMES,
  RESOLUTION_SLOT,
  type ResolutionOutcome,
  SLOT_COUNT,
  SLOT_KIND,
  SLOT_OUTCOME,
  type UsageKind,
} from './usage-kinds';

export interface UsageCounterOptions {
  flushIntervalMs: number;
  /** How often the set of homed prefixes is reloaded (it is also updated by notePrefixHomed). */
  prefixRefreshIntervalMs?: number;
  /**
   * Most (prefix, minute) cells kept while the database refuses flushes; beyond it the oldest
   * minutes are dropped (and counted in droppedCounts). 100,000 cells are about 20 MB.
   */
  maxUnflushedCells?: number;
  /** Clock, for tests of minute bucketing. */
  now?: () => number;
}

export interface UsageCounterHealth {
  /** (prefix, minute) cells held in memory, not yet in the database. */
  unflushedCells: number;
  flushes: number;
  failedFlushes: number;
  /** Counts given up because the database refused flushes for longer than memory allows. */
  droppedCounts: number;
  homedPrefixes: number;
}

/** The counters of one (prefix, minute) cell, indexed by the slots of usage-kinds.ts. */
type Cell = Float64Array;
/** prefix key → cell, for one minute. */
type MinuteCells = Map<string, Cell>;

const DEFAULT_PREFIX_REFRESH_MS = 60_000;
/**
 * Most foreign prefixes counted under their own key (per process); once reached, further foreign
 * prefixes share '-' again. Only prefixes the top level located are noted, so this is a safety cap.
 */
export const MAX_FOREIGN_PREFIXES = 10_000;
const DEFAULT_MAX_UNFLUSHED_CELLS = 100_000;

/**
 * Counts resolutions and registrations per (enterprise prefix, minute, kind, outcome) in memory,
 * and adds them to usage_counts every flush interval, on demand (flush()) and at shutdown.
 *
 * Recording is a clock read and one Map lookup (three for a prefix not homed here): a cell is
 * allocated once per prefix per flush interval, nothing else. Prefixes not homed on this node
 * share the '-' cell, so callers cannot grow memory or the table by sending made-up prefixes;
 * the exception are foreign prefixes the top-level node has located (filed by another node,
 * noteForeignPrefix), counted under their own key so operators can see them, up to
 * MAX_FOREIGN_PREFIXES. The statistics report to the top level folds those into '-' again.
 *
 * A flush takes everything counted so far out of the maps and writes it with one additive upsert;
 * if the database refuses, the counts go back in and the next flush retries them. A flush whose
 * outcome is unknown (connection lost after the commit) may therefore count twice; nothing counted
 * is lost while the database is merely away, up to maxUnflushedCells.
 */
export class UsageCounter implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Statistics');
  private readonly now: () => number;
  private readonly flushIntervalMs: number;
  private readonly prefixRefreshIntervalMs: number;
  private readonly maxUnflushedCells: number;

  private homed = new Set<string>();
  /** Prefixes of other nodes located through the top level (never dropped; bounded by MAX_FOREIGN_PREFIXES). */
  private readonly foreign = new Set<string>();
  /** Prefixes announced while a refresh was loading, so that the refresh does not forget them. */
  private notedDuringRefresh = new Set<string>();

  private currentMinute = Number.NaN;
  private current: MinuteCells = new Map();
  /** Minutes not in `current` that await a flush (closed at a minute change, or put back after a failed flush). */
  private earlier = new Map<number, MinuteCells>();
  private earlierCells = 0;

  /** Since process start, for Prometheus counters. */
  private readonly lifetime = new Float64Array(SLOT_COUNT);
  private flushes = 0;
  private failedFlushes = 0;
  private droppedCounts = 0;
  private failing = false;

  private flushChain: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: UsageCountStore,
    options: UsageCounterOptions,
  ) {
    this.flushIntervalMs = options.flushIntervalMs;
    this.prefixRefreshIntervalMs = options.prefixRefreshIntervalMs ?? DEFAULT_PREFIX_REFRESH_MS;
    this.maxUnflushedCells = options.maxUnflushedCells ?? DEFAULT_MAX_UNFLUSHED_CELLS;
    this.now = options.now ?? Date.now;
  }

  /**
   * One resolution. `prefixKey` is the ASCII-lower-cased enterprise prefix of the identifier
   * (ParsedHandle.prefixKey); pass '-' when the handle could not be parsed. `door`: the front door
   * it came through, counted in the same cell (every front door gives one; without, only the outcome is counted).
   */
  recordResolution(prefixKey: string, outcome: ResolutionOutcome, door?: ResolutionDoor): void {
    const slot = RESOLUTION_SLOT[outcome];
    const cell = this.cellOf(prefixKey);
    cell[slot] += 1;
    this.lifetime[slot] += 1;
    if (door !== undefined) {
      cell[DOOR_SLOT[door]] += 1;
      this.lifetime[DOOR_SLOT[door]] += 1;
    }
  }

  /** `count` resolutions of one prefix, outcome and door at once (the same as `count` calls of recordResolution). */
  recordResolutions(prefixKey: string, outcome: ResolutionOutcome, door: ResolutionDoor, count: number): void {
    if (!Number.isSafeInteger(count) || count <= 0) return;
    const slot = RESOLUTION_SLOT[outcome];
    const doorSlot = DOOR_SLOT[door];
    const cell = this.cellOf(prefixKey);
    cell[slot] += count;
    cell[doorSlot] += count;
    this.lifetime[slot] += count;
    this.lifetime[doorSlot] += count;
  }

  /** `count` identifiers created, updated or deleted under one prefix (a batch calls once per prefix). */
  recordRegistrations(prefixKey: string, count: number, operation: RegistrationOperation): void {
    if (!Number.isSafeInteger(count) || count <= 0) return;
    const slot = REGISTRATION_SLOT[operation];
    this.cellOf(prefixKey)[slot] += count;
    this.lifetime[slot] += count;
  }

  private cellOf(prefixKey: string): Cell {
    const minute = Math.floor(this.now() / MINUTE_MS);
    if (minute !== this.currentMinute) this.startMinute(minute);
    const cell = this.current.get(prefixKey);
    return cell !== undefined ? cell : this.newCell(prefixKey);
  }

  private newCell(prefixKey: string): Cell {
    const key = this.homed.has(prefixKey) || this.foreign.has(prefixKey) ? prefixKey : OTHER_PREFIXES;
    let cell = this.current.get(key);
    if (cell === undefined) {
      cell = new Float64Array(SLOT_COUNT);
      this.current.set(key, cell);
    }
    return cell;
  }

  private startMinute(minute: number): void {
    if (this.current.size > 0) {
      this.keepForLater(this.currentMinute, this.current);
      this.current = new Map();
    }
    this.currentMinute = minute;
  }

  /**
   * Writes everything counted so far (this replica) with one statement. Calls are serialised, and
   * one made after a record() always includes it. Rejects when the database refuses; the counts
   * are kept and go out with the next flush.
   */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.flushOnce());
    this.flushChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async flushOnce(): Promise<void> {
    const drained = this.drain();
    const rows = rowsOf(drained);
    if (rows.prefixKeys.length === 0) return;
    try {
      await this.store.addCounts(rows);
      this.flushes += 1;
    } catch (error) {
      this.failedFlushes += 1;
      for (const [minute, cells] of drained) this.keepForLater(minute, cells);
      throw error;
    }
  }

  /** Takes every cell out; recording continues into fresh cells meanwhile. */
  private drain(): Map<number, MinuteCells> {
    if (this.current.size > 0) {
      this.keepForLater(this.currentMinute, this.current);
      this.current = new Map();
    }
    const drained = this.earlier;
    this.earlier = new Map();
    this.earlierCells = 0;
    return drained;
  }

  /** Adds cells of one minute to those awaiting a flush (merging with cells already there). */
  private keepForLater(minute: number, cells: MinuteCells): void {
    const existing = this.earlier.get(minute);
    if (existing === undefined) {
      this.earlier.set(minute, cells);
      this.earlierCells += cells.size;
    } else {
      for (const [key, counts] of cells) {
        const cell = existing.get(key);
        if (cell === undefined) {
          existing.set(key, counts);
          this.earlierCells += 1;
        } else {
          for (let slot = 0; slot < SLOT_COUNT; slot += 1) cell[slot] += counts[slot];
        }
      }
    }
    while (this.earlierCells > this.maxUnflushedCells && this.earlier.size > 1) this.dropOldestMinute();
  }

  private dropOldestMinute(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const minute of this.earlier.keys()) if (minute < oldest) oldest = minute;
    const cells = this.earlier.get(oldest) as MinuteCells;
    let dropped = 0;
    for (const counts of cells.values()) for (let slot = 0; slot < SLOT_COUNT; slot += 1) dropped += counts[slot];
    this.earlier.delete(oldest);
    this.earlierCells -= cells.size;
    this.droppedCounts += dropped;
    this.logger.error(
      `statistics for ${new Date(oldest * MINUTE_MS).toISOString()} dropped (${dropped} counts): the database has refused flushes for too long`,
    );
  }

  /** Reloads the prefixes counted under their own key. */
  async refreshPrefixes(): Promise<void> {
    this.notedDuringRefresh = new Set();
    const keys = await this.store.homedPrefixKeys();
    const next = new Set(keys);
    for (const key of this.notedDuringRefresh) next.add(key);
    this.homed = next;
  }

  /** Counts `prefixKey` under its own key from now on (call it when a prefix is approved). */
  notePrefixHomed(prefixKey: string): void {
    this.homed.add(prefixKey);
    this.notedDuringRefresh.add(prefixKey);
  }

  /**
   * Counts `prefixKey`, a prefix of another node that the top level has located, under its own key
   * from now on (ForeignPrefixListener, called by cross-node resolution).
   */
  noteForeignPrefix(prefixKey: string): void {
    if (this.foreign.size < MAX_FOREIGN_PREFIXES && prefixKey !== OTHER_PREFIXES) this.foreign.add(prefixKey);
  }

  /** Whether `prefixKey` is counted under its own key (homed here, or a located foreign prefix). */
  countsSeparately(prefixKey: string): boolean {
    return this.homed.has(prefixKey) || this.foreign.has(prefixKey);
  }

  resolutionTotals(): Record<ResolutionOutcome, number> {
    return Object.fromEntries(RESOLUTION_OUTCOMES.map((outcome) => [outcome, this.lifetime[RESOLUTION_SLOT[outcome]]])) as Record<ResolutionOutcome, number>;
  }

  /** Resolutions since the process started, by front door (only those that named their door). */
  doorTotals(): Record<ResolutionDoor, number> {
    return Object.fromEntries(RESOLUTION_DOORS.map((door) => [door, this.lifetime[DOOR_SLOT[door]]])) as Record<ResolutionDoor, number>;
  }

  registrationTotals(): Record<RegistrationOperation, number> {
    return Object.fromEntries(REGISTRATION_OPERATIONS.map((op) => [op, this.lifetime[REGISTRATION_SLOT[op]]])) as Record<RegistrationOperation, number>;
  }

  health(): UsageCounterHealth {
    return {
      unflushedCells: this.earlierCells + this.current.size,
      flushes: this.flushes,
      failedFlushes: this.failedFlushes,
      droppedCounts: this.droppedCounts,
      homedPrefixes: this.homed.size,
    };
  }

  async onModuleInit(): Promise<void> {
    await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Loads the homed prefixes and starts the periodic flush and refresh. */
  async start(): Promise<void> {
    try {
      await this.refreshPrefixes();
    } catch (error) {
      // Until a refresh succeeds everything is counted under '-'; the timer below retries.
      this.logger.warn(`cannot load the homed prefixes yet: ${(error as Error).message}`);
    }
    this.flushTimer ??= setInterval(() => this.flushOnTimer(), this.flushIntervalMs).unref();
    this.refreshTimer ??= setInterval(() => this.refreshOnTimer(), this.prefixRefreshIntervalMs).unref();
  }

  /** Stops the timers and writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.refreshTimer);
    this.flushTimer = undefined;
    this.refreshTimer = undefined;
    try {
      await this.flush();
    } catch (error) {
      const { unflushedCells } = this.health();
      this.logger.error(`statistics of ${unflushedCells} prefix-minutes could not be written at shutdown: ${(error as Error).message}`);
    }
  }

  private flushOnTimer(): void {
    this.flush().then(
      () => {
        if (this.failing) this.logger.log('statistics flushing works again');
        this.failing = false;
      },
      (error: unknown) => {
        // Logged once per outage; the counts stay in memory and the next tick retries.
        if (!this.failing) this.logger.warn(`statistics flush failed, counts kept for the next attempt: ${(error as Error).message}`);
        this.failing = true;
      },
    );
  }

  private refreshOnTimer(): void {
    this.refreshPrefixes().catch((error: unknown) => this.logger.warn(`refreshing the homed prefixes failed: ${(error as Error).message}`));
  }
}

function rowsOf(drained: Map<number, MinuteCells>): UsageCountRows {
  const rows: UsageCountRows = { prefixKeys: [], minutes: [], kinds: [], outcomes: [], counts: [] };
  for (const [minute, cells] of drained) {
    for (const [prefixKey, counts] of cells) {
      for (let slot = 0; slot < SLOT_COUNT; slot += 1) {
        if (counts[slot] === 0) continue;
        rows.prefixKeys.push(prefixKey);
        rows.minutes.push(minute);
        rows.kinds.push(SLOT_KIND[slot] as UsageKind);
        rows.outcomes.push(SLOT_OUTCOME[slot]);
        rows.counts.push(counts[slot]);
      }
    }
  }
  return rows;
}
