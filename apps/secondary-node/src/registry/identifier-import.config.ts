import type { EnvReader } from '@idis/runtime';

/** Bounds of a CSV import (POST /api/v1/prefixes/{prefix}/imports). */
export interface IdentifierImportConfig {
  /** IMPORT_MAX_BYTES: the largest CSV body taken; a larger one is refused with 413 and nothing stored. */
  maxBytes: number;
  /** IMPORT_MAX_ROWS: the most data rows one import may hold (413 beyond). */
  maxRows: number;
}

export function readIdentifierImportConfig(read: EnvReader): IdentifierImportConfig {
  return {
    maxBytes: read.integer('IMPORT_MAX_BYTES', 512 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
    maxRows: read.integer('IMPORT_MAX_ROWS', 2_000_000, 1, 20_000_000),
  };
}

export const IDENTIFIER_IMPORT_CONFIG = Symbol('IDENTIFIER_IMPORT_CONFIG');
