import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  type HandleJsonValue,
  type HandleValue,
  handleLookupKey,
  type ParsedHandle,
  valuesFromJson,
  valueToJson,
} from '@idis/identifier';
import { type ApiKeyOperation, keyMay } from '../auth/api-keys/api-key-scope';
import type { Principal } from '../auth/principal';
import { EventHub } from '../events/event-hub';
import type { AuditEntryInput, RegistrationOperation, WrittenIdentifier } from '../events/node-events';
import { DomainError } from '../errors/domain-errors';
import type { EntityManager } from 'typeorm';
import { IdentifierRepository } from './identifier.repository';
import { asDomainError, isoSeconds, parseHandleOrThrow, parsePrefixOrThrow, parseWritableHandleOrThrow } from '../http/identifier-input';
import { PrefixAccessService } from './prefix-access.service';
import { PrefixRepository } from './prefix.repository';
import { TEMPLATE_VALUE_INDEX } from './templates.service';

export interface PutOptions {
  /** Undefined: create or replace the whole record. 'various' or a list: add or replace these values. */
  indexes?: 'various' | number[];
  overwrite: boolean;
  mintNewSuffix: boolean;
}

/** Maximum handles in one unpaged listing; beyond it the caller must page. */
export const MAX_UNPAGED_LISTING = 10_000;

/**
 * Identifier operations with Handle.Net REST semantics (create, overwrite, add/replace/remove
 * values, delete, list, resolve). Reads come straight from PostgreSQL.
 */
@Injectable()
export class HandlesService {
  constructor(
    private readonly identifiers: IdentifierRepository,
    private readonly access: PrefixAccessService,
    private readonly prefixes: PrefixRepository,
    private readonly events: EventHub,
  ) {}

  /** Announces committed writes: resolves once the caches of every replica dropped them and they are counted. */
  private async written(operation: RegistrationOperation, records: WrittenIdentifier[]): Promise<void> {
    if (records.length > 0) await this.events.emit('identifiers.written', { operation, records });
  }

  /** Records the change in the audit log inside its transaction (last, just before the commit). */
  private audited(manager: EntityManager, entry: AuditEntryInput): Promise<void> {
    return this.events.emit('audit.recorded', { manager, entry });
  }

  /** Returns the handle written (differs from the path with mintNewSuffix) and whether it was created. */
  async put(pathHandle: string, body: unknown, caller: Principal, options: PutOptions): Promise<{ handle: string; created: boolean }> {
    const handleText = options.mintNewSuffix ? `${pathHandle}${randomUUID()}` : pathHandle;
    const parsed = parseWritableHandleOrThrow(handleText);
    await this.access.assertWritable(caller, parsed.prefixKey, putOperation(caller, options));
    const now = new Date();
    let incoming: { values: HandleValue[]; handle?: string };
    try {
      incoming = valuesFromJson(body, { now });
    } catch (error) {
      throw asDomainError(error);
    }
    if (incoming.handle !== undefined && handleLookupKey(incoming.handle) !== parsed.key && !options.mintNewSuffix) {
      throw new DomainError('INVALID_VALUE', `the body names handle ${incoming.handle} but the path names ${pathHandle}`);
    }
    // The server stamps what it stores: a client cannot backdate a value.
    const stamped = incoming.values.map((v) => ({ ...v, timestamp: isoSeconds(now) }));

    if (options.indexes === undefined) {
      if (stamped.length === 0) throw new DomainError('INVALID_VALUE', 'a handle record needs at least one value');
      const row = toRow(parsed, stamped);
      const after = JSON.parse(row.valuesJson) as HandleJsonValue[];
      if (!options.overwrite) {
        await this.identifiers.transaction(async (manager) => {
          const inserted = await this.identifiers.insertMissing([row], manager);
          if (!inserted.has(parsed.key)) throw new DomainError('HANDLE_ALREADY_EXISTS', `handle ${handleText} already exists`);
          await this.audited(manager, { action: 'handle.create', target: parsed.key, owner: parsed.prefixKey, outcome: 'ok', after });
        });
        await this.written('create', [{ handleKey: parsed.key, prefixKey: parsed.prefixKey }]);
        return { handle: handleText, created: true };
      }
      const created = await this.identifiers.transaction(async (manager) => {
        const before = await this.identifiers.findByKey(parsed.key, manager, true);
        const wasCreated = await this.createOrReplace(caller, row, handleText, manager);
        await this.audited(manager, { action: wasCreated ? 'handle.create' : 'handle.update', target: parsed.key, owner: parsed.prefixKey, outcome: 'ok', before: before?.values, after });
        return wasCreated;
      });
      await this.written(created ? 'create' : 'update', [{ handleKey: parsed.key, prefixKey: parsed.prefixKey }]);
      return { handle: handleText, created };
    }
    const result = await this.putValues(parsed, handleText, stamped, options);
    await this.written('update', [{ handleKey: parsed.key, prefixKey: parsed.prefixKey }]);
    return result;
  }

