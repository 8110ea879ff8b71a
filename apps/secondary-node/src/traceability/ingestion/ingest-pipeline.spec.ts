import type { NormalisedEvent } from '@idis/epcis';
import { currentRequestContext } from '../../http/request-context';
import type { BatchAudit, BatchResult, RejectRecord, StoreItem } from '../store/event-store';
import { type BatchCommitter, type IncomingMessage, IngestPipeline, isDataError, type PipelineOptions } from './ingest-pipeline';
import type { MessageValidator, Verdict } from './message-validator';

/** The batcher without I/O: a validator that reads the payload as "ok:<eventId>" or "bad", and a store that records batches. */
const topicPrefix = (topic: string): string | null => topic.split('/')[2] ?? null;
const validator = {
  topicPrefix,
  async validate(topic: string, payload: Buffer): Promise<Verdict> {
    const text = payload.toString();
    if (text === 'bad') return { ok: false, prefixKey: '88.118.8', reason: 'invalid_payload', problems: [{ path: '$', message: 'bad' }] };
    const event = { eventId: text.slice(3), errorDeclaration: null, document: { type: 'ObjectEvent', eventID: text.slice(3) } } as unknown as NormalisedEvent;
    return { ok: true, prefixKey: topicPrefix(topic) as string, events: [event] };
  },
} as unknown as MessageValidator;

class FakeStore implements BatchCommitter {
  readonly batches: Array<{ items: string[]; rejects: RejectRecord[] }> = [];
  /** What each commit was given to audit, and whether a request context was open during it. */
  readonly audits: Array<{ audit: BatchAudit | undefined; context: boolean }> = [];
  /** Called before each commit; may throw to simulate PostgreSQL refusing it. */
  failWith: ((items: StoreItem[]) => Error | undefined) | undefined;
  /** When set, commits wait for release(). */
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async commitBatch(items: StoreItem[], rejects: RejectRecord[], audit?: BatchAudit): Promise<BatchResult> {
    this.audits.push({ audit, context: currentRequestContext() !== undefined });
    if (this.gate) await this.gate;
    const error = this.failWith?.(items);
    if (error) throw error;
    this.batches.push({ items: items.map((i) => i.event.eventId), rejects });
    return { outcomes: items.map(() => 'stored'), counts: { stored: items.length, duplicates: 0, errorDeclarations: 0, rejected: rejects.length } };
  }
}

const message = (text: string, topic = 'idis/v1/88.118.8/events'): IncomingMessage => ({ topic, payload: Buffer.from(text) });

function pipeline(options: Partial<PipelineOptions> = {}, concurrent = 100): { pipe: IngestPipeline; store: FakeStore; announced: unknown[] } {
  const store = new FakeStore();
  const pipe = new IngestPipeline(validator, store, { batchMaxEvents: 3, batchMaxWaitMs: 10_000, retryBaseMs: 10, retryMaxMs: 20, ...options });
  const announced: unknown[] = [];
  pipe.attach((segment, body) => announced.push({ segment, ...body }), concurrent);
  return { pipe, store, announced };
}

