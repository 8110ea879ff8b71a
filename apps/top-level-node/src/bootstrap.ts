import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Logger, type LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { topLevelGrpcServerOptions } from '@idis/contracts';
import { TopLevelAppModule } from './app.module';
import type { LogLevel, TopLevelConfig } from './config/top-level-config';
import { CONSOLE_PATH, consoleIsBuilt, defaultConsoleDir, serveConsole } from '@idis/runtime/console-files';
import { migrateTopLevelDatabase } from './database/migrate';
import { grpcAddress } from './grpc/grpc-options';
import { ProblemFilter, replyWithProblem } from './http/problem.filter';

const LEVELS: NestLogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];
const HTTP_BODY_LIMIT_BYTES = 64 * 1024;

/** A started top-level node: where it listens, and how to stop it. */
export interface RunningTopLevel {
  app: NestFastifyApplication;
  /** host:port of the gRPC server, as a client dials it. */
  grpcAddress: string;
  grpcPort: number;
  /** Base URL of the HTTP API. */
  httpUrl: string;
  /** The operator's page: its URL, and whether it is built (otherwise it answers 503). */
  console: { url: string; dir: string; built: boolean };
  close(): Promise<void>;
}

/**
 * Migrates the database, then starts the gRPC server (idis.toplevel.v1) and the HTTP API.
 * Used by main.ts and by the tests, which run it in-process on free ports.
 */
export async function createTopLevelApp(config: TopLevelConfig, attemptsLeft = 3): Promise<RunningTopLevel> {
  await migrateTopLevelDatabase(config.databaseUrl);
  const adapter = new FastifyAdapter({
    bodyLimit: HTTP_BODY_LIMIT_BYTES,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => replyWithProblem(error, request, reply, new Logger('HTTP')),
  });
  const consoleDir = resolve(config.consoleDir ?? defaultConsoleDir('top-level-console'));
  const app = await NestFactory.create<NestFastifyApplication>(TopLevelAppModule.register(config), adapter, {
    logger: LEVELS.slice(0, LEVELS.indexOf(config.logLevel as LogLevel) + 1),
  });
  app.useGlobalFilters(new ProblemFilter());
  await serveConsole(app, { dir: consoleDir, buildCommand: 'npm run build:top-level-console' });

  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const grpcPort = config.grpcPort === 0 ? await freePort(config.host) : config.grpcPort;
  app.connectMicroservice(topLevelGrpcServerOptions(grpcAddress(config.host, grpcPort)));
  try {
    await app.startAllMicroservices();
  } catch (error) {
    await app.close();
    // A free port picked for us can be taken by someone else in between: pick another.
    if (config.grpcPort === 0 && attemptsLeft > 1) return createTopLevelApp(config, attemptsLeft - 1);
    throw error;
  }
  try {
    await app.listen(config.httpPort, config.host);
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.getHttpServer().address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  const httpHost = displayHost.includes(':') ? `[${displayHost}]` : displayHost;
  let closed: Promise<void> | undefined;
  return {
    app,
    grpcAddress: grpcAddress(displayHost, grpcPort),
    grpcPort,
    httpUrl: `http://${httpHost}:${httpPort}`,
    console: { url: `http://${httpHost}:${httpPort}${CONSOLE_PATH}`, dir: consoleDir, built: consoleIsBuilt(consoleDir) },
    close: () => (closed ??= app.close()),
  };
}

/** A port nobody listens on right now, found by letting the OS choose one. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
