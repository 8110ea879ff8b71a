import { Injectable } from '@nestjs/common';
import { dotSegmentProblem, type HandleJsonValue, type ParsedHandle, tryParseHandle } from '@idis/identifier';
import type { ApiKeyOperation } from '../auth/api-keys/api-key-scope';
import type { Principal } from '../auth/principal';
import { EventHub } from '../events/event-hub';
import type { AuditEntryInput, RegistrationOperation, WrittenIdentifier } from '../events/node-events';
import { DomainError, type DomainErrorCode } from '../errors/domain-errors';
import type { EntityManager } from 'typeorm';
import { compileChecker } from '../http/json-schema';
import { type IdentifierRow, IdentifierRepository } from './identifier.repository';
import { isoSeconds, parseHandleOrThrow } from '../http/identifier-input';
import { PrefixAccessService } from './prefix-access.service';
import { TEMPLATE_VALUE_INDEX } from './templates.service';
import { TemplateRepository, type TemplateWithItems } from './template.repository';

export const MAX_BATCH_ITEMS = 2000;
/** SNMS limits: handle 255, templateVersion 128, type 128, value 255 characters. */
export const SNMS_MAX_VALUE_LENGTH = 255;

export interface SnmsValue {
  index: number;
  type: string;
  auth?: string;
  data: { format: 'string'; value: string };
}

export interface SnmsRecordInput {
  handle: string;
  templateVersion: string;
  value: SnmsValue[];
}

/**
 * One entry of a batch reply: code 1 success, -2 refused for a business reason, -3 no permission;
 * `reason` is the machine-readable cause of a refusal.
 */
export interface SnmsItemResult {
  handle: string;
  code: 1 | -2 | -3;
  msg: string;
  reason?: DomainErrorCode;
}

function succeeded(handle: string): SnmsItemResult {
  return { handle, code: 1, msg: MSG_SUCCESS };
}

function refused(handle: string, reason: DomainErrorCode, msg: string): SnmsItemResult {
  return { handle, code: reason === 'PREFIX_NOT_OWNED' ? -3 : -2, msg, reason };
}

export const snmsValueSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['index', 'type', 'data'],
  properties: {
    index: { type: 'integer', minimum: 1, maximum: 2147483647 },
    type: { type: 'string', minLength: 1, maxLength: 128 },
    auth: { type: 'string', maxLength: 32, description: 'reserved by SNMS; accepted and ignored' },
    data: {
      type: 'object',
      additionalProperties: false,
      required: ['format', 'value'],
      properties: {
        format: { type: 'string', enum: ['string'], description: 'SNMS supports only "string"' },
        value: { type: 'string', maxLength: SNMS_MAX_VALUE_LENGTH },
      },
    },
  },
};

export const snmsRecordSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['handle', 'templateVersion', 'value'],
  properties: {
    handle: { type: 'string', minLength: 1, maxLength: 255 },
    templateVersion: { type: 'string', minLength: 1, maxLength: 128 },
    value: { type: 'array', maxItems: 256, items: snmsValueSchema },
  },
};
const recordProblems = compileChecker(snmsRecordSchema);

const MSG_SUCCESS = 'success';
const MSG_EXISTS = '标识已存在 (identifier already exists)';
const MSG_MISSING = '标识不存在 (identifier does not exist)';

interface CheckedItem {
  position: number;
  parsed: ParsedHandle;
  input: SnmsRecordInput;
}

/**
 * The SNMS identifier API (/identityv2/data…): records shaped by data templates, written one by
 * one or in batches of up to 2,000 where every item gets its own result and the good items are
 * stored with one statement for the whole batch.
 */
@Injectable()
export class SnmsIdentifiersService {
  constructor(
    private readonly identifiers: IdentifierRepository,
    private readonly templates: TemplateRepository,
    private readonly access: PrefixAccessService,
    private readonly events: EventHub,
  ) {}

  /** Announces committed writes: resolves once the caches of every replica dropped them and they are counted. */
  private async written(operation: RegistrationOperation, records: WrittenIdentifier[]): Promise<void> {
    if (records.length > 0) await this.events.emit('identifiers.written', { operation, records });
  }

  batchCreate(caller: Principal, body: unknown): Promise<SnmsItemResult[]> {
    return this.writeBatch(caller, batchItems(body), 'create');
  }

  batchUpdate(caller: Principal, body: unknown): Promise<SnmsItemResult[]> {
    return this.writeBatch(caller, batchItems(body), 'update');
  }

