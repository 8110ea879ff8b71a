import { type CallOptions, type Client, credentials as channelCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  AckRequest,
  type AckResponse,
  CheckPrefixesRequest,
  type CheckPrefixesResponse,
  CreateFilingRequest,
  DeleteFilingRequest,
  EnrolRequest,
  type EnrolResponse,
  type Filing,
  FilingInfoRequest,
  type FilingReceipt,
  type HeartbeatAck,
  HeartbeatRequest,
  NodeEnrolmentClient,
  NodeEnrolmentService,
  PollRequest,
  type PollResponse,
  PrefixFilingClient,
  PrefixFilingService,
  PrefixResolutionClient,
  PrefixResolutionService,
  type ReportAck,
  ReportingClient,
  ReportingService,
  ResolvePrefixRequest,
  type ResolvePrefixResponse,
  signCall,
  StatisticsReport,
  topLevelChannelOptions,
  UpdateFilingRequest,
} from '@idis/contracts';

/** What signs a call: the node id and the credentials issued at enrolment. */
export interface SigningCredentials {
  nodeId: string;
  keyId: string;
  secret: string;
}

type Callback<Response> = (error: ServiceError | null, response: Response) => void;
/** Starts one unary call on a generated client with the given metadata, deadline and callback. */
type Invoke<Response> = (metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Response>) => void;

/**
 * The gRPC client of the top-level node, on the clients generated in libs/contracts: promises, a
 * deadline per call, signed metadata on every call but Enrol. One channel per service client,
 * created at its first call and reused.
 *
 * Every request goes through its type's fromPartial first: an outbox payload written by an older
 * version may lack a field, which then takes its protobuf default (and what is signed is exactly
 * what is sent).
 */
export class TopLevelClient {
  private enrolmentClient: NodeEnrolmentClient | undefined;
  private filingClient: PrefixFilingClient | undefined;
  private resolutionClient: PrefixResolutionClient | undefined;
  private reportingClient: ReportingClient | undefined;

  constructor(
    readonly target: string,
    private readonly timeoutMs: number,
  ) {}

  enrol(request: EnrolRequest): Promise<EnrolResponse> {
    const message = EnrolRequest.fromPartial(request);
    return this.unary(NodeEnrolmentService.enrol.path, message, undefined, this.timeoutMs, (metadata, options, callback) =>
      this.enrolment.enrol(message, metadata, options, callback),
    );
  }

  /** EPP check: whether each prefix may be filed by this node (and if not, why). `timeoutMs` overrides the call deadline. */
  checkPrefixes(request: CheckPrefixesRequest, credentials: SigningCredentials, timeoutMs = this.timeoutMs): Promise<CheckPrefixesResponse> {
    const message = CheckPrefixesRequest.fromPartial(request);
    return this.unary(PrefixFilingService.check.path, message, credentials, timeoutMs, (metadata, options, callback) => this.filing.check(message, metadata, options, callback));
  }

  /** EPP info: the filing of one prefix under this node's secondary prefix (NOT_FOUND when there is none). */
  filingInfo(request: FilingInfoRequest, credentials: SigningCredentials, timeoutMs = this.timeoutMs): Promise<Filing> {
    const message = FilingInfoRequest.fromPartial(request);
    return this.unary(PrefixFilingService.info.path, message, credentials, timeoutMs, (metadata, options, callback) => this.filing.info(message, metadata, options, callback));
  }

  createFiling(request: CreateFilingRequest, credentials: SigningCredentials): Promise<FilingReceipt> {
    const message = CreateFilingRequest.fromPartial(request);
    return this.unary(PrefixFilingService.create.path, message, credentials, this.timeoutMs, (metadata, options, callback) => this.filing.create(message, metadata, options, callback));
  }

  updateFiling(request: UpdateFilingRequest, credentials: SigningCredentials): Promise<FilingReceipt> {
    const message = UpdateFilingRequest.fromPartial(request);
    return this.unary(PrefixFilingService.update.path, message, credentials, this.timeoutMs, (metadata, options, callback) => this.filing.update(message, metadata, options, callback));
  }

