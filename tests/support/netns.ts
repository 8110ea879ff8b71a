import { execFileSync } from 'node:child_process';

/** Runs `ip …` and returns its output; throws with ip's own message when it fails. */
function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (error as Error).message}`);
  }
}

/** Names of what a lab makes all start with these, followed by the pid of the process that made it. */
const NETNS_PREFIX = 'idis-mh-';
const LINK_PREFIX = 'imh';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Why this process may not make network namespaces, or undefined when it may: makes and deletes
 * one (root or CAP_SYS_ADMIN is needed). Only a refusal counts (EPERM, EACCES): any other failure,
 * `ip` missing included, is left for the test to meet and report. Synchronous, for a
 * describe-level decision.
 */
export function netnsUnavailable(): string | undefined {
  const probe = `${NETNS_PREFIX}probe-${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
  } catch (error) {
    const message = (error as Error).message;
    return /not permitted|permission denied|EPERM|EACCES/i.test(message) ? message : undefined;
  }
  try {
    ip(['netns', 'del', probe]);
  } catch {
    // Made but not deleted: removeStale deletes it on the next run.
  }
  return undefined;
}

export interface LabHost {
  name: string;
  /** The network namespace: run a process in it with `ip netns exec <netns> …`. */
  netns: string;
  /** Its address on the lab's bridge (eth0 in the namespace). */
  address: string;
}

/**
 * A small network of "hosts" for a test: one Linux bridge in the root namespace holding
 * `bridgeAddress` (x.y.z.1/24), and per host a network namespace joined to the bridge by a veth
 * pair (x.y.z.10+i/24 on its eth0, loopback up). Processes in the root namespace bound to the
 * bridge address are reachable from every host, and every host from the root namespace.
 *
 * Names carry the pid of the process that made them (`idis-mh-<pid>-<host>`, `imh<pid>b`,
 * `imh<pid><i>`): `create` first deletes what a dead process left behind (a crashed run), and never
 * touches what a live one owns. `destroy` deletes the namespaces (their veth ends go with them) and
 * the bridge.
 */
export class NetnsLab {
  private constructor(
    readonly bridge: string,
    readonly bridgeAddress: string,
    readonly hosts: LabHost[],
  ) {}

  static create(hostNames: string[]): NetnsLab {
    if (hostNames.length > 9) throw new Error('a lab has at most 9 hosts');
    NetnsLab.removeStale();
    const pid = process.pid;
    const subnet = NetnsLab.freeSubnet();
    const bridge = `${LINK_PREFIX}${pid}b`;
    const hosts = hostNames.map((name, i) => ({ name, netns: `${NETNS_PREFIX}${pid}-${name}`, address: `${subnet}.${10 + i}` }));
    const lab = new NetnsLab(bridge, `${subnet}.1`, hosts);
    try {
      ip(['link', 'add', bridge, 'type', 'bridge']);
      ip(['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
      ip(['link', 'set', bridge, 'up']);
      hosts.forEach((host, i) => {
        const outside = `${LINK_PREFIX}${pid}${i}`;
        ip(['netns', 'add', host.netns]);
        ip(['link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns]);
        ip(['link', 'set', outside, 'master', bridge, 'up']);
        ip(['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
        ip(['-n', host.netns, 'link', 'set', 'eth0', 'up']);
        ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
      });
      return lab;
    } catch (error) {
      lab.destroy();
      throw error;
    }
  }

  host(name: string): LabHost {
    const host = this.hosts.find((candidate) => candidate.name === name);
    if (!host) throw new Error(`no lab host ${name}`);
    return host;
  }

  /** Deletes the namespaces and the bridge; safe to call twice, and after a half-made lab. */
  destroy(): void {
    for (const host of this.hosts) NetnsLab.deleteNetns(host.netns);
    try {
      ip(['link', 'del', this.bridge]);
    } catch {
      // Not made, or already gone.
    }
  }

  /** A 10.x.y.0/24 that no address or route of the root namespace uses yet (x.y from the pid, then others). */
  private static freeSubnet(): string {
    const used = ip(['-4', 'route', 'show', 'table', 'all']) + ip(['-4', '-o', 'addr', 'show']);
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const n = process.pid + attempt * 7919;
      const subnet = `10.${200 + (n % 50)}.${Math.floor(n / 50) % 256}`;
      if (!used.includes(`${subnet}.`)) return subnet;
    }
    throw new Error('no free 10.200-249.x.0/24 subnet for the lab');
  }

  private static deleteNetns(netns: string): void {
    try {
      // Whatever still runs in it (a crashed run's processes) ends with it.
      for (const pid of ip(['netns', 'pids', netns]).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      ip(['netns', 'del', netns]);
    } catch {
      // Not made, or already gone.
    }
  }

  /** Deletes the namespaces and links of labs whose process is dead (a crashed or killed run). */
  static removeStale(): void {
    for (const line of ip(['netns', 'list']).split('\n')) {
      const name = line.split(' ')[0];
      const match = new RegExp(`^${NETNS_PREFIX}(?:probe-)?(\\d+)`).exec(name);
      if (match && !alive(Number(match[1]))) NetnsLab.deleteNetns(name);
    }
    for (const line of ip(['-o', 'link', 'show']).split('\n')) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      const match = name ? new RegExp(`^${LINK_PREFIX}(\\d+)[b\\d]$`).exec(name) : null;
      if (name && match && !alive(Number(match[1]))) {
        try {
          ip(['link', 'del', name]);
        } catch {
          // Went with its namespace.
        }
      }
    }
  }
}
