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
