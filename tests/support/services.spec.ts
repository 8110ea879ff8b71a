import { createServer, type Server } from 'node:net';
import { freePort } from './free-port';
import { TEST_SERVICES, unreachableServices } from './services';

/** The check jest's globalSetup runs before any suite (tests/support/global-setup.ts). */
describe('test services check', () => {
  let server: Server;
  let openPort: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    openPort = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('names a service that does not answer, in one line with the command that starts it', async () => {
    const closed = await freePort();
    const redis = TEST_SERVICES.find((service) => service.name === 'Redis')!;
    const lines = await unreachableServices([{ ...redis, url: `redis://127.0.0.1:${closed}` }]);
    expect(lines).toEqual([`Redis is not answering on 127.0.0.1:${closed}; start it with: ${redis.startCommand}`]);
    expect(lines[0]).not.toContain('\n');
  });

  it('says nothing when every service answers', async () => {
    const services = TEST_SERVICES.map((service) => ({ ...service, url: `tcp://127.0.0.1:${openPort}` }));
    expect(await unreachableServices(services)).toEqual([]);
  });
});
