import { loadConfigOrExit } from '@idis/runtime';
import { loadSimConfig, SIM_USAGE } from './config';
import { runSimulation } from './simulator';

/** `npm run start:sim [-- --max-events=500 --rate=100 ...]`: see SIM_USAGE. Exit 0 when every published message was acknowledged. */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SIM_USAGE);
    return;
  }
  const config = loadConfigOrExit(() => loadSimConfig(process.env, argv), `\n${SIM_USAGE}`);
  const abort = new AbortController();
  const stop = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stdout.write('stopping: waiting for outstanding acknowledgements (Ctrl-C again to quit at once)\n');
    abort.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`enterprise simulator → node ${config.nodeUrl}, broker ${config.mqttUrl}, seed ${config.seed}`);
  const report = await runSimulation(config, { log, signal: abort.signal });
  const p = report.publish;
  log(
    `done (${p.stoppedBy}): ${p.eventsAcked} events in ${p.messagesAcked} acknowledged messages (MQTT ${p.protocolVersion === 5 ? '5' : '3.1.1'}), ` +
      `${p.duplicatesAcked} duplicates, ${p.invalidAcked} deliberately invalid, ${p.messagesFailed} failed, ${p.unacknowledged} unacknowledged, ` +
      `${(p.elapsedMs / 1000).toFixed(1)} s, ${p.elapsedMs > 0 ? Math.round((p.eventsAcked * 1000) / p.elapsedMs) : 0} events/s`,
  );
  for (const error of p.errors) log(`  publish error: ${error}`);
  if (report.sampleProduct) log(`a product that went the whole way: ${report.sampleProduct.identifier}`);
  // One machine-readable line for scripts (npm run demo reads it).
  log(
    `SIM_RESULT ${JSON.stringify({
      eventsAcked: p.eventsAcked,
      expectedEvents: p.expectedEventIds.length,
      invalidAcked: p.invalidAcked,
      duplicatesAcked: p.duplicatesAcked,
      enterprises: report.enterprises.map((e) => ({ tier: e.tier, prefix: e.prefix, username: e.username })),
      sampleProduct: report.sampleProduct ?? null,
    })}`,
  );
  process.exitCode = p.messagesFailed > 0 || p.unacknowledged > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`enterprise simulator failed: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
