import type { EventFilter } from '../query/event-query';
import type { FeedEvent } from './event-matcher';

/**
 * The single-valued event fields a subscription can be indexed by, most selective first. A filter
 * that lists values for one of them matches only events holding one of those values there, so an
 * event needs to be offered only to the subscriptions registered under its own value.
 */
const KEYS = [
  { name: 'eventId', values: (filter: EventFilter) => filter.eventIds, of: (event: FeedEvent) => [event.eventId, event.hashId] },
  { name: 'readPoint', values: (filter: EventFilter) => filter.readPoints, of: (event: FeedEvent) => [event.readPoint] },
  { name: 'bizLocation', values: (filter: EventFilter) => filter.bizLocations, of: (event: FeedEvent) => [event.bizLocation] },
  { name: 'bizStep', values: (filter: EventFilter) => filter.bizSteps, of: (event: FeedEvent) => [event.bizStep] },
  { name: 'disposition', values: (filter: EventFilter) => filter.dispositions, of: (event: FeedEvent) => [event.disposition] },
  { name: 'eventType', values: (filter: EventFilter) => filter.eventTypes, of: (event: FeedEvent) => [event.eventType] },
] as const;

export type IndexKey = (typeof KEYS)[number]['name'] | 'none';

interface Entry<T> {
  item: T;
  key: IndexKey;
  values: string[];
  /** The last event (by lookup number) this entry was offered: an event is offered once per entry. */
  seen: number;
}

/**
 * Which subscriptions an event may concern, without asking every one: each subscription is filed
 * under one indexable condition of its filter (eventID, readPoint, bizLocation, bizStep,
 * disposition, eventType: the first it has), by every value that condition accepts; one without
 * any is offered every event. `candidates(event)` returns the subscriptions filed under the
 * event's own values plus those; the caller still evaluates each one's full predicate (the index
 * only ever leaves out subscriptions that cannot match).
 */
export class SubscriptionIndex<T> {
  private readonly byKey = new Map<IndexKey, Map<string, Array<Entry<T>>>>();
  private readonly everything = new Set<Entry<T>>();
  private readonly entries = new Map<T, Entry<T>>();
  private lookups = 0;

  /** Files `item` under its filter (again, if it was filed already). Returns the key it was filed under. */
  add(item: T, filter: EventFilter): IndexKey {
    this.remove(item);
    const chosen = KEYS.find((key) => key.values(filter) !== null);
    const entry: Entry<T> = { item, key: chosen?.name ?? 'none', values: chosen ? [...new Set(chosen.values(filter) as string[])] : [], seen: 0 };
    this.entries.set(item, entry);
    if (entry.key === 'none') {
      this.everything.add(entry);
      return entry.key;
    }
    let table = this.byKey.get(entry.key);
    if (!table) this.byKey.set(entry.key, (table = new Map()));
    for (const value of entry.values) {
      const list = table.get(value);
      if (list) list.push(entry);
      else table.set(value, [entry]);
    }
    return entry.key;
  }

  remove(item: T): void {
    const entry = this.entries.get(item);
    if (!entry) return;
    this.entries.delete(item);
    if (entry.key === 'none') {
      this.everything.delete(entry);
      return;
    }
    const table = this.byKey.get(entry.key) as Map<string, Array<Entry<T>>>;
    for (const value of entry.values) {
      const rest = (table.get(value) ?? []).filter((other) => other !== entry);
      if (rest.length > 0) table.set(value, rest);
      else table.delete(value);
    }
    if (table.size === 0) this.byKey.delete(entry.key);
  }

  has(item: T): boolean {
    return this.entries.has(item);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The items that may match `event`, each once. */
  candidates(event: FeedEvent): T[] {
    this.lookups += 1;
    const stamp = this.lookups;
    const found: T[] = [];
    for (const entry of this.everything) {
      entry.seen = stamp;
      found.push(entry.item);
    }
    for (const key of KEYS) {
      const table = this.byKey.get(key.name);
      if (!table) continue;
      for (const value of key.of(event)) {
        if (value === null || value === undefined) continue;
        const list = table.get(value);
        if (!list) continue;
        for (const entry of list) {
          if (entry.seen === stamp) continue;
          entry.seen = stamp;
          found.push(entry.item);
        }
      }
    }
    return found;
  }
}
