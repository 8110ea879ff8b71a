export { computeEventHashId, DEFAULT_NAMESPACES, eventHashPreimage, namespacesFromContext, undeclaredPrefixes } from './hash';
export type { EventHashOptions } from './hash';
export { canonicalIdentifier, checkIdentifier, gs1DigitalLinkForm, handleToIdentifier } from './identifiers';
export type { CanonicalIdentifier, IdentifierCheck, IdentifierGranularity, IdentifierKind } from './identifiers';
export { parseEpcisPayload } from './parse';
export { isExtensionEventType } from './validate';
export { formatUtcMillis, parseDateTime } from './time';
export { DEFAULT_EPCIS_LIMITS, EPCIS_EVENT_TYPES } from './types';
export type {
  EpcisAction,
  EpcisEventType,
  EpcisLimits,
  EpcisProblem,
  EventTypeName,
  IdentifierRef,
  IdentifierRole,
  NormalisedEvent,
  ParseEpcisResult,
} from './types';
export {
  CBV_BIZ_STEPS,
  CBV_BIZ_TRANSACTION_TYPES,
  CBV_DISPOSITIONS,
  CBV_ERROR_REASONS,
  CBV_SOURCE_DESTINATION_TYPES,
  checkVocabularyValue,
  expandVocabularyValue,
} from './vocabulary';
export type { CbvVocabulary } from './vocabulary';
