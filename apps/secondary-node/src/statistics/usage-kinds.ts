/**
 * What is counted. Every count belongs to one (enterprise prefix, minute, kind, outcome) cell;
 * the slot numbers index the per-cell Float64Array of UsageCounter.
 */
import type { RegistrationOperation, ResolutionDoor, ResolutionOutcome } from '../events/node-events';

export type { RegistrationOperation, ResolutionDoor, ResolutionOutcome };
/** `door` counts the same resolutions as `resolution`, by the front door they came through instead of by outcome. */
export type UsageKind = 'resolution' | 'registration' | 'door';

export const RESOLUTION_OUTCOMES: readonly ResolutionOutcome[] = ['l1', 'l2', 'db', 'not_found', 'error'];
export const REGISTRATION_OPERATIONS: readonly RegistrationOperation[] = ['create', 'update', 'delete'];
export const RESOLUTION_DOORS: readonly ResolutionDoor[] = ['handle_rest', 'snms', 'proxy', 'cross_node', 'handle'];

/** Slot of each resolution outcome (0–4), registration operation (5–7) and front door (8–12) in a cell's counters. */
export const RESOLUTION_SLOT: Readonly<Record<ResolutionOutcome, number>> = Object.freeze({ l1: 0, l2: 1, db: 2, not_found: 3, error: 4 });
export const REGISTRATION_SLOT: Readonly<Record<RegistrationOperation, number>> = Object.freeze({ create: 5, update: 6, delete: 7 });
export const DOOR_SLOT: Readonly<Record<ResolutionDoor, number>> = Object.freeze({ handle_rest: 8, snms: 9, proxy: 10, cross_node: 11, handle: 12 });
export const SLOT_COUNT = 13;

/** kind and outcome column values of each slot, as stored in usage_counts. */
export const SLOT_KIND: readonly UsageKind[] = [
  ...RESOLUTION_OUTCOMES.map((): UsageKind => 'resolution'),
  ...REGISTRATION_OPERATIONS.map((): UsageKind => 'registration'),
  ...RESOLUTION_DOORS.map((): UsageKind => 'door'),
];
export const SLOT_OUTCOME: readonly string[] = [...RESOLUTION_OUTCOMES, ...REGISTRATION_OPERATIONS, ...RESOLUTION_DOORS];

/**
 * The one bucket for everything not homed on this node: prefixes of other nodes, unknown or
 * not-yet-approved prefixes, unparsable handles. It keeps the number of counted keys bounded by
 * the number of prefixes an operator has approved, whatever callers send.
 */
export const OTHER_PREFIXES = '-';

export const MINUTE_MS = 60_000;
