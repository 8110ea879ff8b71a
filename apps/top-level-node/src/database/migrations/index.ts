import { TopLevelSchema1796200000000 } from './1796200000000-top-level-schema';

/** Every migration of the top-level node's database, in order. New ones are appended here. */
export const migrations = [TopLevelSchema1796200000000];
