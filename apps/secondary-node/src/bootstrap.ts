import { Logger, type LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module';
import type { LogLevel, NodeConfig } from './config/node-config';
import { migrateDatabase } from './database/migrate';
import { FrontDoorExceptionFilter, replyWithError } from './http/front-door-exception.filter';

const LEVELS: NestLogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

function levelsUpTo(level: LogLevel): NestLogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

/** Builds the secondary node's HTTP application on a migrated database (used by main and by tests). */
export async function createNodeApp(config: NodeConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  await migrateDatabase(databaseUrl);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // Handles may contain characters routers like to rewrite; keep the path exactly as sent.
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 1024 },
    // Router errors (a path that is not valid percent-encoded UTF-8) get the envelope of their front door too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => replyWithError(error, request, reply, new Logger('HTTP')),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, databaseUrl), adapter, {
    logger: levelsUpTo(config.logLevel),
    bufferLogs: false,
  });
  app.useGlobalFilters(new FrontDoorExceptionFilter());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('IDIS secondary node')
      .setDescription('Handle.Net REST, SNMS-compatible and native APIs of an industrial-internet identifier resolution secondary node')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
