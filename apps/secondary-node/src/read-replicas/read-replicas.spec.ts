import { ReadReplicas } from './read-replicas';

/** Nothing listens on port 1: the pools connect lazily, and no poll runs unless started. */
const UNUSED = 'postgres://postgres@127.0.0.1:1/idis';

describe('ReadReplicas (without a poll: nothing measured yet)', () => {
  let replicas: ReadReplicas;
  beforeEach(() => {
    replicas = new ReadReplicas({ urls: [UNUSED.replace('/idis', '/replica')], maxLagMs: 5000, pollIntervalMs: 200, poolSize: 2 }, UNUSED, { poolSize: 1, statementTimeoutMs: 1000, traceMaxSteps: 10 });
  });
  afterEach(() => replicas.stop());

  it('sends every read to the primary until a replica has been measured, and counts them', async () => {
    expect(replicas.resolutionPool(['88.118.8/a'])).toBeUndefined();
    expect(await replicas.heavyRead('SELECT 1', [])).toBeUndefined();
    expect(replicas.primaryReads).toEqual({ resolution: 1, heavy: 1 });
    expect(replicas.status()).toEqual([{ replica: '127.0.0.1:1/replica', up: false, inRotation: false, lagSeconds: undefined, replayLsn: undefined, replayPaused: false, served: { resolution: 0, heavy: 0 } }]);
  });

  it('keeps its read-your-writes marks bounded: past 50,000 keys one global mark stands for all', () => {
    replicas.noteWrite(Array.from({ length: 30_000 }, (_, i) => `88.118.8/k${i}`));
    expect(replicas.pendingMarks()).toEqual({ keys: 30_000, global: false });
    // Writing a key again replaces its mark.
    replicas.noteWrite(['88.118.8/k1', '88.118.8/k2']);
    expect(replicas.pendingMarks()).toEqual({ keys: 30_000, global: false });
    replicas.noteWrite(Array.from({ length: 25_000 }, (_, i) => `88.118.8/m${i}`));
    expect(replicas.pendingMarks()).toEqual({ keys: 0, global: true });
    // A key written after that is marked on its own: the poll binding the global mark may have started before its commit.
    replicas.noteWrite(['88.118.8/late']);
    expect(replicas.pendingMarks()).toEqual({ keys: 1, global: true });
  });

  it('a flush of everything is one global mark', () => {
    replicas.noteWrite(['88.118.8/a']);
    replicas.noteWriteAll();
    expect(replicas.pendingMarks()).toEqual({ keys: 0, global: true });
  });
});