/** Whether the promise has settled, after letting pending callbacks run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('IngestPipeline', () => {
  it('retries a message whose validation failed (the directory could not be read), acknowledging it only once it committed; after close() it waits for ever', async () => {
    let failures = 1;
    const flaky = {
      topicPrefix,
      validate(topic: string, payload: Buffer): Promise<Verdict> {
        if (failures > 0) {
          failures -= 1;
          return Promise.reject(new Error('prefix directory unreachable'));
        }
        return validator.validate(topic, payload);
      },
    } as unknown as MessageValidator;
    const store = new FakeStore();
    const pipe = new IngestPipeline(flaky, store, { batchMaxEvents: 1, batchMaxWaitMs: 10_000, retryBaseMs: 30, retryMaxMs: 60 });
    pipe.attach(() => undefined, 100);
    const first = pipe.submit(message('ok:a'));
    expect(await settled(first)).toBe(false);
    expect(store.batches).toEqual([]);
    await first;
    expect(store.batches).toEqual([{ items: ['a'], rejects: [] }]);
    expect(pipe.stats.receivedSinceStart).toBe(1);
    expect(pipe.stats.inFlight).toBe(0);

    failures = 1;
    const second = pipe.submit(message('ok:b'));
    await new Promise((resolve) => setImmediate(resolve));
    await pipe.close();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await settled(second)).toBe(false);
    expect(store.batches).toEqual([{ items: ['a'], rejects: [] }]);
  });

  it('cuts a batch at batchMaxEvents and resolves each message only after its batch committed', async () => {
    const { pipe, store } = pipeline();
    store.hold();
    const first = [pipe.submit(message('ok:a')), pipe.submit(message('ok:b')), pipe.submit(message('ok:c'))];
    expect(await settled(Promise.all(first))).toBe(false);
    expect(pipe.stats.inFlight).toBe(3);
    store.release();
    await Promise.all(first);
    expect(store.batches.map((b) => b.items)).toEqual([['a', 'b', 'c']]);
    expect(pipe.stats).toMatchObject({ receivedSinceStart: 3, storedSinceStart: 3, batchesCommitted: 1, inFlight: 0 });
    await pipe.close();
  });

  it('gives each batch its own id for the audit rows, passed along rather than as a request context (which would hook every promise)', async () => {
    const { pipe, store } = pipeline();
    await Promise.all([pipe.submit(message('ok:a')), pipe.submit(message('ok:b')), pipe.submit(message('ok:c'))]);
    await Promise.all([pipe.submit(message('ok:d')), pipe.submit(message('ok:e')), pipe.submit(message('ok:f'))]);
    expect(store.audits).toHaveLength(2);
    const ids = store.audits.map(({ audit }) => audit?.requestId);
    for (const [i, { audit, context }] of store.audits.entries()) {
      expect(context).toBe(false);
      expect(audit).toEqual({ action: 'epcis.ingest', target: `mqtt-batch:${ids[i]}`, requestId: ids[i] });
    }
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).not.toBe(ids[0]);
    await pipe.close();
  });

  it('gathers what arrives during a commit into the next batch, committed right after', async () => {
    const { pipe, store } = pipeline({ batchMaxEvents: 2 });
    store.hold();
    const first = [pipe.submit(message('ok:a')), pipe.submit(message('ok:b'))];
    const later = pipe.submit(message('ok:c'));
    expect(await settled(later)).toBe(false);
    store.release();
    await Promise.all([...first, later]);
    expect(store.batches.map((b) => b.items)).toEqual([['a', 'b'], ['c']]);
    await pipe.close();
  });

  it('flushes a partial batch after batchMaxWaitMs when idle', async () => {
    const { pipe, store } = pipeline({ batchMaxEvents: 100, batchMaxWaitMs: 5 });
    await pipe.submit(message('ok:alone'));
    expect(store.batches.map((b) => b.items)).toEqual([['alone']]);
    await pipe.close();
  });

  it('flushes at once when every connection is waiting on the batch (nothing more can arrive)', async () => {
    const { pipe, store } = pipeline({ batchMaxEvents: 100, batchMaxWaitMs: 10_000 }, 2);
    await Promise.all([pipe.submit(message('ok:a')), pipe.submit(message('ok:b'))]);
    expect(store.batches.map((b) => b.items)).toEqual([['a', 'b']]);
    await pipe.close();
  });

  it('stores a refused message as a reject in the same batch, announces it on its prefix, and acknowledges it', async () => {
    // A reject carries no events: the batch of two events goes when every connection waits on it.
    const { pipe, store, announced } = pipeline({}, 3);
    await Promise.all([pipe.submit(message('ok:a')), pipe.submit(message('bad')), pipe.submit(message('ok:b'))]);
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0].items).toEqual(['a', 'b']);
    expect(store.batches[0].rejects).toMatchObject([{ reason: 'invalid_payload', payload: 'bad', topic: 'idis/v1/88.118.8/events' }]);
    expect(announced).toMatchObject([{ segment: '88.118.8', reason: 'invalid_payload' }]);
    expect(pipe.stats.rejectsByReason.get('invalid_payload')).toBe(1);
    await pipe.close();
  });

  it('isolates a message PostgreSQL refuses as data by halving, and keeps it as a storage_error reject', async () => {
    const { pipe, store } = pipeline();
    store.failWith = (items) => (items.some((i) => i.event.eventId === 'poison') ? Object.assign(new Error('invalid byte sequence'), { code: '22021' }) : undefined);
    await Promise.all([pipe.submit(message('ok:a')), pipe.submit(message('ok:poison')), pipe.submit(message('ok:c'))]);
    expect(store.batches.flatMap((b) => b.items).sort()).toEqual(['a', 'c']);
    expect(store.batches.flatMap((b) => b.rejects)).toMatchObject([{ reason: 'storage_error', payload: 'ok:poison' }]);
    expect(pipe.stats.isolatedPoisonMessages).toBe(1);
    await pipe.close();
  });

  it('keeps the database’s text out of a storage_error reject (it stays in the log)', async () => {
    const { pipe, store } = pipeline();
    store.failWith = (items) => (items.some((i) => i.event.eventId === 'poison') ? Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }) : undefined);
    await pipe.submit(message('ok:poison'));
    const [reject] = store.batches.flatMap((b) => b.rejects);
    expect(reject.reason).toBe('storage_error');
    expect(JSON.stringify(reject.problems)).not.toMatch(/byte sequence|0x00/);
    await pipe.close();
  });

  it('rejects a message meeting another enterprise’s eventID as event_id_conflict, naming the event and nothing of the other owner', async () => {
    const { pipe, store, announced } = pipeline();
    const conflict = Object.assign(new Error('duplicate key value violates unique constraint "pk_epcis_event_ids"'), { code: '23505', constraint: 'pk_epcis_event_ids' });
    store.failWith = (items) => (items.some((i) => i.event.eventId === 'taken') ? conflict : undefined);
    (store as FakeStore & { foreignEventIds: BatchCommitter['foreignEventIds'] }).foreignEventIds = async (_prefix, ids) => new Set(ids.filter((id) => id === 'taken'));
    await Promise.all([pipe.submit(message('ok:a')), pipe.submit(message('ok:taken')), pipe.submit(message('ok:c'))]);
    expect(store.batches.flatMap((b) => b.items).sort()).toEqual(['a', 'c']);
    const [reject] = store.batches.flatMap((b) => b.rejects);
    expect(reject).toMatchObject({ reason: 'event_id_conflict', problems: [{ path: 'epcisBody.eventList[0].eventID', message: expect.stringMatching(/cannot be used/) }] });
    expect(JSON.stringify(reject.problems)).not.toMatch(/violates|pk_epcis/);
    expect(announced).toMatchObject([{ segment: '88.118.8', reason: 'event_id_conflict' }]);
    await pipe.close();
  });

  it('retries a batch PostgreSQL refuses for another reason, acknowledging nothing until it commits', async () => {
    const { pipe, store } = pipeline({ batchMaxEvents: 1 });
    let failures = 3;
    store.failWith = () => (failures-- > 0 ? Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }) : undefined);
    await pipe.submit(message('ok:a'));
    expect(store.batches.map((b) => b.items)).toEqual([['a']]);
    expect(pipe.stats.commitRetries).toBe(3);
    expect(pipe.stats.lastCommitError?.message).toBe('connection refused');
    await pipe.close();
  });

  it('after close() nothing more is committed and nothing resolves', async () => {
    const { pipe, store } = pipeline({ batchMaxEvents: 100, batchMaxWaitMs: 10_000 });
    const pending = pipe.submit(message('ok:a'));
    await pipe.close();
    expect(await settled(pending)).toBe(false);
    expect(await settled(pipe.submit(message('ok:b')))).toBe(false);
    expect(store.batches).toEqual([]);
  });

  it('tells data errors (SQLSTATE classes 22, 23, 54) from the others', () => {
    expect(['22P02', '23505', '54000'].map((code) => isDataError({ code }))).toEqual([true, true, true]);
    expect(['08006', '40001', '57P01', 'ECONNREFUSED', undefined].map((code) => isDataError({ code }))).toEqual([false, false, false, false, false]);
    expect(isDataError(null)).toBe(false);
  });
});

describe('IngestPipeline: batches committing side by side', () => {
  /** A store whose commits wait until released one by one, recording the order they started and ended. */
  class SlowStore implements BatchCommitter {
    readonly started: string[][] = [];
    readonly ended: string[][] = [];
    private readonly gates: Array<() => void> = [];
    running = 0;
    maxRunning = 0;

    async commitBatch(items: StoreItem[], rejects: RejectRecord[]): Promise<BatchResult> {
      const ids = items.map((i) => i.event.eventId);
      this.started.push(ids);
      this.running += 1;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      await new Promise<void>((resolve) => this.gates.push(resolve));
      this.running -= 1;
      this.ended.push(ids);
      return { outcomes: items.map(() => 'stored'), counts: { stored: items.length, duplicates: 0, errorDeclarations: 0, rejected: rejects.length } };
    }

    releaseOldest(): void {
      this.gates.shift()?.();
    }
  }

  const declaringValidator = {
    topicPrefix,
    async validate(_topic: string, payload: Buffer): Promise<Verdict> {
      const text = payload.toString();
      const declared = text.startsWith('decl:');
      const eventId = text.slice(declared ? 5 : 3);
      const event = { eventId, errorDeclaration: declared ? { declarationTime: new Date(), reason: null, correctiveEventIds: [] } : null, document: { eventID: eventId } } as unknown as NormalisedEvent;
      return { ok: true, prefixKey: '88.118.8', events: [event] };
    },
  } as unknown as MessageValidator;

  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('commits up to commitConcurrency full batches at once, and acknowledges each batch when it commits', async () => {
    const store = new SlowStore();
    const pipe = new IngestPipeline(validator, store, { batchMaxEvents: 2, batchMaxWaitMs: 10_000, retryBaseMs: 10, retryMaxMs: 20, commitConcurrency: 2 });
    pipe.attach(() => undefined, 100);
    const acks = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => pipe.submit(message(`ok:${id}`)));
    await flush();
    expect(store.started).toEqual([['a', 'b'], ['c', 'd']]);
    expect(store.maxRunning).toBe(2);
    store.releaseOldest();
    await flush();
    expect(await settled(acks[0])).toBe(true);
    expect(await settled(acks[2])).toBe(false);
    expect(store.started).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f']]);
    store.releaseOldest();
    store.releaseOldest();
    await Promise.all(acks);
    expect(store.maxRunning).toBe(2);
    expect(pipe.stats.inFlight).toBe(0);
  });

  it('commits a batch holding an error declaration alone, after every batch before it, and nothing beside it', async () => {
    const store = new SlowStore();
    const pipe = new IngestPipeline(declaringValidator, store, { batchMaxEvents: 2, batchMaxWaitMs: 10_000, retryBaseMs: 10, retryMaxMs: 20, commitConcurrency: 3 });
    pipe.attach(() => undefined, 100);
    const acks = ['ok:a', 'ok:b', 'decl:a', 'ok:c', 'ok:d', 'ok:e'].map((text) => pipe.submit(message(text)));
    await flush();
    // The first batch runs; the declaring one waits for it; the one after waits for the declaring one.
    expect(store.started).toEqual([['a', 'b']]);
    store.releaseOldest();
    await flush();
    expect(store.started).toEqual([['a', 'b'], ['a', 'c']]);
    expect(store.running).toBe(1);
    store.releaseOldest();
    await flush();
    expect(store.started).toEqual([['a', 'b'], ['a', 'c'], ['d', 'e']]);
    store.releaseOldest();
    await Promise.all(acks);
    expect(store.maxRunning).toBe(1);
  });
});
