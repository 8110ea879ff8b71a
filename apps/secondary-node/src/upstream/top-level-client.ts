import { type Client, credentials as channelCredentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  type AckRequest,
  type AckResponse,
  type CheckPrefixesRequest,
  type CheckPrefixesResponse,
  type CreateFilingRequest,
  type DeleteFilingRequest,
  type EnrolRequest,
  type EnrolResponse,
  type Filing,
  type FilingInfoRequest,
  type FilingReceipt,
  type HeartbeatAck,
  type HeartbeatRequest,
  methodPath,
  type PollResponse,
  PROTO_LOADER_OPTIONS,
  protoRoot,
  type ReportAck,
  type ResolvePrefixRequest,
  type ResolvePrefixResponse,
  signCall,
  type StatisticsReport,
  TOP_LEVEL_PROTO_FILES,
  type UpdateFilingRequest,
} from '@idis/contracts';

/** What signs a call: the node id and the credentials issued at enrolment. */
export interface SigningCredentials {
  nodeId: string;
  keyId: string;
  secret: string;
}

type ServiceName = 'NodeEnrolment' | 'PrefixFiling' | 'PrefixResolution' | 'Reporting';
type UnaryMethod = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, reply: unknown) => void) => void;

let packageCache: Record<ServiceName, new (target: string, credentials: ReturnType<typeof channelCredentials.createInsecure>, options?: object) => Client> | undefined;

function serviceConstructors() {
  if (!packageCache) {
    const definition = loadSync(TOP_LEVEL_PROTO_FILES, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const loaded = loadPackageDefinition(definition) as unknown as { idis: { toplevel: { v1: Record<ServiceName, never> } } };
    packageCache = loaded.idis.toplevel.v1;
  }
  return packageCache;
}

/**
 * The gRPC client of the top-level node (raw grpc-js on the shared contracts: promises, a deadline
 * per call, signed metadata on every call but Enrol). One channel per service client, reused.
 */
export class TopLevelClient {
  private readonly clients = new Map<ServiceName, Client>();

  constructor(
    readonly target: string,
    private readonly timeoutMs: number,
  ) {}

  enrol(request: EnrolRequest): Promise<EnrolResponse> {
    return this.call('NodeEnrolment', 'Enrol', request, undefined);
  }

  /** EPP check: whether each prefix may be filed by this node (and if not, why). `timeoutMs` overrides the call deadline. */
  checkPrefixes(request: CheckPrefixesRequest, credentials: SigningCredentials, timeoutMs?: number): Promise<CheckPrefixesResponse> {
    return this.call('PrefixFiling', 'Check', request, credentials, timeoutMs);
  }

  /** EPP info: the filing of one prefix under this node's secondary prefix (NOT_FOUND when there is none). */
  filingInfo(request: FilingInfoRequest, credentials: SigningCredentials, timeoutMs?: number): Promise<Filing> {
    return this.call('PrefixFiling', 'Info', request, credentials, timeoutMs);
  }

  createFiling(request: CreateFilingRequest, credentials: SigningCredentials): Promise<FilingReceipt> {
    return this.call('PrefixFiling', 'Create', request, credentials);
  }

  updateFiling(request: UpdateFilingRequest, credentials: SigningCredentials): Promise<FilingReceipt> {
    return this.call('PrefixFiling', 'Update', request, credentials);
  }

  deleteFiling(request: DeleteFilingRequest, credentials: SigningCredentials): Promise<FilingReceipt> {
    return this.call('PrefixFiling', 'Delete', request, credentials);
  }

  poll(credentials: SigningCredentials): Promise<PollResponse> {
    return this.call('PrefixFiling', 'Poll', {}, credentials);
  }

  ack(request: AckRequest, credentials: SigningCredentials): Promise<AckResponse> {
    return this.call('PrefixFiling', 'Ack', request, credentials);
  }

  resolvePrefix(request: ResolvePrefixRequest, credentials: SigningCredentials): Promise<ResolvePrefixResponse> {
    return this.call('PrefixResolution', 'Resolve', request, credentials);
  }

  reportStatistics(request: StatisticsReport, credentials: SigningCredentials): Promise<ReportAck> {
    return this.call('Reporting', 'ReportStatistics', request, credentials);
  }

  heartbeat(request: HeartbeatRequest, credentials: SigningCredentials): Promise<HeartbeatAck> {
    return this.call('Reporting', 'Heartbeat', request, credentials);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private call<T>(service: ServiceName, method: string, request: object, credentials: SigningCredentials | undefined, timeoutMs = this.timeoutMs): Promise<T> {
    const client = this.clientFor(service);
    const metadata = new Metadata();
    if (credentials) {
      for (const [key, value] of Object.entries(signCall(credentials, methodPath(service, method), request))) metadata.set(key, value);
    }
    const unary = (client as unknown as Record<string, UnaryMethod>)[method].bind(client);
    return new Promise<T>((resolve, reject) => {
      unary(request, metadata, { deadline: Date.now() + timeoutMs }, (error, reply) => (error ? reject(error) : resolve(reply as T)));
    });
  }

  private clientFor(service: ServiceName): Client {
    let client = this.clients.get(service);
    if (!client) {
      const Constructor = serviceConstructors()[service];
      client = new Constructor(this.target, channelCredentials.createInsecure(), {
        // Reconnect quickly after the top level comes back (the default backoff grows to 120 s).
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 2000,
      });
      this.clients.set(service, client);
    }
    return client;
  }
}
