import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { PrefixRepository } from './prefix.repository';
import { TemplateRepository } from './template.repository';

/** How long a prefix's organisation name or a template's item names are reused before being read again. */
export const RECORD_LABELS_TTL_MS = 30_000;
/** Prefixes and (prefix, template version) pairs remembered at most, each. */
const MAX_ENTRIES = 2_000;

/** What the proxy's product page shows beside a record's values: whose product it is, and what each value is called. */
export interface RecordLabels {
  /** The organisation name of the prefix's owner; null when the prefix is not assigned here. */
  enterprise: string | null;
  /** Template item names by value index, from the template version the record was registered with. */
  itemNames: ReadonlyMap<number, string>;
}

const NO_NAMES: ReadonlyMap<number, string> = new Map();

/**
 * Labels for the product page (GET /{prefix}/{suffix}?noredirect in a browser). They cost two small
 * reads per prefix and per template version, so they are cached briefly (a renamed item or
 * organisation shows within RECORD_LABELS_TTL_MS) and bounded in count; concurrent misses for one key
 * share one read. The hot paths (the redirect, JSON) never ask for them.
 */
@Injectable()
export class RecordLabelsService {
  private readonly enterprises: LRUCache<string, { name: string | null }>;
  private readonly templates: LRUCache<string, { names: ReadonlyMap<number, string> }>;

  constructor(prefixes: PrefixRepository, templates: TemplateRepository) {
    this.enterprises = new LRUCache({ max: MAX_ENTRIES, ttl: RECORD_LABELS_TTL_MS, fetchMethod: async (prefixKey) => ({ name: await prefixes.ownerOrgName(prefixKey) }) });
    this.templates = new LRUCache<string, { names: ReadonlyMap<number, string> }>({
      max: MAX_ENTRIES,
      ttl: RECORD_LABELS_TTL_MS,
      fetchMethod: async (key) => {
        const [prefixKey, version] = key.split('\u0000');
        const template = await templates.find(prefixKey, version);
        return { names: new Map((template?.items ?? []).map((item) => [item.idIndex, item.name])) };
      },
    });
  }

  async labelsOf(prefixKey: string, templateVersion: string | null): Promise<RecordLabels> {
    const [enterprise, template] = await Promise.all([
      this.enterprises.fetch(prefixKey),
      templateVersion === null ? undefined : this.templates.fetch(`${prefixKey}\u0000${templateVersion}`),
    ]);
    return { enterprise: enterprise?.name ?? null, itemNames: template?.names ?? NO_NAMES };
  }
}
