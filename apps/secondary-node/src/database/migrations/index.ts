import { InitialSchema1763900000000 } from './1763900000000-initial-schema';

/** Every migration, in order. New ones are appended here. */
export const migrations = [InitialSchema1763900000000];
