import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { ENROLMENT_TOKEN, TopLevelClient, waitFor } from './top-level-harness';

const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'top-level-node', 'apps', 'top-level-node', 'src', 'main.js');

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm test builds it first (npm run build)`);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'ENROLMENT_TOKEN'].includes(key)));
  const child = spawn(process.execPath, [MAIN], { env: { ...clean, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('top-level node as a process (npm run start:top-level)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('toplevel_proc');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('prints TOP_LEVEL_READY with the ports it picked, serves gRPC and HTTP, and stops on SIGTERM', async () => {
    const proc = start({ DATABASE_URL: db.url, ENROLMENT_TOKEN, TOP_LEVEL_GRPC_PORT: '0', TOP_LEVEL_HTTP_PORT: '0', HOST: '127.0.0.1' });
    try {
      const ready = await waitFor(async () => {
        if (proc.child.exitCode !== null) throw new Error(`exited early:\n${proc.output()}`);
        return /^TOP_LEVEL_READY grpc=(\S+) http=(\S+)$/m.exec(proc.output()) ?? undefined;
      }, 60_000, 'TOP_LEVEL_READY');
      const [, grpcAddress, httpUrl] = ready;
      expect((await fetch(`${httpUrl}/health`)).status).toBe(200);
      const client = new TopLevelClient(grpcAddress);
      try {
        const credentials = await client.enrol('node-88.118', '88.118');
        await expect(client.signed(credentials, 'PrefixFiling', 'Poll', {})).resolves.toMatchObject({ queueCount: 0 });
      } finally {
        client.close();
      }
      proc.child.kill('SIGTERM');
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 20_000);
      expect(await proc.exited).toBe(0);
      clearTimeout(timer);
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    }
  });

  it('refuses to start with a bad configuration, naming the variables (exit code 2)', async () => {
    const proc = start({ ENROLMENT_TOKEN: 'short', TOP_LEVEL_HTTP_PORT: '70000', FILING_REVIEW: 'sometimes' });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/DATABASE_URL is required/);
    expect(proc.output()).toMatch(/ENROLMENT_TOKEN must be 16 to 512 characters/);
    expect(proc.output()).toMatch(/TOP_LEVEL_HTTP_PORT must be an integer from 0 to 65535/);
    expect(proc.output()).toMatch(/FILING_REVIEW must be one of auto, manual/);
  });
});
