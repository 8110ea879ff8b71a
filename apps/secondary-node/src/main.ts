import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createNodeApp } from './bootstrap';
import { ConfigError, loadNodeConfig } from './config/node-config';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';

/**
 * `npm start`: with DATABASE_URL the node uses that PostgreSQL (services profile); without it a
 * real PostgreSQL is started in-process from the embedded-postgres package (embedded profile).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadNodeConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = new Logger('Node');
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort);
  }
  const databaseUrl = config.databaseUrl ?? (embedded as EmbeddedDatabase).url;
  const app = await createNodeApp(config, databaseUrl);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping`);
    await app.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const lines = [
    `IDIS secondary node ${config.nodeId} (prefix ${config.secondaryPrefix}, ${config.profile} profile)`,
    `  Handle REST      ${base}/api/handles/{prefix}/{suffix}`,
    `  SNMS API         ${base}/identityv2/data  ·  ${base}/snms/api/v5/template  ·  ${base}/identity/token`,
    `  Native API       ${base}/api/v1`,
    `  OpenAPI          ${base}/docs`,
    `  Health           ${base}/health`,
    `  PostgreSQL       ${redact(databaseUrl)}${embedded ? ` (embedded, data in ${config.dataDir}/pg)` : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

main().catch((error: unknown) => {
  process.stderr.write(`secondary node failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
