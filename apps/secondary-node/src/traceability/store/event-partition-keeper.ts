import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PeriodicTask } from '@idis/runtime';
import { DataSource, type EntityManager } from 'typeorm';
import { EVENT_PARTITION_SCHEMA, EVENTS_DEFAULT_PARTITION, monthBounds, type MonthPartition, monthsAhead } from './event-partitions';

/** How often a replica checks that the coming months have their partitions. */
const UPKEEP_INTERVAL_MS = 60 * 60 * 1000;

/** Creating partitions waits at most this long for the locks (a long read on the events); the next tick retries. */
const UPKEEP_LOCK_TIMEOUT = '2s';

/**
 * Keeps epcis_events (PARTITION BY RANGE (record_time), migration EventsByRecordTime1797300000000)
 * partitioned ahead of time: at start and every hour, the current month and the next two get their
 * partition if they have none. Every replica runs it; a transaction-scoped advisory lock makes them
 * take turns, and the one that comes second finds the partitions made.
 *
 * A new partition is made as a table of its own and then attached, which locks the events table
 * only against other DDL (SHARE UPDATE EXCLUSIVE): ingestion and reads go on. PostgreSQL refuses to
 * attach a range while the default partition holds rows of it, which happens only when the upkeep
 * had not run for months (or a row was written with a record time far ahead): those rows are moved
 * into the new partition in the same transaction first, and the move is logged.
 */
@Injectable()
export class EventPartitionKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventPartitions');
  private readonly task: PeriodicTask<string[]>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.task = new PeriodicTask(() => this.ensureAhead(), {
      intervalMs: UPKEEP_INTERVAL_MS,
      onError: (error) => this.logger.warn(`event partition upkeep failed, retrying at the next tick: ${(error as Error).message}`),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
    void this.task.runNow();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /**
   * Makes the partitions of the month of `at` (the database's clock when not given) and the
   * months ahead that have none yet; returns the names it created (none when all existed).
   */
  async ensureAhead(at?: Date): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const [{ now }]: Array<{ now: Date }> = await manager.query(`SELECT now() AS now, pg_advisory_xact_lock(hashtext('idis-epcis-event-partitions'))`);
      await manager.query(`SET LOCAL lock_timeout = '${UPKEEP_LOCK_TIMEOUT}'`);
      const existing = new Set(
        (
          await manager.query(
            `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE i.inhparent = 'public.epcis_events'::regclass AND n.nspname = $1`,
            [EVENT_PARTITION_SCHEMA],
          )
        ).map((row: { relname: string }) => row.relname),
      );
      const created: string[] = [];
      for (const month of monthsAhead(at ?? now)) {
        if (existing.has(month.name)) continue;
        await this.createMonth(manager, month);
        created.push(month.name);
      }
      if (created.length > 0) this.logger.log({ msg: 'event partitions created', partitions: created });
      return created;
    });
  }

  private async createMonth(manager: EntityManager, month: MonthPartition): Promise<void> {
    const table = `"${EVENT_PARTITION_SCHEMA}"."${month.name}"`;
    const fallback = `"${EVENT_PARTITION_SCHEMA}"."${EVENTS_DEFAULT_PARTITION}"`;
    const inRange = `record_time >= '${month.from}' AND record_time < '${month.to}'`;
    await manager.query(`CREATE TABLE ${table} (LIKE "epcis_events" INCLUDING DEFAULTS)`);
    const [{ n }]: Array<{ n: number }> = await manager.query(`SELECT count(*)::int AS n FROM ${fallback} WHERE ${inRange}`);
    if (n > 0) {
      // The rows keep their ids (epcis_event_ids) and edges: only the event rows change tables.
      await manager.query(`WITH moved AS (DELETE FROM ${fallback} WHERE ${inRange} RETURNING *) INSERT INTO ${table} SELECT * FROM moved`);
      this.logger.warn({ msg: 'events moved out of the default partition', partition: month.name, events: n });
    }
    await manager.query(`ALTER TABLE "epcis_events" ATTACH PARTITION ${table} ${monthBounds(month)}`);
  }
}
