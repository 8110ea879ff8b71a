/**
 * The reasons an operator writes (rejecting an application, deactivating an enterprise), checked as
 * the node checks them before they are sent: not blank, at most the node's length, line breaks and
 * tabs allowed but no other control character.
 */

/** POST /api/v1/enterprises/applications/{id}/reject accepts at most 1000 characters. */
export const REJECT_REASON_MAX = 1000;
/** POST /api/v1/enterprises/{id}/deactivate: at most 400 (the top-level node takes 500 with the operator's name). */
export const DEACTIVATE_REASON_MAX = 400;

export type ReasonProblem = 'required' | 'tooLong' | 'control';

export function reasonProblem(reason: string, max: number): ReasonProblem | null {
  if (reason.trim() === '') return 'required';
  if ([...reason].length > max) return 'tooLong';
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(reason)) return 'control';
  return null;
}
