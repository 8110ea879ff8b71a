import { Injectable } from '@nestjs/common';
import { parsePrefix } from '@idis/identifier';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import type { AuditEntryInput } from '../events/node-events';
import type { DataTemplateEntity } from './entities/data-template.entity';
import type { TemplateItemEntity } from './entities/template-item.entity';
import { IdentifierRepository } from './identifier.repository';
import { PrefixAccessService } from './prefix-access.service';
import { TemplateRepository, type TemplateWithItems, type WithinTransaction } from './template.repository';

/** Index 1001 of every SNMS record holds the template version; template items start at 2000. */
export const TEMPLATE_VALUE_INDEX = 1001;
export const FIRST_ITEM_INDEX = 2000;

export interface TemplateItemInput {
  name: string;
  idType: string;
  idIndex?: number;
  required?: boolean;
  state?: 0 | 1;
  metadata: { type?: 'string'; minLength: number; maxLength: number };
}

export interface TemplateInput {
  prefix: string;
  version: string;
  industryCategory: string;
  industrySpecific: string;
  industryTrade: string;
  industrySubclass: string;
  type: 1 | 2;
  description?: string;
  items: TemplateItemInput[];
}

export interface TemplateView {
  id: string;
  prefix: string;
  version: string;
  industryCategory: string;
  industrySpecific: string;
  industryTrade: string;
  industrySubclass: string;
  type: number;
  description: string;
  items: Array<{ name: string; idType: string; idIndex: number; required: boolean; state: number; metadata: { type: string; minLength: number; maxLength: number } }>;
  createdAt: string;
  updatedAt: string;
}

/**
 * SNMS v5 data templates: the version is immutable (it is the key), items are added over time
 * and can be disabled but never deleted, so records registered against a version stay valid.
 */
@Injectable()
export class TemplatesService {
  constructor(
    private readonly templates: TemplateRepository,
    private readonly access: PrefixAccessService,
    private readonly identifiers: IdentifierRepository,
    private readonly events: EventHub,
  ) {}

  /** The audit row of a template change, written last inside its transaction. */
  private audited(entry: Omit<AuditEntryInput, 'outcome'>): WithinTransaction {
    return (manager) => this.events.emit('audit.recorded', { manager, entry: { ...entry, outcome: 'ok' } });
  }

  async get(caller: Principal, prefix: string, version: string): Promise<TemplateView> {
    const prefixKey = prefixKeyOf(prefix);
    await this.access.assertWritable(caller, prefixKey);
    return toView(prefix, await this.mustFind(prefixKey, version));
  }

  /**
   * A prefix's templates, newest first, each with every item (disabled ones too, state 0): what
   * the console offers to choose from before it builds a registration form from the items.
   */
  async list(caller: Principal, prefix: string, page: number, pageSize: number): Promise<{ items: TemplateView[]; total: number; page: number; pageSize: number }> {
    const prefixKey = prefixKeyOf(prefix);
    const standing = await this.access.assertWritable(caller, prefixKey);
    const found = await this.templates.pageForPrefix(prefixKey, (page - 1) * pageSize, pageSize);
    return { items: found.items.map((template) => toView(standing.prefix, template)), total: found.total, page, pageSize };
  }

  async create(caller: Principal, input: TemplateInput): Promise<TemplateView> {
    const prefixKey = prefixKeyOf(input.prefix);
    const standing = await this.access.assertWritable(caller, prefixKey);
    checkIndustry(input);
    const items = assignIndexes(input.items, []);
    const template = {
      prefixKey,
      version: input.version,
      industryCategory: input.industryCategory,
      industrySpecific: input.industrySpecific,
      industryTrade: input.industryTrade,
      industrySubclass: input.industrySubclass,
      type: input.type,
      description: input.description ?? '',
    };
    const created = await this.templates.create(template, items, this.audited({ action: 'template.create', target: templateTarget(prefixKey, input.version), owner: prefixKey, after: { ...template, items } }));
    if (!created) throw new DomainError('TEMPLATE_ALREADY_EXISTS', `template version "${input.version}" already exists for prefix ${standing.prefix}; versions are immutable, use PUT to add or disable items`);
    return toView(standing.prefix, await this.mustFind(prefixKey, input.version));
  }

