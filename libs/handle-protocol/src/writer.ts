/** Appends big-endian fields to a growing buffer; used when a message is built (not per packet). */
export class ByteWriter {
  private buffer: Buffer;
  length = 0;

  constructor(initial = 256) {
    this.buffer = Buffer.allocUnsafe(initial);
  }

  private room(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + count));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): this {
    this.room(1);
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    this.room(2);
    this.buffer.writeUInt16BE(value & 0xffff, this.length);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.room(4);
    this.buffer.writeUInt32BE(value >>> 0, this.length);
    this.length += 4;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.room(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** u32 length + bytes. */
  bytesField(bytes: Uint8Array): this {
    return this.u32(bytes.length).raw(bytes);
  }

  /** UTF8-String: u32 byte length + UTF-8. */
  utf8(text: string): this {
    return this.bytesField(Buffer.from(text, 'utf8'));
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}
