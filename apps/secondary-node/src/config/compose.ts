import { ConfigError, type Env } from '@idis/runtime';
import { type NodeConfig, NodeEnvReader, readNodeConfig } from './node-config';

/**
 * Reads a whole configuration with one reader: the variables `overrides` lays over `env` (what the
 * process decides at start-up, e.g. the embedded top-level node's address), the node-wide slice,
 * then the capabilities' slices that `readSlices` reads (each beside its capability; the app root
 * lists them). Every problem of every slice is reported at once, in one ConfigError.
 */
export function composeConfig<T>(env: Env, overrides: Env, readSlices: (read: NodeEnvReader, node: NodeConfig) => T): NodeConfig & T {
  const merged = { ...env, ...overrides };
  const read = new NodeEnvReader(merged);
  const node = readNodeConfig(read, merged);
  const slices = readSlices(read, node);
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return { ...node, ...slices };
}
