/**
 * Transport-agnostic errors. Services throw these; each front door (Handle REST, SNMS, native API)
 * has its own filter that maps the stable `code` to its envelope and HTTP status.
 */
export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_HANDLE'
  | 'INVALID_VALUE'
  | 'HANDLE_NOT_FOUND'
  | 'HANDLE_ALREADY_EXISTS'
  | 'VALUES_NOT_FOUND'
  | 'VALUE_ALREADY_EXISTS'
  | 'PREFIX_NOT_FOUND'
  | 'PREFIX_NOT_OWNED'
  | 'PREFIX_UNAVAILABLE'
  | 'PREFIX_FILED_ELSEWHERE'
  | 'TEMPLATE_NOT_FOUND'
  | 'TEMPLATE_ALREADY_EXISTS'
  | 'TEMPLATE_IN_USE'
  | 'TEMPLATE_VIOLATION'
  | 'APPLICATION_NOT_FOUND'
  | 'ENTERPRISE_NOT_FOUND'
  | 'ILLEGAL_TRANSITION'
  | 'CONFLICT'
  | 'BATCH_TOO_LARGE'
  | 'AUTHENTICATION_REQUIRED'
  | 'INVALID_CREDENTIALS'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** The reply cannot be given in a media type (or GS1-* version) the request accepts (406). */
  | 'NOT_ACCEPTABLE'
  | 'NOT_FOUND'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_FAILED'
  | 'REFERRAL_LOOP'
  | 'INTERNAL'
  /** An authenticated Handle identity writing where it is no administrator (Handle RC_INVALID_ADMIN). */
  | 'ADMIN_NOT_RECOGNIZED'
  | 'LOGIN_LOCKED'
  | 'QUERY_TOO_EXPENSIVE'
  | 'RATE_LIMITED'
  | 'URI_TOO_LONG';

export interface FieldProblem {
  /** JSON pointer or dotted path of the offending field, e.g. "/3/value/0/data/value". */
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly problems: FieldProblem[] = [],
    /**
     * Figures a client reads instead of parsing the message (RFC 9457 extension members of the
     * problem, e.g. the limit that was exceeded); never the standard members' names.
     */
    readonly facts: Readonly<Record<string, number | string>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const httpStatusOf: Record<DomainErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_HANDLE: 400,
  INVALID_VALUE: 400,
  HANDLE_NOT_FOUND: 404,
  HANDLE_ALREADY_EXISTS: 409,
  VALUES_NOT_FOUND: 400,
  VALUE_ALREADY_EXISTS: 409,
  PREFIX_NOT_FOUND: 404,
  PREFIX_NOT_OWNED: 403,
  PREFIX_UNAVAILABLE: 409,
  /** The top-level node has the prefix filed (or pending) for another node: check before create. */
  PREFIX_FILED_ELSEWHERE: 409,
  TEMPLATE_NOT_FOUND: 404,
  TEMPLATE_ALREADY_EXISTS: 409,
  TEMPLATE_IN_USE: 409,
  TEMPLATE_VIOLATION: 400,
  APPLICATION_NOT_FOUND: 404,
  ENTERPRISE_NOT_FOUND: 404,
  ILLEGAL_TRANSITION: 409,
  CONFLICT: 409,
  BATCH_TOO_LARGE: 400,
  AUTHENTICATION_REQUIRED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ACCEPTABLE: 406,
  NOT_FOUND: 404,
  /** The top-level node (or the node serving a foreign prefix) cannot be reached and nothing is cached. */
  UPSTREAM_UNAVAILABLE: 503,
  /** The node serving a foreign prefix answered something unusable. */
  UPSTREAM_FAILED: 502,
  /** A cross-node resolution came back to a node it already passed, or took too many hops. */
  REFERRAL_LOOP: 508,
  INTERNAL: 500,
  ADMIN_NOT_RECOGNIZED: 403,
  /** Too many failed sign-ins for one username: locked for a while (Retry-After says how long). */
  LOGIN_LOCKED: 429,
  /** A heavy read (trace, EPCIS query, listing, statistics) ran into its statement timeout: narrow it. */
  QUERY_TOO_EXPENSIVE: 422,
  /** A rate limit or quota of limits/ (Retry-After and RateLimit-* headers tell when to come back). */
  RATE_LIMITED: 429,
  URI_TOO_LONG: 414,
};
