import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TopLevelProcess } from '../support/top-level-process';
import { ENROLMENT_TOKEN, TopLevelClient } from './top-level-harness';

describe('top-level node as a process (npm run start:top-level)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('toplevel_proc');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('prints TOP_LEVEL_READY with the ports it picked, serves gRPC and HTTP, and stops on SIGTERM', async () => {
    const proc = TopLevelProcess.spawn({ DATABASE_URL: db.url, ENROLMENT_TOKEN, TOP_LEVEL_GRPC_PORT: '0', TOP_LEVEL_HTTP_PORT: '0', HOST: '127.0.0.1' });
    try {
      const { grpcAddress, httpUrl } = await proc.ready(60_000);
      expect((await fetch(`${httpUrl}/health`)).status).toBe(200);
      const client = new TopLevelClient(grpcAddress);
      try {
        const credentials = await client.enrol('node-88.118', '88.118');
        await expect(client.signed(credentials, 'PrefixFiling', 'Poll', {})).resolves.toMatchObject({ queueCount: 0 });
      } finally {
        client.close();
      }
      expect(await proc.stop('SIGTERM')).toBe(0);
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    }
  });

  it('refuses to start with a bad configuration, naming the variables (exit code 2)', async () => {
    const proc = TopLevelProcess.spawn({ ENROLMENT_TOKEN: 'short', TOP_LEVEL_HTTP_PORT: '70000', FILING_REVIEW: 'sometimes' });
    expect(await proc.exited).toBe(2);
    expect(proc.output).toMatch(/DATABASE_URL is required/);
    expect(proc.output).toMatch(/ENROLMENT_TOKEN must be 16 to 512 characters/);
    expect(proc.output).toMatch(/TOP_LEVEL_HTTP_PORT must be an integer from 0 to 65535/);
    expect(proc.output).toMatch(/FILING_REVIEW must be one of auto, manual/);
  });
});
