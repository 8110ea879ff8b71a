import type { EnvReader } from './env-reader';

/** One seed node of a Redis Cluster. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/**
 * A Redis Cluster as the node reaches it: seed nodes (the rest of the cluster is learnt from them
 * with CLUSTER SLOTS), optional ACL credentials and TLS. Cluster mode has database 0 only.
 */
export interface RedisClusterEndpoint {
  nodes: RedisNodeAddress[];
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** Where the node's Redis is: a standalone server (`redisUrl`), a cluster (`redisCluster`), or neither. */
export interface RedisEndpoint {
  redisUrl: string | undefined;
  redisCluster?: RedisClusterEndpoint | undefined;
}

/** More seeds than this is a mistake: a handful of seeds is enough to learn the whole cluster. */
export const MAX_CLUSTER_SEEDS = 64;

const CLUSTER_PROTOCOLS = ['redis+cluster:', 'rediss+cluster:'];
const STANDALONE_PROTOCOLS = ['redis:', 'rediss:'];
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/;

/**
 * Parses `host:port,host:port` (IPv6 hosts in brackets, `[::1]:7000`) into seed nodes; throws an
 * Error saying what is wrong with which entry. Duplicates and more than MAX_CLUSTER_SEEDS are refused.
 */
export function parseClusterNodes(list: string): RedisNodeAddress[] {
  const entries = list.split(',').map((entry) => entry.trim());
  if (entries.length > MAX_CLUSTER_SEEDS) throw new Error(`at most ${MAX_CLUSTER_SEEDS} seed nodes, got ${entries.length}`);
  const nodes: RedisNodeAddress[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    if (entry === '' || !match) throw new Error(`"${entry}" is not host:port`);
    const [, rawHost, rawPort] = match;
    const port = Number(rawPort);
    if (port < 1 || port > 65535) throw new Error(`"${entry}" has a port outside 1-65535`);
    if (!HOST.test(rawHost)) throw new Error(`"${entry}" has no valid host`);
    const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) throw new Error(`"${entry}" is listed twice`);
    seen.add(key);
    nodes.push({ host, port });
  }
  return nodes;
}

/**
 * Parses `redis+cluster://[user:password@]host:port,host:port[/]` (`rediss+cluster://` for TLS).
 * WHATWG URL cannot hold several hosts, so the authority is split by hand. Error messages never
 * repeat the credentials.
 */
export function parseClusterUrl(url: string): RedisClusterEndpoint {
  const scheme = /^([a-z+]+):\/\/(.*)$/i.exec(url);
  if (!scheme || !CLUSTER_PROTOCOLS.includes(`${scheme[1].toLowerCase()}:`)) throw new Error('must start with redis+cluster:// or rediss+cluster://');
  let rest = scheme[2];
  const at = rest.lastIndexOf('@');
  let username: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userInfo.indexOf(':');
    username = decodeURIComponent(colon >= 0 ? userInfo.slice(0, colon) : userInfo) || undefined;
    password = colon >= 0 ? decodeURIComponent(userInfo.slice(colon + 1)) || undefined : undefined;
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const path = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (path !== '' && path !== '0') throw new Error('names a database; Redis Cluster has database 0 only');
  }
  if (/[?#]/.test(rest)) throw new Error('takes no query string or fragment');
  return { nodes: parseClusterNodes(rest), username, password, tls: scheme[1].toLowerCase() === 'rediss+cluster' };
}

/**
 * REDIS_URL (standalone `redis://`, or a cluster `redis+cluster://h:p,h:p`) and REDIS_CLUSTER_NODES
 * (cluster seeds without credentials), validated together: a bad list, or both variables naming
 * different things, is a problem on `read` (one line naming the variable) and Redis is then off.
 * REDIS_KEY_PREFIX must not hold `{` or `}` in cluster mode: the hash tags are the node's own.
 */
export function readRedisEndpoint(read: EnvReader): RedisEndpoint {
  const rawUrl = read.optional('REDIS_URL');
  const rawNodes = read.optional('REDIS_CLUSTER_NODES');
  let redisCluster: RedisClusterEndpoint | undefined;
  let redisUrl: string | undefined;
  const urlIsCluster = rawUrl !== undefined && /^rediss?\+cluster:/i.test(rawUrl);
  if (rawNodes !== undefined && rawUrl !== undefined) {
    read.problem(
      urlIsCluster
        ? 'REDIS_CLUSTER_NODES and a redis+cluster:// REDIS_URL are both set: name the cluster once (the URL form also carries credentials)'
        : 'REDIS_CLUSTER_NODES names a Redis Cluster but REDIS_URL a standalone Redis: set one of them (or REDIS_URL=redis+cluster://host:port,…)',
    );
    return { redisUrl: undefined, redisCluster: undefined };
  }
  if (rawNodes !== undefined) {
    try {
      redisCluster = { nodes: parseClusterNodes(rawNodes), username: undefined, password: undefined, tls: false };
    } catch (error) {
      read.problem(`REDIS_CLUSTER_NODES must be a comma-separated list of host:port: ${(error as Error).message}`);
    }
  } else if (urlIsCluster) {
    try {
      redisCluster = parseClusterUrl(rawUrl as string);
    } catch (error) {
      read.problem(`REDIS_URL (redis+cluster://host:port,host:port) ${(error as Error).message}`);
    }
  } else {
    redisUrl = read.url('REDIS_URL', STANDALONE_PROTOCOLS);
  }
  if (redisCluster && /[{}]/.test(read.string('REDIS_KEY_PREFIX', ''))) {
    read.problem('REDIS_KEY_PREFIX must not contain { or } with a Redis Cluster: the node puts its own hash tags in keys');
  }
  return { redisUrl, redisCluster };
}

/** The cluster's seeds for logs and /health: `host:port,…` without credentials. */
export function describeCluster(cluster: RedisClusterEndpoint): string {
  return cluster.nodes.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(',');
}
