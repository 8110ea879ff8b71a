import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Endpoint } from '@idis/contracts';
import { NODE_SECRET } from '../auth/node-secret';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { DomainError } from '../errors/domain-errors';
import { HealthBoard, type HealthReport } from '../health/health-board';
import { retryDelayMs } from '@idis/runtime';
import { classifyFailure, describeFailure, isUnreachable } from './backoff';
import { SEALING_PURPOSE, SecretSealer } from '../auth/secret-sealer';
import { EnrolmentRepository } from './enrolment.repository';
import { type SigningCredentials, TopLevelClient } from './top-level-client';

export type LinkState = 'not-configured' | 'enrolling' | 'linked' | 'unreachable';

export interface EnrolmentView {
  nodeId: string;
  assignedPrefix: string;
  keyId: string;
  enrolledAt: string;
}

const SOFTWARE_VERSION = 'idis-secondary-node/0.1.0';

/**
 * The link to the top-level node: enrols at first start (in the background, retrying with backoff,
 * so the node serves its local data while unlinked), keeps the credentials in node_enrolment
 * (secret sealed with the node secret) and reuses them on later starts, signs every call, and
 * tracks the link state the status page and /health show.
 *
 * Several replicas of one node share the credentials: enrolment runs under an advisory lock and
 * re-reads the row first, and a refused signature makes a replica reload the row before it
 * enrols again (another replica may have rotated the key).
 */
@Injectable()
export class TopLevelLink implements OnApplicationBootstrap, OnModuleDestroy {
  private extraEndpoints: Endpoint[] = [];
  private readonly endpointListeners: Array<() => void> = [];
  private readonly logger = new Logger('TopLevelLink');
  readonly client: TopLevelClient | undefined;
  /** Seals the credential secret in node_enrolment, so a database dump alone cannot sign calls as this node. */
  private readonly sealer: SecretSealer;
  private credentials: SigningCredentials | undefined;
  private enrolmentView: EnrolmentView | undefined;
  private linkState: LinkState;
  private stopped = false;
  private enrolling: Promise<void> | undefined;
  private wakeEnrolment: (() => void) | undefined;
  private readonly enrolledWaiters: Array<() => void> = [];
  /** The credentials held are in a committed node_enrolment row (adopt runs inside the enrolment's transaction). */
  private credentialsStored = false;
  private publicBaseUrl: string;

