export type IdentifierErrorCode =
  | 'EMPTY'
  | 'MISSING_SLASH'
  | 'EMPTY_PREFIX_SEGMENT'
  | 'INVALID_PREFIX_CHARACTER'
  | 'EMPTY_SUFFIX'
  | 'CONTROL_CHARACTER'
  | 'HANDLE_TOO_LONG'
  | 'PREFIX_TOO_LONG'
  | 'INVALID_UNICODE'
  | 'LOOK_ALIKE_PREFIX'
  | 'DOT_SEGMENT';

export class IdentifierError extends Error {
  override readonly name = 'IdentifierError';

  constructor(
    readonly code: IdentifierErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class ValueError extends Error {
  override readonly name = 'ValueError';
  readonly code = 'INVALID_VALUE' as const;

  /** Where in the input the problem is, e.g. `values[3].data.value`; '' means the input as a whole. */
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}
