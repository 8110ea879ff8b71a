import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { HANDLE_PROTOCOL_CONFIG, type HandleProtocolConfig } from './handle-protocol.config';
import { HandleAnswerer } from './handle-answerer';
import { HandleProtocolStats } from './handle-protocol-stats';
import { HANDLE_TCP_ENDPOINT, HANDLE_UDP_ENDPOINT, SiteRecord } from './site-record';
import { SourceGuard } from './source-guard';
import { TcpListener } from './tcp-listener';
import { UdpListener } from './udp-listener';
import { TopLevelLink } from '../upstream/top-level-link';

/** Where the listeners are bound. */
export interface HandleProtocolAddress {
  host: string;
  port: number;
}

/**
 * The UDP and TCP listeners of the Handle protocol on one port. Started explicitly (main.ts after
 * the HTTP server, tests that want them), like app.listen: building the app binds nothing.
 */
@Injectable()
export class HandleProtocolServer implements OnModuleDestroy {
  private readonly logger = new Logger('HandleProtocol');
  private readonly guard: SourceGuard;
  private udp: UdpListener | undefined;
  private tcp: TcpListener | undefined;
  private bound: HandleProtocolAddress | undefined;

  constructor(
    @Inject(HANDLE_PROTOCOL_CONFIG) private readonly config: HandleProtocolConfig,
    private readonly answerer: HandleAnswerer,
    private readonly stats: HandleProtocolStats,
    private readonly site: SiteRecord,
    private readonly link: TopLevelLink,
  ) {
    this.guard = new SourceGuard(config.sourcePacketsPerSecond, config.sourceBurst, config.verifiedSourceTtlMs);
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  get address(): HandleProtocolAddress | undefined {
    return this.bound;
  }

  /**
   * Binds TCP, then UDP on the same port number (with port 0: a free TCP port, retried a few times
   * if that number is taken for UDP). Undefined when HANDLE_PROTOCOL_PORT=off.
   */
  async listen(): Promise<HandleProtocolAddress | undefined> {
    if (!this.config.enabled) return undefined;
    if (this.bound) return this.bound;
    const host = this.config.host;
    for (let attempt = 0; ; attempt += 1) {
      const tcp = new TcpListener(this.answerer, this.guard, this.stats, this.config);
      const port = await tcp.listen(host, this.config.port);
      const udp = new UdpListener(this.answerer, this.guard, this.stats, this.config);
      try {
        await udp.listen(host, port);
      } catch (error) {
        await tcp.close();
        if (this.config.port !== 0 || attempt >= 5) throw new Error(`Handle protocol: UDP ${host}:${port} cannot be bound: ${(error as Error).message}`);
        continue;
      }
      this.tcp = tcp;
      this.udp = udp;
      this.bound = { host, port };
      break;
    }
    this.site.publish(host, this.bound.port);
    this.link.announceEndpoints([
      { kind: HANDLE_TCP_ENDPOINT, url: this.site.endpoint },
      { kind: HANDLE_UDP_ENDPOINT, url: this.site.endpoint },
    ]);
    this.logger.log(`Handle protocol listening on udp+tcp ${host}:${this.bound.port}`);
    return this.bound;
  }

  /** The address clients are told about (HS_SITE), host:port. */
  get publishedEndpoint(): string | undefined {
    return this.bound ? this.site.endpoint : undefined;
  }

  async close(): Promise<void> {
    await Promise.all([this.udp?.close(), this.tcp?.close()]);
    this.answerer.reportPrepared();
    this.udp = undefined;
    this.tcp = undefined;
    this.bound = undefined;
  }

  async onModuleDestroy(): Promise<void> {
    this.guard.stop();
    await this.close();
  }
}
