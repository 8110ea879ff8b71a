/**
 * Numbers of the Handle protocol (RFC 3652 §2.2) as CNRI's Handle.Net 9 implements them
 * (net.handle.hdllib.AbstractMessage, Encoder, Common, Interface). Where the RFC and Handle.Net
 * disagree, Handle.Net wins (its clients are the ones on the wire) and the RFC name is noted.
 */

export const ENVELOPE_SIZE = 20;
export const HEADER_SIZE = 24;
/** RFC 3652 §2.1.2: a UDP datagram carries at most 512 bytes (envelope included). */
export const MAX_UDP_PACKET_SIZE = 512;
/** The part of a UDP packet after the envelope (Common.MAX_UDP_DATA_SIZE). */
export const MAX_UDP_DATA_SIZE = MAX_UDP_PACKET_SIZE - ENVELOPE_SIZE;
/** Largest message Handle.Net accepts (Common.MAX_MESSAGE_LENGTH). */
export const MAX_MESSAGE_LENGTH = 262_144;
/** Longest handle Handle.Net accepts in a message (Common.MAX_HANDLE_LENGTH). */
export const MAX_HANDLE_LENGTH = 2048;
/** Most values in one message (Common.MAX_HANDLE_VALUES). */
export const MAX_HANDLE_VALUES = 2048;

/** Envelope MessageFlag, first byte (RFC 3652 §2.2.1.2: bits 0-2 counted from the most significant). */
export const ENV_FLAG_COMPRESSED = 0x80;
export const ENV_FLAG_ENCRYPTED = 0x40;
export const ENV_FLAG_TRUNCATED = 0x20;
/** Handle.Net (≥ 2.x) puts the suggested major version in the low 2 bits of that byte, the suggested minor in the next. */
export const ENV_SUGGESTED_MAJOR_MASK = 0x03;

/** Header OpFlag bits (RFC 3652 §2.2.2.3; the last three are Handle.Net extensions). */
export const OpFlag = {
  AUTHORITATIVE: 0x80000000,
  CERTIFIED: 0x40000000,
  ENCRYPT: 0x20000000,
  RECURSIVE: 0x10000000,
  CACHE_CERTIFY: 0x08000000,
  CONTINUOUS: 0x04000000,
  KEEP_CONNECTION: 0x02000000,
  PUBLIC_ONLY: 0x01000000,
  REQUEST_DIGEST: 0x00800000,
  OVERWRITE: 0x00400000,
  MINT_NEW_SUFFIX: 0x00200000,
  DO_NOT_REFER: 0x00100000,
} as const;

export const OpCode = {
  RESERVED: 0,
  RESOLUTION: 1,
  GET_SITE_INFO: 2,
  CREATE_HANDLE: 100,
  DELETE_HANDLE: 101,
  ADD_VALUE: 102,
  REMOVE_VALUE: 103,
  MODIFY_VALUE: 104,
  LIST_HANDLES: 105,
  LIST_NA: 106,
  CHALLENGE_RESPONSE: 200,
  VERIFY_RESPONSE: 201,
  HOME_NA: 300,
  UNHOME_NA: 301,
  LIST_HOMED_NAS: 302,
  SESSION_SETUP: 400,
  SESSION_TERMINATE: 401,
  SESSION_EXCHANGEKEY: 402,
} as const;

/**
 * Response codes: RFC 3652 §2.2.2.2 numbers, Handle.Net 9 names where they differ
 * (RFC name in the comment).
 */
