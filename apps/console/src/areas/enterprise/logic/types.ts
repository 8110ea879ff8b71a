/** The node's API as the enterprise's pages read it (see the node's OpenAPI document). */

/** One item of an SNMS data template: a field of the identifier form. */
export interface TemplateItem {
  name: string;
  idType: string;
  idIndex: number;
  required: boolean;
  /** 1 enabled, 0 disabled (no value may be given for it). */
  state: number;
  metadata: { type: string; minLength: number; maxLength: number };
}

/** GET /api/v1/templates?prefix=… (one entry), GET /snms/api/v5/template */
export interface Template {
  id: string;
  prefix: string;
  version: string;
  industryCategory: string;
  industrySpecific: string;
  industryTrade: string;
  industrySubclass: string;
  type: number;
  description: string;
  items: TemplateItem[];
  createdAt: string;
  updatedAt: string;
}

/** A record of the SNMS identifier API (/identityv2/data…). */
export interface SnmsRecord {
  handle: string;
  templateVersion: string;
  value: Array<{ index: number; type: string; data: { format: 'string'; value: string } }>;
}

/** One entry of a batch reply: code 1 stored, -2 refused, -3 no permission; reason the machine-readable cause. */
export interface SnmsItemResult {
  handle: string;
  code: number;
  msg: string;
  reason?: string;
}

/** GET /api/v1/identifiers (one entry). */
export interface IdentifierItem {
  handle: string;
  prefix: string;
  suffix: string;
  templateVersion: string | null;
  values: Array<{ index: number; type: string; data: { format?: string; value?: unknown } }>;
  updatedAt: string;
}

/** GET /api/v1/enterprises/{id} (the parts these pages use). */
export interface EnterpriseDetail {
  id: string;
  organisation: string;
  status: string;
  prefixes: Array<{ prefix: string; status: string }>;
  identifiers: number;
}

/** A problem found in the browser: an i18n key under enterprise.problems and its parameters. */
export interface Problem {
  code: string;
  params?: Record<string, string | number>;
}
