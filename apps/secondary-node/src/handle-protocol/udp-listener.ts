import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Logger } from '@nestjs/common';
import { fragmentMessage, UdpReassembler } from '@idis/handle-protocol';
// The per-packet path imports from the module itself: a name read through the package index is a getter call.
import { ENV_FLAG_TRUNCATED, ENVELOPE_SIZE, MAX_UDP_PACKET_SIZE } from '@idis/handle-protocol/constants';
import { type Answer, type HandleAnswerer, rawEnvelope } from './handle-answerer';
import type { HandleProtocolConfig } from './handle-protocol.config';
import type { HandleProtocolStats } from './handle-protocol-stats';
import type { SourceGuard } from './source-guard';

/**
 * UDP on the Handle port: one datagram per request (or several, reassembled), one or more per
 * reply. Guards: a per-source packet budget (over it: dropped, counted), and no amplification —
 * a reply to a source not verified by TCP may be at most `amplificationFactor` × its request and
 * one datagram; a longer one is cut to its first piece with the truncation flag (TC) set, and the
 * client asks again over TCP.
 */
export class UdpListener {
  private readonly logger = new Logger('HandleProtocolUdp');
  private socket: Socket | undefined;
  private readonly reassembler = new UdpReassembler();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly answerer: HandleAnswerer,
    private readonly guard: SourceGuard,
    private readonly stats: HandleProtocolStats,
    private readonly config: HandleProtocolConfig,
  ) {}

  async listen(host: string, port: number): Promise<number> {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', lookup: literalFirstLookup });
    this.socket = socket;
    socket.on('message', this.onMessage);
    socket.on('error', (error) => this.logger.error(`UDP socket error: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
      socket.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      // The system caps the buffers; its defaults still work.
    }
    this.sweepTimer = setInterval(() => this.sweepIncomplete(), 1000);
    this.sweepTimer.unref();
    return socket.address().port;
  }

  close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  private readonly onMessage = (packet: Buffer, remote: RemoteInfo): void => {
    this.stats.udpPackets += 1;
    if (!this.guard.allow(remote.address)) {
      this.stats.budgetDrops += 1;
      return;
    }
    const now = Date.now();
    const started = performance.now();
    const template = this.answerer.preparedTemplate(packet, 0, packet.length, now);
    if (template !== undefined) {
      const reply = Buffer.allocUnsafe(template.packet.length);
      this.answerer.writePrepared(template, packet, 0, reply, 0, now);
      this.send(reply, packet.length, remote.address, remote.port);
      this.answerer.notePrepared(template, (performance.now() - started) / 1000);
      return;
    }
    if (packet.length >= ENVELOPE_SIZE && (packet[2] & ENV_FLAG_TRUNCATED) !== 0) {
      const result = this.reassembler.add(`${remote.port}|${remote.address}`, packet, performance.now());
      if (result.status === 'pending') return;
      if (result.status === 'refused') {
        this.stats.malformed += 1;
        this.logger.debug?.(`multi-packet request from ${remote.address} refused: ${result.reason}`);
        return;
      }
      const whole = Buffer.concat([packet.subarray(0, ENVELOPE_SIZE), result.message]);
      whole[2] &= ~ENV_FLAG_TRUNCATED;
      whole.writeUInt32BE(0, 12);
      this.handle(whole, packet.length * Math.ceil(result.message.length / (MAX_UDP_PACKET_SIZE - ENVELOPE_SIZE)), remote);
      return;
    }
    this.handle(packet, packet.length, remote);
  };

  private handle(packet: Buffer, requestBytes: number, remote: RemoteInfo): void {
    const answer = this.answerer.busy ? this.answerer.busyReply(packet) : this.answerer.answer(packet);
    if (answer instanceof Promise) {
      const { address, port } = remote;
      answer.then(
        (reply) => this.send(reply, requestBytes, address, port),
        (error: unknown) => this.logger.error(`UDP request from ${address} failed: ${(error as Error).message}`),
      );
    } else {
      this.send(answer, requestBytes, remote.address, remote.port);
    }
  }

  private send(reply: Answer, requestBytes: number, address: string, port: number): void {
    const socket = this.socket;
    if (reply === undefined || socket === undefined) return;
    const bound = requestBytes * this.config.amplificationFactor;
    // One datagram within the amplification bound goes to anyone (no verified-source lookup).
    if (reply.length <= MAX_UDP_PACKET_SIZE && reply.length <= bound) {
      socket.send(reply, port, address);
      return;
    }
    if (this.guard.isVerified(address)) {
      if (reply.length <= MAX_UDP_PACKET_SIZE) {
        socket.send(reply, port, address);
        return;
      }
      this.stats.fragmentedReplies += 1;
      for (const piece of fragmentMessage(rawEnvelope(reply), reply.subarray(ENVELOPE_SIZE))) socket.send(piece, port, address);
      return;
    }
    // Unverified source: the first piece only, TC set and MessageLength of the whole reply, so the
    // client sees the reply is incomplete and asks again over TCP.
    this.stats.truncatedReplies += 1;
    const message = reply.subarray(ENVELOPE_SIZE);
    const dataSize = Math.max(1, Math.min(MAX_UDP_PACKET_SIZE, bound) - ENVELOPE_SIZE);
    const [first] = fragmentMessage(rawEnvelope(reply), message, Math.min(dataSize, message.length - 1));
    socket.send(first, port, address);
  }

  private sweepIncomplete(): void {
    for (const expired of this.reassembler.sweep(performance.now())) {
      const separator = expired.source.indexOf('|');
      const port = Number(expired.source.slice(0, separator));
      const address = expired.source.slice(separator + 1);
      this.send(this.answerer.incomplete(expired.envelope, expired.received, expired.expected), MAX_UDP_PACKET_SIZE, address, port);
    }
  }
}

/**
 * dgram's address lookup for every send (and the bind): a reply goes to the IP literal the request
 * came from, which dns.lookup would hand back only on the next tick (Node 20 lib/dgram.js calls
 * the lookup on every send of an unconnected socket). Answered at once; names still go to dns.
 */
function literalFirstLookup(address: string, family: number | LookupOneOptions, callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const version = isIP(address);
  if (version !== 0) {
    callback(null, address, version);
    return;
  }
  dnsLookup(address, typeof family === 'number' ? { family } : family, callback);
}
