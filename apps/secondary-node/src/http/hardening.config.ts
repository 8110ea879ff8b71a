import type { EnvReader } from '@idis/runtime';

/** What the HTTP server refuses or bounds before any route runs (http/hardening.ts). */
export interface HardeningConfig {
  /** Origins a browser may call the API from (CORS); empty: none (no CORS headers at all). */
  corsOrigins: string[];
  /** Nesting of a JSON body beyond this is refused with 400 before it is parsed. */
  maxJsonDepth: number;
  /** A longer request target (path and query) is refused with 414. */
  maxUrlLength: number;
  /** The request line and headers together; more is refused with 431 by Node's parser. */
  maxHeaderBytes: number;
  /** A whole request (headers and body) must arrive within this, else 408. */
  requestTimeoutMs: number;
  /** The headers must arrive within this (slow-header attacks); at most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** A socket with no activity for this long is closed. */
  idleTimeoutMs: number;
  /** How long a kept-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
}

export function readHardeningConfig(read: EnvReader): HardeningConfig {
  const requestTimeoutMs = read.integer('HTTP_REQUEST_TIMEOUT_MS', 60_000, 1000, 3_600_000);
  const config: HardeningConfig = {
    corsOrigins: readOrigins(read),
    maxJsonDepth: read.integer('MAX_JSON_DEPTH', 32, 2, 1000),
    maxUrlLength: read.integer('MAX_URL_LENGTH', 8192, 256, 65_536),
    maxHeaderBytes: read.integer('MAX_HEADER_BYTES', 16_384, 1024, 1_048_576),
    requestTimeoutMs,
    headersTimeoutMs: Math.min(read.integer('HTTP_HEADERS_TIMEOUT_MS', 20_000, 1000, 3_600_000), requestTimeoutMs),
    idleTimeoutMs: read.integer('HTTP_IDLE_TIMEOUT_MS', 120_000, 1000, 3_600_000),
    keepAliveTimeoutMs: read.integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 3_600_000),
  };
  return config;
}

/** CORS_ORIGINS: comma-separated origins such as https://console.example.cn (scheme, host, optional port). */
function readOrigins(read: EnvReader): string[] {
  const raw = read.optional('CORS_ORIGINS');
  if (raw === undefined) return [];
  const origins: string[] = [];
  for (const entry of raw.split(',').map((o) => o.trim()).filter(Boolean)) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry.replace(/\/$/, '')) origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined) {
      read.problem(`CORS_ORIGINS must list origins such as https://console.example.cn (scheme://host[:port], no path, no "*"), got "${entry}"`);
      continue;
    }
    origins.push(origin);
  }
  return origins;
}

export const HARDENING_CONFIG = Symbol('HARDENING_CONFIG');
