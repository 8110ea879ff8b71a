import type { Enterprise } from '@idis/contracts';
import { creditCodeFormProblem } from '@idis/identifier';
import { invalid } from '../errors/top-level-errors';

/** The enterprise behind a filing, as stored (jsonb). */
export interface EnterpriseRecord {
  orgName: string;
  creditCode: string;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
}

const LIMITS: Record<keyof EnterpriseRecord, number> = {
  orgName: 200,
  creditCode: 64,
  contactName: 100,
  contactPhone: 32,
  contactEmail: 254,
};

/**
 * Structural checks only (presence and length): a malformed message is refused at once.
 * Whether the content is acceptable (credit code syntax, …) is the review's decision.
 */
export function enterpriseFrom(input: Enterprise | undefined | null): EnterpriseRecord {
  if (!input) throw invalid('enterprise is required');
  const record = {} as EnterpriseRecord;
  for (const field of Object.keys(LIMITS) as Array<keyof EnterpriseRecord>) {
    const value = input[field] ?? '';
    if (typeof value !== 'string') throw invalid(`enterprise.${field} must be a string`);
    if (value.length > LIMITS[field]) throw invalid(`enterprise.${field} is ${value.length} characters; the limit is ${LIMITS[field]}`);
    if (/[\u0000-\u001f]/.test(value)) throw invalid(`enterprise.${field} must not contain control characters`);
    record[field] = value;
  }
  if (record.orgName.trim().length === 0) throw invalid('enterprise.orgName is required');
  return record;
}

/** Why automatic review rejects this enterprise, or undefined when it looks acceptable. */
export function automaticRejectionReason(enterprise: EnterpriseRecord): string | undefined {
  // The form only (GB 32100-2015: 18 characters, digits and capitals except I, O, Z, S, V), not the check character.
  if (creditCodeFormProblem(enterprise.creditCode) !== undefined) {
    return `credit code ${JSON.stringify(enterprise.creditCode)} is not a unified social credit code (18 characters: digits and capitals except I, O, Z, S, V)`;
  }
  if (enterprise.contactEmail !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(enterprise.contactEmail)) {
    return `contact email ${JSON.stringify(enterprise.contactEmail)} is not an e-mail address`;
  }
  return undefined;
}
