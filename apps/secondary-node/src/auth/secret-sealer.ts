import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The HKDF labels of what is sealed under the node secret: one key per purpose. */
export const SEALING_PURPOSE = {
  /** sha256(password) of accounts (DigestSealer). */
  passwordDigest: 'password-digest-v1',
  /** The credential secret the top-level node issued at enrolment (upstream/TopLevelLink). */
  topLevelCredentials: 'top-level-credentials-v1',
} as const;

export type SealingPurpose = (typeof SEALING_PURPOSE)[keyof typeof SEALING_PURPOSE];

/**
 * Seals text with AES-256-GCM under a key derived (HKDF-SHA256, salt 'idis-secondary-node') from the
 * node secret and a purpose label, so a database dump alone reveals nothing. Stored form:
 * `v1.<iv>.<ciphertext>.<tag>` (base64url parts). Every replica with the same node secret opens it.
 */
export class SecretSealer {
  private readonly key: Buffer;

  constructor(nodeSecret: string, purpose: SealingPurpose) {
    this.key = Buffer.from(hkdfSync('sha256', nodeSecret, 'idis-secondary-node', purpose, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The text, or undefined when the value is malformed, tampered with or sealed under another secret or purpose. */
  unseal(sealed: string): string | undefined {
    const [version, iv, data, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || !data || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
