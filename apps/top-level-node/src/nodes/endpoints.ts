import type { Endpoint } from '@idis/contracts';
import { invalid } from '../errors/top-level-errors';

export interface EndpointRecord {
  kind: string;
  url: string;
}

export const MAX_ENDPOINTS = 16;

/** Validates the endpoints a node announces (enrolment, heartbeat). */
export function endpointsFrom(input: Endpoint[] | undefined | null, field = 'endpoints'): EndpointRecord[] {
  const list = input ?? [];
  if (list.length > MAX_ENDPOINTS) throw invalid(`${field}: at most ${MAX_ENDPOINTS} endpoints, got ${list.length}`);
  return list.map((endpoint, i) => {
    const kind = endpoint?.kind ?? '';
    const url = endpoint?.url ?? '';
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(kind)) throw invalid(`${field}[${i}].kind must be 1-32 lower-case letters, digits or "-" (e.g. "proxy", "handle-rest"), got ${JSON.stringify(kind)}`);
    if (url.length === 0 || url.length > 2048) throw invalid(`${field}[${i}].url must be 1-2048 characters`);
    if (/[\u0000-\u001f\s]/.test(url)) throw invalid(`${field}[${i}].url must not contain spaces or control characters`);
    return { kind, url };
  });
}
