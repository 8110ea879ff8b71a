import { AesGcmSealer, hkdfSha256Key, type SealedFormat } from '@idis/runtime';

/** The HKDF labels of what is sealed under the node secret: one key per purpose. */
export const SEALING_PURPOSE = {
  /** sha256(password) of accounts (DigestSealer). */
  passwordDigest: 'password-digest-v1',
  /** The credential secret the top-level node issued at enrolment (upstream/TopLevelLink). */
  topLevelCredentials: 'top-level-credentials-v1',
} as const;

export type SealingPurpose = (typeof SEALING_PURPOSE)[keyof typeof SEALING_PURPOSE];

/** `v1.<iv>.<ciphertext>.<tag>` (base64url parts), the form stored since the first release. */
const NODE_SEALED_FORMAT: SealedFormat = { prefix: 'v1.', order: ['iv', 'ciphertext', 'tag'] };

/**
 * Seals text with AES-256-GCM (libs/runtime AesGcmSealer) under a key derived (HKDF-SHA256, salt
 * 'idis-secondary-node') from the node secret and a purpose label, so a database dump alone reveals
 * nothing. Every replica with the same node secret opens it.
 */
export class SecretSealer extends AesGcmSealer {
  constructor(nodeSecret: string, purpose: SealingPurpose) {
    super(hkdfSha256Key(nodeSecret, 'idis-secondary-node', purpose), NODE_SEALED_FORMAT);
  }
}
