import { execFile, spawn } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './free-port';
import { SpawnedProcess, trackChild } from './spawned-process';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/** The machine's PostgreSQL 15 binaries (Debian's postgresql-15); PG_BIN overrides. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * PostgreSQL refuses to run as root: when the tests run as root, the servers and their tools run
 * as the `postgres` OS user (spawned with its uid/gid, so the pid we hold is the server's own).
 */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** One PostgreSQL server of the pair: the postmaster as a child process (its pid is the server's). */
export class PgServer extends SpawnedProcess {
  constructor(
    child: ReturnType<typeof spawn>,
    label: string,
    readonly port: number,
    readonly dataDir: string,
  ) {
    super(child, label, { keepOutputChars: 20_000 });
  }

  /** A URL of `database` on this server (user postgres, trust authentication, loopback). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Runs one statement on a fresh connection and returns its rows. */
  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<R[]> {
    const client = new Client({ connectionString: this.url(database), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as R[];
    } finally {
      await client.end();
    }
  }

  /** The postmaster's pid and its children's (backends, startup process, WAL receiver…), from /proc. */
  private processIds(): number[] {
    const postmaster = this.child.pid as number;
    const children: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // Field 4 of /proc/<pid>/stat is the parent pid; the command name (field 2) may hold spaces, so read after its ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (parent === postmaster) children.push(Number(entry));
      } catch {
        // The process ended meanwhile.
      }
    }
    return [postmaster, ...children];
  }

  /** Freezes the whole server (SIGSTOP to the postmaster first, so it forks nothing more, then to every child). */
  freeze(): void {
    for (const pid of this.processIds()) process.kill(pid, 'SIGSTOP');
  }

  /** Undoes freeze (children first, the postmaster last). */
  thaw(): void {
    for (const pid of this.processIds().reverse()) process.kill(pid, 'SIGCONT');
  }

  /** Waits until the server accepts connections and answers. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${this.label} to accept connections`,
      async () => {
        if (!this.running) throw new Error(`${this.label} exited:\n${this.output}`);
        return (await this.query('SELECT 1 AS one'))[0] !== undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }
}

/**
 * A PostgreSQL primary and one streaming replica made for a test from the machine's binaries, in
 * a temporary directory, on free loopback ports: `initdb` (wal_level=replica), then
 * `pg_basebackup -R -X stream` from the running primary, then the replica started on its copy.
 * `stop()` stops both by pid (SIGTERM, smart → fast shutdown) and removes the directory.
 */
export class PgReplicaPair {
  private constructor(
    readonly dir: string,
    readonly primary: PgServer,
    private current: PgServer,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  /** The replica's server (a new process after restartReplica). */
  get replica(): PgServer {
    return this.current;
  }

  /**
   * Starts the replica again on its data directory (after it was killed): it resumes streaming
   * from where it stopped. A SIGKILLed postmaster's backends leave only once they notice, and
   * until then a new one refuses the data directory; so it is tried again until one stays up.
   */
  async restartReplica(timeoutMs = 60_000): Promise<PgServer> {
    if (this.current.running) throw new Error('the replica is still running');
    const { dataDir, port } = this.current;
    const started = performance.now();
    for (;;) {
      const server = PgReplicaPair.spawnServer('the PostgreSQL replica', dataDir, port, this.user);
      try {
        await server.ready(timeoutMs);
        this.current = server;
        return server;
      } catch (error) {
        await server.stop('SIGINT', 10_000);
        if (performance.now() - started > timeoutMs) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /**
   * `settings`: postgresql.conf lines after the defaults (a later line wins); `hba`: pg_hba.conf
   * lines added to the primary's (the replica's copy has them too), e.g. trust for a test subnet.
   */
  static async start(options: { settings?: string[]; hba?: string[] } = {}): Promise<PgReplicaPair> {
    for (const tool of ['initdb', 'pg_basebackup', 'postgres']) {
      if (!existsSync(join(PG_BIN, tool))) throw new Error(`${join(PG_BIN, tool)} is missing: install postgresql-15 (or set PG_BIN)`);
    }
    const user = await serverUser();
    const dir = mkdtempSync(join(tmpdir(), 'idis-pg-replica-'));
    if (user) chownSync(dir, user.uid, user.gid);
    const primaryDir = join(dir, 'primary');
    const replicaDir = join(dir, 'replica');
    const tool = (name: string, args: string[]) => run(join(PG_BIN, name), args, { ...(user ?? {}), cwd: dir, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    let primary: PgServer | undefined;
    try {
      await tool('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
      const [primaryPort, replicaPort] = [await freePort(), await freePort()];
      const common = [
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${dir}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'max_connections = 60',
        'shared_buffers = 32MB',
        // A scratch cluster: durability across a machine crash is not what is under test.
        'fsync = off',
        'full_page_writes = on',
        `shared_preload_libraries = 'pg_stat_statements'`,
        ...(options.settings ?? []),
      ];
      appendFileSync(join(primaryDir, 'postgresql.conf'), [...common, `port = ${primaryPort}`, ''].join('\n'));
      if (options.hba?.length) appendFileSync(join(primaryDir, 'pg_hba.conf'), ['', ...options.hba, ''].join('\n'));
      primary = PgReplicaPair.spawnServer('the PostgreSQL primary', primaryDir, primaryPort, user);
      await primary.ready();
      // -R writes standby.signal and primary_conninfo; -X stream copies the WAL written meanwhile.
      await tool('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
      appendFileSync(join(replicaDir, 'postgresql.conf'), [`port = ${replicaPort}`, 'hot_standby = on', ''].join('\n'));
      const replica = PgReplicaPair.spawnServer('the PostgreSQL replica', replicaDir, replicaPort, user);
      await replica.ready();
      return new PgReplicaPair(dir, primary, replica, user);
    } catch (error) {
      await primary?.stop('SIGQUIT', 10_000);
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private static spawnServer(label: string, dataDir: string, port: number, user: { uid: number; gid: number } | undefined): PgServer {
    const child = spawn(join(PG_BIN, 'postgres'), ['-D', dataDir], { ...(user ?? {}), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    trackChild(child);
    return new PgServer(child, label, port, dataDir);
  }

  /** Stops the replica and the primary by pid (fast shutdown, SIGQUIT if one hangs) and removes their files. */
  async stop(): Promise<void> {
    await Promise.all([this.replica.stop('SIGINT', 20_000), this.primary.stop('SIGINT', 20_000)]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
