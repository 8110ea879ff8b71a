import { status } from '@grpc/grpc-js';
import { classifyFailure, describeFailure, isUnreachable } from './backoff';

describe('classifyFailure', () => {
  it('treats refusals for good as permanent, signatures as credentials, the rest as transient', () => {
    expect(classifyFailure({ code: status.INVALID_ARGUMENT })).toBe('permanent');
    expect(classifyFailure({ code: status.PERMISSION_DENIED })).toBe('permanent');
    expect(classifyFailure({ code: status.ALREADY_EXISTS })).toBe('permanent');
    expect(classifyFailure({ code: status.UNAUTHENTICATED })).toBe('credentials');
    expect(classifyFailure({ code: status.UNAVAILABLE })).toBe('transient');
    expect(classifyFailure({ code: status.DEADLINE_EXCEEDED })).toBe('transient');
    expect(classifyFailure({ code: status.INTERNAL })).toBe('transient');
    expect(classifyFailure(new Error('socket hang up'))).toBe('transient');
  });

  it('knows when the top level is unreachable and describes failures on one line', () => {
    expect(isUnreachable({ code: status.UNAVAILABLE })).toBe(true);
    expect(isUnreachable({ code: status.PERMISSION_DENIED })).toBe(false);
    expect(describeFailure({ code: status.PERMISSION_DENIED, details: 'prefix 88.200.5\nis not yours' })).toBe('PERMISSION_DENIED: prefix 88.200.5 is not yours');
    expect(describeFailure(new Error('x'.repeat(2000))).length).toBe(1000);
  });
});
