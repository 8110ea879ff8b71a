import type { HandleJsonValue } from '@idis/identifier';
import { MAX_HANDLE_LENGTH, MAX_HANDLE_VALUES, Permission, TtlType } from './constants';
import { malformed } from './errors';
import { BoundedReader } from './reader';
import { ByteWriter } from './writer';

export interface WireReference {
  handle: string;
  index: number;
}

/**
 * One handle value in the binary encoding of RFC 3651 §3.1 as Handle.Net writes it
 * (Encoder.encodeHandleValue): index u32, timestamp u32 (seconds — the RFC's 8-byte millisecond
 * field is not what CNRI sends), TTL type u8 + TTL u32, permissions u8, type and data as
 * length-prefixed strings, then u32 references count + (UTF8 handle, u32 index) pairs.
 */
export interface WireValue {
  index: number;
  /** Seconds since the epoch. */
  timestamp: number;
  ttlType: number;
  /** Relative: seconds; absolute: seconds since the epoch. */
  ttl: number;
  /** Permission bits (Permission.*). */
  permissions: number;
  type: string;
  data: Uint8Array;
  references: WireReference[];
}

/** The smallest encoded value: 4+4+1+4+1 fixed, three empty length fields. */
export const MIN_VALUE_BYTES = 26;
/** Entries of a reference list or vlist accepted when decoding. */
export const MAX_REFERENCES = 4096;

export function writeValue(writer: ByteWriter, value: WireValue): ByteWriter {
  writer.u32(value.index).u32(value.timestamp).u8(value.ttlType).u32(value.ttl).u8(value.permissions).utf8(value.type).bytesField(value.data);
  writer.u32(value.references.length);
  for (const reference of value.references) writer.utf8(reference.handle).u32(reference.index);
  return writer;
}

export function encodeValue(value: WireValue): Buffer {
  return writeValue(new ByteWriter(64 + value.data.length), value).toBuffer();
}

export function readValue(reader: BoundedReader): WireValue {
  const index = reader.u32('value index');
  const timestamp = reader.u32('value timestamp');
  const ttlType = reader.u8('value ttl type');
  const ttl = reader.u32('value ttl');
  const permissions = reader.u8('value permissions');
  const type = reader.utf8('value type', reader.remaining);
  const data = Buffer.from(reader.bytesField('value data'));
  const count = reader.count('value references', 8, MAX_REFERENCES);
  const references: WireReference[] = [];
  for (let i = 0; i < count; i += 1) references.push({ handle: reader.utf8('reference handle', MAX_HANDLE_LENGTH), index: reader.u32('reference index') });
  return { index, timestamp, ttlType, ttl, permissions, type, data, references };
}

/** A value list: u32 count + values. */
export function readValueList(reader: BoundedReader): WireValue[] {
  const count = reader.count('value list', MIN_VALUE_BYTES, MAX_HANDLE_VALUES);
  const values: WireValue[] = [];
  for (let i = 0; i < count; i += 1) values.push(readValue(reader));
  return values;
}

/** Encodes `values` as a value list: u32 count + each value. */
export function encodeValueList(values: readonly WireValue[]): Buffer {
  const writer = new ByteWriter(64 + values.length * 64);
  writer.u32(values.length);
  for (const value of values) writeValue(writer, value);
  return writer.toBuffer();
}

const ISO_SECONDS = (iso: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw malformed(`timestamp ${JSON.stringify(iso)} is not ISO 8601`);
  return Math.max(0, Math.min(0xffffffff, Math.floor(ms / 1000)));
};

/** The permission byte of a Handle.Net JSON value ("1110" = admin read, admin write, public read). */
export function permissionByte(permissions: string | undefined): number {
  const p = permissions ?? '1110';
  return (p[0] === '1' ? Permission.ADMIN_READ : 0) | (p[1] === '1' ? Permission.ADMIN_WRITE : 0) | (p[2] === '1' ? Permission.PUBLIC_READ : 0) | (p[3] === '1' ? Permission.PUBLIC_WRITE : 0);
}

/**
 * A value as the node stores it (Handle.Net JSON form, validated when written) in the binary
 * encoding: `string` data as UTF-8, `base64`/`hex` decoded, `admin` as HS_ADMIN (permissions u16
 * first, as Handle.Net writes it, then the admin handle and index), `vlist` as HS_VLIST.
 */
export function wireValueFromJson(value: HandleJsonValue): WireValue {
  const ttl = value.ttl;
  return {
    index: value.index >>> 0,
    timestamp: value.timestamp === undefined ? 0 : ISO_SECONDS(value.timestamp),
    ttlType: typeof ttl === 'string' ? TtlType.ABSOLUTE : TtlType.RELATIVE,
    ttl: typeof ttl === 'string' ? ISO_SECONDS(ttl) : ttl === undefined ? 86400 : ttl >>> 0,
    permissions: permissionByte(value.permissions),
    type: value.type,
    data: dataBytes(value.data.format, value.data.value),
    references: (value.references ?? []).map((r) => ({ handle: r.handle, index: r.index >>> 0 })),
  };
}

function dataBytes(format: string, data: unknown): Uint8Array {
  switch (format) {
    case 'string':
      return Buffer.from(String(data), 'utf8');
    case 'base64':
      return Buffer.from(String(data), 'base64');
    case 'hex':
      return Buffer.from(String(data), 'hex');
    case 'admin': {
      const admin = data as { handle: string; index: number; permissions: string };
      return new ByteWriter(32).u16(Number.parseInt(admin.permissions, 2)).utf8(admin.handle).u32(admin.index).toBuffer();
    }
    case 'vlist': {
      const list = data as Array<{ handle: string; index: number }>;
      const writer = new ByteWriter(16 + list.length * 24).u32(list.length);
      for (const entry of list) writer.utf8(entry.handle).u32(entry.index);
      return writer.toBuffer();
    }
    default:
      return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
  }
}
