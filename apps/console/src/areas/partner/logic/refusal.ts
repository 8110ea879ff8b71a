/** Why a trace could not be shown, as a sentence key of the partner area (not the API's JSON). */
export type TraceRefusal = 'noGrant' | 'noEvents' | 'invalid' | 'signIn' | 'busy' | 'failed';

/**
 * The API's refusal as the partner should read it: 403 = the enterprise has not granted access,
 * 404 = no event mentions the product, 400 = not a handle, 401 = sign in again, 429/503 = try later.
 */
export function traceRefusal(status: number): TraceRefusal {
  if (status === 403) return 'noGrant';
  if (status === 404) return 'noEvents';
  if (status === 400) return 'invalid';
  if (status === 401) return 'signIn';
  if (status === 429 || status === 503) return 'busy';
  return 'failed';
}