  async delete(handleText: string, caller: Principal, indexes: number[] | undefined): Promise<void> {
    const parsed = parseHandleOrThrow(handleText);
    // Removing some values changes the record; removing the record is a deletion.
    await this.access.assertWritable(caller, parsed.prefixKey, indexes === undefined ? 'delete' : 'update');
    if (indexes === undefined) {
      await this.identifiers.transaction(async (manager) => {
        const deleted = await this.identifiers.deleteKeys([parsed.key], manager);
        if (!deleted.has(parsed.key)) throw new DomainError('HANDLE_NOT_FOUND', `handle ${handleText} not found`);
        await this.audited(manager, { action: 'handle.delete', target: parsed.key, owner: parsed.prefixKey, outcome: 'ok', before: deleted.get(parsed.key) });
      });
      await this.written('delete', [{ handleKey: parsed.key, prefixKey: parsed.prefixKey }]);
      return;
    }
    await this.identifiers.transaction(async (manager) => {
      const record = await this.identifiers.findByKey(parsed.key, manager, true);
      if (!record) throw new DomainError('HANDLE_NOT_FOUND', `handle ${handleText} not found`);
      const doomed = new Set(indexes);
      const remaining = record.values.filter((v) => !doomed.has(v.index));
      if (remaining.length === record.values.length) {
        throw new DomainError('VALUES_NOT_FOUND', `handle ${handleText} has no value at index ${indexes.join(', ')}`);
      }
      if (remaining.length === 0) {
        throw new DomainError('INVALID_VALUE', `removing index ${indexes.join(', ')} would leave handle ${handleText} without values; delete the handle instead`);
      }
      await this.identifiers.replaceValues(manager, parsed.key, JSON.stringify(remaining), templateVersionOf(remaining));
      await this.audited(manager, { action: 'handle.update', target: parsed.key, owner: parsed.prefixKey, outcome: 'ok', before: record.values, after: remaining });
    });
    await this.written('update', [{ handleKey: parsed.key, prefixKey: parsed.prefixKey }]);
  }

  async list(prefixText: string, caller: Principal, page: number, pageSize: number | undefined) {
    const prefix = parsePrefixOrThrow(prefixText);
    if (!(await this.access.canReadPrivate(caller, prefix.prefixKey))) {
      throw new DomainError('FORBIDDEN', `listing handles under ${prefix.prefix} needs the owning enterprise's or an operator's token`);
    }
    const totalCount = await this.identifiers.countUnderPrefix(prefix.prefixKey);
    if (pageSize === undefined && totalCount > MAX_UNPAGED_LISTING) {
      throw new DomainError('VALIDATION_FAILED', `prefix ${prefix.prefix} has ${totalCount} handles; list at most ${MAX_UNPAGED_LISTING} at once with page and pageSize`);
    }
    const size = pageSize ?? MAX_UNPAGED_LISTING;
    const handles = size === 0 ? [] : await this.identifiers.listUnderPrefix(prefix.prefixKey, page * size, size);
    return { prefix: prefix.prefix, totalCount, page, pageSize: pageSize ?? totalCount, handles };
  }

