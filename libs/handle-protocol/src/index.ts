export * from './constants';
export { HandleProtocolError } from './errors';
export { BoundedReader } from './reader';
export { ByteWriter } from './writer';
export { atLeast, checkEnvelope, decodeEnvelope, encodeEnvelope, replyVersion, SERVER_MINOR, SUPPORTED_MAJOR } from './envelope';
export type { Envelope } from './envelope';
export { decodeHeader, encodeHeader } from './header';
export type { Header } from './header';
export { encodeValue, encodeValueList, MIN_VALUE_BYTES, permissionByte, readValue, readValueList, wireValueFromJson, writeValue } from './values';
export type { WireReference, WireValue } from './values';
export { addressBytes, decodeSiteInfo, encodeSiteInfo, singleServerSite } from './site-info';
export type { SiteInfo, SiteInterface, SiteServer } from './site-info';
export {
  decodeGenericRequest,
  decodeMessage,
  decodePacket,
  decodeResolutionRequest,
  decodeResponseBody,
  encodeMessage,
  encodePacket,
  encodeResolutionRequestBody,
  errorResponseBody,
  MAX_QUERY_INDEXES,
  MAX_QUERY_TYPES,
  readRequestDigest,
  referralResponseBody,
  requestDigest,
  resolutionResponseBody,
} from './messages';
export type { DecodedMessage, DecodedResponse, ResolutionRequest } from './messages';
export { DEFAULT_REASSEMBLY_LIMITS, fragmentMessage, UdpReassembler } from './fragments';
export type { ExpiredMessage, ReassemblyLimits, ReassemblyResult } from './fragments';
export { plainResolutionHandleLength, REPLY_ECHO_FLAGS, REQUEST_HANDLE_AT, stampReply } from './reply-stamp';
