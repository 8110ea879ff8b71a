/**
 * npm run audit:verify — walks the audit log's hash chain of the node's database and exits 0 when
 * it is whole, 1 naming the first bad row (deleted, altered, or a forged checkpoint), 2 on a bad
 * configuration. The database is DATABASE_URL, or the embedded profile's PostgreSQL (the node must
 * be running: `npm start`). Checkpoints left by pruning are checked with the node secret
 * (JWT_SECRET, or the embedded profile's DATA_DIR/node-secret), as the node resolves it.
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { loadConfigOrExit, redactPassword } from '@idis/runtime';
import { loadAppConfig } from '../apps/secondary-node/src/app-config';
import { CheckpointSigner, describeProblem } from '../apps/secondary-node/src/audit/audit-chain';
import { verifyAuditChain } from '../apps/secondary-node/src/audit/audit-verifier';
import { resolveNodeSecret } from '../apps/secondary-node/src/auth/node-secret';

async function main(): Promise<number> {
  const config = loadConfigOrExit(() => loadAppConfig());
  const url = config.databaseUrl ?? `postgres://postgres:postgres@127.0.0.1:${config.embeddedPostgresPort}/idis`;
  // Without JWT_SECRET in the services profile the node signs with a per-process secret: no checkpoint can be checked then.
  const secret = config.jwtSecret ?? (config.profile === 'embedded' ? resolveNodeSecret(config) : undefined);
  const client = new Client({ connectionString: url, application_name: 'idis-audit-verify' });
  await client.connect();
  try {
    const report = await verifyAuditChain(client, secret ? new CheckpointSigner(secret) : null);
    const range = report.rowsChecked > 0 ? `rows ${report.firstSeq}–${report.lastSeq}` : 'no rows';
    const from = report.checkpoint ? `from the signed checkpoint through row ${report.checkpoint}` : 'from the first row';
    if (report.ok) {
      process.stdout.write(`audit chain OK: ${report.rowsChecked} rows verified (${range}) ${from} in ${redactPassword(url)}\n`);
      return 0;
    }
    const problem = report.problem ? describeProblem(report.problem) : 'unknown problem';
    process.stdout.write(`audit chain BROKEN: ${problem}\n  ${report.rowsChecked} rows verified before it (${range}) ${from}\n`);
    if (report.problem?.kind === 'checkpoint-signature' && !secret) process.stdout.write('  (set JWT_SECRET to the node secret to check checkpoints)\n');
    return 1;
  } finally {
    await client.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`audit:verify failed: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(3);
  },
);
