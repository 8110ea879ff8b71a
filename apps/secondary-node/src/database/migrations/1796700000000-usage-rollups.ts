import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Resolutions per front door, and hourly and daily roll-ups of usage_counts so that 30-day and
 * 12-month series stay fast with a year of per-minute counters.
 *
 * - usage_counts accepts kind 'door' (outcomes handle_rest, snms, proxy, cross_node, handle): the
 *   same resolutions as kind 'resolution', counted by the door they came through.
 * - usage_counts_hourly (UTC hours) and usage_counts_daily (calendar days of the zone in
 *   usage_rollup_settings, STATS_TIME_ZONE) are kept by statement-level triggers on usage_counts:
 *   an insert adds its rows, an update (the flush's additive upsert) adds new − old, a delete
 *   subtracts. Whoever writes usage_counts (a flush, a test, a repair) keeps the roll-ups right,
 *   in the same transaction. Each (period, kind, outcome) also has a row under prefix_key '*', the
 *   sum over every prefix_key, so node-wide series read one row per point and outcome.
 * - usage_rollup_rebuild(zone) recomputes both from usage_counts under a lock that holds writers
 *   back: the backfill here, and what a node runs when STATS_TIME_ZONE changed.
 */
export class UsageRollups1796700000000 implements MigrationInterface {
  name = 'UsageRollups1796700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "usage_counts" DROP CONSTRAINT "ck_usage_counts_outcome"`);
    await queryRunner.query(`ALTER TABLE "usage_counts" ADD CONSTRAINT "ck_usage_counts_outcome" CHECK (${OUTCOME_CHECK_WITH_DOORS})`);
    await queryRunner.query(
      `CREATE TABLE "usage_counts_hourly" ("prefix_key" character varying(64) COLLATE "C" NOT NULL, "hour" TIMESTAMP WITH TIME ZONE NOT NULL, "kind" character varying(16) NOT NULL, "outcome" character varying(16) NOT NULL, "count" bigint NOT NULL, ` +
        `CONSTRAINT "ck_usage_counts_hourly_count" CHECK ("count" >= 0), CONSTRAINT "pk_usage_counts_hourly" PRIMARY KEY ("prefix_key", "hour", "kind", "outcome"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "usage_counts_daily" ("prefix_key" character varying(64) COLLATE "C" NOT NULL, "day" date NOT NULL, "kind" character varying(16) NOT NULL, "outcome" character varying(16) NOT NULL, "count" bigint NOT NULL, ` +
        `CONSTRAINT "ck_usage_counts_daily_count" CHECK ("count" >= 0), CONSTRAINT "pk_usage_counts_daily" PRIMARY KEY ("prefix_key", "day", "kind", "outcome"))`,
    );
    // A month across all prefixes (top prefixes of the month).
    await queryRunner.query(`CREATE INDEX "ix_usage_counts_daily_kind_day" ON "usage_counts_daily" ("kind", "day") `);
    await queryRunner.query(
      `CREATE TABLE "usage_rollup_settings" ("id" smallint NOT NULL, "time_zone" character varying(64) NOT NULL, CONSTRAINT "ck_usage_rollup_settings_single" CHECK ("id" = 1), CONSTRAINT "pk_usage_rollup_settings" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`INSERT INTO "usage_rollup_settings" ("id", "time_zone") VALUES (1, 'Asia/Shanghai')`);

    await queryRunner.query(`
      CREATE FUNCTION usage_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
      DECLARE
        zone text := (SELECT time_zone FROM usage_rollup_settings WHERE id = 1);
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${addToRollups(`SELECT prefix_key, minute, kind, outcome, count AS delta FROM added`)}
        ELSIF TG_OP = 'UPDATE' THEN
          ${addToRollups(
            `SELECT n.prefix_key, n.minute, n.kind, n.outcome, n.count - o.count AS delta
               FROM after_update n JOIN before_update o USING (prefix_key, minute, kind, outcome)`,
          )}
        ELSE
          ${addToRollups(`SELECT prefix_key, minute, kind, outcome, -count AS delta FROM removed`)}
        END IF;
        RETURN NULL;
      END
      $fn$`);
    await queryRunner.query(`CREATE TRIGGER usage_rollup_insert AFTER INSERT ON usage_counts REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION usage_rollup_apply()`);
    await queryRunner.query(
      `CREATE TRIGGER usage_rollup_update AFTER UPDATE ON usage_counts REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update FOR EACH STATEMENT EXECUTE FUNCTION usage_rollup_apply()`,
    );
    await queryRunner.query(`CREATE TRIGGER usage_rollup_delete AFTER DELETE ON usage_counts REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION usage_rollup_apply()`);
    // A TRUNCATE fires no row-set trigger: it would leave the roll-ups behind, so it empties them too.
    await queryRunner.query(`
      CREATE FUNCTION usage_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        TRUNCATE usage_counts_hourly, usage_counts_daily;
        RETURN NULL;
      END
      $fn$`);
    await queryRunner.query(`CREATE TRIGGER usage_rollup_truncate AFTER TRUNCATE ON usage_counts FOR EACH STATEMENT EXECUTE FUNCTION usage_rollup_truncate()`);

    await queryRunner.query(`
      CREATE FUNCTION usage_rollup_rebuild(new_zone text) RETURNS void LANGUAGE plpgsql AS $fn$
      BEGIN
        -- Holds flushes back (they wait, then add to the rebuilt roll-ups); reads go on.
        LOCK TABLE usage_counts IN SHARE ROW EXCLUSIVE MODE;
        UPDATE usage_rollup_settings SET time_zone = new_zone WHERE id = 1;
        DELETE FROM usage_counts_hourly;
        DELETE FROM usage_counts_daily;
        ${addToRollups(`SELECT prefix_key, minute, kind, outcome, count AS delta FROM usage_counts`, 'new_zone')}
      END
      $fn$`);
    await queryRunner.query(`SELECT usage_rollup_rebuild('Asia/Shanghai')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER usage_rollup_truncate ON usage_counts`);
    await queryRunner.query(`DROP TRIGGER usage_rollup_delete ON usage_counts`);
    await queryRunner.query(`DROP TRIGGER usage_rollup_update ON usage_counts`);
    await queryRunner.query(`DROP TRIGGER usage_rollup_insert ON usage_counts`);
    await queryRunner.query(`DROP FUNCTION usage_rollup_rebuild(text)`);
    await queryRunner.query(`DROP FUNCTION usage_rollup_truncate()`);
    await queryRunner.query(`DROP FUNCTION usage_rollup_apply()`);
    await queryRunner.query(`DROP TABLE "usage_rollup_settings"`);
    await queryRunner.query(`DROP TABLE "usage_counts_daily"`);
    await queryRunner.query(`DROP TABLE "usage_counts_hourly"`);
    await queryRunner.query(`DELETE FROM "usage_counts" WHERE "kind" = 'door'`);
    await queryRunner.query(`ALTER TABLE "usage_counts" DROP CONSTRAINT "ck_usage_counts_outcome"`);
    await queryRunner.query(
      `ALTER TABLE "usage_counts" ADD CONSTRAINT "ck_usage_counts_outcome" CHECK (("kind" = 'resolution' AND "outcome" IN ('l1', 'l2', 'db', 'not_found', 'error')) OR ("kind" = 'registration' AND "outcome" IN ('create', 'update', 'delete')))`,
    );
  }
}

const OUTCOME_CHECK_WITH_DOORS =
  `("kind" = 'resolution' AND "outcome" IN ('l1', 'l2', 'db', 'not_found', 'error')) OR ("kind" = 'registration' AND "outcome" IN ('create', 'update', 'delete')) ` +
  `OR ("kind" = 'door' AND "outcome" IN ('handle_rest', 'snms', 'proxy', 'cross_node', 'handle'))`;

/**
 * Adds the deltas of `deltas` (prefix_key, minute, kind, outcome, delta) to the hour and the day
 * of each minute, under its prefix_key and under '*'. Increases are upserted with rows locked in
 * key order (ORDER BY), so concurrent flushes of several replicas cannot deadlock on the shared
 * '*' rows; decreases (an update that lowers a count, a delete) update rows that exist already
 * (an INSERT … ON CONFLICT would check the negative row against ck_…_count before the conflict).
 */
function addToRollups(deltas: string, zone = 'zone'): string {
  const statements = (table: string, period: string, bucket: string) => {
    const grouped = (having: string) => `
          SELECT k.prefix_key, ${bucket} AS period, d.kind, d.outcome, sum(d.delta) AS delta
            FROM (${deltas}) d CROSS JOIN LATERAL (VALUES (d.prefix_key), ('*')) AS k(prefix_key)
           GROUP BY 1, 2, 3, 4
          HAVING sum(d.delta) ${having} 0`;
    return `
        INSERT INTO ${table} AS t (prefix_key, ${period}, kind, outcome, count)
        SELECT * FROM (${grouped('>')}) g ORDER BY 1, 2, 3, 4
        ON CONFLICT (prefix_key, ${period}, kind, outcome) DO UPDATE SET count = t.count + EXCLUDED.count;
        UPDATE ${table} AS t SET count = t.count + g.delta FROM (${grouped('<')}) g
         WHERE t.prefix_key = g.prefix_key AND t.${period} = g.period AND t.kind = g.kind AND t.outcome = g.outcome;`;
  };
  return statements('usage_counts_hourly', 'hour', `date_trunc('hour', d.minute, 'UTC')`) + statements('usage_counts_daily', 'day', `(d.minute AT TIME ZONE ${zone})::date`);
}
