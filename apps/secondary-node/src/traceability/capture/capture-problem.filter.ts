import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Logger } from '@nestjs/common';
import { redactQuery, sendProblem } from '@idis/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { epcisCaptureProblem } from '../../http/error-presenters';
import { toDomainError } from '../../http/to-domain-error';
import { INGESTION_CONFIG, type IngestionConfig } from '../ingestion/ingestion-config';
import { CAPTURE_VERSION_HEADERS, captureLimitHeaders } from './capture-http';

/**
 * Errors of the capture routes as RFC 7807 problems with their EPCISException types
 * (http/error-presenters.ts epcisCaptureProblem); a 413 carries the limits it exceeded
 * (GS1-EPCIS-Capture-Limit, GS1-EPCIS-Capture-File-Size-Limit), as the binding's 413 does.
 */
@Catch()
export class CaptureProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Capture');

  constructor(@Inject(INGESTION_CONFIG) private readonly config: IngestionConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = toDomainError(exception);
    if (error.code === 'INTERNAL') this.logger.error(`${request.method} ${redactQuery(request.url)}: ${(exception as Error)?.stack ?? String(exception)}`);
    void reply.headers({ ...CAPTURE_VERSION_HEADERS, ...captureLimitHeaders({ maxEvents: this.config.maxEventsPerDocument, maxBytes: this.config.maxPayloadBytes }) });
    sendProblem(reply, epcisCaptureProblem(error, request.url));
  }
}
