import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfigOrExit, redactPassword } from '@idis/runtime';
import { createTopLevelApp } from './bootstrap';
import { loadTopLevelConfig } from './config/top-level-config';

/**
 * `npm run start:top-level`: the simulated national top-level node. The last start-up line,
 * `TOP_LEVEL_READY grpc=HOST:PORT http=http://HOST:PORT`, is what a parent process (the secondary
 * node's embedded profile) waits for and parses.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadTopLevelConfig());
  const logger = new Logger('TopLevel');
  const running = await createTopLevelApp(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping`);
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const http = running.httpUrl;
  const lines = [
    `IDIS national top-level node (simulated), filing review ${config.filingReview}${config.filingReview === 'auto' ? ` after ${config.filingReviewDelayMs} ms` : ''}`,
    `  gRPC             ${running.grpcAddress} (idis.toplevel.v1: NodeEnrolment, PrefixFiling, PrefixResolution, Reporting)`,
    `  Console          ${running.console.url}${running.console.built ? '' : ` (not built: npm run build:top-level-console)`}`,
    `  Nodes            ${http}/api/v1/nodes`,
    `  Filings          ${http}/api/v1/filings`,
    `  Volumes          ${http}/api/v1/volumes`,
    `  Settings         ${http}/api/v1/settings`,
    `  Simulation       ${http}/api/v1/simulation`,
    `  IIIDAP           ${http}/iiidap/identifier/{prefix}`,
    `  Health           ${http}/health`,
    `  PostgreSQL       ${redactPassword(config.databaseUrl)}`,
    `TOP_LEVEL_READY grpc=${running.grpcAddress} http=${http}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`top-level node failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
