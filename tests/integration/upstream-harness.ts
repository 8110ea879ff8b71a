import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTopLevelApp, type RunningTopLevel } from '../../apps/top-level-node/src/bootstrap';
import { loadTopLevelConfig } from '../../apps/top-level-node/src/config/top-level-config';
import { createNodeApp } from '../../apps/secondary-node/src/bootstrap';
import { loadAppConfig } from '../../apps/secondary-node/src/app-config';
import { type HttpReply, request } from '../support/http';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';

export const ENROLMENT_TOKEN = 'integration-enrolment-token-0123';

/** Fast link timings for tests: the defaults (30 s heartbeats, 60 s reports) would make every wait long. */
export const FAST_LINK_ENV = {
  // Listening on a free port, and announcing that address to the top level (no PUBLIC_URL).
  PORT: '0',
  UPSTREAM_POLL_INTERVAL_MS: '100',
  UPSTREAM_HEARTBEAT_INTERVAL_MS: '200',
  UPSTREAM_REPORT_INTERVAL_MS: '3600000',
  UPSTREAM_RETRY_BASE_MS: '100',
  UPSTREAM_RETRY_MAX_MS: '400',
  TOP_LEVEL_CALL_TIMEOUT_MS: '2000',
};

/** Engineer A's top-level node, in-process on free ports and its own database. */
export class TopLevelUnderTest {
  private constructor(
    readonly running: RunningTopLevel,
    readonly db: TestDatabase,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<TopLevelUnderTest> {
    const db = await createTestDatabase('toplevel');
    const config = loadTopLevelConfig({
      DATABASE_URL: db.url,
      ENROLMENT_TOKEN,
      TOP_LEVEL_GRPC_PORT: '0',
      TOP_LEVEL_HTTP_PORT: '0',
      FILING_REVIEW: 'manual',
      LOG_LEVEL: 'error',
      ...env,
    });
    return new TopLevelUnderTest(await createTopLevelApp(config), db);
  }

  get grpc(): string {
    return this.running.grpcAddress;
  }

  /** The top level's HTTP API; follows redirects, and a reply that is not JSON is an error. */
  http<T = any>(method: string, path: string, body?: unknown): Promise<HttpReply<T>> {
    return request<T>(this.running.httpUrl, method, path, { body, redirect: 'follow', requireJson: true });
  }

  async simulate(knobs: { down?: boolean; errorRate?: number; latencyMs?: number }): Promise<void> {
    const reply = await this.http('PUT', '/api/v1/simulation', knobs);
    if (reply.status !== 200) throw new Error(`simulation change refused: ${reply.status} ${JSON.stringify(reply.body)}`);
  }

  async stop(): Promise<void> {
    await this.running.close();
    await this.db.drop();
  }
}

/** A secondary node on a given database (so a test can restart it on the same one), linked to a top level. */
export async function startLinkedNode(databaseUrl: string, env: Record<string, string>): Promise<{ app: NestFastifyApplication; baseUrl: string }> {
  const config = loadAppConfig({ DATABASE_URL: databaseUrl, OPERATOR_PASSWORD, JWT_SECRET, LOG_LEVEL: 'error', ENROLMENT_TOKEN, ...FAST_LINK_ENV, ...env });
  const app = await createNodeApp(config, databaseUrl);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, baseUrl: `http://127.0.0.1:${port}` };
}
