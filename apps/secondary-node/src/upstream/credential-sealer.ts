import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals the top-level credential secret with AES-256-GCM under a key derived from the node secret
 * (as auth/ does for password digests, with its own derivation label), so a database dump alone
 * cannot sign calls as this node.
 */
export class CredentialSealer {
  private readonly key: Buffer;

  constructor(nodeSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', nodeSecret, 'idis-secondary-node', 'top-level-credentials-v1', 32));
  }

  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The secret, or undefined when it was sealed under another node secret (then the node enrols again). */
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
