import { createServer, type Server, type Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { ENVELOPE_SIZE, OpFlag } from '@idis/handle-protocol/constants';
import type { Answer, HandleAnswerer } from './handle-answerer';
import type { ReplyTemplate } from './reply-templates';
import type { HandleProtocolConfig } from './handle-protocol.config';
import type { HandleProtocolStats } from './handle-protocol-stats';
import type { SourceGuard } from './source-guard';

/** The request's OpFlags word, and the KeepConnection bit in its first (most significant) byte. */
const KEEP_CONNECTION_AT = ENVELOPE_SIZE + 8;
const KEEP_CONNECTION_BYTE = OpFlag.KEEP_CONNECTION >>> 24;

/**
 * TCP on the Handle port: messages back to back on the stream, each envelope + message. Requests
 * may be pipelined; replies are written as they are ready (clients match them by request id). The
 * connection closes after a reply unless the request set KeepConnection (RFC 3652 §2.1.2).
 * Limits: a connection cap (beyond it new connections are closed at once), an idle timeout, a
 * read timeout for a request begun but not finished (slow senders), and a request size cap.
 */
export class TcpListener {
  private readonly logger = new Logger('HandleProtocolTcp');
  private server: Server | undefined;
  private readonly connections = new Set<TcpConnection>();
  private idleSweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly answerer: HandleAnswerer,
    private readonly guard: SourceGuard,
    private readonly stats: HandleProtocolStats,
    private readonly config: HandleProtocolConfig,
  ) {}

  async listen(host: string, port: number): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: 511 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.logger.error(`TCP server error: ${error.message}`));
    // Idle connections are found by one sweep rather than a socket timeout each: a socket timeout
    // is re-armed on every read and write, a cost on every chunk of a busy connection.
    const idle = this.config.tcpIdleTimeoutMs;
    this.idleSweep = setInterval(() => {
      const now = Date.now();
      for (const connection of this.connections) connection.closeIfIdle(now, idle);
    }, Math.max(25, Math.floor(idle / 4)));
    this.idleSweep.unref();
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (this.idleSweep) clearInterval(this.idleSweep);
    for (const connection of this.connections) connection.destroy();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.config.maxConnections) {
      this.stats.connectionsRefused += 1;
      socket.destroy();
      return;
    }
    if (socket.remoteAddress) this.guard.verify(socket.remoteAddress);
    const connection: TcpConnection = new TcpConnection(socket, this.answerer, this.stats, this.config, () => {
      this.connections.delete(connection);
      this.stats.openConnections = this.connections.size;
    });
    this.connections.add(connection);
    this.stats.openConnections = this.connections.size;
  }
}

class TcpConnection {
  private pending: Buffer | undefined;
  private inFlight = 0;
  private closing = false;
  private readTimer: NodeJS.Timeout | undefined;
  /**
   * Prepared replies of the chunk being read (and where their requests start in it), written
   * together as one buffer at its end: the first batchCount entries (the arrays are reused, never
   * truncated, so they do not grow again for every chunk).
   */
  private readonly batchTemplates: ReplyTemplate[] = [];
  private readonly batchOffsets: number[] = [];
  private batchCount = 0;
  private batchBytes = 0;
  private corked = false;
  /** When a reply that waited for a lookup was written (idle time counts from the later of it and the last chunk). */
  private lastReplyAt = 0;
  /** Date.now() and performance.now() when the chunk being read arrived. */
  private chunkNow = 0;
  private chunkStarted = 0;

