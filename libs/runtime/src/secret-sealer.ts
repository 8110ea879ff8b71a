import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export type SealedPart = 'iv' | 'ciphertext' | 'tag';

/**
 * How a sealed value is written: a fixed `prefix` (the version), then the IV, ciphertext and GCM tag
 * as base64url, joined by '.' in `order`. Each app keeps the format its stored values already have.
 */
export interface SealedFormat {
  prefix: string;
  order: readonly [SealedPart, SealedPart, SealedPart];
}

/** A 32-byte AES key for one purpose, derived from a long secret with HKDF-SHA256. */
export function hkdfSha256Key(secret: string, salt: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, purpose, 32));
}

/**
 * Seals text with AES-256-GCM under a 32-byte key, with a fresh 96-bit IV each time, so that a
 * database dump alone reveals nothing and a changed value does not open. Every process holding the
 * same key opens what another sealed.
 */
export class AesGcmSealer {
  constructor(
    private readonly key: Buffer,
    private readonly format: SealedFormat,
  ) {}

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts: Record<SealedPart, Buffer> = { iv, ciphertext, tag: cipher.getAuthTag() };
    return this.format.prefix + this.format.order.map((part) => parts[part].toString('base64url')).join('.');
  }

  /** The text, or undefined when the value is malformed, tampered with, or sealed under another key or format. */
  unseal(sealed: string): string | undefined {
    if (!sealed.startsWith(this.format.prefix)) return undefined;
    const texts = sealed.slice(this.format.prefix.length).split('.');
    const [iv, ciphertext, tag] = (['iv', 'ciphertext', 'tag'] as const).map((part) => texts[this.format.order.indexOf(part)]);
    // The ciphertext of an empty text is empty; a missing part is not.
    if (!iv || ciphertext === undefined || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
