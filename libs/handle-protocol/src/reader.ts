import { malformed } from './errors';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads big-endian fields from a byte range, checking every length against what is left BEFORE
 * allocating or looping: a packet that claims 4 billion values is refused after reading 4 bytes.
 */
export class BoundedReader {
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
    private readonly what = 'message',
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(count: number, field: string): void {
    if (count > this.end - this.offset) {
      throw malformed(`${this.what} ends inside ${field}: ${count} bytes needed, ${this.end - this.offset} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++];
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.bytes;
    const value = (b[this.offset] << 8) | b[this.offset + 1];
    this.offset += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset += 4;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  /** A count of items each at least `minItemBytes` long, refused when the rest cannot hold them. */
  count(field: string, minItemBytes: number, max: number): number {
    const n = this.u32(`${field} count`);
    if (n > max) throw malformed(`${field}: ${n} items, at most ${max} accepted`);
    if (n * minItemBytes > this.end - this.offset) {
      throw malformed(`${field}: ${n} items claimed but only ${this.end - this.offset} bytes left`);
    }
    return n;
  }

  /** u32 length + that many bytes (a view, not a copy). */
  bytesField(field: string, max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const length = this.u32(`${field} length`);
    if (length > max) throw malformed(`${field} is ${length} bytes, at most ${max} accepted`);
    this.need(length, field);
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  /** UTF8-String (RFC 3652 §2.1.4): u32 length + UTF-8; invalid UTF-8 is refused. */
  utf8(field: string, max = Number.MAX_SAFE_INTEGER): string {
    const raw = this.bytesField(field, max);
    try {
      return UTF8.decode(raw);
    } catch {
      throw malformed(`${field} is not valid UTF-8`);
    }
  }

  fixed(length: number, field: string): Uint8Array {
    this.need(length, field);
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }
}