  constructor(
    private readonly socket: Socket,
    private readonly answerer: HandleAnswerer,
    private readonly stats: HandleProtocolStats,
    private readonly config: HandleProtocolConfig,
    onClose: () => void,
  ) {
    this.chunkNow = Date.now();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.readTimer) clearTimeout(this.readTimer);
      onClose();
    });
  }

  /** Closes the connection when no request arrived for `idleMs` and none is in progress (the listener's sweep calls it). */
  closeIfIdle(now: number, idleMs: number): void {
    if (this.inFlight > 0 || this.pending !== undefined || this.socket.destroyed) return;
    if (now - Math.max(this.chunkNow, this.lastReplyAt) < idleMs) return;
    this.stats.tcpIdleTimeouts += 1;
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    this.chunkNow = Date.now();
    this.chunkStarted = performance.now();
    let offset = 0;
    while (!this.closing && data.length - offset >= ENVELOPE_SIZE) {
      const messageLength = data.readUInt32BE(offset + 16);
      if (ENVELOPE_SIZE + messageLength > this.config.maxTcpRequestBytes) {
        this.cork();
        this.flushBatch(data);
        this.stats.tcpOversizeRefusals += 1;
        // Answer from the envelope alone (RC_PROTOCOL_ERROR with the request id), then hang up.
        this.write(this.answerer.refuse(data.subarray(offset, offset + ENVELOPE_SIZE), `a request of ${messageLength} bytes exceeds this server's limit of ${this.config.maxTcpRequestBytes - ENVELOPE_SIZE}`));
        this.closing = true;
        this.socket.end();
        break;
      }
      const end = offset + ENVELOPE_SIZE + messageLength;
      if (end > data.length) break;
      this.request(data, offset, end - offset);
      offset = end;
    }
    this.flushBatch(data);
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
    if (this.closing) return;
    if (offset < data.length) {
      this.pending = Buffer.from(data.subarray(offset));
      if (this.readTimer === undefined) {
        this.readTimer = setTimeout(() => {
          this.stats.tcpReadTimeouts += 1;
          this.socket.destroy();
        }, this.config.tcpReadTimeoutMs);
      }
    } else if (this.readTimer !== undefined) {
      clearTimeout(this.readTimer);
      this.readTimer = undefined;
    }
  }

  /** The request at `data[at, at + length)`. */
  private request(data: Buffer, at: number, length: number): void {
    this.stats.tcpRequests += 1;
    const keep = length >= KEEP_CONNECTION_AT + 4 && (data[at + KEEP_CONNECTION_AT] & KEEP_CONNECTION_BYTE) !== 0;
    const template = this.answerer.preparedTemplate(data, at, length, this.chunkNow);
    if (template !== undefined) {
      this.batchTemplates[this.batchCount] = template;
      this.batchOffsets[this.batchCount] = at;
      this.batchCount += 1;
      this.batchBytes += template.packet.length;
      if (!keep) {
        this.flushBatch(data);
        this.finish();
      }
      return;
    }
    this.cork();
    this.flushBatch(data);
    const frame = data.subarray(at, at + length);
    const answer = this.answerer.busy ? this.answerer.busyReply(frame) : this.answerer.answer(frame);
    if (!(answer instanceof Promise)) {
      this.write(answer);
      if (!keep) this.finish();
      return;
    }
    this.inFlight += 1;
    answer.then(
      (reply) => {
        this.inFlight -= 1;
        this.lastReplyAt = Date.now();
        this.write(reply);
        if (!keep) this.closing = true;
        this.endIfDone();
      },
      () => {
        this.inFlight -= 1;
        this.socket.destroy();
      },
    );
  }

  /**
   * Writes the batched prepared replies to the requests in `data` as one buffer: one allocation and
   * one write per chunk read. Each counts the time from the chunk's arrival to this write.
   */
  private flushBatch(data: Buffer): void {
    const count = this.batchCount;
    if (count === 0) return;
    const out = Buffer.allocUnsafe(this.batchBytes);
    const seconds = (performance.now() - this.chunkStarted) / 1000;
    let at = 0;
    for (let i = 0; i < count; i += 1) {
      const template = this.batchTemplates[i];
      this.answerer.writePrepared(template, data, this.batchOffsets[i], out, at, this.chunkNow);
      this.answerer.notePrepared(template, seconds);
      at += template.packet.length;
    }
    this.batchCount = 0;
    this.batchBytes = 0;
    this.write(out);
  }

  /**
   * A chunk whose requests are all answered from prepared replies is written with one write and no
   * cork; once another answer is written in the chunk, the socket is corked until its end so that
   * the chunk's replies still leave together.
   */
  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
  }

  private write(reply: Answer): void {
    if (reply !== undefined && !this.socket.destroyed) this.socket.write(reply);
  }

  /** A request without KeepConnection: close once its reply is out (RFC 3652 §2.1.2). */
  private finish(): void {
    this.closing = true;
    this.endIfDone();
  }

  private endIfDone(): void {
    if (this.closing && this.inFlight === 0 && !this.socket.destroyed) this.socket.end();
  }
}
