import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { defaultConsoleDir, serveConsole } from '@idis/runtime/console-files';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module';
import { installAuthHttpHooks } from './auth/auth-http-hooks';
import type { AppConfig } from './app-config';
import { migrateDatabase } from './database/migrate';
import { FrontDoorExceptionFilter, replyWithError } from './http/front-door-exception.filter';
import { refuseNulCharacters } from './http/nul-guard';
import { hardenedServerOptions, installHardening } from './http/hardening';
import { IngestionRuntime } from './traceability/ingestion/ingestion-runtime';
import { installCaptureHeaders } from './traceability/capture/capture.module';
import { EventHub } from './events/event-hub';
import { createPino, NodeLogger } from './logging/node-logger';
import { installRequestLogging, logsResolutions } from './logging/request-logging';
import { ResolutionFastPath } from './resolution/resolution-fast-path';

/** Builds the secondary node's HTTP application on a migrated database (used by main and by tests). */
export async function createNodeApp(config: AppConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  await migrateDatabase(databaseUrl);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // Header size, request / header / idle / keep-alive timeouts (http/hardening.config.ts).
    ...hardenedServerOptions(config.hardening),
    // Handles may contain characters routers like to rewrite; keep the path exactly as sent.
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 1024 },
    // Router errors (a path that is not valid percent-encoded UTF-8) get the envelope of their front door too.
    // No Nest middleware anywhere: without @fastify/middie, a request runs one hook fewer.
    skipMiddie: true,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => replyWithError(error, request, reply, new Logger('HTTP')),
  });
  // pino behind Nest's Logger: structured lines (JSON, or pino-pretty on a terminal), LOG_LEVEL.
  const logger = new NodeLogger(createPino(config.logging));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, databaseUrl), adapter, {
    logger,
    bufferLogs: false,
  });
  // Before the routes are registered (app.init): request ids, request lines, refusals audited.
  installRequestLogging(app.getHttpAdapter().getInstance(), { logger: logger.pino, events: app.get(EventHub), config: config.logging });
  app.useGlobalFilters(new FrontDoorExceptionFilter());
  refuseNulCharacters(adapter.getInstance());
  // Security headers, CORS, URL length, JSON depth: before any route (http/hardening.ts).
  await installHardening(app, config.hardening);
  // L1 hits of anonymous Handle REST GETs answered before Fastify routes them, where the route adds
  // nothing per request: no CORS headers to choose, no resolution log lines (resolution-fast-path.ts).
  if (config.hardening.corsOrigins.length === 0 && !logsResolutions(logger.pino, config.logging)) {
    app.get(ResolutionFastPath).install(adapter.getInstance().server, { maxUrlLength: config.hardening.maxUrlLength });
  }
  // WWW-Authenticate on 401s, strict JSON where credentials are sent: per route, so before any route.
  installAuthHttpHooks(adapter.getInstance());
  // GS1-EPCIS-Version, GS1-CBV-Version and the capture limits on the capture routes' replies.
  installCaptureHeaders(adapter.getInstance(), config.ingestion);
  // EPCIS ingestion over MQTT (a custom transport strategy): started by app.startAllMicroservices()
  // wherever the app is started (main.ts, tests/support/test-node.ts); absent when ingestion is off.
  // Not the HTTP app's global enhancers: the limits interceptor (HTTP only) would still wrap every
  // message in Nest's interceptor chain (an async resource per message: ~5 % of the consumer's CPU).
  const ingestion = app.get(IngestionRuntime).transport();
  if (ingestion) app.connectMicroservice({ strategy: ingestion }, { inheritAppConfig: false });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('IDIS secondary node')
      .setDescription('Handle.Net REST, SNMS-compatible and native APIs of an industrial-internet identifier resolution secondary node')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An enterprise API key (idk_…); also accepted as a bearer token' }, 'api-key')
      .build(),
  );
  documentLeanRoutes(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  // The web console (apps/console, built by npm run build:console) at /console/.
  await serveConsole(app, { dir: consoleDirOf(config), buildCommand: 'npm run build:console' });
  return app;
}

/** Where the built console is: CONSOLE_DIR, or dist/console of this checkout. */
export function consoleDirOf(config: AppConfig): string {
  return resolve(config.consoleDir ?? defaultConsoleDir('console'));
}

/** The hot GET routes are registered on Fastify directly (see ResolutionRoutes), so they are described here. */
function documentLeanRoutes(document: OpenAPIObject): void {
  const handlePath = { name: 'path', in: 'path' as const, required: true, description: 'the identifier, prefix/suffix, unencoded', schema: { type: 'string' } };
  const filters = [
    { name: 'index', in: 'query' as const, required: false, schema: { type: 'array', items: { type: 'integer' } }, description: 'repeatable; union with type' },
    { name: 'type', in: 'query' as const, required: false, schema: { type: 'array', items: { type: 'string' } }, description: 'repeatable; a type ending in "." selects its sub-types' },
  ];
  document.paths['/api/handles/{path}'] = {
    ...document.paths['/api/handles/{path}'],
    get: {
      tags: ['handle-rest'],
      summary: 'Resolve a handle: {responseCode, handle, values[]} (404 {responseCode: 100}); ETag, Cache-Control from the TTL, 304 on If-None-Match',
      parameters: [handlePath, ...filters, { name: 'publicOnly', in: 'query', required: false, schema: { type: 'boolean' } }],
      responses: { '200': { description: 'the record' }, '304': { description: 'not modified' }, '404': { description: 'not found' } },
    },
  };
  document.paths['/{prefix}/{suffix}'] = {
    get: {
      tags: ['proxy'],
      summary: 'Proxy resolution: 302 to the URL value; ?noredirect shows the record (HTML, or JSON for Accept: application/json)',
      parameters: [
        { name: 'prefix', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'suffix', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'noredirect', in: 'query', required: false, allowEmptyValue: true, schema: { type: 'boolean' } },
        ...filters,
      ],
      responses: { '302': { description: 'redirect to the URL value' }, '200': { description: 'the record' }, '404': { description: 'unknown prefix or identifier' } },
    },
  };
}