  async createOne(caller: Principal, body: unknown): Promise<void> {
    throwIfFailed((await this.writeBatch(caller, [body], 'create'))[0]);
  }

  async updateOne(caller: Principal, body: unknown): Promise<void> {
    throwIfFailed((await this.writeBatch(caller, [body], 'update'))[0]);
  }

  async deleteOne(caller: Principal, handle: string): Promise<void> {
    throwIfFailed((await this.batchDelete(caller, [handle]))[0]);
  }

  async batchDelete(caller: Principal, body: unknown): Promise<SnmsItemResult[]> {
    // The SNMS documentation shows both a bare array and {handles: [...]} for batch delete.
    const items = batchItems(isRecord(body) && Object.keys(body).length === 1 && Array.isArray(body.handles) ? body.handles : body);
    const results: SnmsItemResult[] = [];
    const candidates: Array<{ position: number; parsed: ParsedHandle }> = [];
    items.forEach((item, position) => {
      if (typeof item !== 'string' || item.length === 0) {
        results[position] = refused(typeof item === 'string' ? item : '', 'VALIDATION_FAILED', 'each item must be a handle string');
        return;
      }
      const parsed = tryParseHandle(item);
      if (!parsed.ok) results[position] = refused(item, 'INVALID_HANDLE', parsed.error.message);
      else candidates.push({ position, parsed: parsed.value });
    });
    const allowed = await this.filterWritable(caller, candidates, results, 'delete');
    const owners = new Map(allowed.map((c) => [c.parsed.key, c.parsed.prefixKey]));
    const deleted: { has(key: string): boolean } = owners.size === 0 ? new Set<string>() : await this.identifiers.transaction(async (manager) => {
      const gone = await this.identifiers.deleteKeys([...owners.keys()], manager);
      const entries: AuditEntryInput[] = [...gone].map(([key, before]) => ({ action: 'handle.delete', target: key, owner: owners.get(key), outcome: 'ok', before }));
      await this.events.emit('audit.batch-recorded', { manager, entries });
      return gone;
    });
    await this.written(
      'delete',
      allowed.filter((c) => deleted.has(c.parsed.key)).map((c) => ({ handleKey: c.parsed.key, prefixKey: c.parsed.prefixKey })),
    );
    const reported = new Set<string>();
    for (const { position, parsed } of allowed) {
      const done = deleted.has(parsed.key) && !reported.has(parsed.key);
      reported.add(parsed.key);
      results[position] = done ? succeeded(parsed.handle) : refused(parsed.handle, 'HANDLE_NOT_FOUND', MSG_MISSING);
    }
    return results;
  }

  private async writeBatch(caller: Principal, items: unknown[], mode: 'create' | 'update'): Promise<SnmsItemResult[]> {
    const results: SnmsItemResult[] = [];
    const candidates: CheckedItem[] = [];
    items.forEach((item, position) => {
      const checked = checkRecord(item);
      if ('problem' in checked) results[position] = refused(isRecord(item) && typeof item.handle === 'string' ? item.handle : '', checked.reason, checked.problem);
      else candidates.push({ position, parsed: checked.parsed, input: checked.input });
    });

    const writable = await this.filterWritable(caller, candidates, results, mode === 'create' ? 'register' : 'update');
    const templates = await this.templatesFor(writable);
    const timestamp = isoSeconds(new Date());
    const rows: IdentifierRow[] = [];
    const rowOwners = new Map<string, CheckedItem>();
    for (const item of writable) {
      if (rowOwners.has(item.parsed.key)) {
        results[item.position] = refused(item.input.handle, 'CONFLICT', `duplicates item ${rowOwners.get(item.parsed.key)!.position} of this batch`);
        continue;
      }
      const template = templates.get(`${item.parsed.prefixKey}\u0000${item.input.templateVersion}`);
      const built = template ? buildValues(item.input, template, timestamp) : { problem: `数据模板不存在 (no template version "${item.input.templateVersion}" for prefix ${item.parsed.prefix})` };
      if ('problem' in built) {
        results[item.position] = refused(item.input.handle, template ? 'TEMPLATE_VIOLATION' : 'TEMPLATE_NOT_FOUND', built.problem);
        continue;
      }
      rowOwners.set(item.parsed.key, item);
      // buildValues writes every object's keys in sorted order: this text is also the audit's canonical JSON of the values.
      rows.push({ handleKey: item.parsed.key, handle: item.parsed.handle, prefixKey: item.parsed.prefixKey, valuesJson: JSON.stringify(built.values), templateVersion: item.input.templateVersion });
    }

    // One transaction: the rows and their audit rows (one per stored item, one statement) commit together.
    const written: { has(key: string): boolean } = rows.length === 0 ? new Set<string>() : await this.identifiers.transaction(async (manager) => {
      if (mode === 'create') {
        const inserted = await this.identifiers.insertMissing(rows, manager);
        await this.auditBatch(manager, rows, (row) => (inserted.has(row.handleKey) ? { action: 'handle.create', afterJson: row.valuesJson } : undefined));
        return inserted;
      }
      const updated = await this.identifiers.updateExisting(rows, manager);
      await this.auditBatch(manager, rows, (row) => (updated.has(row.handleKey) ? { action: 'handle.update', before: updated.get(row.handleKey), afterJson: row.valuesJson } : undefined));
      return updated;
    });
    await this.written(
      mode,
      rows.filter((row) => written.has(row.handleKey)).map((row) => ({ handleKey: row.handleKey, prefixKey: row.prefixKey })),
    );
    for (const [key, item] of rowOwners) {
      results[item.position] = written.has(key)
        ? succeeded(item.input.handle)
        : mode === 'create'
          ? refused(item.input.handle, 'HANDLE_ALREADY_EXISTS', MSG_EXISTS)
          : refused(item.input.handle, 'HANDLE_NOT_FOUND', MSG_MISSING);
    }
    return results;
  }

