import type { EnvReader } from '@idis/runtime';
import type { NodeConfig } from '../config/node-config';

/**
 * The Handle protocol listeners (RFC 3652 over UDP and TCP). HANDLE_PROTOCOL_PORT: a port (both
 * transports), `off`, or unset = 2641 in the services profile and a free port in the embedded one.
 */
export interface HandleProtocolConfig {
  enabled: boolean;
  /** 0 = a free port (the same number for UDP and TCP). */
  port: number;
  host: string;
  /** Address published in the HS_SITE record (OC_GET_SITEINFO); defaults to the bound address. */
  publicAddress: string | undefined;
  /** UDP packets answered per source address and second (token bucket; 0 = no budget), and the burst. */
  sourcePacketsPerSecond: number;
  sourceBurst: number;
  /**
   * A UDP reply to a source not verified by a TCP connection may be at most this many times the
   * request (and never more than one datagram); a larger one is cut to its first piece with the
   * truncation flag set, so the client asks again over TCP.
   */
  amplificationFactor: number;
  /** How long a TCP connection from an address verifies that address for UDP replies. */
  verifiedSourceTtlMs: number;
  maxConnections: number;
  /** A TCP connection with no request in progress is closed after this long. */
  tcpIdleTimeoutMs: number;
  /** A request begun on TCP must arrive completely within this long. */
  tcpReadTimeoutMs: number;
  /** Largest request accepted over TCP (a resolution request is a few hundred bytes). */
  maxTcpRequestBytes: number;
  /** Requests waiting for a cache miss at once (both transports); beyond it RC_SERVER_TOO_BUSY. */
  maxPendingLookups: number;
  /** Serial number of the HS_SITE record: raise it when the listeners' addresses change. */
  siteSerial: number;
}

export function readHandleProtocolConfig(read: EnvReader, node: NodeConfig): HandleProtocolConfig {
  const rawPort = read.optional('HANDLE_PROTOCOL_PORT');
  const enabled = rawPort?.toLowerCase() !== 'off';
  const fallbackPort = node.profile === 'services' ? 2641 : 0;
  let port = fallbackPort;
  if (enabled && rawPort !== undefined) {
    if (/^\d+$/.test(rawPort) && Number(rawPort) <= 65535) port = Number(rawPort);
    else read.problem(`HANDLE_PROTOCOL_PORT must be a port from 0 to 65535 (0 = a free one) or "off", got "${rawPort}"`);
  }
  const publicAddress = read.optional('HANDLE_PROTOCOL_PUBLIC_ADDRESS');
  if (publicAddress !== undefined && !/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/.test(publicAddress)) {
    read.problem(`HANDLE_PROTOCOL_PUBLIC_ADDRESS must be an IPv4 or IPv6 address (clients connect to it), got "${publicAddress}"`);
  }
  return {
    enabled,
    port,
    host: read.string('HANDLE_PROTOCOL_HOST', node.host),
    publicAddress,
    sourcePacketsPerSecond: read.integer('HANDLE_PROTOCOL_SOURCE_PPS', 2000, 0, 10_000_000),
    sourceBurst: read.integer('HANDLE_PROTOCOL_SOURCE_BURST', 4000, 1, 10_000_000),
    amplificationFactor: read.integer('HANDLE_PROTOCOL_AMPLIFICATION_FACTOR', 8, 1, 100),
    verifiedSourceTtlMs: read.integer('HANDLE_PROTOCOL_VERIFIED_SOURCE_TTL_MS', 600_000, 0, 86_400_000),
    maxConnections: read.integer('HANDLE_PROTOCOL_MAX_CONNECTIONS', 1024, 1, 1_000_000),
    tcpIdleTimeoutMs: read.integer('HANDLE_PROTOCOL_TCP_IDLE_TIMEOUT_MS', 30_000, 100, 3_600_000),
    tcpReadTimeoutMs: read.integer('HANDLE_PROTOCOL_TCP_READ_TIMEOUT_MS', 5000, 50, 600_000),
    maxTcpRequestBytes: read.integer('HANDLE_PROTOCOL_MAX_REQUEST_BYTES', 65_536, 512, 262_144),
    maxPendingLookups: read.integer('HANDLE_PROTOCOL_MAX_PENDING', 10_000, 1, 1_000_000),
    siteSerial: read.integer('HANDLE_PROTOCOL_SITE_SERIAL', 1, 0, 65535),
  };
}

export const HANDLE_PROTOCOL_CONFIG = Symbol('HANDLE_PROTOCOL_CONFIG');
