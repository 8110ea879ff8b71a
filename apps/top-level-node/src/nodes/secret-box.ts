import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * How a node's HMAC secret is stored. The top level must be able to recompute signatures, so it
 * keeps the secret itself, not a hash: sealed with AES-256-GCM under a key derived from
 * TOP_LEVEL_SECRET when that is set ("sealed:v1:<iv>.<tag>.<ciphertext>", base64url parts), in
 * plain otherwise ("plain:<secret>") — this is a simulator whose database is its own.
 */
export class SecretBox {
  private readonly key: Buffer | undefined;

  constructor(sealingSecret: string | undefined) {
    this.key = sealingSecret === undefined ? undefined : createHash('sha256').update(`idis-top-level:node-secrets:${sealingSecret}`).digest();
  }

  seal(secret: string): string {
    if (!this.key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `sealed:v1:${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${ciphertext.toString('base64url')}`;
  }

  /** The secret, or undefined when it cannot be opened (sealed under another TOP_LEVEL_SECRET, or none set). */
  open(stored: string): string | undefined {
    if (stored.startsWith('plain:')) return stored.slice('plain:'.length);
    if (!stored.startsWith('sealed:v1:') || !this.key) return undefined;
    const [iv, tag, ciphertext] = stored.slice('sealed:v1:'.length).split('.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

export const SECRET_BOX = Symbol('SECRET_BOX');
