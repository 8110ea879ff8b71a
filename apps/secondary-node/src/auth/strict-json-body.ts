import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { DomainError } from '../errors/domain-errors';
import { addRouteHook } from '../http/route-hooks';

/**
 * Routes that take credentials accept only a plain JSON object: `application/json` (a form body is
 * refused with 415, not parsed), at most 16 KiB, and no key twice (JSON.parse silently keeps the
 * last of duplicates, so two readers of one body could see different usernames).
 */
export const STRICT_JSON_ROUTES: ReadonlySet<string> = new Set(['/api/v1/auth/token', '/api/v1/auth/password', '/identity/token', '/identity/token/v1']);
const MAX_BYTES = 16 * 1024;

/** Checks the bodies of STRICT_JSON_ROUTES before Fastify parses them. */
export function installStrictJsonBodies(fastify: FastifyInstance): void {
  // Only on routes that read a body; callback style: every other POST passes straight through, without a promise.
  addRouteHook(fastify, 'preParsing', (request: FastifyRequest, _reply: FastifyReply, payload: Readable, done: (error: Error | null, payload?: Readable) => void) => {
    // Every sign-in route is a POST: a GET pays one comparison.
    if (request.method !== 'POST' || !STRICT_JSON_ROUTES.has(request.url.split('?', 1)[0]) || !hasBody(request)) {
      done(null, payload);
      return;
    }
    strictJsonBody(request, payload as Readable).then(
      (replay) => done(null, replay),
      (error: Error) => done(error),
    );
  }, { bodies: true });
}

/** The body again, as a stream, once it is known to be a JSON object without a repeated key. */
async function strictJsonBody(request: FastifyRequest, payload: Readable): Promise<Readable> {
  const contentType = request.headers['content-type'];
  if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `this route takes a JSON body: Content-Type must be application/json, got ${contentType === undefined ? 'none' : JSON.stringify(contentType.slice(0, 100))}`);
  }
  const raw = await readAtMost(request, payload, MAX_BYTES);
  const duplicate = duplicateKeyPath(raw.toString('utf8'));
  if (duplicate !== undefined) {
    throw new DomainError('VALIDATION_FAILED', `the JSON body names ${duplicate} more than once`, [{ path: duplicate, message: 'appears more than once' }]);
  }
  const replay = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
  replay.receivedEncodedLength = raw.length;
  return replay;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The body, when it is at most `limit` bytes. A larger one is refused at once (by its
 * Content-Length when it has one) and the rest of it is read and dropped rather than left in the
 * socket: ending the stream early left a keep-alive connection that never answered again.
 */
function readAtMost(request: FastifyRequest, stream: Readable, limit: number): Promise<Buffer> {
  const tooLarge = () => new DomainError('PAYLOAD_TOO_LARGE', `this route takes a JSON body of at most ${limit} bytes`);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    stream.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size <= limit) {
        chunks.push(buffer);
        return;
      }
      stop();
      stream.resume();
      reject(tooLarge());
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

class Malformed extends Error {}
const MAX_DEPTH = 64;

/**
 * The JSON pointer of the first key that appears twice in one object of `text` (keys compared
 * after unescaping, so `"user\u006eame"` is `username`), or undefined. Malformed JSON yields
 * undefined: the JSON parser reports it.
 */
export function duplicateKeyPath(text: string): string | undefined {
  let pos = 0;
  const skipSpace = () => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t' || text[pos] === '\n' || text[pos] === '\r')) pos += 1;
  };
  const readString = (): string => {
    const start = pos;
    pos += 1;
    while (pos < text.length) {
      const ch = text[pos];
      if (ch === '\\') pos += 2;
      else if (ch === '"') {
        pos += 1;
        try {
          return JSON.parse(text.slice(start, pos)) as string;
        } catch {
          throw new Malformed();
        }
      } else pos += 1;
    }
    throw new Malformed();
  };
  const readValue = (path: string, depth: number): string | undefined => {
    if (depth > MAX_DEPTH) throw new Malformed();
    skipSpace();
    const ch = text[pos];
    if (ch === '{') return readObject(path, depth);
    if (ch === '[') return readArray(path, depth);
    if (ch === '"') {
      readString();
      return undefined;
    }
    const start = pos;
    while (pos < text.length && !',]} \t\n\r'.includes(text[pos])) pos += 1;
    if (pos === start) throw new Malformed();
    return undefined;
  };
  const readObject = (path: string, depth: number): string | undefined => {
    pos += 1;
    skipSpace();
    if (text[pos] === '}') {
      pos += 1;
      return undefined;
    }
    const keys = new Set<string>();
    for (;;) {
      skipSpace();
      if (text[pos] !== '"') throw new Malformed();
      const key = readString();
      const keyPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (keys.has(key)) return keyPath;
      keys.add(key);
      skipSpace();
      if (text[pos] !== ':') throw new Malformed();
      pos += 1;
      const inner = readValue(keyPath, depth + 1);
      if (inner !== undefined) return inner;
      skipSpace();
      if (text[pos] === ',') pos += 1;
      else if (text[pos] === '}') {
        pos += 1;
        return undefined;
      } else throw new Malformed();
    }
  };
  const readArray = (path: string, depth: number): string | undefined => {
    pos += 1;
    skipSpace();
    if (text[pos] === ']') {
      pos += 1;
      return undefined;
    }
    for (let index = 0; ; index += 1) {
      const inner = readValue(`${path}/${index}`, depth + 1);
      if (inner !== undefined) return inner;
      skipSpace();
      if (text[pos] === ',') pos += 1;
      else if (text[pos] === ']') {
        pos += 1;
        return undefined;
      } else throw new Malformed();
    }
  };
  try {
    return readValue('', 0);
  } catch (error) {
    if (error instanceof Malformed) return undefined;
    throw error;
  }
}
