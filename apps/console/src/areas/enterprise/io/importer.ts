import { reactive } from 'vue';
import { session, signOut } from '../../../session';
import { type ImportLimits, type ImportOutcome, type ImportRefusal, isXlsx, readLimits, readOutcome, readRefusal, refuseBeforeSending } from '../logic/import';
import { xlsxAsCsv } from './file-rows';

/** `unreadable`: the XLSX file could not be turned into CSV (nothing was sent); `failed`: no answer of the node. */
export type ImportState = 'idle' | 'converting' | 'sending' | 'checking' | 'done' | 'refused' | 'unreadable' | 'failed';

/** What came back from the node: status, body and Retry-After. */
interface Reply {
  status: number;
  text: string;
  retryAfter: string | null;
}

/**
 * One whole-file import on the page: the CSV file itself is the request body (the browser streams
 * it from disk; nothing parses it here), an XLSX file is first turned into CSV in the browser. The
 * node stores every row or none, so the page only ever reports the whole file stored, or refused
 * with nothing stored; a connection lost before the answer leaves either, and importing the same
 * file again is then safe (rows stored count as already existing).
 */
export function useImporter() {
  const state = reactive({
    status: 'idle' as ImportState,
    /** 0 to 100: how much of the body has been sent. */
    percent: 0,
    sentBytes: 0,
    totalBytes: 0,
    /** The file was an XLSX sheet, sent as CSV. */
    converted: false,
    outcome: null as ImportOutcome | null,
    refusal: null as ImportRefusal | null,
    /** After a 429 with Retry-After: when the import may be tried again (ISO). */
    retryAt: '',
    /** Why the import ended without an answer of the node (the connection, the XLSX file…). */
    error: '',
  });

  async function start(file: File, prefix: string, templateVersion: string): Promise<void> {
    Object.assign(state, { status: 'converting', percent: 0, sentBytes: 0, totalBytes: 0, converted: false, outcome: null, refusal: null, retryAt: '', error: '' });
    let body: Blob = file;
    let rowOf = (record: number) => record;
    if (isXlsx(file.name)) {
      try {
        const sheet = await xlsxAsCsv(file);
        body = sheet.csv;
        rowOf = (record) => sheet.sheetRows[record - 1] ?? record;
        state.converted = true;
      } catch (failure) {
        state.error = (failure as Error).message;
        state.status = 'unreadable';
        return;
      }
    }
    const tooLarge = refuseBeforeSending(body.size, await publishedLimits());
    if (tooLarge) {
      state.totalBytes = body.size;
      state.refusal = tooLarge;
      state.status = 'refused';
      return;
    }
    try {
      state.totalBytes = body.size;
      state.status = 'sending';
      const path = `/api/v1/prefixes/${encodeURIComponent(prefix)}/imports?${new URLSearchParams({ templateVersion })}`;
      const reply = await send(path, body, (sent, total) => {
        state.sentBytes = sent;
        state.totalBytes = total;
        state.percent = total === 0 ? 100 : Math.floor((sent * 100) / total);
        if (sent >= total) state.status = 'checking';
      });
      if (reply.status === 401 && session.token !== null) signOut('signIn.expired');
      if (reply.status === 201) {
        state.outcome = readOutcome(reply.text);
        state.percent = 100;
        state.status = 'done';
        return;
      }
      const refusal = readRefusal(reply.status, reply.text, reply.retryAfter, rowOf);
      if (refusal.kind === 'rateLimited' && refusal.retryAfter !== undefined) state.retryAt = new Date(Date.now() + refusal.retryAfter * 1000).toISOString();
      state.refusal = refusal;
      state.status = 'refused';
    } catch (failure) {
      state.error = (failure as Error).message;
      state.status = 'failed';
    }
  }

  return { state, start };
}

/** POST of `body` as text/csv with the session's token, reporting the bytes sent as they go. */
function send(path: string, body: Blob, progress: (sent: number, total: number) => void): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.setRequestHeader('content-type', 'text/csv');
    request.setRequestHeader('accept', 'application/json');
    if (session.token) request.setRequestHeader('authorization', `Bearer ${session.token}`);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) progress(event.loaded, event.total);
    };
    request.upload.onload = () => progress(body.size, body.size);
    request.onload = () => resolve({ status: request.status, text: request.responseText, retryAfter: request.getResponseHeader('retry-after') });
    request.onerror = () => reject(new Error('the connection to the node failed'));
    request.onabort = () => reject(new Error('the request was aborted'));
    request.send(body);
  });
}

/** The node's import bounds (public); undefined when they cannot be read: the node enforces them anyway. */
async function publishedLimits(): Promise<ImportLimits | undefined> {
  try {
    const response = await fetch('/api/v1/imports/limits', { headers: { accept: 'application/json' }, cache: 'no-store' });
    return response.ok ? readLimits(await response.json()) : undefined;
  } catch {
    return undefined;
  }
}
