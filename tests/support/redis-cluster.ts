import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { freePort } from './free-port';
import { SpawnedProcess, trackChild } from './spawned-process';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/** One redis-server of the cluster: its client port, its process, and a plain connection to it. */
export interface ClusterNode {
  port: number;
  process: SpawnedProcess;
}

/** A node as CLUSTER NODES describes it. */
export interface ClusterNodeView {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The master's node id, for a replica. */
  masterId: string | undefined;
  failed: boolean;
  /** Slot ranges served, for a master: [[0, 5460]]. */
  slots: Array<[number, number]>;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a silent master is waited for before its replica takes over. */
  nodeTimeoutMs?: number;
  /**
   * The address the nodes listen on (besides loopback) and announce to clients (default 127.0.0.1):
   * a bridge address, for clients in other network namespaces (tests/e2e/multi-host.spec.ts).
   */
  host?: string;
}

/**
 * A real Redis Cluster for a test: `masters` × (1 + `replicasPerMaster`) `redis-server` processes
 * (the Debian binary on PATH) on free loopback ports, in a temp dir, joined by
 * `redis-cli --cluster create … --cluster-replicas N --cluster-yes`. Nothing is persisted. `stop()`
 * kills every process it started (by pid) and removes the dir.
 */
export class RedisCluster {
  private readonly connections = new Map<number, Redis>();

