/** The process environment, or any map of the same shape (tests pass plain objects). */
export type Env = Record<string, string | undefined>;

/**
 * Every problem found in a configuration, thrown once at boot after all variables were read, so an
 * operator sees each bad variable at once. `main` turns it into exit code 2 (runConfigLoader).
 */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    heading = 'invalid configuration',
  ) {
    super(`${heading}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads variables with a fallback and a bound each. A bad value is not thrown at once: its problem
 * (naming the variable and what it expects) is added to `problems` and the fallback is returned, so
 * the caller throws one ConfigError listing everything. An empty value counts as unset.
 */
export class EnvReader {
  constructor(
    private readonly env: Env,
    readonly problems: string[] = [],
  ) {}

  /** Records a problem found by the caller's own check. */
  problem(message: string): void {
    this.problems.push(message);
  }

  optional(name: string): string | undefined {
    const raw = this.env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  /** A non-negative decimal integer from min to max. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problem(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  /** A TCP port; 0 asks the system for a free one. */
  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 0, 65535);
  }

  /** A decimal number from 0 to max (1 by default), such as a rate or a share. */
  fraction(name: string, fallback: number, max = 1): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || value > max) {
      this.problem(`${name} must be a number from 0 to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  /** Exactly `true` or `false`. */
  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    this.problem(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  /**
   * A URL with one of `protocols` (as URL.protocol spells them: 'postgres:'), or undefined when
   * unset or bad. The value is not repeated in the problem unless `showValue` is set: URLs such as
   * DATABASE_URL carry passwords.
   */
  url(name: string, protocols: readonly string[], options: { showValue?: boolean } = {}): string | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    try {
      if (!protocols.includes(new URL(raw).protocol)) throw new Error('protocol');
      return raw;
    } catch {
      const got = options.showValue ? `, got "${raw}"` : '';
      this.problem(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}${got}`);
      return undefined;
    }
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problem(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  }
}
