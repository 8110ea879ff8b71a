import type { StoredBatch } from './batches';

/** How many leading bytes of a file its fingerprint hashes (a changed file almost always differs there, or in size or date). */
export const FINGERPRINT_BYTES = 64 * 1024;
const KEY_PREFIX = 'idis-console-upload:';

/** What an upload has sent so far, kept in localStorage so that it can resume after a failure or a closed tab. */
export interface UploadProgress {
  fingerprint: string;
  fileName: string;
  prefix: string;
  templateVersion: string;
  /** Results of batches 0 … n-1: the next upload resumes at batch n. */
  batches: StoredBatch[];
  finished: boolean;
  updatedAt: string;
}

/** The storage the progress lives in (window.localStorage in the page; a Map in the specs). */
export type ProgressStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** FNV-1a, 32 bits, as 8 hex digits: enough to tell two files of the same name, size and date apart. */
export function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** A file's identity: name, size, last modification and a hash of its first bytes. */
export function fingerprint(file: { name: string; size: number; lastModified: number }, firstBytes: Uint8Array): string {
  return `${file.name}|${file.size}|${file.lastModified}|${fnv1a(firstBytes.subarray(0, FINGERPRINT_BYTES))}`;
}

export function loadProgress(storage: ProgressStorage, fp: string): UploadProgress | null {
  const text = storage.getItem(KEY_PREFIX + fp);
  if (text === null) return null;
  try {
    const progress = JSON.parse(text) as UploadProgress;
    return progress.fingerprint === fp && Array.isArray(progress.batches) ? progress : null;
  } catch {
    return null;
  }
}

/** Keeps the progress; false when the storage is full (the upload goes on, but could not resume). */
export function saveProgress(storage: ProgressStorage, progress: UploadProgress): boolean {
  try {
    storage.setItem(KEY_PREFIX + progress.fingerprint, JSON.stringify(progress));
    return true;
  } catch {
    return false;
  }
}

export function clearProgress(storage: ProgressStorage, fp: string): void {
  storage.removeItem(KEY_PREFIX + fp);
}

/** Where a resumed upload starts: the first batch without stored results. */
export function firstUnsentBatch(progress: UploadProgress | null): number {
  return progress?.batches.length ?? 0;
}
