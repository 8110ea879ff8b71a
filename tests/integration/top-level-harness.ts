import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, TOP_LEVEL_PROTO_FILES, methodPath, protoRoot, signCall } from '@idis/contracts';
import { createTopLevelApp, type RunningTopLevel } from '../../apps/top-level-node/src/bootstrap';
import { loadTopLevelConfig } from '../../apps/top-level-node/src/config/top-level-config';
import { type HttpReply, request, type RequestOptions } from '../support/http';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

export const ENROLMENT_TOKEN = 'enrolment-token-0123456789';

export type ServiceName = 'NodeEnrolment' | 'PrefixFiling' | 'PrefixResolution' | 'Reporting';

export interface Credentials {
  nodeId: string;
  keyId: string;
  secret: string;
}

export interface CallError extends Error {
  code: grpc.status;
  details: string;
}

/** A credit code of the right shape and check character (GB 32100-2015). */
export const GOOD_CREDIT_CODE = '91350100M000100Y43';

export function enterprise(orgName = 'Huangshi Tools Co.', creditCode = GOOD_CREDIT_CODE) {
  return { orgName, creditCode, contactName: 'Li Lei', contactPhone: '13800000000', contactEmail: 'li@example.com' };
}

const definition = protoLoader.loadSync(
  TOP_LEVEL_PROTO_FILES.map((file) => join(protoRoot(), file)),
  { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] },
);
const v1 = (grpc.loadPackageDefinition(definition) as any).idis.toplevel.v1;

/** A real grpc-js client of every top-level service, on one channel. */
export class TopLevelClient {
  private readonly clients: Record<ServiceName, grpc.Client>;

  constructor(address: string) {
    const credentials = grpc.credentials.createInsecure();
    const enrolment = new v1.NodeEnrolment(address, credentials);
    const channelOverride = enrolment.getChannel();
    this.clients = {
      NodeEnrolment: enrolment,
      PrefixFiling: new v1.PrefixFiling(address, credentials, { channelOverride }),
      PrefixResolution: new v1.PrefixResolution(address, credentials, { channelOverride }),
      Reporting: new v1.Reporting(address, credentials, { channelOverride }),
    };
  }

  /** One unary call; rejects with the gRPC status error. */
  call<T = any>(service: ServiceName, method: string, request: unknown, headers: Record<string, string> = {}): Promise<T> {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    const client = this.clients[service] as any;
    const name = method.charAt(0).toLowerCase() + method.slice(1);
    return new Promise((resolve, reject) => {
      client[name](request, metadata, { deadline: Date.now() + 20_000 }, (error: grpc.ServiceError | null, reply: T) => (error ? reject(error) : resolve(reply)));
    });
  }

  /** A call signed with the node's credentials (fresh nonce, current time). */
  signed<T = any>(credentials: Credentials, service: ServiceName, method: string, request: unknown, now = Date.now()): Promise<T> {
    return this.call<T>(service, method, request, signCall(credentials, methodPath(service, method), request, now));
  }

  async enrol(nodeId: string, prefix: string, endpoints: Array<{ kind: string; url: string }> = []): Promise<Credentials> {
    const reply = await this.call('NodeEnrolment', 'Enrol', { enrolmentToken: ENROLMENT_TOKEN, nodeId, requestedPrefix: prefix, endpoints, softwareVersion: 'test' });
    return { nodeId: reply.nodeId, keyId: reply.credentials.keyId, secret: reply.credentials.secret };
  }

  close(): void {
    for (const client of Object.values(this.clients)) client.close();
  }
}

/** The rejection of a call, for assertions on its status code. */
export async function failureOf(promise: Promise<unknown>): Promise<CallError> {
  try {
    await promise;
  } catch (error) {
    return error as CallError;
  }
  throw new Error('the call succeeded but was expected to fail');
}

/** The top-level node in-process on its own fresh database, on free gRPC and HTTP ports. */
export class TopLevelHarness {
  private constructor(
    public running: RunningTopLevel,
    readonly db: TestDatabase,
    public client: TopLevelClient,
    private readonly env: Record<string, string>,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<TopLevelHarness> {
    const db = await createTestDatabase('toplevel');
    const fullEnv = { ...baseEnv(db.url), ...env };
    const running = await createTopLevelApp(loadTopLevelConfig(fullEnv));
    return new TopLevelHarness(running, db, new TopLevelClient(running.grpcAddress), fullEnv);
  }

  get httpUrl(): string {
    return this.running.httpUrl;
  }

  /** Stops the app and starts it again on the same database (new ports). */
  async restart(env: Record<string, string> = {}): Promise<void> {
    this.client.close();
    await this.running.close();
    this.running = await createTopLevelApp(loadTopLevelConfig({ ...this.env, ...env }));
    this.client = new TopLevelClient(this.running.grpcAddress);
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.running.close();
    await this.db.drop();
  }

  http(method: string, path: string, options: Pick<RequestOptions, 'body' | 'token' | 'headers'> = {}): Promise<HttpReply> {
    return request(this.httpUrl, method, path, options);
  }
}

function baseEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ENROLMENT_TOKEN,
    TOP_LEVEL_GRPC_PORT: '0',
    TOP_LEVEL_HTTP_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
  };
}
