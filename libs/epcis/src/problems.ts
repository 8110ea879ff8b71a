import { EpcisProblem } from './types';

/** Collects problems up to a cap; `total` keeps counting so callers can tell whether a step added any. */
export class ProblemList {
  readonly items: EpcisProblem[] = [];
  total = 0;

  constructor(private readonly max: number) {}

  add(path: string, message: string): void {
    this.total++;
    if (this.items.length < this.max) this.items.push({ path, message });
  }

  /** The listed problems, with a last entry saying how many were left out. */
  result(): EpcisProblem[] {
    if (this.total <= this.items.length) return this.items;
    return [...this.items, { path: '$', message: `${this.total - this.items.length} more problems not listed` }];
  }
}

/** `$.a.b[2]["example:x"]` */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}