  async update(caller: Principal, input: TemplateInput): Promise<TemplateView> {
    const prefixKey = prefixKeyOf(input.prefix);
    const standing = await this.access.assertWritable(caller, prefixKey);
    checkIndustry(input);
    const existing = await this.mustFind(prefixKey, input.version);
    const items = assignIndexes(input.items, existing.items);
    const kept = new Set(items.map((item) => item.idIndex));
    const dropped = existing.items.filter((item) => !kept.has(item.idIndex));
    if (dropped.length > 0) {
      throw new DomainError(
        'TEMPLATE_VIOLATION',
        `template items cannot be deleted, only disabled with state 0: missing ${dropped.map((i) => `${i.idType} (index ${i.idIndex})`).join(', ')}`,
      );
    }
    const fields = {
      industryCategory: input.industryCategory,
      industrySpecific: input.industrySpecific,
      industryTrade: input.industryTrade,
      industrySubclass: input.industrySubclass,
      type: input.type,
      description: input.description ?? existing.description,
    };
    await this.templates.update(
      existing.id,
      fields,
      items,
      this.audited({ action: 'template.update', target: templateTarget(prefixKey, input.version), owner: prefixKey, before: templateState(existing), after: { ...fields, items } }),
    );
    return toView(standing.prefix, await this.mustFind(prefixKey, input.version));
  }

  async delete(caller: Principal, prefix: string, version: string): Promise<void> {
    const prefixKey = prefixKeyOf(prefix);
    await this.access.assertWritable(caller, prefixKey);
    const existing = await this.mustFind(prefixKey, version);
    if (await this.identifiers.anyUsesTemplate(prefixKey, version)) {
      throw new DomainError('TEMPLATE_IN_USE', `template version "${version}" is used by registered identifiers; disable its items instead`);
    }
    await this.templates.delete(existing.id, this.audited({ action: 'template.delete', target: templateTarget(prefixKey, version), owner: prefixKey, before: templateState(existing) }));
  }

  private async mustFind(prefixKey: string, version: string): Promise<TemplateWithItems> {
    const template = await this.templates.find(prefixKey, version);
    if (!template) throw new DomainError('TEMPLATE_NOT_FOUND', `no template version "${version}" for prefix ${prefixKey}`);
    return template;
  }
}

/** How the audit log names a template: its prefix and version. */
function templateTarget(prefixKey: string, version: string): string {
  return `template:${prefixKey}@${version}`;
}

/** A stored template as plain data (its digest goes in the audit log). */
function templateState(template: TemplateWithItems) {
  const { industryCategory, industrySpecific, industryTrade, industrySubclass, type, description } = template;
  const items = template.items.map(({ templateId: _templateId, ...item }) => item);
  return { industryCategory, industrySpecific, industryTrade, industrySubclass, type, description, items };
}

function prefixKeyOf(prefix: string): string {
  try {
    return parsePrefix(prefix).prefixKey;
  } catch (error) {
    throw new DomainError('VALIDATION_FAILED', `prefix is invalid: ${(error as Error).message}`, [{ path: '/prefix', message: (error as Error).message }]);
  }
}

/** GB/T 4754-2017: the 大类 (two-digit division) range of each 门类 (section letter). */
const DIVISIONS_OF_SECTION: Record<string, [number, number]> = {
  A: [1, 5],
  B: [6, 12],
  C: [13, 43],
  D: [44, 46],
  E: [47, 50],
  F: [51, 52],
  G: [53, 60],
  H: [61, 62],
  I: [63, 65],
  J: [66, 69],
  K: [70, 70],
  L: [71, 72],
  M: [73, 75],
  N: [76, 79],
  O: [80, 82],
  P: [83, 83],
  Q: [84, 85],
  R: [86, 90],
  S: [91, 97],
  T: [98, 98],
};

