/**
 * A string-keyed cache of pure results that forgets everything when it is full: enough to compute
 * an identifier's parse once per payload (validation and the event hash both need it) and once for
 * values that recur across payloads (read points, business locations), while unique values cost
 * one Map entry until the next clear. Values are internal and must not be mutated by callers.
 */
export class BoundedMemo<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string, compute: (key: string) => V): V {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = compute(key);
    if (this.entries.size >= this.capacity) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}
