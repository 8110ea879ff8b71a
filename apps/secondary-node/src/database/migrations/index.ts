import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { UsageCounts1795460000000 } from './1795460000000-usage-counts';

/** Every migration, in order. New ones are appended here. */
export const migrations = [InitialSchema1763900000000, UsageCounts1795460000000];
