import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-errors';
import { replyWithError } from './front-door-exception.filter';
import { addRouteHook } from './route-hooks';

/**
 * Routes whose bodies are batches answered item by item (SNMS semantics: a bad item is reported
 * in its own result and the good items are stored); their services refuse NUL per item.
 */
const PER_ITEM_BODIES = new Set(['/identityv2/data/batchCreate', '/identityv2/data/batchUpdate', '/identityv2/data/batchDelete']);

/** Containers nested deeper than this are not searched (the JSON parser and schemas bound depth anyway). */
const MAX_DEPTH = 64;

/**
 * PostgreSQL text cannot hold U+0000: a NUL that reaches SQL fails the statement (a 500, or a job
 * quoting the database's error). A preValidation hook on every route (the lean resolution routes
 * make the same check in their handlers) refuses it at the edge: path parameters, query parameters and parsed JSON bodies,
 * with a 400 VALIDATION_FAILED in the envelope of the request's front door, before any guard or
 * handler runs (so nothing is written).
 */
export function refuseNulCharacters(fastify: FastifyInstance): void {
  const logger = new Logger('HTTP');
  // Per route (the lean resolution routes call refusedForNul themselves: every resolution would pay the hook).
  addRouteHook(fastify, 'preValidation', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (!refusedForNul(request, reply, logger)) done();
  });
}

/**
 * Answers 400 VALIDATION_FAILED and returns true when the request holds a NUL. Callback style, with
 * the common case first: a NUL in the path or query string can only come from a percent-encoded %00
 * (the HTTP parser refuses a raw one), so a body-less request without one passes without walking its
 * parameters.
 */
export function refusedForNul(request: FastifyRequest, reply: FastifyReply, logger: Logger): boolean {
  if ((request.body === undefined || request.body === null) && !request.url.includes('%00')) return false;
  const problem = nulProblem(request);
  if (problem === null) return false;
  replyWithError(new DomainError('VALIDATION_FAILED', problem.message, [problem]), request, reply, logger);
  return true;
}

export function nulProblem(request: Pick<FastifyRequest, 'params' | 'query' | 'body' | 'url'>): { path: string; message: string } | null {
  const inPath = findInStrings(request.params);
  if (inPath !== null) return { path: 'path', message: 'the path contains the NUL character U+0000; control characters are not accepted in identifiers' };
  const inQuery = findInStrings(request.query);
  if (inQuery !== null) return { path: inQuery, message: `query parameter ${inQuery} contains the NUL character U+0000; control characters are not accepted` };
  if (request.body === undefined || request.body === null || PER_ITEM_BODIES.has(request.url.split('?', 1)[0])) return null;
  // A streamed body (a CSV import) is not parsed yet: its reader refuses NUL per row (checkRecord).
  if (request.body instanceof Readable) return null;
  const found = findNul(request.body, '', 0);
  if (found === null) return null;
  return { path: found.pointer, message: `${found.pointer || '/'} contains the NUL character U+0000 at position ${found.position}, which cannot be stored` };
}

/** The name of the first parameter (of a flat params/query object) holding a NUL, or null. */
function findInStrings(params: unknown): string | null {
  if (typeof params !== 'object' || params === null) return null;
  for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
    if (name.includes('\u0000')) return name.replace(/\u0000/g, '\\u0000');
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'string' && v.includes('\u0000'))) return name;
  }
  return null;
}

/** The JSON pointer (RFC 6901) of the first string or key holding a NUL, with the NUL's position, or null. */
export function findNulPointer(value: unknown): { pointer: string; position: number } | null {
  return findNul(value, '', 0);
}

function findNul(value: unknown, pointer: string, depth: number): { pointer: string; position: number } | null {
  if (typeof value === 'string') {
    const position = value.indexOf('\u0000');
    return position < 0 ? null : { pointer, position };
  }
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findNul(value[i], `${pointer}/${i}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const escaped = key.replace(/~/g, '~0').replace(/\//g, '~1');
    const keyPosition = key.indexOf('\u0000');
    if (keyPosition >= 0) return { pointer: `${pointer}/${escaped.replace(/\u0000/g, '\\u0000')}`, position: keyPosition };
    const found = findNul(item, `${pointer}/${escaped}`, depth + 1);
    if (found) return found;
  }
  return null;
}