  deleteFiling(request: DeleteFilingRequest, credentials: SigningCredentials): Promise<FilingReceipt> {
    const message = DeleteFilingRequest.fromPartial(request);
    return this.unary(PrefixFilingService.delete.path, message, credentials, this.timeoutMs, (metadata, options, callback) => this.filing.delete(message, metadata, options, callback));
  }

  poll(credentials: SigningCredentials): Promise<PollResponse> {
    const message = PollRequest.fromPartial({});
    return this.unary(PrefixFilingService.poll.path, message, credentials, this.timeoutMs, (metadata, options, callback) => this.filing.poll(message, metadata, options, callback));
  }

  ack(request: AckRequest, credentials: SigningCredentials): Promise<AckResponse> {
    const message = AckRequest.fromPartial(request);
    return this.unary(PrefixFilingService.ack.path, message, credentials, this.timeoutMs, (metadata, options, callback) => this.filing.ack(message, metadata, options, callback));
  }

  resolvePrefix(request: ResolvePrefixRequest, credentials: SigningCredentials): Promise<ResolvePrefixResponse> {
    const message = ResolvePrefixRequest.fromPartial(request);
    return this.unary(PrefixResolutionService.resolve.path, message, credentials, this.timeoutMs, (metadata, options, callback) =>
      this.resolution.resolve(message, metadata, options, callback),
    );
  }

  reportStatistics(request: StatisticsReport, credentials: SigningCredentials): Promise<ReportAck> {
    const message = StatisticsReport.fromPartial(request);
    return this.unary(ReportingService.reportStatistics.path, message, credentials, this.timeoutMs, (metadata, options, callback) =>
      this.reporting.reportStatistics(message, metadata, options, callback),
    );
  }

  heartbeat(request: HeartbeatRequest, credentials: SigningCredentials): Promise<HeartbeatAck> {
    const message = HeartbeatRequest.fromPartial(request);
    return this.unary(ReportingService.heartbeat.path, message, credentials, this.timeoutMs, (metadata, options, callback) =>
      this.reporting.heartbeat(message, metadata, options, callback),
    );
  }

  close(): void {
    const clients: Array<Client | undefined> = [this.enrolmentClient, this.filingClient, this.resolutionClient, this.reportingClient];
    for (const client of clients) client?.close();
    this.enrolmentClient = this.filingClient = this.resolutionClient = this.reportingClient = undefined;
  }

  private get enrolment(): NodeEnrolmentClient {
    return (this.enrolmentClient ??= new NodeEnrolmentClient(this.target, channelCredentials.createInsecure(), topLevelChannelOptions()));
  }

  private get filing(): PrefixFilingClient {
    return (this.filingClient ??= new PrefixFilingClient(this.target, channelCredentials.createInsecure(), topLevelChannelOptions()));
  }

  private get resolution(): PrefixResolutionClient {
    return (this.resolutionClient ??= new PrefixResolutionClient(this.target, channelCredentials.createInsecure(), topLevelChannelOptions()));
  }

  private get reporting(): ReportingClient {
    return (this.reportingClient ??= new ReportingClient(this.target, channelCredentials.createInsecure(), topLevelChannelOptions()));
  }

  /** Signs the message for `path` (unless `credentials` is undefined: Enrol) and runs the call with a deadline. */
  private unary<Response>(path: string, message: unknown, credentials: SigningCredentials | undefined, timeoutMs: number, invoke: Invoke<Response>): Promise<Response> {
    const metadata = new Metadata();
    if (credentials) {
      for (const [key, value] of Object.entries(signCall(credentials, path, message))) metadata.set(key, value);
    }
    return new Promise<Response>((resolve, reject) => {
      invoke(metadata, { deadline: Date.now() + timeoutMs }, (error, reply) => (error ? reject(error) : resolve(reply)));
    });
  }
}