  lastError: string | undefined;
  lastErrorAt: Date | undefined;
  lastSuccessAt: Date | undefined;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(UPSTREAM_CONFIG) private readonly upstreamConfig: UpstreamConfig,
    @Inject(NODE_SECRET) nodeSecret: string,
    private readonly repository: EnrolmentRepository,
    private readonly adapterHost: HttpAdapterHost,
    health: HealthBoard,
  ) {
    this.publicBaseUrl = upstreamConfig.publicUrl;
    this.sealer = new SecretSealer(nodeSecret, SEALING_PURPOSE.topLevelCredentials);
    const target = upstreamConfig.topLevelUrl;
    this.client = target ? new TopLevelClient(target, upstreamConfig.callTimeoutMs) : undefined;
    this.linkState = target ? 'enrolling' : 'not-configured';
    health.register('topLevel', () => this.healthReport());
  }

  /** The top level unreachable degrades the node (filings and reports queue up) but never takes it down. */
  private healthReport(): HealthReport {
    const state = this.state;
    if (state === 'not-configured') return { status: 'not-configured', detail: { status: 'not-configured', state } };
    if (state === 'linked') return { status: 'up', detail: { status: 'up', state } };
    // The first enrolment attempt is still under way: not a fault yet.
    if (state === 'enrolling' && this.lastError === undefined) return { status: 'starting', detail: { status: 'starting', state } };
    return { status: 'down', detail: { status: 'down', state, lastError: this.lastError } };
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  get state(): LinkState {
    return this.linkState;
  }

  get enrolment(): EnrolmentView | undefined {
    return this.enrolmentView;
  }

  get nodeId(): string {
    return this.config.nodeId;
  }

  /** How other nodes reach this one (sent at enrolment and in heartbeats). */
  endpoints(): Endpoint[] {
    const base = this.publicBaseUrl;
    return [{ kind: 'handle-rest', url: base }, { kind: 'proxy', url: base }, { kind: 'snms', url: base }, ...this.extraEndpoints];
  }

  /**
   * Endpoints known only once their listener is bound (the Handle protocol's handle-tcp /
   * handle-udp, "host:port"): sent at enrolment if it comes later, else with a heartbeat sent at
   * once when they changed (the HeartbeatTask listens), so that the top level can refer other
   * nodes' clients to them without waiting for the next periodic heartbeat.
   */
  announceEndpoints(endpoints: readonly Endpoint[]): void {
    const kinds = new Set(endpoints.map((e) => e.kind));
    const next = [...this.extraEndpoints.filter((e) => !kinds.has(e.kind)), ...endpoints.map((e) => ({ kind: e.kind, url: e.url }))];
    const changed = next.length !== this.extraEndpoints.length || next.some((e) => !this.extraEndpoints.some((known) => known.kind === e.kind && known.url === e.url));
    this.extraEndpoints = next;
    if (!changed) return;
    for (const listener of this.endpointListeners) listener();
  }

  /** Calls `listener` whenever announceEndpoints changes what endpoints() returns. */
  onEndpointsChanged(listener: () => void): void {
    this.endpointListeners.push(listener);
  }

  /**
   * The base URL announced to the top level and printed in QR codes (PUBLIC_URL, or the listening
   * address); '' only before a server on a free port (PORT=0) listens.
   */
  get publicUrl(): string {
    return this.publicBaseUrl;
  }

  onApplicationBootstrap(): void {
    if (this.publicBaseUrl) {
      if (this.client) this.startEnrolment();
      return;
    }
    // PORT=0 without PUBLIC_URL: the address is known once the server listens (linked or not: labels print it too).
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    const announce = () => {
      const address = server.address() as AddressInfo;
      const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address.includes(':') ? `[${address.address}]` : address.address;
      this.publicBaseUrl = `http://${host}:${address.port}`;
      if (this.client && !this.stopped) this.startEnrolment();
    };
    if (server.listening) announce();
    else server.once('listening', announce);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.wakeEnrolment?.();
    this.client?.close();
  }

  /**
   * Resolves once the node holds credentials and their node_enrolment row is committed (at once if
   * so): what waits for it (the first heartbeat) reads and updates that row. For tests and start-up ordering.
   */
  whenEnrolled(): Promise<void> {
    if (this.credentials && this.credentialsStored) return Promise.resolve();
    return new Promise((resolve) => this.enrolledWaiters.push(resolve));
  }

  /**
   * Runs one signed call and records its outcome in the link state. Throws NOT_LINKED-like errors
   * (transient) while the node is not enrolled yet. `probe`: a best-effort call with a short
   * deadline (the check before an application); its failure says nothing about the link and is
   * not recorded.
   */
  async call<T>(work: (client: TopLevelClient, credentials: SigningCredentials) => Promise<T>, options: { probe?: boolean } = {}): Promise<T> {
    if (!this.client) throw new DomainError('UPSTREAM_UNAVAILABLE', 'no top-level node is configured (TOP_LEVEL_URL is not set)');
    const credentials = this.credentials;
    if (!credentials) {
      throw new DomainError('UPSTREAM_UNAVAILABLE', `this node is not enrolled with the top-level node yet${this.lastError ? ` (last error: ${this.lastError})` : ''}`);
    }
    try {
      const result = await work(this.client, credentials);
      this.noteSuccess();
      return result;
    } catch (error) {
      if (!options.probe) this.noteFailure(error);
      if (classifyFailure(error) === 'credentials') void this.refreshCredentials(credentials).catch(() => undefined);
      throw error;
    }
  }

  private noteSuccess(): void {
    this.lastSuccessAt = new Date();
    if (this.credentials) this.linkState = 'linked';
  }

  private noteFailure(error: unknown): void {
    this.lastError = describeFailure(error);
    this.lastErrorAt = new Date();
    if (isUnreachable(error)) this.linkState = 'unreachable';
  }

  private startEnrolment(): void {
    this.enrolling ??= this.enrolUntilDone().finally(() => {
      this.enrolling = undefined;
    });
  }

  /** Credentials were refused: another replica may have rotated them; otherwise enrol again. */
  private async refreshCredentials(refused: SigningCredentials): Promise<void> {
    const stored = await this.repository.findEnrolment(this.config.nodeId);
    const secret = stored ? this.sealer.unseal(stored.secretSealed) : undefined;
    if (stored && secret && stored.keyId !== refused.keyId) {
      this.adopt(stored.keyId, secret, stored.assignedPrefix, stored.enrolledAt);
      this.noteStored();
      return;
    }
    if (this.credentials?.keyId !== refused.keyId) return;
    this.logger.warn(`the top level refused our credentials (${this.lastError}); enrolling again`);
    this.credentials = undefined;
    this.credentialsStored = false;
    this.linkState = 'enrolling';
    this.startEnrolment();
  }

  private async enrolUntilDone(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt += 1) {
      try {
        if (await this.enrolOnce()) this.noteSuccess();
        this.noteStored();
        return;
      } catch (error) {
        this.noteFailure(error);
        if (this.linkState !== 'unreachable') this.linkState = 'enrolling';
        const delay = retryDelayMs(attempt, this.upstreamConfig.retryBaseMs, this.upstreamConfig.retryMaxMs);
        this.logger.warn(`enrolment with the top-level node at ${this.client?.target} failed (${describeFailure(error)}); retrying in ${delay} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeEnrolment = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  /** True when a new enrolment was made (a call), false when stored credentials were reused. */
  private async enrolOnce(): Promise<boolean> {
    const client = this.client as TopLevelClient;
    const nodeId = this.config.nodeId;
    const refusedKey = this.credentials?.keyId;
    return this.repository.underNodeLock(nodeId, 'enrol', async (manager) => {
      const stored = await this.repository.findEnrolment(nodeId, manager);
      const secret = stored ? this.sealer.unseal(stored.secretSealed) : undefined;
      // Reused whatever address the top level has now (the embedded one gets a new port each start);
      // credentials it does not know are refused with UNAUTHENTICATED, and then the node enrols again.
      const reusable = stored && secret && stored.keyId !== refusedKey;
      if (reusable) {
        this.adopt(stored.keyId, secret, stored.assignedPrefix, stored.enrolledAt);
        return false;
      }
      const reply = await client.enrol({
        enrolmentToken: this.upstreamConfig.enrolmentToken ?? '',
        nodeId,
        requestedPrefix: this.config.secondaryPrefix,
        endpoints: this.endpoints(),
        softwareVersion: SOFTWARE_VERSION,
      });
      const credentials = reply.credentials;
      if (!credentials?.keyId || !credentials.secret) throw new Error('the top level answered the enrolment without credentials');
      if (reply.assignedPrefix.toLowerCase() !== this.config.secondaryPrefix.toLowerCase()) {
        this.logger.warn(`asked for prefix ${this.config.secondaryPrefix}, the top level assigned ${reply.assignedPrefix}`);
      }
      const enrolledAt = new Date();
      await this.repository.saveEnrolment(manager, {
        nodeId,
        topLevelUrl: client.target,
        assignedPrefix: reply.assignedPrefix,
        keyId: credentials.keyId,
        secretSealed: this.sealer.seal(credentials.secret),
        enrolledAt,
      });
      this.adopt(credentials.keyId, credentials.secret, reply.assignedPrefix, enrolledAt);
      this.logger.log(`enrolled with the top-level node at ${client.target} as ${nodeId}, prefix ${reply.assignedPrefix}`);
      return true;
    });
  }

  private adopt(keyId: string, secret: string, assignedPrefix: string, enrolledAt: Date): void {
    this.credentials = { nodeId: this.config.nodeId, keyId, secret };
    this.enrolmentView = { nodeId: this.config.nodeId, assignedPrefix, keyId, enrolledAt: enrolledAt.toISOString() };
    this.linkState = 'linked';
  }

  /**
   * The adopted credentials are committed: whoever waited for enrolment may go on. (Resolving the
   * waiters in adopt, inside the enrolment's transaction, had the first heartbeat find no
   * node_enrolment row to take its sequence from, so a fresh node sent none until the interval.)
   */
  private noteStored(): void {
    if (!this.credentials) return;
    this.credentialsStored = true;
    for (const resolve of this.enrolledWaiters.splice(0)) resolve();
  }
}
