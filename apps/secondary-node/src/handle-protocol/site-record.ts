import { networkInterfaces } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import {
  addressBytes,
  encodeSiteInfo,
  SERVER_MINOR,
  ServiceType,
  singleServerSite,
  SUPPORTED_MAJOR,
  TransportProtocol,
  TtlType,
  Permission,
  type SiteInterface,
  type WireValue,
} from '@idis/handle-protocol';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { HANDLE_PROTOCOL_CONFIG, type HandleProtocolConfig } from './handle-protocol.config';

/** Endpoint kinds under which nodes publish their Handle protocol listeners ("host:port"). */
export const HANDLE_TCP_ENDPOINT = 'handle-tcp';
export const HANDLE_UDP_ENDPOINT = 'handle-udp';

/**
 * This node's HS_SITE record (the OC_GET_SITEINFO answer): one server, query interfaces on UDP
 * and TCP at the listeners' port, hashing by handle. Also builds HS_SITE values for another
 * node's published listeners (service referrals).
 */
@Injectable()
export class SiteRecord {
  private bytes: Buffer | undefined;
  private address = '127.0.0.1';
  private port = 0;

  constructor(
    @Inject(HANDLE_PROTOCOL_CONFIG) private readonly config: HandleProtocolConfig,
    @Inject(NODE_CONFIG) private readonly node: NodeConfig,
  ) {}

  /** Called once the listeners are bound. */
  publish(boundHost: string, port: number): void {
    this.address = this.config.publicAddress ?? reachableAddress(boundHost);
    this.port = port;
    this.bytes = undefined;
  }

  get endpoint(): string {
    return this.address.includes(':') ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }

  encoded(): Buffer {
    this.bytes ??= encodeSiteInfo(
      singleServerSite({
        serialNumber: this.config.siteSerial,
        majorVersion: SUPPORTED_MAJOR,
        minorVersion: SERVER_MINOR,
        description: `IDIS secondary node ${this.node.nodeId} (${this.node.secondaryPrefix})`,
        address: addressBytes(this.address) ?? new Uint8Array(16),
        interfaces: [
          { type: ServiceType.QUERY, protocol: TransportProtocol.UDP, port: this.port },
          { type: ServiceType.QUERY, protocol: TransportProtocol.TCP, port: this.port },
        ],
      }),
    );
    return this.bytes;
  }

  /** HS_SITE values for a node that publishes handle-tcp / handle-udp endpoints; undefined when it publishes none usable. */
  foreignSiteValues(endpoints: ReadonlyArray<{ kind: string; url: string }>): WireValue[] | undefined {
    const interfaces: SiteInterface[] = [];
    let address: Uint8Array | undefined;
    for (const endpoint of endpoints) {
      const protocol = endpoint.kind === HANDLE_TCP_ENDPOINT ? TransportProtocol.TCP : endpoint.kind === HANDLE_UDP_ENDPOINT ? TransportProtocol.UDP : undefined;
      if (protocol === undefined) continue;
      const match = /^\[?([0-9a-fA-F:.]+)\]?:(\d{1,5})$/.exec(endpoint.url);
      const bytes = match ? addressBytes(match[1]) : undefined;
      if (!match || !bytes) continue;
      address ??= bytes;
      interfaces.push({ type: ServiceType.QUERY, protocol, port: Number(match[2]) });
    }
    if (!address || interfaces.length === 0) return undefined;
    const data = encodeSiteInfo(singleServerSite({ serialNumber: 1, majorVersion: SUPPORTED_MAJOR, minorVersion: SERVER_MINOR, address, interfaces }));
    return [{ index: 1, timestamp: (Date.now() / 1000) | 0, ttlType: TtlType.RELATIVE, ttl: 3600, permissions: Permission.ADMIN_READ | Permission.ADMIN_WRITE | Permission.PUBLIC_READ, type: 'HS_SITE', data, references: [] }];
  }
}

/** The address clients can reach: the bound one, or for a wildcard bind the first external IPv4 (else loopback). */
function reachableAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return '127.0.0.1';
}
