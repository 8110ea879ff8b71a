/**
 * What the apps share at run time: configuration from the environment, the config step of `main`,
 * periodic tasks, retry backoff, strict query-string reading, RFC 9457 problem details, AES-GCM
 * secret sealing and URL redaction. Dependency-free (Node, and Fastify's types); the PostgreSQL
 * helpers (TypeORM) are in `@idis/runtime/database`.
 */
export { ConfigError, EnvReader, type Env } from './env-reader';
export { CONFIG_ERROR_EXIT_CODE, loadConfigOrExit } from './config-main';
export { backoffCeilingMs, describeFailure, retryDelayMs } from './backoff';
export { PeriodicTask, type PeriodicTaskOptions } from './periodic-task';
export {
  PROBLEM_CONTENT_TYPE,
  codeProblem,
  problemInstance,
  problemReply,
  sendJsonReply,
  sendProblem,
  type JsonReply,
  type ProblemDetails,
} from './problem';
export { QueryReader, queryList, type QueryReaderOptions, type QueryRefusal, type QueryValue } from './query';
export { AesGcmSealer, hkdfSha256Key, type SealedFormat, type SealedPart } from './secret-sealer';
export { redactPassword, redactQuery, redactUrl } from './url';
export { BatchedLookup } from './batched-lookup';
export { FrequencySketch, hashString } from './frequency-sketch';
export { WTinyLfuCache, type WTinyLfuOptions } from './w-tinylfu-cache';
export { seededRandom } from './seeded-random';
