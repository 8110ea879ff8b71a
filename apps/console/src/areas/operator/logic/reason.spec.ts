import { DEACTIVATE_REASON_MAX, reasonProblem, REJECT_REASON_MAX } from './reason';

describe('operator reasons', () => {
  it('needs some text', () => {
    expect(reasonProblem('', REJECT_REASON_MAX)).toBe('required');
    expect(reasonProblem(' \n\t ', REJECT_REASON_MAX)).toBe('required');
  });

  it('takes line breaks and counts characters, not UTF-16 units', () => {
    expect(reasonProblem('营业执照\n不清晰', REJECT_REASON_MAX)).toBeNull();
    expect(reasonProblem('𠀀'.repeat(DEACTIVATE_REASON_MAX), DEACTIVATE_REASON_MAX)).toBeNull();
    expect(reasonProblem('x'.repeat(DEACTIVATE_REASON_MAX + 1), DEACTIVATE_REASON_MAX)).toBe('tooLong');
  });

  it('refuses other control characters, as the node does', () => {
    expect(reasonProblem('bad\u0007bell', REJECT_REASON_MAX)).toBe('control');
  });
});
