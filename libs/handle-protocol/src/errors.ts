import { ResponseCode, type ResponseCodeValue } from './constants';

/**
 * A message that cannot be accepted. `responseCode` is what the server answers with
 * (RC_PROTOCOL_ERROR for a malformed message, RC_INVALID_HANDLE for a handle that is not UTF-8…).
 */
export class HandleProtocolError extends Error {
  constructor(
    readonly responseCode: ResponseCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'HandleProtocolError';
  }
}

export function malformed(message: string): HandleProtocolError {
  return new HandleProtocolError(ResponseCode.PROTOCOL_ERROR, message);
}
