import { Logger } from '@nestjs/common';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedTopLevel {
  /** host:port of its gRPC service (TOP_LEVEL_URL). */
  grpcTarget: string;
  httpUrl: string;
  enrolmentToken: string;
  stop(): Promise<void>;
}

const READY_LINE = /TOP_LEVEL_READY grpc=(\S+) http=(\S+)/;
const DATABASE = 'toplevel';
const START_TIMEOUT_MS = 60_000;

/** The built top-level app, found from this file in dist/ or in the sources (ts-node). */
export function topLevelMainPath(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 8; i += 1) {
    const candidate = join(dir, 'dist', 'apps', 'top-level-node', 'apps', 'top-level-node', 'src', 'main.js');
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, '..');
  }
  return undefined;
}

/**
 * The embedded profile's top-level node: engineer A's app as a child process, on a database
 * `toplevel` of the embedded PostgreSQL, on free ports, with an enrolment token shared with this
 * node (kept under the data directory so restarts agree). Resolves once it prints TOP_LEVEL_READY.
 */
export async function startEmbeddedTopLevel(postgresUrl: string, dataDir: string): Promise<EmbeddedTopLevel> {
  const logger = new Logger('EmbeddedTopLevel');
  const main = topLevelMainPath();
  if (!main) throw new Error('the top-level node is not built (dist/apps/top-level-node/...): run npm run build');
  const databaseUrl = await ensureDatabase(postgresUrl, DATABASE);
  const enrolmentToken = persistentToken(dataDir);
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      ENROLMENT_TOKEN: enrolmentToken,
      HOST: '127.0.0.1',
      TOP_LEVEL_GRPC_PORT: '0',
      TOP_LEVEL_HTTP_PORT: '0',
      PORT: '',
      LOG_LEVEL: process.env.TOP_LEVEL_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave the child behind, even when this process ends without a clean stop.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const { grpcTarget, httpUrl } = await waitForReady(child, logger);
  logger.log(`top-level node started (pid ${child.pid}): gRPC ${grpcTarget}, HTTP ${httpUrl}`);
  return {
    grpcTarget,
    httpUrl,
    enrolmentToken,
    stop: () => stopChild(child),
  };
}

function waitForReady(child: ChildProcess, logger: Logger): Promise<{ grpcTarget: string; httpUrl: string }> {
  return new Promise((resolveReady, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the top-level node did not print TOP_LEVEL_READY within ${START_TIMEOUT_MS} ms:\n${output.slice(-2000)}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      if (ready) {
        for (const line of text.split('\n')) if (line.trim()) logger.log(line.trim());
        return;
      }
      output += text;
      const match = READY_LINE.exec(output);
      if (match) {
        ready = true;
        clearTimeout(timer);
        resolveReady({ grpcTarget: match[1], httpUrl: match[2] });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`the top-level node exited with ${code} before it was ready:\n${output.slice(-2000)}`));
      else logger.warn(`the top-level node exited with ${code}`);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  child.kill('SIGTERM');
  await exited;
  clearTimeout(timer);
}

async function ensureDatabase(postgresUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function persistentToken(dataDir: string): string {
  const file = join(dataDir, 'top-level-enrolment-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
