import { type BreakerState, CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let breaker: CircuitBreaker | undefined;
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    breaker?.stop();
    jest.useRealTimers();
  });

  function build(probe: () => Promise<unknown>) {
    const changes: BreakerState[] = [];
    breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, probe, onStateChange: (state) => changes.push(state) });
    return { breaker, changes };
  }

  it('opens after the threshold of CONSECUTIVE failures only', () => {
    const { breaker } = build(() => Promise.resolve());
    breaker.recordFailure(new Error('timeout'));
    breaker.recordFailure(new Error('timeout'));
    breaker.recordSuccess();
    breaker.recordFailure(new Error('timeout'));
    breaker.recordFailure(new Error('timeout'));
    expect(breaker.state).toBe('closed');
    expect(breaker.allowsRequests).toBe(true);
    breaker.recordFailure(new Error('timeout'));
    expect(breaker.state).toBe('open');
    expect(breaker.allowsRequests).toBe(false);
  });

  it('probes once after the cooldown and closes when the probe succeeds', async () => {
    const probe = jest.fn(() => Promise.resolve('PONG'));
    const { breaker, changes } = build(probe);
    for (let i = 0; i < 3; i += 1) breaker.recordFailure(new Error('down'));
    await jest.advanceTimersByTimeAsync(999);
    expect(probe).not.toHaveBeenCalled();
    expect(breaker.state).toBe('open');
    await jest.advanceTimersByTimeAsync(1);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('stays open for another cooldown when the probe fails, and ignores late results while not closed', async () => {
    let answer: () => Promise<unknown> = () => Promise.reject(new Error('still down'));
    const probe = jest.fn(() => answer());
    const { breaker, changes } = build(probe);
    for (let i = 0; i < 3; i += 1) breaker.recordFailure(new Error('down'));
    breaker.recordSuccess(); // a command sent before the breaker opened
    expect(breaker.state).toBe('open');
    await jest.advanceTimersByTimeAsync(1000);
    expect(breaker.state).toBe('open');
    answer = () => Promise.resolve('PONG');
    await jest.advanceTimersByTimeAsync(1000);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'open', 'half_open', 'closed']);
  });

  it('lets no request through while the probe is in flight', async () => {
    let finish!: () => void;
    const { breaker } = build(() => new Promise<void>((resolve) => (finish = resolve)));
    for (let i = 0; i < 3; i += 1) breaker.recordFailure(new Error('down'));
    await jest.advanceTimersByTimeAsync(1000);
    expect(breaker.state).toBe('half_open');
    expect(breaker.allowsRequests).toBe(false);
    finish();
    await jest.advanceTimersByTimeAsync(0);
    expect(breaker.allowsRequests).toBe(true);
  });

  it('stops probing once stopped', async () => {
    const probe = jest.fn(() => Promise.resolve());
    const { breaker } = build(probe);
    for (let i = 0; i < 3; i += 1) breaker.recordFailure(new Error('down'));
    breaker.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(probe).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });
});
