import { reactive } from 'vue';
import { type Batch, Batcher, restoreBatch, storeBatch } from '../logic/batches';
import { countResults, mapHeader, mergeBatchReply, RowChecker, type RowResult } from '../logic/upload';
import { clearProgress, fingerprint, FINGERPRINT_BYTES, loadProgress, saveProgress, type UploadProgress } from '../logic/upload-progress';
import type { Problem, Template } from '../logic/types';
import { writeBatch } from './api';
import { fileRows } from './file-rows';

export type UploadState = 'idle' | 'reading' | 'done' | 'interrupted' | 'refused';

/**
 * One bulk upload on the page: reads the file row by row, checks each row in the browser, sends
 * the good ones in batches through POST /identityv2/data/batchCreate and keeps each batch's results
 * in localStorage under the file's fingerprint. A failed call stops the upload; `start(…, true)`
 * then reads the file again and sends from the first batch without stored results (the batches
 * before it are cut the same way and take their stored results). Sending a batch twice is
 * harmless: rows already stored come back "already exists", reported as such.
 */
export function useUploader() {
  const state = reactive({
    status: 'idle' as UploadState,
    /** 0 to 100: how much of the file has been read and sent. */
    percent: 0,
    batchesSent: 0,
    batchesRestored: 0,
    results: [] as RowResult[],
    counts: { ok: 0, exists: 0, failed: 0 },
    headerProblems: [] as Problem[],
    error: '',
    storageFull: false,
  });

  async function fingerprintOf(file: File): Promise<string> {
    return fingerprint(file, new Uint8Array(await file.slice(0, FINGERPRINT_BYTES).arrayBuffer()));
  }

  /** What an earlier upload of this file left: its progress, if any. */
  async function earlier(file: File): Promise<UploadProgress | null> {
    return loadProgress(localStorage, await fingerprintOf(file));
  }

  async function start(file: File, prefix: string, template: Template, resume: boolean): Promise<void> {
    Object.assign(state, { status: 'reading', percent: 0, batchesSent: 0, batchesRestored: 0, results: [], counts: { ok: 0, exists: 0, failed: 0 }, headerProblems: [], error: '', storageFull: false });
    const fp = await fingerprintOf(file);
    const stored = resume ? loadProgress(localStorage, fp) : null;
    const sameTarget = stored !== null && stored.prefix === prefix && stored.templateVersion === template.version;
    if (!sameTarget) clearProgress(localStorage, fp);
    const progress: UploadProgress = sameTarget ? stored : { fingerprint: fp, fileName: file.name, prefix, templateVersion: template.version, batches: [], finished: false, updatedAt: new Date().toISOString() };
    const results: RowResult[] = [];
    const batcher = new Batcher();
    let checker: RowChecker | undefined;
    let read = 0;

    const settle = async (batch: Batch): Promise<void> => {
      if (batch.index < progress.batches.length) {
        results.push(...restoreBatch(batch.rows, progress.batches[batch.index]));
        state.batchesRestored += 1;
        return;
      }
      const reply = await writeBatch(batch.rows.map((r) => r.record), 'create');
      const merged = mergeBatchReply(batch.rows, reply);
      results.push(...merged);
      progress.batches.push(storeBatch(merged));
      progress.updatedAt = new Date().toISOString();
      if (!saveProgress(localStorage, progress)) state.storageFull = true;
      state.batchesSent += 1;
    };

    try {
      for await (const row of fileRows(file)) {
        read = row.read;
        if (!checker) {
          const mapped = mapHeader(row.cells, template);
          if ('problems' in mapped) {
            state.headerProblems = mapped.problems;
            state.status = 'refused';
            return;
          }
          checker = new RowChecker(prefix, template, mapped.mapping);
          continue;
        }
        const checked = checker.check(row);
        if ('problem' in checked) {
          results.push({ row: checked.row, handle: checked.handle, status: 'failed', problem: checked.problem });
          continue;
        }
        const batch = batcher.add(checked);
        if (batch) {
          await settle(batch);
          state.percent = Math.min(99, Math.floor(read * 100));
          state.counts = countResults(results);
        }
      }
      const last = batcher.flush();
      if (last) await settle(last);
      progress.finished = true;
      if (!saveProgress(localStorage, progress)) state.storageFull = true;
      state.percent = 100;
      state.status = 'done';
    } catch (failure) {
      state.error = (failure as Error).message;
      state.status = 'interrupted';
    } finally {
      results.sort((a, b) => a.row - b.row);
      state.results = results;
      state.counts = countResults(results);
    }
  }

  return { state, start, earlier };
}
