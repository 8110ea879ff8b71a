import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { endClient, ingestionEnv, publish, testClient } from '../integration/ingestion-harness';
import { NodeProcess } from '../support/node-process';
import { request } from '../support/http';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import type { Principals } from './arbitraries';

/**
 * Tables a refused request may legitimately change: counters and records OF the refusal (rejected
 * MQTT messages, failed logins, the audit log's rows of refusals), and usage counters (and their roll-ups) flushed in the
 * background. Every other table must be byte for byte what it was.
 */
const UNCHECKED_TABLES = new Set(['usage_counts', 'usage_counts_hourly', 'usage_counts_daily', 'ingestion_counters', 'epcis_rejects', 'login_throttle', 'login_failures', 'audit_log', 'audit_chain_head', 'audit_checkpoints', 'migrations', 'typeorm_metadata']);

/** A real node process on a scratch database and the shared Redis and Mosquitto, with two enterprises and an operator. */
export class FuzzTarget {
  private checkedTables: string[] = [];

  private constructor(
    readonly node: NodeProcess,
    readonly db: TestDatabase,
    readonly baseUrl: string,
    readonly principals: Principals,
    readonly topicRoot: string,
    private readonly publisher: MqttClient,
  ) {}

  static async start(extraEnv: Record<string, string> = {}): Promise<FuzzTarget> {
    const db = await createTestDatabase('fuzz');
    const ingestion = ingestionEnv('fuzz');
    const node = NodeProcess.spawn({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `fuzz-${randomBytes(4).toString('hex')}:`,
      OPERATOR_PASSWORD,
      JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ID: `fuzz-${randomBytes(3).toString('hex')}`,
      ...ingestion,
      ...extraEnv,
    });
    try {
      const baseUrl = await node.ready();
      const call = async (method: string, path: string, body?: unknown, token?: string) => {
        const reply = await request(baseUrl, method, path, { body, token });
        if (reply.status >= 300) throw new Error(`fuzz set-up: ${method} ${path} answered ${reply.status} ${reply.text}`);
        return reply.body;
      };
      const operatorToken = (await call('POST', '/api/v1/auth/token', { username: 'operator', password: OPERATOR_PASSWORD })).accessToken as string;
      const enterprise = async (prefix: string, username: string) => {
        const application = await call('POST', '/api/v1/enterprises/applications', applicationBody(prefix, username));
        await call('POST', `/api/v1/enterprises/applications/${application.id}/approve`, undefined, operatorToken);
        const token = (await call('POST', '/api/v1/auth/token', { username, password: 'enterprise-pass-1' })).accessToken as string;
        await call('POST', '/snms/api/v5/template', template(prefix), token);
        for (let i = 1; i <= 3; i += 1) await call('PUT', `/api/handles/${prefix}/seed-${i}`, [{ index: 1, type: 'URL', data: { format: 'string', value: `https://${username}.example.cn/${i}` } }], token);
        return { prefix, token };
      };
      const principals: Principals = { own: await enterprise('88.118.8', 'fuzz-acme'), other: await enterprise('88.118.9', 'fuzz-bolt'), operatorToken };
      const publisher = await testClient();
      const target = new FuzzTarget(node, db, baseUrl, principals, ingestion.MQTT_TOPIC_ROOT, publisher);
      await target.listTables();
      return target;
    } catch (error) {
      await node.stop();
      await db.drop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await endClient(this.publisher);
    await this.node.stop();
    await this.db.drop();
  }

  /** Publishes on the enterprise's events topic; resolves at the broker's PUBACK (the node consumes it afterwards). */
  publishEvents(prefix: string, payload: Buffer): Promise<void> {
    return publish(this.publisher, `${this.topicRoot}/${prefix}/events`, payload, 1);
  }

  /** One digest over every checked table (rows in a stable order). */
  async fingerprint(): Promise<string> {
    const parts = this.checkedTables.map((t) => `SELECT '${t}' AS t, count(*)::text || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS d FROM "${t}" x`);
    const rows = await this.db.client.query<{ t: string; d: string }>(parts.join(' UNION ALL '));
    return rows.rows.map((r) => `${r.t}=${r.d}`).join(' ');
  }

  /**
   * Messages the node has acknowledged since it started (it acknowledges once a message is stored
   * or rejected), and messages rejected in total (the ingestion counters).
   */
  async ingestionTotals(): Promise<{ rejected: number; acknowledged: number }> {
    const reply = await request(this.baseUrl, 'GET', '/api/v1/ingestion/status', { token: this.principals.operatorToken });
    if (reply.status !== 200) throw new Error(`ingestion status: ${reply.status} ${reply.text}`);
    return { rejected: Number(reply.body.rejectedTotal), acknowledged: Number(reply.body.acknowledgedSinceStart) };
  }

  private async listTables(): Promise<void> {
    const rows = await this.db.client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name");
    this.checkedTables = rows.rows.map((r) => r.table_name).filter((t) => !UNCHECKED_TABLES.has(t));
  }
}

function template(prefix: string) {
  return {
    prefix,
    version: '1.0',
    industryCategory: 'C',
    industrySpecific: '38',
    industryTrade: '384',
    industrySubclass: '3841',
    type: 1,
    items: [{ name: '产品名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 20 } }],
  };
}
