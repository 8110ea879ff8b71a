import { Socket } from 'node:net';
import { TEST_PG_ADMIN_URL } from './test-database';

/** A service the integration and e2e suites talk to, and how to start it on this machine. */
export interface TestService {
  name: string;
  url: string;
  defaultPort: number;
  startCommand: string;
}

/** The Redis the tests use; override with TEST_REDIS_URL. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The Mosquitto the tests use; override with TEST_MQTT_URL. */
export const TEST_MQTT_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

export const TEST_SERVICES: readonly TestService[] = [
  {
    name: 'PostgreSQL',
    url: TEST_PG_ADMIN_URL,
    defaultPort: 5432,
    startCommand: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  {
    name: 'Redis',
    url: TEST_REDIS_URL,
    defaultPort: 6379,
    startCommand: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  },
  {
    name: 'Mosquitto',
    url: TEST_MQTT_URL,
    defaultPort: 1883,
    startCommand: 'mosquitto -d -c /etc/mosquitto/mosquitto.conf',
  },
];

/** Host and port of a service URL (its default port when the URL names none). */
export function addressOf(service: TestService): { host: string; port: number } {
  const url = new URL(service.url);
  // URL keeps the brackets of an IPv6 literal; net.connect wants the bare address.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: url.port ? Number(url.port) : service.defaultPort };
}

/** Resolves true when something accepts a TCP connection at host:port within `timeoutMs`. */
export function answers(host: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

/**
 * One line per service that does not answer, naming it and the command that starts it; empty
 * when all answer.
 */
export async function unreachableServices(services: readonly TestService[] = TEST_SERVICES): Promise<string[]> {
  const results = await Promise.all(
    services.map(async (service) => {
      const { host, port } = addressOf(service);
      if (await answers(host, port)) return undefined;
      return `${service.name} is not answering on ${host}:${port}; start it with: ${service.startCommand}`;
    }),
  );
  return results.filter((line): line is string => line !== undefined);
}
