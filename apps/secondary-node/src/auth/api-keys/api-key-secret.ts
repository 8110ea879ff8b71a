import { createHash, randomBytes } from 'node:crypto';

/** Every API key starts with this, so that secret scanners and people recognise one. */
export const API_KEY_MARK = 'idk_';
const SECRET_BYTES = 32;
const SECRET_PATTERN = /^idk_[A-Za-z0-9_-]{43}$/;

/** A new key: 32 random bytes, base64url, after the mark. Shown once; only its hash is stored. */
export function newApiKeySecret(): string {
  return `${API_KEY_MARK}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

export function isApiKeySecret(text: string): boolean {
  return SECRET_PATTERN.test(text);
}

/**
 * SHA-256 of the whole secret. A fast hash is enough here: the secret carries 256 random bits,
 * so unlike a password it cannot be guessed from its hash, and a lookup costs one index probe.
 */
export function apiKeyHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** What a listing shows to tell keys apart: the mark and the first characters. */
export function apiKeyHint(secret: string): string {
  return `${secret.slice(0, API_KEY_MARK.length + 6)}…`;
}