  async homedPrefixes(): Promise<string[]> {
    return (await this.prefixes.listActive()).map((p) => p.prefix);
  }

  /**
   * PUT with overwrite: creates or replaces. An API key allowed only one of the two does only that
   * one, and is refused (nothing written) when the record's existence asks for the other.
   */
  private async createOrReplace(caller: Principal, row: ReturnType<typeof toRow>, handleText: string, manager: EntityManager): Promise<boolean> {
    const mayRegister = keyMay(caller, 'register');
    const mayUpdate = keyMay(caller, 'update');
    if (mayRegister && mayUpdate) return this.identifiers.upsert(row, manager);
    if (mayRegister) {
      if ((await this.identifiers.insertMissing([row], manager)).has(row.handleKey)) return true;
      throw new DomainError('FORBIDDEN', `handle ${handleText} exists and this API key may not update identifiers`);
    }
    if ((await this.identifiers.updateExisting([row], manager)).has(row.handleKey)) return false;
    throw new DomainError('FORBIDDEN', `handle ${handleText} does not exist and this API key may not register identifiers`);
  }

  private async putValues(parsed: ParsedHandle, handleText: string, values: HandleValue[], options: PutOptions) {
    if (options.indexes !== 'various') {
      const wanted = [...new Set(options.indexes)].sort((a, b) => a - b).join(',');
      const given = values.map((v) => v.index).sort((a, b) => a - b).join(',');
      if (wanted !== given) {
        throw new DomainError('INVALID_VALUE', `the index parameter (${wanted}) must list exactly the indexes in the body (${given}), or be "various"`);
      }
    }
    await this.identifiers.transaction(async (manager) => {
      const record = await this.identifiers.findByKey(parsed.key, manager, true);
      if (!record) throw new DomainError('HANDLE_NOT_FOUND', `handle ${handleText} not found`);
      const incoming = new Map(values.map((v) => [v.index, valueToJson(v)]));
      const clash = record.values.find((v) => incoming.has(v.index));
      if (!options.overwrite && clash) {
        throw new DomainError('VALUE_ALREADY_EXISTS', `handle ${handleText} already has a value at index ${clash.index}`);
      }
      const merged = record.values.filter((v) => !incoming.has(v.index)).concat([...incoming.values()]);
      merged.sort((a, b) => a.index - b.index);
      await this.identifiers.replaceValues(manager, parsed.key, JSON.stringify(merged), templateVersionOf(merged));
      await this.audited(manager, { action: 'handle.update', target: parsed.key, owner: parsed.prefixKey, outcome: 'ok', before: record.values, after: merged });
    });
    return { handle: handleText, created: false };
  }
}

function toRow(parsed: ParsedHandle, values: HandleValue[]) {
  const json = values.map(valueToJson).sort((a, b) => a.index - b.index);
  return { handleKey: parsed.key, handle: parsed.handle, prefixKey: parsed.prefixKey, valuesJson: JSON.stringify(json), templateVersion: templateVersionOf(json) };
}

/** The SNMS template version a record declares in its index-1001 TEMPLATE value, if any. */
export function templateVersionOf(values: HandleJsonValue[]): string | null {
  const template = values.find((v) => v.index === TEMPLATE_VALUE_INDEX && v.type === 'TEMPLATE');
  return template && typeof template.data.value === 'string' && template.data.value.length <= 128 ? template.data.value : null;
}

/** What an API key needs for a PUT: adding values updates; a record without overwrite registers; with overwrite, either. */
function putOperation(caller: Principal, options: PutOptions): ApiKeyOperation {
  if (options.indexes !== undefined) return 'update';
  if (!options.overwrite) return 'register';
  return keyMay(caller, 'register') ? 'register' : 'update';
}