export const ResponseCode = {
  RESERVED: 0,
  SUCCESS: 1,
  ERROR: 2,
  /** RFC RC_SERVER_BUSY */
  SERVER_TOO_BUSY: 3,
  PROTOCOL_ERROR: 4,
  /** RFC RC_OPERATION_DENIED */
  OPERATION_NOT_SUPPORTED: 5,
  /** RFC RC_RECUR_LIMIT_EXCEEDED */
  RECURSION_COUNT_TOO_HIGH: 6,
  /** Handle.Net only (≥ 2.5) */
  SERVER_BACKUP: 7,
  HANDLE_NOT_FOUND: 100,
  /** RFC RC_HANDLE_ALREADY_EXIST */
  HANDLE_ALREADY_EXISTS: 101,
  INVALID_HANDLE: 102,
  /** RFC RC_VALUE_NOT_FOUND */
  VALUES_NOT_FOUND: 200,
  VALUE_ALREADY_EXISTS: 201,
  /** RFC RC_VALUE_INVALID */
  INVALID_VALUE: 202,
  /** RFC RC_EXPIRED_SITE_INFO */
  OUT_OF_DATE_SITE_INFO: 300,
  SERVER_NOT_RESP: 301,
  SERVICE_REFERRAL: 302,
  /** RFC RC_NA_DELEGATE */
  PREFIX_REFERRAL: 303,
  /** RFC RC_NOT_AUTHORIZED */
  INVALID_ADMIN: 400,
  /** RFC RC_ACCESS_DENIED */
  INSUFFICIENT_PERMISSIONS: 401,
  /** RFC RC_AUTHEN_NEEDED */
  AUTHENTICATION_NEEDED: 402,
  /** RFC RC_AUTHEN_FAILED */
  AUTHENTICATION_FAILED: 403,
  INVALID_CREDENTIAL: 404,
  AUTHEN_TIMEOUT: 405,
  /** RFC RC_UNABLE_TO_AUTHEN */
  AUTHEN_ERROR: 406,
  SESSION_TIMEOUT: 500,
  SESSION_FAILED: 501,
  /** RFC RC_NO_SESSION_KEY */
  INVALID_SESSION_KEY: 502,
  /** RFC RC_SESSION_NO_SUPPORT */
  NEED_RSAKEY_FOR_SESSIONEXCHANGE: 503,
  /** RFC RC_SESSION_KEY_INVALID */
  INVALID_SESSIONSETUP_REQUEST: 504,
  /** Handle.Net only: replay detected */
  SESSION_MESSAGE_REJECTED: 505,
} as const;

export type ResponseCodeValue = (typeof ResponseCode)[keyof typeof ResponseCode];

/** Request digest algorithm octet (Common.HASH_CODE_*). */
export const DigestAlgorithm = { MD5_OLD_FORMAT: 0, MD5: 1, SHA1: 2, SHA256: 3 } as const;
export const DIGEST_LENGTH: Readonly<Record<number, number>> = { 1: 16, 2: 20, 3: 32 };

/** Per-value permission byte (RFC 3651 §3.1; Handle.Net emits only these four bits). */
export const Permission = { ADMIN_READ: 0x08, ADMIN_WRITE: 0x04, PUBLIC_READ: 0x02, PUBLIC_WRITE: 0x01 } as const;

/** TTL type octet (RFC 3651 §3.1). */
export const TtlType = { RELATIVE: 0, ABSOLUTE: 1 } as const;

/**
 * HS_SITE interface fields as Handle.Net encodes them (net.handle.hdllib.Interface). RFC 3651
 * §3.2.2 gives other numbers (resolution 0x01, TCP 0x01, UDP 0x02, HTTP 0x04); the Handle.Net
 * clients that read our site record use these.
 */
export const ServiceType = { OUT_OF_SERVICE: 0, ADMIN: 1, QUERY: 2, ADMIN_AND_QUERY: 3 } as const;
export const TransportProtocol = { UDP: 0, TCP: 1, HTTP: 2, HTTPS: 3 } as const;

/** HS_SITE PrimaryMask bits (net.handle.hdllib.SiteInfo). */
export const SITE_PRIMARY = 0x80;
export const SITE_MULTI_PRIMARY = 0x40;
/** HS_SITE HashOption. */
export const HashOption = { BY_NA: 0, BY_LOCAL: 1, BY_HANDLE: 2 } as const;
/** DataFormatVersion of HS_SITE written by Handle.Net (Common.SITE_RECORD_FORMAT_VERSION). */
export const SITE_RECORD_FORMAT_VERSION = 1;
