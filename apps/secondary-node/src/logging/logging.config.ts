import type { EnvReader } from '@idis/runtime';
import type { NodeConfig } from '../config/node-config';

/** pino's levels; LOG_LEVEL also takes Nest's names `log` (= info) and `verbose` (= trace). */
export type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** How the node logs (logging/node-logger.ts, logging/request-logging.ts). */
export interface LoggingConfig {
  level: PinoLevel;
  /** `pretty`: pino-pretty lines for a terminal; `json`: one JSON object per line. */
  format: 'pretty' | 'json';
  /**
   * Resolutions are counted (metrics), not logged; this fraction of them is logged at info
   * anyway (LOG_RESOLUTION_SAMPLE_RATE, 0 to 1). At LOG_LEVEL=debug every one is logged at debug.
   */
  resolutionSampleRate: number;
}

export function pinoLevelOf(level: NodeConfig['logLevel']): PinoLevel {
  if (level === 'log') return 'info';
  if (level === 'verbose') return 'trace';
  return level;
}

/**
 * LOG_FORMAT defaults to `pretty` in the embedded profile when stdout is a terminal (someone is
 * watching `npm start`), and to `json` otherwise (a service whose lines a collector reads).
 */
export function readLoggingConfig(read: EnvReader, node: NodeConfig, stdoutIsTty: boolean = process.stdout.isTTY === true): LoggingConfig {
  const prettyByDefault = node.profile === 'embedded' && stdoutIsTty;
  return {
    level: pinoLevelOf(node.logLevel),
    format: read.oneOf('LOG_FORMAT', ['pretty', 'json'] as const, prettyByDefault ? 'pretty' : 'json'),
    resolutionSampleRate: read.fraction('LOG_RESOLUTION_SAMPLE_RATE', 0),
  };
}

export const LOGGING_CONFIG = Symbol('LOGGING_CONFIG');
