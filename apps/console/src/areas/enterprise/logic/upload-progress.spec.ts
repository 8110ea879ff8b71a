import { clearProgress, fingerprint, firstUnsentBatch, fnv1a, loadProgress, saveProgress, type ProgressStorage, type UploadProgress } from './upload-progress';

class MemoryStorage implements ProgressStorage {
  readonly items = new Map<string, string>();
  constructor(private readonly capacity = Infinity) {}
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (value.length > this.capacity) throw new Error('QuotaExceededError');
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

describe('upload progress', () => {
  const file = { name: 'codes.csv', size: 1234, lastModified: 1_700_000_000_000 };
  const bytes = new TextEncoder().encode('suffix,name\nA,1\n');

  it('fingerprints name, size, date and the first bytes', () => {
    expect(fnv1a(new Uint8Array())).toBe('811c9dc5');
    expect(fnv1a(new TextEncoder().encode('a'))).toBe('e40c292c');
    const fp = fingerprint(file, bytes);
    expect(fp).toBe(`codes.csv|1234|1700000000000|${fnv1a(bytes)}`);
    expect(fingerprint(file, new TextEncoder().encode('suffix,name\nB,1\n'))).not.toBe(fp);
    expect(fingerprint({ ...file, lastModified: 1 }, bytes)).not.toBe(fp);
  });

  it('keeps, finds and clears the progress of a file; resumes at the first unsent batch', () => {
    const storage = new MemoryStorage();
    const fp = fingerprint(file, bytes);
    expect(loadProgress(storage, fp)).toBeNull();
    expect(firstUnsentBatch(null)).toBe(0);
    const progress: UploadProgress = { fingerprint: fp, fileName: file.name, prefix: '88.118.8', templateVersion: 'v1', batches: [{ statuses: 'oo', messages: {} }], finished: false, updatedAt: '2026-12-05T00:00:00Z' };
    expect(saveProgress(storage, progress)).toBe(true);
    expect(loadProgress(storage, fp)).toEqual(progress);
    expect(firstUnsentBatch(loadProgress(storage, fp))).toBe(1);
    expect(loadProgress(storage, fingerprint({ ...file, size: 1 }, bytes))).toBeNull();
    clearProgress(storage, fp);
    expect(loadProgress(storage, fp)).toBeNull();
  });

  it('reports a full storage instead of failing the upload, and ignores garbage', () => {
    const storage = new MemoryStorage(10);
    const fp = fingerprint(file, bytes);
    expect(saveProgress(storage, { fingerprint: fp, fileName: 'x', prefix: 'p', templateVersion: 'v', batches: [], finished: false, updatedAt: '' })).toBe(false);
    storage.items.set(`idis-console-upload:${fp}`, '{not json');
    expect(loadProgress(storage, fp)).toBeNull();
  });
});
