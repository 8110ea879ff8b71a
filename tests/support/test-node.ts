import { creditCodeCheckCharacter } from '@idis/identifier';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createNodeApp } from '../../apps/secondary-node/src/bootstrap';
import { loadAppConfig } from '../../apps/secondary-node/src/app-config';
import { HandleProtocolServer } from '../../apps/secondary-node/src/handle-protocol/handle-protocol.server';
import { type HttpReply, request, type RequestOptions } from './http';
import { createTestDatabase, databaseFingerprint, type TestDatabase } from './test-database';

export type { HttpReply, RequestOptions } from './http';

export const OPERATOR_PASSWORD = 'operator-secret-1';
export const JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';

/** A secondary node on its own fresh database, listening on a random loopback port. */
export class TestNode {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly db: TestDatabase,
    readonly baseUrl: string,
    /** Port of the Handle protocol listeners (UDP and TCP), when the env set HANDLE_PROTOCOL_PORT. */
    readonly handlePort?: number,
  ) {}

  /** `deferHandleProtocol`: leave the Handle protocol listeners unbound even with HANDLE_PROTOCOL_PORT set (the test binds them later). */
  static async start(env: Record<string, string> = {}, options: { deferHandleProtocol?: boolean } = {}): Promise<TestNode> {
    const db = await createTestDatabase();
    const config = loadAppConfig({
      DATABASE_URL: db.url,
      OPERATOR_PASSWORD,
      JWT_SECRET,
      LOG_LEVEL: 'error',
      SECONDARY_PREFIX: '88.118',
      // Suites log in and resolve far faster than the default limits allow; rate-limit suites turn them on.
      RATE_LIMITS_ENABLED: 'false',
      ...env,
    });
    const app = await createNodeApp(config, db.url);
    await app.listen(0, '127.0.0.1');
    // EPCIS ingestion over MQTT, when the env enables it (MQTT_URL); a no-op otherwise.
    await app.startAllMicroservices();
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : 0;
    // Like app.listen, the Handle protocol listeners bind only when asked (no suite shares 2641).
    const handle = env.HANDLE_PROTOCOL_PORT !== undefined && !options.deferHandleProtocol ? await app.get(HandleProtocolServer).listen() : undefined;
    return new TestNode(app, db, `http://127.0.0.1:${port}`, handle?.port);
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.db.drop();
  }

  request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<HttpReply<T>> {
    return request<T>(this.baseUrl, method, path, options);
  }

  /** Sends a request that must be refused and asserts that it changed nothing in the database. */
  refused<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<HttpReply<T>> {
    return this.unchangedBy(() => this.request<T>(method, path, options));
  }

  /** Runs `send` and asserts that every table holds exactly what it held before. */
  async unchangedBy<T>(send: () => Promise<T>): Promise<T> {
    const before = await databaseFingerprint(this.db.client);
    const result = await send();
    expect(await databaseFingerprint(this.db.client)).toEqual(before);
    return result;
  }

  async token(username: string, password: string): Promise<string> {
    const reply = await this.request('POST', '/api/v1/auth/token', { body: { username, password } });
    if (reply.status !== 200) throw new Error(`login of ${username} failed: ${reply.status} ${reply.text}`);
    return reply.body.accessToken as string;
  }

  operatorToken(): Promise<string> {
    return this.token('operator', OPERATOR_PASSWORD);
  }

  /** Applies for `prefix`, has the operator approve it, and logs the new enterprise in. */
  async approvedEnterprise(prefix: string, username: string, password = 'enterprise-pass-1'): Promise<EnterpriseFixture> {
    const application = await this.request('POST', '/api/v1/enterprises/applications', {
      body: applicationBody(prefix, username, password),
    });
    if (application.status !== 201) throw new Error(`application failed: ${application.status} ${application.text}`);
    const approved = await this.request('POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, {
      token: await this.operatorToken(),
    });
    if (approved.status !== 200) throw new Error(`approval failed: ${approved.status} ${approved.text}`);
    return { prefix, username, password, token: await this.token(username, password), enterpriseId: approved.body.enterpriseId, applicationId: application.body.id };
  }

  /** Creates an SNMS template with the given string items (all enabled). */
  async createTemplate(token: string, prefix: string, version: string, items: Array<{ idType: string; idIndex?: number; required?: boolean; maxLength?: number; minLength?: number }>) {
    const reply = await this.request('POST', '/snms/api/v5/template', {
      token,
      body: {
        prefix,
        version,
        industryCategory: 'C',
        industrySpecific: '38',
        industryTrade: '384',
        industrySubclass: '3841',
        type: 1,
        description: `template ${version}`,
        items: items.map((item) => ({
          name: `name-${item.idType}`,
          idType: item.idType,
          ...(item.idIndex !== undefined ? { idIndex: item.idIndex } : {}),
          required: item.required ?? false,
          metadata: { type: 'string', minLength: item.minLength ?? 0, maxLength: item.maxLength ?? 255 },
        })),
      },
    });
    if (reply.status !== 200) throw new Error(`template creation failed: ${reply.status} ${reply.text}`);
    return reply.body.data;
  }
}

export interface EnterpriseFixture {
  prefix: string;
  username: string;
  password: string;
  token: string;
  enterpriseId: string;
  applicationId: string;
}

let creditCounter = 0;

/** A unified social credit code with a correct GB 32100 check character, different on every call. */
export function validCreditCode(): string {
  creditCounter += 1;
  const serial = `${process.pid % 1000}${Date.now() % 100000}${creditCounter}`.padStart(9, '0').slice(-9).replace(/[IOZSV]/g, '0');
  const first17 = `91110108${serial}`;
  return `${first17}${creditCodeCheckCharacter(first17)}`;
}

export function applicationBody(prefix: string, username: string, password = 'enterprise-pass-1') {
  return {
    orgName: `Org of ${username}`,
    creditCode: validCreditCode(),
    contactName: 'Zhang San',
    contactPhone: '+86 27 8765 4321',
    contactEmail: `${username}@example.cn`,
    requestedPrefix: prefix,
    username,
    password,
  };
}

/** An SNMS refusal: the HTTP status, the SNMS status, `data: null` and a JSON message. */
export function expectSnmsRefusal(reply: HttpReply, httpStatus: number, snmsStatus: number, message?: RegExp): void {
  expect({ http: reply.status, status: reply.body?.status, data: reply.body?.data }).toEqual({ http: httpStatus, status: snmsStatus, data: null });
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(typeof reply.body.message).toBe('string');
  if (message) expect(reply.body.message).toMatch(message);
}