  /** One audit row per row actually written (`change` says how, or undefined when it was not). */
  private async auditBatch(
    manager: EntityManager,
    rows: IdentifierRow[],
    change: (row: IdentifierRow) => { action: string; before?: unknown; afterJson: string } | undefined,
  ): Promise<void> {
    const entries: AuditEntryInput[] = [];
    for (const row of rows) {
      const done = change(row);
      if (done) entries.push({ action: done.action, target: row.handleKey, owner: row.prefixKey, outcome: 'ok', before: done.before, afterJson: done.afterJson });
    }
    await this.events.emit('audit.batch-recorded', { manager, entries });
  }

  /** Drops (and reports) the items under prefixes the caller may not write. */
  private async filterWritable<T extends { position: number; parsed: ParsedHandle }>(
    caller: Principal,
    candidates: T[],
    results: SnmsItemResult[],
    operation: ApiKeyOperation,
  ): Promise<T[]> {
    if (candidates.length === 0) return [];
    const problems = await this.access.writeProblems(caller, candidates.map((c) => c.parsed.prefixKey), operation);
    return candidates.filter((candidate) => {
      const problem = problems.get(candidate.parsed.prefixKey);
      if (!problem) return true;
      results[candidate.position] = refused(candidate.parsed.handle, problem.code, problem.message);
      return false;
    });
  }

  private async templatesFor(items: CheckedItem[]): Promise<Map<string, TemplateWithItems>> {
    const pairs = new Map<string, { prefixKey: string; version: string }>();
    for (const item of items) pairs.set(`${item.parsed.prefixKey}\u0000${item.input.templateVersion}`, { prefixKey: item.parsed.prefixKey, version: item.input.templateVersion });
    const found = await this.templates.findMany([...pairs.values()]);
    return new Map(found.map((t) => [`${t.prefixKey}\u0000${t.version}`, t]));
  }
}

/**
 * The checks of one record that need neither its prefix nor its template: the record schema, text
 * PostgreSQL can store, and a valid handle whose suffix has no ambiguous dot segment. The batch
 * API and the CSV import (identifier-import.service.ts) both run them.
 */
