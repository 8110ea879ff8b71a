import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { addRouteHook } from '../../http/route-hooks';
import type { IngestionConfig } from '../ingestion/ingestion-config';
import { IngestionModule } from '../ingestion/ingestion.module';
import { TraceabilityStoreModule } from '../store/traceability-store.module';
import { CaptureProblemFilter } from './capture-problem.filter';
import { CAPTURE_VERSION_HEADERS, captureLimitHeaders, isCapturePath } from './capture-http';
import { EpcisCaptureController } from './epcis-capture.controller';
import { EpcisEventCaptureController } from './epcis-event-capture.controller';
import { EpcisCaptureService } from './epcis-capture.service';

/**
 * The capture side of the EPCIS 2.0 REST binding: POST /epcis/capture (capture jobs, GET
 * /epcis/capture[/{captureID}]) and POST /epcis/events, over the ingestion path's validator and the
 * traceability store.
 */
@Module({
  imports: [IngestionModule, TraceabilityStoreModule],
  controllers: [EpcisCaptureController, EpcisEventCaptureController],
  providers: [EpcisCaptureService, CaptureProblemFilter],
})
export class EpcisCaptureModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** JSON-LD bodies for the capture routes (installJsonLdParser); their headers: installCaptureHeaders. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    if (!fastify.hasContentTypeParser('application/ld+json')) installJsonLdParser(fastify);
  }
}

/**
 * The versions and limits on every reply of the two capture routes (POST /epcis/capture and
 * /epcis/events), set in an onRequest hook of those routes only, before the body is read: a capture
 * that Fastify refuses itself (too large, malformed, an unknown media type) still answers with them.
 * Called by bootstrap before the routes are registered.
 */
export function installCaptureHeaders(fastify: FastifyInstance, config: Pick<IngestionConfig, 'maxEventsPerDocument' | 'maxPayloadBytes'>): void {
  const headers = { ...CAPTURE_VERSION_HEADERS, ...captureLimitHeaders({ maxEvents: config.maxEventsPerDocument, maxBytes: config.maxPayloadBytes }) };
  const isCaptureRoute = (route: RouteOptions): boolean => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    return methods.includes('POST') && isCapturePath(route.url);
  };
  addRouteHook(
    fastify,
    'onRequest',
    (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      void reply.headers(headers);
      done();
    },
    { only: isCaptureRoute },
  );
}

/**
 * application/ld+json bodies of the capture routes are parsed like application/json: Fastify's own
 * JSON parser (prototype poisoning refused), the node's body limit, and the depth check of the
 * preParsing hook (http/hardening.ts), which wraps the stream read here. Elsewhere nothing changes:
 * a route gets 415 as before, and a request no route answers is not read at all.
 */
function installJsonLdParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'ignore');
  const bodyLimit = fastify.initialConfig.bodyLimit ?? 1024 * 1024;
  fastify.addContentTypeParser('application/ld+json', (request, payload, done) => {
    if (request.is404) {
      done(null, undefined);
      return;
    }
    if (!isCapturePath(request.url)) {
      done(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, `Unsupported Media Type: application/ld+json`), undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const finish = (error: Error | null, body?: unknown) => {
      if (finished) return;
      finished = true;
      done(error, body);
    };
    payload.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyLimit) {
        payload.removeAllListeners('data');
        payload.resume();
        finish(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'));
        return;
      }
      chunks.push(chunk);
    });
    payload.on('error', (error: Error) => finish(error));
    payload.on('end', () => {
      if (finished) return;
      parseJson(request, Buffer.concat(chunks).toString('utf8'), (error: Error | null, body?: unknown) => finish(error, body));
    });
  });
}

function fastifyError(code: string, statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode });
}
