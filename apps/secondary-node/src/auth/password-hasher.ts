import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { SEALING_PURPOSE, SecretSealer } from './secret-sealer';

const SCRYPT_N = 16384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Passwords are stored as `scrypt$N$r$p$salt$hash` (base64url), never in a reversible form. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  return ['scrypt', SCRYPT_N, SCRYPT_R, SCRYPT_P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** False for a wrong password and for a stored value that is not a well-formed scrypt hash (never throws for it). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6) return false;
  const [scheme, n, r, p, salt, hash] = parts;
  if (scheme !== 'scrypt' || !salt || !hash || ![n, r, p].every((v) => /^[1-9][0-9]{0,7}$/.test(v))) return false;
  const expected = Buffer.from(hash, 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  let actual: Buffer;
  try {
    actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  } catch {
    return false; // parameters scrypt refuses (N not a power of two, memory above maxmem)
  }
  return timingSafeEqual(actual, expected);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The SNMS digest login sends sha256(sha256(password) + 'yyyy-MM-dd'); checking it needs
 * sha256(password), which is as good as a password for that login. It is therefore kept sealed with
 * AES-256-GCM under a key derived from the node secret (SecretSealer), so a database dump alone does not reveal it.
 */
export class DigestSealer {
  private readonly sealer: SecretSealer;

  constructor(nodeSecret: string) {
    this.sealer = new SecretSealer(nodeSecret, SEALING_PURPOSE.passwordDigest);
  }

  seal(password: string): string {
    return this.sealer.seal(sha256Hex(password));
  }

  /** The sha256 hex of the password, or undefined if the value was sealed under another secret. */
  unseal(sealed: string): string | undefined {
    return this.sealer.unseal(sealed);
  }
}