/** GB/T 4754 codes nest: 门类 letter owns a range of 大类, 中类 = 大类 + 1 digit, 小类 = 中类 + 1 digit. */
function checkIndustry(input: TemplateInput): void {
  const range = DIVISIONS_OF_SECTION[input.industryCategory];
  const division = Number(input.industrySpecific);
  if (!range || division < range[0] || division > range[1]) {
    const expected = range ? `${String(range[0]).padStart(2, '0')} to ${String(range[1]).padStart(2, '0')}` : 'none';
    throw new DomainError(
      'VALIDATION_FAILED',
      `industry codes must nest (GB/T 4754): industrySpecific ${input.industrySpecific} is not a division of section ${input.industryCategory} (expected ${expected})`,
    );
  }
  if (!input.industryTrade.startsWith(input.industrySpecific) || !input.industrySubclass.startsWith(input.industryTrade)) {
    throw new DomainError('VALIDATION_FAILED', 'industry codes must nest (GB/T 4754): industryTrade starts with industrySpecific, industrySubclass with industryTrade');
  }
}

/**
 * Gives every item its index: an existing item keeps its index (matched by idType), a new item
 * takes the one it asks for or the next free one from 2000. idType, name and index stay unique.
 */
function assignIndexes(inputs: TemplateItemInput[], existing: TemplateItemEntity[]): Omit<TemplateItemEntity, 'templateId'>[] {
  const byType = new Map(existing.map((item) => [item.idType, item]));
  const used = new Set(existing.map((item) => item.idIndex));
  const seenTypes = new Set<string>();
  const seenNames = new Set<string>();
  const seenIndexes = new Set<number>();
  const result: Omit<TemplateItemEntity, 'templateId'>[] = [];
  for (const [position, input] of inputs.entries()) {
    const where = `items[${position}]`;
    if (seenTypes.has(input.idType)) throw new DomainError('VALIDATION_FAILED', `${where}.idType "${input.idType}" appears twice`);
    if (seenNames.has(input.name)) throw new DomainError('VALIDATION_FAILED', `${where}.name "${input.name}" appears twice`);
    seenTypes.add(input.idType);
    seenNames.add(input.name);
    if (input.metadata.minLength > input.metadata.maxLength) {
      throw new DomainError('VALIDATION_FAILED', `${where}.metadata.minLength is larger than maxLength`);
    }
    const previous = byType.get(input.idType);
    let idIndex: number;
    if (previous) {
      if (input.idIndex !== undefined && input.idIndex !== previous.idIndex) {
        throw new DomainError('TEMPLATE_VIOLATION', `${where}: the index of item "${input.idType}" is ${previous.idIndex} and cannot change`);
      }
      idIndex = previous.idIndex;
    } else if (input.idIndex !== undefined) {
      if (used.has(input.idIndex)) throw new DomainError('TEMPLATE_VIOLATION', `${where}: index ${input.idIndex} already belongs to another item`);
      idIndex = input.idIndex;
    } else {
      idIndex = FIRST_ITEM_INDEX;
      while (used.has(idIndex) || seenIndexes.has(idIndex) || inputs.some((other) => other.idIndex === idIndex)) idIndex += 1;
    }
    if (seenIndexes.has(idIndex)) throw new DomainError('VALIDATION_FAILED', `${where}: index ${idIndex} appears twice`);
    seenIndexes.add(idIndex);
    used.add(idIndex);
    result.push({
      idIndex,
      name: input.name,
      idType: input.idType,
      // An existing item keeps its flags unless the PUT sets them: a client that only adds an
      // item must not silently re-enable a disabled one or drop a required one.
      required: input.required ?? previous?.required ?? false,
      state: input.state ?? previous?.state ?? 1,
      valueType: 'string',
      minLength: input.metadata.minLength,
      maxLength: input.metadata.maxLength,
    });
  }
  return result;
}

function toView(prefix: string, template: DataTemplateEntity & { items: TemplateItemEntity[] }): TemplateView {
  return {
    id: template.id,
    prefix,
    version: template.version,
    industryCategory: template.industryCategory,
    industrySpecific: template.industrySpecific,
    industryTrade: template.industryTrade,
    industrySubclass: template.industrySubclass,
    type: template.type,
    description: template.description,
    items: [...template.items]
      .sort((a, b) => a.idIndex - b.idIndex)
      .map((item) => ({
        name: item.name,
        idType: item.idType,
        idIndex: item.idIndex,
        required: item.required,
        state: item.state,
        metadata: { type: item.valueType, minLength: item.minLength, maxLength: item.maxLength },
      })),
    createdAt: template.createdAt.toISOString(),
    updatedAt: template.updatedAt.toISOString(),
  };
}
