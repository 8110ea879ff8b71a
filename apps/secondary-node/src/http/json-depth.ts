import { Readable } from 'node:stream';

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
 *
 * The request is not touched until the body is read. A route that never reads it (405, 415) leaves
 * the request to Node, which drains it when the reply ends, so a kept-alive connection serves its
 * next request. A refused body is read to its end and dropped, never left in the socket.
 */
export function depthLimitedBody(payload: Readable, maxDepth: number): Readable {
  return new DepthLimitedBody(payload, new JsonDepthScanner(maxDepth), maxDepth);
}

class DepthLimitedBody extends Readable {
  private reading = false;

  constructor(
    private readonly source: Readable,
    private readonly scanner: JsonDepthScanner,
    private readonly maxDepth: number,
  ) {
    super();
    // A reader listens for the refusal itself; one that never reads must not end the process.
    this.on('error', ignoreUnread);
  }

  override _read(): void {
    if (this.reading) {
      this.source.resume();
      return;
    }
    this.reading = true;
    this.source.on('data', this.onData);
    this.source.on('end', this.onEnd);
    this.source.on('error', this.onError);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.detach();
    callback(error);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.scanner.exceeded(chunk)) {
      this.detach();
      this.source.resume(); // the rest of the upload is read and dropped
      this.destroy(Object.assign(new Error(`the JSON body nests objects and arrays deeper than ${this.maxDepth} levels`), { statusCode: 400 }));
      return;
    }
    if (!this.push(chunk)) this.source.pause();
  };

  private readonly onEnd = (): void => {
    this.detach();
    this.push(null);
  };

  private readonly onError = (error: Error): void => {
    this.detach();
    this.destroy(error);
  };

  private detach(): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('error', this.onError);
  }
}

function ignoreUnread(): void {}
