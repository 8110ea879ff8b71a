/**
 * What the apps share at run time: configuration from the environment, the config step of `main`,
 * periodic tasks, retry backoff, strict query-string reading and URL redaction. Dependency-free; the PostgreSQL helpers (TypeORM) are in `@idis/runtime/database`.
 */
export { ConfigError, EnvReader, type Env } from './env-reader';
export { CONFIG_ERROR_EXIT_CODE, loadConfigOrExit } from './config-main';
export { backoffCeilingMs, describeFailure, retryDelayMs } from './backoff';
export { PeriodicTask, type PeriodicTaskOptions } from './periodic-task';
export { QueryReader, queryList, type QueryReaderOptions, type QueryRefusal, type QueryValue } from './query';
export { redactPassword, redactUrl } from './url';
