import * as grpc from '@grpc/grpc-js';
import {
  AckRequest,
  CheckPrefixesRequest,
  CreateFilingRequest,
  DeleteFilingRequest,
  EnrolRequest,
  FilingInfoRequest,
  HeartbeatRequest,
  NodeEnrolmentService,
  PollRequest,
  PrefixFilingService,
  PrefixResolutionService,
  ReportingService,
  ResolvePrefixRequest,
  signCall,
  StatisticsReport,
  topLevelChannelOptions,
  UpdateFilingRequest,
} from '@idis/contracts';
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

/** One method as the specs name it: its generated definition and request type. */
interface UnaryMethod {
  path: string;
  /** Specs send partial and malformed requests on purpose: missing fields take their defaults. */
  serialize(request: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

function unary<Request, Response>(
  definition: { path: string; responseDeserialize(bytes: Buffer): Response },
  requestType: { fromPartial(object: never): Request; encode(message: Request): { finish(): Uint8Array } },
): UnaryMethod {
  return {
    path: definition.path,
    serialize: (request) => Buffer.from(requestType.encode(requestType.fromPartial((request ?? {}) as never)).finish()),
    deserialize: (bytes) => definition.responseDeserialize(bytes),
  };
}

const METHODS: Record<ServiceName, Record<string, UnaryMethod>> = {
  NodeEnrolment: { Enrol: unary(NodeEnrolmentService.enrol, EnrolRequest) },
  PrefixFiling: {
    Check: unary(PrefixFilingService.check, CheckPrefixesRequest),
    Create: unary(PrefixFilingService.create, CreateFilingRequest),
    Update: unary(PrefixFilingService.update, UpdateFilingRequest),
    Delete: unary(PrefixFilingService.delete, DeleteFilingRequest),
    Info: unary(PrefixFilingService.info, FilingInfoRequest),
    Poll: unary(PrefixFilingService.poll, PollRequest),
    Ack: unary(PrefixFilingService.ack, AckRequest),
  },
  PrefixResolution: { Resolve: unary(PrefixResolutionService.resolve, ResolvePrefixRequest) },
  Reporting: {
    ReportStatistics: unary(ReportingService.reportStatistics, StatisticsReport),
    Heartbeat: unary(ReportingService.heartbeat, HeartbeatRequest),
  },
};

/** A real grpc-js client of every top-level service (the generated definitions), on one channel. */
export class TopLevelClient {
  private readonly client: grpc.Client;

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), topLevelChannelOptions());
  }

  private method(service: ServiceName, method: string): UnaryMethod {
    const found = METHODS[service][method];
    if (!found) throw new Error(`${service}/${method} is not a method of the top-level node`);
    return found;
  }

  /** One unary call; rejects with the gRPC status error. */
  call<T = any>(service: ServiceName, method: string, request: unknown, headers: Record<string, string> = {}): Promise<T> {
    const { path, serialize, deserialize } = this.method(service, method);
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, serialize, deserialize, request, metadata, { deadline: Date.now() + 20_000 }, (error, reply) =>
        error ? reject(error) : resolve(reply as T),
      );
    });
  }

  /** A call signed with the node's credentials (fresh nonce, current time). */
  signed<T = any>(credentials: Credentials, service: ServiceName, method: string, request: unknown, now = Date.now()): Promise<T> {
    return this.call<T>(service, method, request, signCall(credentials, this.method(service, method).path, request, now));
  }

  async enrol(nodeId: string, prefix: string, endpoints: Array<{ kind: string; url: string }> = []): Promise<Credentials> {
    const reply = await this.call('NodeEnrolment', 'Enrol', { enrolmentToken: ENROLMENT_TOKEN, nodeId, requestedPrefix: prefix, endpoints, softwareVersion: 'test' });
    return { nodeId: reply.nodeId, keyId: reply.credentials.keyId, secret: reply.credentials.secret };
  }

  close(): void {
    this.client.close();
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
