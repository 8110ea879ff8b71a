import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The proto/ folder at the repository root, found from source (ts-node, Jest) and from dist/. */
export function protoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'proto', 'idis', 'toplevel', 'v1');
    if (existsSync(candidate)) return join(dir, 'proto');
    dir = resolve(dir, '..');
  }
  throw new Error(`proto/ not found above ${__dirname}`);
}

/** The .proto files Nest's gRPC transport loads, relative to protoRoot(). */
export const TOP_LEVEL_PROTO_FILES = [
  'idis/toplevel/v1/enrolment.proto',
  'idis/toplevel/v1/filing.proto',
  'idis/toplevel/v1/resolution.proto',
  'idis/toplevel/v1/reporting.proto',
];

/** proto-loader options shared by server and client: camelCase fields, int64 as numbers. */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  oneofs: true,
  arrays: true,
} as const;
