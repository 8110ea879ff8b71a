import { PeriodicTask } from './periodic-task';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('PeriodicTask', () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('ticks once per interval after start, not before, and only from one timer', async () => {
    jest.useFakeTimers();
    const tick = jest.fn(async () => 1);
    const task = new PeriodicTask(tick, { intervalMs: 100 });
    await jest.advanceTimersByTimeAsync(250);
    expect(tick).not.toHaveBeenCalled();
    task.start();
    task.start();
    await jest.advanceTimersByTimeAsync(99);
    expect(tick).toHaveBeenCalledTimes(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(tick).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(200);
    expect(tick).toHaveBeenCalledTimes(3);
    await task.stop();
  });

  it('never overlaps: a due tick is skipped while one runs, and runNow joins the running one', async () => {
    jest.useFakeTimers();
    const gates: Array<ReturnType<typeof deferred<number>>> = [];
    const tick = jest.fn(() => {
      const gate = deferred<number>();
      gates.push(gate);
      return gate.promise;
    });
    const task = new PeriodicTask(tick, { intervalMs: 10 });
    task.start();
    await jest.advanceTimersByTimeAsync(55);
    expect(tick).toHaveBeenCalledTimes(1);
    expect(task.busy).toBe(true);
    const joined = task.runNow();
    expect(tick).toHaveBeenCalledTimes(1);
    gates[0].resolve(7);
    await expect(joined).resolves.toBe(7);
    expect(task.busy).toBe(false);
    await jest.advanceTimersByTimeAsync(10);
    expect(tick).toHaveBeenCalledTimes(2);
    gates[1].resolve(8);
    await task.stop();
  });

  it('runs a tick at once on runNow, without a timer', async () => {
    const tick = jest.fn(async () => 'done');
    const task = new PeriodicTask(tick, { intervalMs: 60_000 });
    await expect(task.runNow()).resolves.toBe('done');
    await expect(task.runNow()).resolves.toBe('done');
    expect(tick).toHaveBeenCalledTimes(2);
  });

  it('hands a failing tick to onError, resolves undefined and keeps ticking', async () => {
    jest.useFakeTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const task = new PeriodicTask(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('database down');
        return calls;
      },
      { intervalMs: 10, onError: (error) => errors.push(error) },
    );
    await expect(task.runNow()).resolves.toBeUndefined();
    expect(errors).toEqual([new Error('database down')]);
    expect(task.busy).toBe(false);
    task.start();
    await jest.advanceTimersByTimeAsync(10);
    expect(calls).toBe(2);
    await task.stop();
  });

  it('does not reject when there is no onError or when onError itself throws', async () => {
    const failing = async () => {
      throw new Error('boom');
    };
    await expect(new PeriodicTask(failing, { intervalMs: 10 }).runNow()).resolves.toBeUndefined();
    const throwingHandler = new PeriodicTask(failing, {
      intervalMs: 10,
      onError: () => {
        throw new Error('handler broke');
      },
    });
    await expect(throwingHandler.runNow()).resolves.toBeUndefined();
  });

  it('stop clears the timer, waits for the running tick, and nothing starts after it', async () => {
    jest.useFakeTimers();
    const gate = deferred<number>();
    const tick = jest.fn(() => gate.promise);
    const task = new PeriodicTask(tick, { intervalMs: 10 });
    task.start();
    await jest.advanceTimersByTimeAsync(10);
    expect(tick).toHaveBeenCalledTimes(1);
    let stopped = false;
    const stopping = task.stop().then(() => {
      stopped = true;
    });
    await jest.advanceTimersByTimeAsync(100);
    expect(stopped).toBe(false);
    expect(task.stopped).toBe(true);
    gate.resolve(1);
    await stopping;
    expect(stopped).toBe(true);
    task.start();
    await expect(task.runNow()).resolves.toBeUndefined();
    await jest.advanceTimersByTimeAsync(100);
    expect(tick).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stop before start and a second stop are harmless', async () => {
    const task = new PeriodicTask(async () => 1, { intervalMs: 10 });
    await task.stop();
    await task.stop();
    expect(task.stopped).toBe(true);
  });

  it("uses an unref'd timer, so it never keeps the process alive", async () => {
    const spy = jest.spyOn(global, 'setInterval');
    const task = new PeriodicTask(async () => 1, { intervalMs: 60_000 });
    task.start();
    expect(spy).toHaveBeenCalledTimes(1);
    const timer = spy.mock.results[0].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    await task.stop();
  });
});