  private constructor(
    readonly nodes: ClusterNode[],
    private readonly dir: string,
    readonly host: string,
  ) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const { masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 2000, host = '127.0.0.1' } = options;
    const dir = mkdtempSync(join(tmpdir(), 'idis-redis-cluster-'));
    const nodes: ClusterNode[] = [];
    const cluster = new RedisCluster(nodes, dir, host);
    try {
      const used = new Set<number>();
      const distinctFreePort = async () => {
        for (;;) {
          const port = await freePort();
          if (!used.has(port)) {
            used.add(port);
            return port;
          }
        }
      };
      for (let i = 0; i < masters * (1 + replicasPerMaster); i += 1) {
        const port = await distinctFreePort();
        const busPort = await distinctFreePort();
        const child = spawn(
          'redis-server',
          [
            '--port', String(port),
            '--cluster-port', String(busPort),
            '--bind', ...[...new Set(['127.0.0.1', host])],
            // Without a password, protected mode admits loopback clients only; a test's other address is a private bridge.
            ...(host === '127.0.0.1' ? [] : ['--protected-mode', 'no']),
            '--cluster-enabled', 'yes',
            '--cluster-config-file', join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout', String(nodeTimeoutMs),
            '--dir', dir,
            '--save', '',
            '--appendonly', 'no',
            '--daemonize', 'no',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        trackChild(child);
        nodes.push({ port, process: new SpawnedProcess(child, `redis-server :${port}`, { keepOutputChars: 20_000 }) });
      }
      for (const node of nodes) {
        await waitFor(`redis-server :${node.port} to answer PING`, async () => {
          if (!node.process.running) throw new Error(`redis-server :${node.port} exited:\n${node.process.output}`);
          return (await cluster.connection(node.port).ping()) === 'PONG';
        }, { timeoutMs: 15_000, intervalMs: 100 });
      }
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `${host}:${node.port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'], {
        timeout: 60_000,
      });
      await cluster.waitUntilHealthy(masters, replicasPerMaster);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** `host:p,host:p,…` of every node, for REDIS_CLUSTER_NODES. */
  get seeds(): string {
    return this.nodes.map((node) => `${this.host}:${node.port}`).join(',');
  }

  get liveNodes(): ClusterNode[] {
    return this.nodes.filter((node) => node.process.running);
  }

  /** A plain (non-cluster) connection to one node, kept for the life of the cluster. */
  connection(port: number): Redis {
    let connection = this.connections.get(port);
    if (!connection || connection.status === 'end') {
      connection = new Redis({ host: this.host, port, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: true });
      connection.on('error', () => undefined);
      this.connections.set(port, connection);
    }
    return connection;
  }

  /** CLUSTER NODES as one live node sees it. */
  async view(): Promise<ClusterNodeView[]> {
    const text = (await this.connection(this.liveNodes[0].port).call('CLUSTER', 'NODES')) as string;
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, address, flags, master, , , , , ...slots] = line.split(' ');
        return {
          id,
          port: Number(/:(\d+)@/.exec(address)?.[1]),
          role: flags.includes('master') ? ('master' as const) : ('replica' as const),
          masterId: master === '-' ? undefined : master,
          failed: /fail(?!\?)/.test(flags) && !flags.includes('pfail'),
          slots: slots.filter((slot) => /^\d/.test(slot)).map((range) => {
            const [from, to] = range.split('-').map(Number);
            return [from, to ?? from] as [number, number];
          }),
        };
      });
  }

  /** The slot of a key as the cluster computes it. */
  async slotOf(key: string): Promise<number> {
    return (await this.connection(this.liveNodes[0].port).call('CLUSTER', 'KEYSLOT', key)) as number;
  }

  /** The live master serving `slot`. */
  async masterOfSlot(slot: number): Promise<ClusterNode> {
    const owner = (await this.view()).find((node) => node.role === 'master' && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to));
    const node = this.nodes.find((candidate) => candidate.port === owner?.port);
    if (!node) throw new Error(`no master serves slot ${slot}`);
    return node;
  }

  /** SIGKILLs one node (no shutdown, no goodbye to the cluster bus) and waits for its exit. */
  async kill(node: ClusterNode): Promise<void> {
    this.connections.get(node.port)?.disconnect();
    this.connections.delete(node.port);
    await node.process.stop('SIGKILL');
  }

  /**
   * Every live node says cluster_state:ok, every slot has a live master, and `masters` masters
   * have at least `replicasPerMaster` live replicas each whose replication link is up.
   */
  async waitUntilHealthy(masters: number, replicasPerMaster: number, timeoutMs = 60_000): Promise<ClusterNodeView[]> {
    return waitFor(
      'the Redis Cluster to be healthy (every slot served, replicas linked)',
      async () => {
        for (const node of this.liveNodes) {
          const info = (await this.connection(node.port).call('CLUSTER', 'INFO')) as string;
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_assigned:16384')) return false;
        }
        const view = await this.view();
        const live = view.filter((node) => !node.failed && this.liveNodes.some((candidate) => candidate.port === node.port));
        const liveMasters = live.filter((node) => node.role === 'master' && node.slots.length > 0);
        if (liveMasters.length !== masters) return false;
        const covered = liveMasters.reduce((sum, node) => sum + node.slots.reduce((n, [from, to]) => n + to - from + 1, 0), 0);
        if (covered !== 16384) return false;
        for (const master of liveMasters) {
          const replicas = live.filter((node) => node.masterId === master.id);
          if (replicas.length < replicasPerMaster) return false;
          for (const replica of replicas) {
            const replication = (await this.connection(replica.port).info('replication')) as string;
            if (!replication.includes('master_link_status:up')) return false;
          }
        }
        return view;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** Waits until the replica that served `slot` (after its master was killed) is the slot's master, and the cluster says ok everywhere. */
  async waitForFailover(slot: number, killedPort: number, timeoutMs = 60_000): Promise<ClusterNode> {
    return waitFor(
      `a replica to take over slot ${slot} from :${killedPort}`,
      async () => {
        for (const node of this.liveNodes) {
          const info = (await this.connection(node.port).call('CLUSTER', 'INFO')) as string;
          if (!info.includes('cluster_state:ok')) return false;
        }
        const master = await this.masterOfSlot(slot);
        return master.port !== killedPort ? master : false;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** Stops every redis-server it started (SIGKILL: nothing to keep) and removes the temp dir. */
  async stop(): Promise<void> {
    for (const connection of this.connections.values()) connection.disconnect();
    this.connections.clear();
    await Promise.all(this.nodes.map((node) => node.process.stop('SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
