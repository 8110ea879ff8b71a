import type { LoggerService } from '@nestjs/common';
import pino, { type Logger as Pino } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LoggingConfig, PinoLevel } from './logging.config';

/**
 * Never written, wherever they appear in a logged object: credentials in headers, passwords,
 * tokens, secrets. The node logs no headers or bodies, so this is the second line of defence.
 */
export const REDACTED_PATHS = [
  'authorization',
  'password',
  'token',
  'accessToken',
  'secret',
  'apiKey',
  '*.authorization',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.secret',
  '*.apiKey',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'request.headers.authorization',
  'request.headers["x-api-key"]',
];

/**
 * Nest's start-up chatter: one line per mapped route and per module. Kept at debug so that an
 * info-level start-up shows what an operator needs (the banner, warnings) and nothing else.
 */
const CHATTY_CONTEXTS = new Set(['RouterExplorer', 'RoutesResolver', 'InstanceLoader']);

/** The node's pino logger: JSON lines on stdout, or pino-pretty lines for a terminal. */
export function createPino(config: LoggingConfig, destination?: NodeJS.WritableStream): Pino {
  const options = {
    level: config.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.format === 'pretty') {
    return pino(options, pinoPretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true, destination: destination ?? 1 }));
  }
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

/**
 * Nest's LoggerService on pino: `new Logger('Context').log(...)` anywhere in the node ends up as
 * one structured line with `context`. An object message is merged into the line (its `msg`, if
 * any, is the message), so callers can log fields rather than interpolated text.
 */
export class NodeLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = contextOf(params);
    this.write(context !== undefined && CHATTY_CONTEXTS.has(context) ? 'debug' : 'info', message, context);
  }

  error(message: unknown, ...params: unknown[]): void {
    // Nest calls error(message, stack?, context?).
    const context = params.length >= 1 ? contextOf(params) : undefined;
    const stack = params.length >= 2 && typeof params[0] === 'string' ? params[0] : undefined;
    this.write('error', message, context, stack);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, contextOf(params));
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, contextOf(params));
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, contextOf(params));
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, contextOf(params));
  }

  private write(level: PinoLevel, message: unknown, context: string | undefined, stack?: string): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    if (context !== undefined) fields.context = context;
    if (stack !== undefined) fields.stack = stack;
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...rest } = message as Record<string, unknown>;
      this.pino[level]({ ...fields, ...rest }, typeof msg === 'string' ? msg : '');
    } else {
      this.pino[level](fields, String(message));
    }
  }
}

/** Nest passes the context as the last argument. */
function contextOf(params: unknown[]): string | undefined {
  const last = params[params.length - 1];
  return typeof last === 'string' ? last : undefined;
}