export function checkRecord(item: unknown): { parsed: ParsedHandle; input: SnmsRecordInput } | { reason: DomainErrorCode; problem: string } {
  const problems = recordProblems(item);
  if (problems.length > 0) return { reason: 'VALIDATION_FAILED', problem: problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ') };
  const input = item as SnmsRecordInput;
  const unstorable = unstorableText(input);
  if (unstorable) return { reason: 'VALIDATION_FAILED', problem: unstorable };
  const parsed = tryParseHandle(input.handle);
  if (!parsed.ok) return { reason: 'INVALID_HANDLE', problem: parsed.error.message };
  const ambiguous = dotSegmentProblem(parsed.value.suffix);
  if (ambiguous) return { reason: 'INVALID_HANDLE', problem: ambiguous };
  return { parsed: parsed.value, input };
}

/**
 * Checks an SNMS record against its template and produces the stored Handle values: index 1001
 * TEMPLATE holding the version, then one string value per attribute.
 */
export function buildValues(input: SnmsRecordInput, template: TemplateWithItems, timestamp: string): { values: HandleJsonValue[] } | { problem: string } {
  const items = new Map(template.items.map((item) => [item.idIndex, item]));
  const seen = new Set<number>();
  // Keys in sorted order, as the audit log's canonical digest writes them (it then digests the native JSON).
  const values: HandleJsonValue[] = [{ data: { format: 'string', value: template.version }, index: TEMPLATE_VALUE_INDEX, timestamp, ttl: 86400, type: 'TEMPLATE' }];
  for (const [i, value] of input.value.entries()) {
    if (value.index === TEMPLATE_VALUE_INDEX) return { problem: `value[${i}]: index 1001 is reserved for the template version` };
    if (seen.has(value.index)) return { problem: `value[${i}]: index ${value.index} appears twice` };
    seen.add(value.index);
    const item = items.get(value.index);
    if (!item) return { problem: `value[${i}]: 非法操作，索引${value.index}在模板中不存在 (index ${value.index} is not an item of template ${template.version})` };
    if (item.state !== 1) return { problem: `value[${i}]: template item "${item.idType}" (index ${item.idIndex}) is disabled` };
    if (item.idType !== value.type) return { problem: `value[${i}]: index ${value.index} has type "${item.idType}" in the template, not "${value.type}"` };
    const length = [...value.data.value].length;
    if (length < item.minLength || length > item.maxLength) {
      return { problem: `value[${i}]: "${item.idType}" must be ${item.minLength} to ${item.maxLength} characters long, got ${length}` };
    }
    values.push({ data: { format: 'string', value: value.data.value }, index: value.index, timestamp, ttl: 86400, type: value.type });
  }
  const missing = template.items.filter((item) => item.required && item.state === 1 && !seen.has(item.idIndex));
  if (missing.length > 0) return { problem: `required template items missing: ${missing.map((m) => `${m.idType} (index ${m.idIndex})`).join(', ')}` };
  values.sort((a, b) => a.index - b.index);
  return { values };
}

/**
 * PostgreSQL cannot store U+0000 in text or jsonb, and an unpaired UTF-16 surrogate is not valid
 * JSON text for jsonb (nor UTF-8): either would fail the statement of the whole batch, so such an
 * item is refused on its own, with the field named.
 */
function unstorableText(input: SnmsRecordInput): string | undefined {
  const fields: Array<[string, string]> = [['/templateVersion', input.templateVersion]];
  input.value.forEach((v, i) => fields.push([`/value/${i}/type`, v.type], [`/value/${i}/data/value`, v.data.value]));
  for (const [path, text] of fields) {
    const bad = /\u0000|[\uD800-\uDFFF]/u.exec(text);
    if (bad) {
      const what = bad[0] === '\u0000' ? 'the NUL character U+0000' : `an unpaired UTF-16 surrogate U+${bad[0].charCodeAt(0).toString(16).toUpperCase()}`;
      return `${path} contains ${what} at position ${bad.index}, which cannot be stored`;
    }
  }
  return undefined;
}

function batchItems(items: unknown): unknown[] {
  if (!Array.isArray(items)) throw new DomainError('VALIDATION_FAILED', 'the body must be a JSON array of items');
  if (items.length === 0) throw new DomainError('VALIDATION_FAILED', 'the batch is empty');
  if (items.length > MAX_BATCH_ITEMS) {
    throw new DomainError('BATCH_TOO_LARGE', `批量操作最大支持${MAX_BATCH_ITEMS}条 (a batch holds at most ${MAX_BATCH_ITEMS} items, got ${items.length}); nothing was stored`);
  }
  return items;
}

function throwIfFailed(result: SnmsItemResult): void {
  if (result.code === 1) return;
  const reason = result.reason ?? 'VALIDATION_FAILED';
  if (reason === 'HANDLE_NOT_FOUND') throw new DomainError(reason, `没有找到标识 (identifier ${result.handle} not found)`);
  // A record naming a template version that does not exist is a bad request body (400), not a
  // missing target: a 404 from PUT /identityv2/data must mean the identifier itself is missing.
  throw new DomainError(reason === 'TEMPLATE_NOT_FOUND' ? 'TEMPLATE_VIOLATION' : reason, result.msg);
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
