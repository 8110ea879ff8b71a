import type { UsageSum } from './enterprise-overview.repository';

/** Resolutions by outcome, as GET /api/v1/stats/resolutions names them. */
export interface ResolutionTotals {
  l1: number;
  l2: number;
  db: number;
  notFound: number;
  error: number;
  total: number;
}

/** Identifier writes by operation, as GET /api/v1/stats/registrations names them. */
export interface RegistrationTotals {
  create: number;
  update: number;
  delete: number;
  total: number;
}

const RESOLUTION_FIELD: Readonly<Record<string, keyof ResolutionTotals>> = { l1: 'l1', l2: 'l2', db: 'db', not_found: 'notFound', error: 'error' };
const REGISTRATION_FIELD: Readonly<Record<string, keyof RegistrationTotals>> = { create: 'create', update: 'update', delete: 'delete' };

export function zeroResolutions(): ResolutionTotals {
  return { l1: 0, l2: 0, db: 0, notFound: 0, error: 0, total: 0 };
}

export function zeroRegistrations(): RegistrationTotals {
  return { create: 0, update: 0, delete: 0, total: 0 };
}

/**
 * Adds usage_counts sums to the totals. A kind or outcome this code does not know (one a newer
 * statistics module counts) is left out rather than folded into a wrong column.
 */
export function addUsage(sums: readonly UsageSum[], resolutions: ResolutionTotals, registrations: RegistrationTotals): void {
  for (const sum of sums) {
    if (sum.kind === 'resolution') {
      const field = RESOLUTION_FIELD[sum.outcome];
      if (field === undefined) continue;
      resolutions[field] += sum.count;
      resolutions.total += sum.count;
    } else if (sum.kind === 'registration') {
      const field = REGISTRATION_FIELD[sum.outcome];
      if (field === undefined) continue;
      registrations[field] += sum.count;
      registrations.total += sum.count;
    }
  }
}
