import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { INGESTION_CONFIG, type IngestionConfig } from '../ingestion/ingestion-config';
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
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
  ) {}

  /**
   * JSON-LD bodies (application/ld+json) are parsed like application/json, with Fastify's own
   * JSON parser (prototype-poisoning refused) under the same body limit and depth check.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    if (!fastify.hasContentTypeParser('application/ld+json')) {
      fastify.addContentTypeParser('application/ld+json', { parseAs: 'string' }, fastify.getDefaultJsonParser('error', 'ignore'));
    }
    // Set before the body is read, so that a capture Fastify refuses itself (too large, malformed,
    // an unknown media type) still answers with the versions and the limits.
    const headers = { ...CAPTURE_VERSION_HEADERS, ...captureLimitHeaders({ maxEvents: this.config.maxEventsPerDocument, maxBytes: this.config.maxPayloadBytes }) };
    fastify.addHook('onRequest', (request, reply, done) => {
      if (request.method === 'POST' && isCapturePath(request.url)) void reply.headers(headers);
      done();
    });
  }
}
