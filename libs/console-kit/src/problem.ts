/** A refused or failed API call: the HTTP status and the problem detail the top level sent (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  /** 401 (no or unknown scheme) and 403 (wrong token): the operator's token is not (or no longer) accepted. */
  get refusesToken(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The error of a reply that is not ok: its problem detail (or SNMS message) when it sent one, else its status line. */
export function errorOf(status: number, statusText: string, body: string): ApiError {
  try {
    const problem = JSON.parse(body) as { code?: unknown; detail?: unknown; message?: unknown };
    if (typeof problem.detail === 'string') return new ApiError(status, typeof problem.code === 'string' ? problem.code : '', problem.detail);
    // The SNMS front door answers with its envelope {status, message, data} instead.
    if (typeof problem.message === 'string') return new ApiError(status, '', problem.message);
  } catch {
    // not JSON: a proxy's page, say
  }
  return new ApiError(status, '', `HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
}
