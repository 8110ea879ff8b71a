import { Transform, type Readable } from 'node:stream';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Follows the nesting of objects and arrays in JSON text fed in pieces (bytes of UTF-8, where a
 * structural character is never part of a multi-byte sequence, or a string's char codes), ignoring
 * brackets inside strings. Malformed text is left to the parser.
 */
export class JsonDepthScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxDepth: number) {}

  /** Feeds the next piece; true as soon as the nesting has gone deeper than the limit. */
  exceeded(piece: Uint8Array | string): boolean {
    const text = typeof piece === 'string';
    for (let i = 0; i < piece.length; i += 1) {
      const c = text ? (piece as string).charCodeAt(i) : (piece as Uint8Array)[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) {
        this.inString = true;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        this.depth += 1;
        if (this.depth > this.maxDepth) return true;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth -= 1;
      }
    }
    return false;
  }
}

/** Whether the JSON text nests objects and arrays deeper than `maxDepth`. */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  return new JsonDepthScanner(maxDepth).exceeded(text);
}

/**
 * The request body stream, failing with a 400 as soon as its JSON nests deeper than `maxDepth`:
 * checked while the body arrives, before anything is parsed, so a deeply nested body is never
 * built in full (and never reaches the recursive walkers after JSON.parse: schema validation,
 * canonicalisation).
 */
export function depthLimitedBody(payload: Readable, maxDepth: number): Readable {
  const scanner = new JsonDepthScanner(maxDepth);
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!scanner.exceeded(chunk)) {
        callback(null, chunk);
        return;
      }
      // Refused: the rest of the upload is read and dropped, not left in the socket (destroying the
      // request's stream instead left a keep-alive connection that never answered again).
      payload.unpipe(guard);
      payload.resume();
      callback(Object.assign(new Error(`the JSON body nests objects and arrays deeper than ${maxDepth} levels`), { statusCode: 400 }));
    },
  });
  // An aborted upload fails the body the parser reads.
  payload.once('error', (error) => guard.destroy(error));
  return payload.pipe(guard);
}
