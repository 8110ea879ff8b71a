import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';
import { Authenticator } from '../../auth/authenticator';
import { DomainError, httpStatusOf } from '../../errors/domain-errors';
import { toDomainError } from '../../http/to-domain-error';
import { EventFeed } from './event-feed';
import type { FeedPosition } from './event-matcher';
import { NamedQueriesService, SCHEDULE_FIELDS, timeKeyOf } from './named-queries.service';
import { SubscriptionDelivery } from './subscription-delivery';

const STREAM_PATH = /^\/epcis\/queries\/([^/?]+)\/events$/;
/** A socket with more than this queued and not yet written gets nothing more until it drains. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** How often an open stream checks that its query still exists (deleted on another replica). */
const EXISTENCE_CHECK_MS = 2_000;
/** Close code of a stream whose query was deleted (application range 4000–4999). */
export const CLOSE_QUERY_DELETED = 4404;
/** Close code of a stream the node closed on shutdown (1001 going away). */
const CLOSE_GOING_AWAY = 1001;

/**
 * WebSocket subscriptions (REST binding: `GET /queries/{queryName}/events` with `Upgrade:
 * websocket` and `?stream=true`): the node answers 101 and then sends each delivery as one text
 * message holding an EPCISQueryDocument, in record-time order, the next only after the previous
 * one was written to the socket. The caller authenticates the upgrade request like any other
 * (Authorization: Bearer …, or X-API-Key); refusals are plain HTTP answers with a problem body.
 */
