export { creditCodeCheckCharacter, creditCodeFormProblem, creditCodeProblem } from './credit-code';
export { IdentifierError, ValueError } from './errors';
export type { IdentifierErrorCode } from './errors';
export {
  MAX_HANDLE_BYTES,
  MAX_PREFIX_BYTES,
  formatHandle,
  handleLookupKey,
  isDerivedPrefix,
  isDirectlyUnder,
  parseHandle,
  parsePrefix,
  tryParseHandle,
} from './handle';
export type { ParsedHandle, ParsedPrefix, ParseHandleResult } from './handle';
export { checkWritableSuffix, dotSegmentProblem, parseAssignablePrefix } from './unambiguous';
export {
  DEFAULT_PERMISSIONS_STRING,
  isPublicReadable,
  isPubliclyReadable,
  permissionsFromString,
  permissionsToString,
  publicValues,
  visibleValues,
} from './permissions';
export type { JsonPermissions, Permissions } from './permissions';
export { DEFAULT_TTL_SECONDS, MAX_RELATIVE_TTL_SECONDS, MAX_TTL_SECONDS, effectiveTtlSeconds } from './ttl';
export type { Ttl } from './ttl';
export { DEFAULT_VALUE_LIMITS, MAX_VALUE_INDEX, filterValues, valueFromJson, valueToJson, valuesFromJson } from './value';
export type {
  AdminValue,
  HandleJsonValue,
  HandleValue,
  ValueData,
  ValueFormat,
  ValueFromJsonOptions,
  ValueLimits,
  ValueQuery,
  ValueReference,
  ValuesFromJsonOptions,
} from './value';
