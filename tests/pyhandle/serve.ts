/**
 * Starts a secondary node on a scratch database for tests/pyhandle/run.sh: two enterprises
 * (88.118.8 and 88.118.9), each with the identity handle <prefix>/ADMIN holding an HS_SECKEY at
 * index 300, and prints one JSON line {baseUrl, identity, password, foreignPrefix}. Stops (and drops
 * the database) when stdin closes or on SIGTERM.
 */
import { secretKeyMarker } from '../support/handle-auth-client';
import { TestNode } from '../support/test-node';

async function main(): Promise<void> {
  const node = await TestNode.start();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await node.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
  const acme = await node.approvedEnterprise('88.118.8', 'acme');
  const beta = await node.approvedEnterprise('88.118.9', 'beta', 'beta-pass-1');
  for (const [handle, token] of [
    ['88.118.8/ADMIN', acme.token],
    ['88.118.9/ADMIN', beta.token],
  ]) {
    const reply = await node.request('PUT', `/api/handles/${handle}`, { token, body: [secretKeyMarker(300), { index: 1, type: 'DESC', data: 'handle administrators' }] });
    if (reply.status !== 200) throw new Error(`seeding ${handle}: ${reply.status} ${reply.text}`);
  }
  process.stdout.write(`${JSON.stringify({ baseUrl: node.baseUrl, identity: '300:88.118.8/ADMIN', password: acme.password, foreignPrefix: '88.118.9' })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