@Injectable()
export class StreamServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EpcisStreams');
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly sockets = new Set<WebSocket>();
  private listener: ((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly authenticator: Authenticator,
    private readonly queries: NamedQueriesService,
    private readonly delivery: SubscriptionDelivery,
    private readonly feed: EventFeed,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer?.() as import('node:http').Server | undefined;
    if (!server) return;
    this.listener = (request, socket, head) => void this.upgrade(request, socket, head);
    server.on('upgrade', this.listener);
  }

  beforeApplicationShutdown(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer?.() as import('node:http').Server | undefined;
    if (server && this.listener) server.off('upgrade', this.listener);
    for (const socket of this.sockets) socket.close(CLOSE_GOING_AWAY, 'the node is shutting down');
    this.wss.close();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://node.invalid');
    const match = STREAM_PATH.exec(url.pathname);
    if (!match) return refuse(socket, new DomainError('NOT_FOUND', 'WebSocket subscriptions are served at /epcis/queries/{name}/events?stream=true'));
    try {
      const start = checkStreamParameters(url.searchParams);
      const principal = await this.authenticator.authenticate({ headers: request.headers, method: 'GET', url: request.url ?? '/' } as unknown as FastifyRequest);
      if (!principal) throw new DomainError('AUTHENTICATION_REQUIRED', 'a WebSocket subscription needs a bearer token or an API key');
      let name: string;
      try {
        name = decodeURIComponent(match[1]);
      } catch {
        throw new DomainError('VALIDATION_FAILED', 'the query name in the path is not valid percent-encoding');
      }
      const stream = await this.queries.openStream(principal, name);
      const cursor: FeedPosition = start ?? { time: await this.feed.currentHorizon(), eventId: '' };
      if (socket.destroyed) return stream.release();
      this.wss.handleUpgrade(request, socket, head, (ws) => this.serve(ws, principal, stream, cursor));
    } catch (error) {
      refuse(socket, toDomainError(error));
    }
  }

  private serve(
    ws: WebSocket,
    principal: NonNullable<Awaited<ReturnType<Authenticator['authenticate']>>>,
    stream: Awaited<ReturnType<NamedQueriesService['openStream']>>,
    cursor: FeedPosition,
  ): void {
    this.sockets.add(ws);
    const waitForDrain = async () => {
      while (ws.readyState === ws.OPEN && ws.bufferedAmount > MAX_BUFFERED_BYTES) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const { remove } = this.delivery.addStream({
      queryName: stream.query.name,
      subscriptionId: `ws-${stream.query.id}`,
      filter: stream.filter,
      subscriber: principal,
      cursor,
      transport: {
        send: async (body) => {
          await waitForDrain();
          if (ws.readyState !== ws.OPEN) return { ok: false, reason: 'the WebSocket is closed' };
          // A text message, as the JSON it is (a Buffer would go as a binary one).
          return new Promise((resolve) => ws.send(body, { binary: false }, (error) => resolve(error ? { ok: false, reason: error.message } : { ok: true, status: 101 })));
        },
        acknowledged: async () => ws.readyState === ws.OPEN,
        failed: async () => {
          // A WebSocket that cannot take a message is gone; the client reconnects with initialRecordTime.
          ws.terminate();
        },
      },
    });
    const offDeleted = this.queries.onQueryDeleted((queryId) => {
      if (queryId === stream.query.id) ws.close(CLOSE_QUERY_DELETED, 'the named query was deleted');
    });
    const existence = setInterval(() => {
      this.queries.queryExists(stream.query.id).then(
        (exists) => {
          if (!exists) ws.close(CLOSE_QUERY_DELETED, 'the named query was deleted');
        },
        () => undefined,
      );
    }, EXISTENCE_CHECK_MS);
    existence.unref();
    ws.on('message', () => undefined);
    ws.on('error', (error) => this.logger.warn(`stream of ${stream.query.name}: ${error.message}`));
    ws.on('close', () => {
      clearInterval(existence);
      offDeleted();
      remove();
      stream.release();
      this.sockets.delete(ws);
    });
  }
}

/** `stream=true` is required; schedules are not served; `initialRecordTime` may set where the stream starts. */
export function checkStreamParameters(params: URLSearchParams): FeedPosition | null {
  const allowed = new Set(['stream', 'initialRecordTime', 'reportIfEmpty', ...SCHEDULE_FIELDS]);
  for (const key of params.keys()) {
    if (!allowed.has(key)) throw new DomainError('VALIDATION_FAILED', `unsupported parameter ${JSON.stringify(key)} of a WebSocket subscription; it takes stream=true and initialRecordTime`, [{ path: key, message: 'unsupported' }]);
  }
  const scheduled = SCHEDULE_FIELDS.filter((field) => params.has(field));
  if (scheduled.length > 0) throw new DomainError('VALIDATION_FAILED', `scheduled subscriptions (${scheduled.join(', ')}) are not supported by this node; use stream=true`, [{ path: scheduled[0], message: 'unsupported' }]);
  if (params.getAll('stream').length !== 1 || params.get('stream') !== 'true') throw new DomainError('VALIDATION_FAILED', 'a WebSocket subscription needs stream=true', [{ path: 'stream', message: 'must be true' }]);
  const initial = params.getAll('initialRecordTime');
  if (initial.length === 0) return null;
  const key = initial.length === 1 ? timeKeyOf(initial[0]) : null;
  if (key === null) throw new DomainError('VALIDATION_FAILED', 'initialRecordTime is one ISO 8601 date-time with a zone', [{ path: 'initialRecordTime', message: 'not a date-time' }]);
  return { time: key, eventId: '' };
}

/** Answers a refused upgrade over the raw socket: the status, an EPCIS problem body, and close. */
function refuse(socket: Duplex, error: DomainError): void {
  const status = httpStatusOf[error.code];
  const type = status === 401 || status === 403 ? 'epcisException:SecurityException' : status === 404 ? 'epcisException:NoSuchResourceException' : status >= 500 ? 'epcisException:ImplementationException' : 'epcisException:QueryParameterException';
  const body = JSON.stringify({ type, title: error.message, status, detail: error.message, code: error.code });
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : status >= 500 ? 'Internal Server Error' : 'Bad Request';
  const challenge = status === 401 ? 'WWW-Authenticate: Bearer realm="idis"\r\n' : '';
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${challenge}Connection: close\r\n\r\n${body}`);
}
