import { MAX_BATCH_SIZE, type RowResult, type SendableRow } from './upload';

/** A batch of records for one call of the SNMS batch API; its index counts from 0 in file order. */
export interface Batch {
  index: number;
  rows: SendableRow[];
}

/**
 * Cuts the sendable rows of a file into batches of `size`, in file order. The cut depends only on
 * the file and the template, so the n-th batch of a second reading of the same file holds the same
 * rows: what lets an upload resume at its first unsent batch.
 */
export class Batcher {
  private pending: SendableRow[] = [];
  private nextIndex = 0;

  constructor(private readonly size = MAX_BATCH_SIZE) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) throw new RangeError(`a batch holds 1 to ${MAX_BATCH_SIZE} records`);
  }

  /** Adds a row; answers the batch it completes, if it does. */
  add(row: SendableRow): Batch | null {
    this.pending.push(row);
    return this.pending.length === this.size ? this.take() : null;
  }

  /** The last, shorter batch at the end of the file, if any rows are left. */
  flush(): Batch | null {
    return this.pending.length > 0 ? this.take() : null;
  }

  private take(): Batch {
    const batch = { index: this.nextIndex++, rows: this.pending };
    this.pending = [];
    return batch;
  }
}

/** The results of a sent batch as kept in localStorage: one letter per row (o stored, e existed, f failed) and the failures' messages. */
export interface StoredBatch {
  statuses: string;
  messages: Record<number, string>;
}

const LETTER = { ok: 'o', exists: 'e', failed: 'f' } as const;
const STATUS = { o: 'ok', e: 'exists', f: 'failed' } as const;

export function storeBatch(results: RowResult[]): StoredBatch {
  const messages: Record<number, string> = {};
  results.forEach((r, i) => {
    if (r.status === 'failed') messages[i] = r.message ?? '';
  });
  return { statuses: results.map((r) => LETTER[r.status]).join(''), messages };
}

/** The results of a batch sent before (by an earlier, interrupted upload of the same file). */
export function restoreBatch(rows: SendableRow[], stored: StoredBatch): RowResult[] {
  if (stored.statuses.length !== rows.length) throw new Error(`stored results of ${stored.statuses.length} rows for a batch of ${rows.length}: the file changed`);
  return rows.map((row, i) => {
    const status = STATUS[stored.statuses[i] as keyof typeof STATUS];
    if (!status) throw new Error(`stored results hold an unknown status "${stored.statuses[i]}"`);
    return status === 'failed' ? { row: row.row, handle: row.handle, status, message: stored.messages[i] ?? '' } : { row: row.row, handle: row.handle, status };
  });
}
