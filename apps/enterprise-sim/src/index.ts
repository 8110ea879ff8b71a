/** The simulator as a library (engineer D's kill test and ingestion benchmark import it). */
export * from './flow';
export * from './messages';
export * from './publisher';
export * from './token-bucket';
export * from './event-id';
export * from './node-client';
export * from './enterprises';
export * from './simulator';
export { loadSimConfig, SimConfigError, type SimConfig, SIM_USAGE } from './config';
