import { HashOption, SITE_MULTI_PRIMARY, SITE_PRIMARY, SITE_RECORD_FORMAT_VERSION } from './constants';
import { malformed } from './errors';
import { BoundedReader } from './reader';
import { ByteWriter } from './writer';

export interface SiteInterface {
  /** ServiceType.* (Handle.Net numbering). */
  type: number;
  /** TransportProtocol.* (Handle.Net numbering). */
  protocol: number;
  port: number;
}

export interface SiteServer {
  serverId: number;
  /** 16 bytes; an IPv4 address is zero-padded on the left, as Handle.Net writes it. */
  address: Uint8Array;
  publicKey: Uint8Array;
  interfaces: SiteInterface[];
}

/** The HS_SITE value (RFC 3651 §3.2.2, byte order as Handle.Net's Encoder.encodeSiteInfoRecord). */
export interface SiteInfo {
  dataFormatVersion: number;
  majorVersion: number;
  minorVersion: number;
  serialNumber: number;
  primary: boolean;
  multiPrimary: boolean;
  hashOption: number;
  hashFilter: Uint8Array;
  attributes: Array<{ name: string; value: string }>;
  servers: SiteServer[];
}

const MAX_SITE_ITEMS = 1024;

export function encodeSiteInfo(site: SiteInfo): Buffer {
  const writer = new ByteWriter(128);
  writer.u16(site.dataFormatVersion).u8(site.majorVersion).u8(site.minorVersion).u16(site.serialNumber);
  writer.u8((site.primary ? SITE_PRIMARY : 0) | (site.multiPrimary ? SITE_MULTI_PRIMARY : 0)).u8(site.hashOption);
  writer.bytesField(site.hashFilter);
  writer.u32(site.attributes.length);
  for (const attribute of site.attributes) writer.utf8(attribute.name).utf8(attribute.value);
  writer.u32(site.servers.length);
  for (const server of site.servers) {
    if (server.address.length !== 16) throw new RangeError('a server address is 16 bytes');
    writer.u32(server.serverId).raw(server.address).bytesField(server.publicKey).u32(server.interfaces.length);
    for (const intf of server.interfaces) writer.u8(intf.type).u8(intf.protocol).u32(intf.port);
  }
  return writer.toBuffer();
}

export function decodeSiteInfo(bytes: Uint8Array): SiteInfo {
  const reader = new BoundedReader(bytes, 0, bytes.length, 'HS_SITE');
  const dataFormatVersion = reader.u16('site data format version');
  const majorVersion = reader.u8('site major version');
  const minorVersion = reader.u8('site minor version');
  const serialNumber = reader.u16('site serial number');
  const mask = reader.u8('site primary mask');
  const hashOption = reader.u8('site hash option');
  const hashFilter = Buffer.from(reader.bytesField('site hash filter'));
  const attributes: SiteInfo['attributes'] = [];
  const attributeCount = reader.count('site attributes', 8, MAX_SITE_ITEMS);
  for (let i = 0; i < attributeCount; i += 1) attributes.push({ name: reader.utf8('attribute name'), value: reader.utf8('attribute value') });
  const servers: SiteServer[] = [];
  const serverCount = reader.count('site servers', 28, MAX_SITE_ITEMS);
  for (let i = 0; i < serverCount; i += 1) {
    const serverId = reader.u32('server id');
    const address = Buffer.from(reader.fixed(16, 'server address'));
    const publicKey = Buffer.from(reader.bytesField('server public key'));
    const interfaces: SiteInterface[] = [];
    const interfaceCount = reader.count('server interfaces', 6, MAX_SITE_ITEMS);
    for (let j = 0; j < interfaceCount; j += 1) interfaces.push({ type: reader.u8('interface type'), protocol: reader.u8('interface protocol'), port: reader.u32('interface port') });
    servers.push({ serverId, address, publicKey, interfaces });
  }
  if (reader.remaining !== 0) throw malformed(`${reader.remaining} unexpected bytes after the HS_SITE record`);
  return { dataFormatVersion, majorVersion, minorVersion, serialNumber, primary: (mask & SITE_PRIMARY) !== 0, multiPrimary: (mask & SITE_MULTI_PRIMARY) !== 0, hashOption, hashFilter, attributes, servers };
}

/** A one-server site with the given interfaces, hashing by handle as Handle.Net's defaults do. */
export function singleServerSite(options: { serialNumber: number; address: Uint8Array; interfaces: SiteInterface[]; description?: string; majorVersion: number; minorVersion: number }): SiteInfo {
  return {
    dataFormatVersion: SITE_RECORD_FORMAT_VERSION,
    majorVersion: options.majorVersion,
    minorVersion: options.minorVersion,
    serialNumber: options.serialNumber,
    primary: true,
    multiPrimary: false,
    hashOption: HashOption.BY_HANDLE,
    hashFilter: new Uint8Array(0),
    attributes: options.description ? [{ name: 'desc', value: options.description }] : [],
    servers: [{ serverId: 1, address: options.address, publicKey: new Uint8Array(0), interfaces: options.interfaces }],
  };
}

/** 16-byte form of an IPv4 (zero-padded, as Handle.Net) or IPv6 address; undefined if neither. */
export function addressBytes(address: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    const out = new Uint8Array(16);
    out.set(parts, 12);
    return out;
  }
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(address);
  if (mapped) return addressBytes(mapped[1]);
  if (!/^[0-9a-f:]+$/i.test(address) || address.split('::').length > 2) return undefined;
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const groups = [...headGroups, ...new Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i += 1) {
    if (!/^[0-9a-f]{1,4}$/i.test(groups[i])) return undefined;
    const n = Number.parseInt(groups[i], 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  return out;
}
