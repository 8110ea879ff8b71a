/** @idis/loadgen: the load engine of idis-loadtest and of `npm run bench` (see apps/loadtest). */
export * from './capacity';
export * from './engine';
export * from './histogram';
export * from './keys';
export * from './operations';
export * from './recorder';
export * from './report';
export * from './run';
export * from './scenario';
export * from './schedule';
export * from './seed';
