import { createHash } from 'node:crypto';
import { AesGcmSealer, type SealedFormat } from '@idis/runtime';

/** `sealed:v1:<iv>.<tag>.<ciphertext>` (base64url parts), the form stored since the first release. */
const SEALED_FORMAT: SealedFormat = { prefix: 'sealed:v1:', order: ['iv', 'tag', 'ciphertext'] };

/**
 * How a node's HMAC secret is stored. The top level must be able to recompute signatures, so it
 * keeps the secret itself, not a hash: sealed with AES-256-GCM (libs/runtime AesGcmSealer) under a
 * key derived from TOP_LEVEL_SECRET when that is set ("sealed:v1:…"), in plain otherwise
 * ("plain:<secret>") — this is a simulator whose database is its own.
 */
export class SecretBox {
  private readonly sealer: AesGcmSealer | undefined;

  constructor(sealingSecret: string | undefined) {
    this.sealer =
      sealingSecret === undefined ? undefined : new AesGcmSealer(createHash('sha256').update(`idis-top-level:node-secrets:${sealingSecret}`).digest(), SEALED_FORMAT);
  }

  seal(secret: string): string {
    return this.sealer ? this.sealer.seal(secret) : `plain:${secret}`;
  }

  /** The secret, or undefined when it cannot be opened (sealed under another TOP_LEVEL_SECRET, or none set). */
  open(stored: string): string | undefined {
    if (stored.startsWith('plain:')) return stored.slice('plain:'.length);
    return this.sealer?.unseal(stored);
  }
}

export const SECRET_BOX = Symbol('SECRET_BOX');
