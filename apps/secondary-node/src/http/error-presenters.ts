import { codeProblem, type JsonReply, type ProblemDetails, problemInstance, problemReply } from '@idis/runtime';
import { DomainError, httpStatusOf, type DomainErrorCode } from '../errors/domain-errors';

/** What goes back on the wire for an error: status, content type and body, per front door. */
export type ErrorReply = JsonReply;

export type FrontDoor = 'handle-rest' | 'snms' | 'native' | 'epcis-capture';

export function frontDoorOf(url: string): FrontDoor {
  const path = url.split('?', 1)[0];
  if (path === '/api/handles' || path.startsWith('/api/handles/') || path === '/api/prefixes') return 'handle-rest';
  if (path === '/api/sessions' || path.startsWith('/api/sessions/')) return 'handle-rest';
  if (path.startsWith('/identity') || path.startsWith('/snms/')) return 'snms';
  // The capture interface of the EPCIS REST binding; a body error on /epcis/events is a POST's (a GET has no body).
  if (path === '/epcis/capture' || path.startsWith('/epcis/capture/') || path === '/epcis/events') return 'epcis-capture';
  return 'native';
}

export function presentError(door: FrontDoor, error: DomainError, url: string): ErrorReply {
  switch (door) {
    case 'handle-rest':
      return presentHandleRest(error, url);
    case 'snms':
      return presentSnms(error);
    case 'epcis-capture':
      return problemReply(epcisCaptureProblem(error, url));
    default:
      return presentProblem(error, url);
  }
}

/** Handle.Net response codes (RFC 3652 / Handle.Net 9) and the HTTP status the REST API gives them. */
const handleResponseCode: Partial<Record<DomainErrorCode, [number, number]>> = {
  VALIDATION_FAILED: [4, 400],
  UNSUPPORTED_MEDIA_TYPE: [4, 400],
  PAYLOAD_TOO_LARGE: [4, 413],
  INVALID_HANDLE: [102, 400],
  INVALID_VALUE: [202, 400],
  TEMPLATE_VIOLATION: [202, 400],
  HANDLE_NOT_FOUND: [100, 404],
  HANDLE_ALREADY_EXISTS: [101, 409],
  VALUES_NOT_FOUND: [200, 400],
  VALUE_ALREADY_EXISTS: [201, 409],
  PREFIX_NOT_FOUND: [301, 400],
  PREFIX_NOT_OWNED: [401, 403],
  FORBIDDEN: [401, 403],
  AUTHENTICATION_REQUIRED: [402, 401],
  INVALID_CREDENTIALS: [402, 401],
  // No route: the method is not supported on this resource (Handle.Net answers 405).
  NOT_FOUND: [4, 405],
  // Cross-node resolution: RC 2 (error) with the HTTP status of the cause; RC 6 (service referral error) for loops.
  UPSTREAM_UNAVAILABLE: [2, 503],
  UPSTREAM_FAILED: [2, 502],
  REFERRAL_LOOP: [6, 508],
  ADMIN_NOT_RECOGNIZED: [400, 403],
  QUERY_TOO_EXPENSIVE: [2, 422],
  // RC 3: server too busy (RFC 3652), the Handle protocol's own way of saying "come back later".
  RATE_LIMITED: [3, 429],
  // A handle identity locked after guessed secrets (HTTP Basic): come back later, as for a limit.
  LOGIN_LOCKED: [3, 429],
  URI_TOO_LONG: [4, 414],
};

function presentHandleRest(error: DomainError, url: string): ErrorReply {
  const [responseCode, status] = handleResponseCode[error.code] ?? [2, 500];
  const body: Record<string, unknown> = { responseCode };
  const handle = handleFromUrl(url);
  if (handle) body.handle = handle;
  body.message = error.message;
  return { status, contentType: 'application/json; charset=utf-8', body };
}

function handleFromUrl(url: string): string | undefined {
  const path = url.split('?', 1)[0];
  if (!path.startsWith('/api/handles/')) return undefined;
  const raw = path.slice('/api/handles/'.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * SNMS envelope {status, message, data}: 1 success, -1 not logged in, -2 business failure,
 * -3 no permission, -4 internal error. The HTTP status carries the same class of outcome.
 */
function presentSnms(error: DomainError): ErrorReply {
  const status = httpStatusOf[error.code];
  let snmsStatus = -2;
  if (status === 401) snmsStatus = -1;
  else if (status === 403) snmsStatus = -3;
  else if (status >= 500) snmsStatus = -4;
  const body: Record<string, unknown> = { status: snmsStatus, message: error.message, data: null };
  if (error.problems.length > 0) body.errors = error.problems;
  return { status, contentType: 'application/json; charset=utf-8', body };
}

/** RFC 9457 problem details with a stable machine-readable code. */
function presentProblem(error: DomainError, url: string): ErrorReply {
  const problem = codeProblem(error.code, httpStatusOf[error.code], error.message, url, error.problems);
  for (const [name, value] of Object.entries(error.facts)) if (!(name in problem)) problem[name] = value;
  return problemReply(problem);
}

/**
 * The EPCISException type of a capture-interface error (gs1/EPCIS REST Bindings openapi.yaml:
 * 400 ValidationException, 401/403 SecurityException, 404 NoSuchNameException, 406/415/5xx
 * ImplementationException, 409 ResourceAlreadyExistsException, 413 CaptureLimitExceededException).
 */
export function epcisCaptureException(code: DomainErrorCode, status: number): { type: string; title: string } {
  if (code === 'RATE_LIMITED') return { type: 'urn:idis:problem:rate-limited', title: 'Too many requests' };
  if (status === 401 || status === 403) return { type: 'epcisException:SecurityException', title: 'Security exception' };
  if (status === 404) return { type: 'epcisException:NoSuchNameException', title: 'No such name' };
  if (status === 409) return { type: 'epcisException:ResourceAlreadyExistsException', title: 'Resource already exists' };
  if (status === 413) return { type: 'epcisException:CaptureLimitExceededException', title: 'Capture limit exceeded' };
  if (status === 406) return { type: 'epcisException:ImplementationException', title: 'Not acceptable' };
  if (status === 415) return { type: 'epcisException:ImplementationException', title: 'Unsupported media type' };
  if (status < 500) return { type: 'epcisException:ValidationException', title: 'Validation exception' };
  return { type: 'epcisException:ImplementationException', title: 'Implementation exception' };
}

/** An error of the capture interface as an RFC 7807 problem with its EPCISException type, the node's `code` and field `errors`. */
export function epcisCaptureProblem(error: DomainError, url: string): ProblemDetails {
  const status = httpStatusOf[error.code];
  const problem: ProblemDetails = { ...epcisCaptureException(error.code, status), status, detail: error.message, instance: problemInstance(url), code: error.code };
  if (error.problems.length > 0) problem.errors = error.problems;
  return problem;
}
