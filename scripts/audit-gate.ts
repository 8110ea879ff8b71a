/**
 * The CI gate on `npm audit --omit=dev --audit-level=high --json` (.ci/run):
 *
 *   - high or critical advisories of production dependencies that are not in .ci/audit-allowlist.json
 *     (or whose allow-list entry has expired) → exit 1, naming each;
 *   - the audit service could not be asked (no network, the registry answers 405 / has no advisory
 *     endpoint, a mirror) → one warning line, exit 0: an unreachable service proves nothing either way;
 *   - otherwise → exit 0 (listing the allow-listed advisories that were found).
 *
 * Run: node -r ts-node/register/transpile-only scripts/audit-gate.ts [allowlist.json]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One accepted advisory: its id (GHSA-… or npm's numeric source id), the package, why, and until when. */
export interface AllowEntry {
  id: string;
  package: string;
  reason: string;
  /** yyyy-mm-dd: after this day the entry no longer applies and the advisory fails the gate again. */
  expires?: string;
}

export interface Advisory {
  id: string;
  package: string;
  severity: string;
  title: string;
  url: string;
}

export type AuditVerdict =
  | { kind: 'passed'; allowed: Advisory[] }
  | { kind: 'failed'; blocking: Advisory[]; allowed: Advisory[] }
  | { kind: 'unreachable'; reason: string };

const BLOCKING_SEVERITIES = new Set(['high', 'critical']);

/** What `npm audit --json` printed, classified against the allow-list. */
export function classifyAudit(stdout: string, allowlist: AllowEntry[], today: Date = new Date()): AuditVerdict {
  let report: unknown;
  try {
    report = JSON.parse(stdout);
  } catch {
    return { kind: 'unreachable', reason: stdout.trim() === '' ? 'npm audit printed nothing' : 'npm audit did not print a JSON report' };
  }
  const vulnerabilities = (report as { vulnerabilities?: unknown })?.vulnerabilities;
  if (typeof vulnerabilities !== 'object' || vulnerabilities === null) {
    // npm's error object: {"error": {"code": "ENOAUDIT" | "ENOTFOUND" | …, "summary": …}}, or for an HTTP
    // refusal {"message": "405 Method Not Allowed - POST …/advisories/bulk", "statusCode": 405, "error": {"summary": ""}}.
    const failure = report as { error?: { code?: unknown; summary?: unknown }; message?: unknown } | null;
    const summary = typeof failure?.error?.summary === 'string' && failure.error.summary !== '' ? failure.error.summary : failure?.message;
    const reason = [failure?.error?.code, summary].filter((part) => typeof part === 'string' && part !== '').join(': ');
    return { kind: 'unreachable', reason: reason || 'npm audit returned no vulnerability report' };
  }
  const day = today.toISOString().slice(0, 10);
  const valid = allowlist.filter((entry) => entry.expires === undefined || entry.expires >= day);
  const blocking: Advisory[] = [];
  const allowed: Advisory[] = [];
  for (const advisory of advisoriesOf(vulnerabilities as Record<string, unknown>)) {
    if (!BLOCKING_SEVERITIES.has(advisory.severity)) continue;
    const accepted = valid.some((entry) => entry.id === advisory.id && entry.package === advisory.package);
    (accepted ? allowed : blocking).push(advisory);
  }
  return blocking.length > 0 ? { kind: 'failed', blocking, allowed } : { kind: 'passed', allowed };
}

/**
 * The advisories of an npm audit v2 report: each vulnerable package's `via` entries that are
 * advisory objects (strings there only point at another vulnerable package). Deduplicated by id
 * and package.
 */
function advisoriesOf(vulnerabilities: Record<string, unknown>): Advisory[] {
  const found = new Map<string, Advisory>();
  for (const [name, entry] of Object.entries(vulnerabilities)) {
    const via = (entry as { via?: unknown })?.via;
    if (!Array.isArray(via)) continue;
    for (const item of via) {
      if (typeof item !== 'object' || item === null) continue;
      const source = item as { source?: unknown; name?: unknown; title?: unknown; url?: unknown; severity?: unknown };
      const url = typeof source.url === 'string' ? source.url : '';
      const ghsa = /GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/i.exec(url)?.[0];
      const id = ghsa ?? String(source.source ?? 'unknown');
      const advisory: Advisory = {
        id,
        package: typeof source.name === 'string' ? source.name : name,
        severity: typeof source.severity === 'string' ? source.severity : 'unknown',
        title: typeof source.title === 'string' ? source.title : '',
        url,
      };
      found.set(`${advisory.package} ${advisory.id}`, advisory);
    }
  }
  return [...found.values()];
}

/** The allow-list file: {"//": comment, "advisories": AllowEntry[]}; every entry must say why. */
export function readAllowlist(text: string): AllowEntry[] {
  const parsed = JSON.parse(text) as { advisories?: unknown };
  if (!Array.isArray(parsed.advisories)) throw new Error('the allow-list needs an "advisories" array');
  return parsed.advisories.map((entry, i) => {
    const e = entry as Partial<AllowEntry>;
    if (typeof e.id !== 'string' || typeof e.package !== 'string' || typeof e.reason !== 'string' || e.reason.trim() === '') {
      throw new Error(`allow-list entry ${i} needs "id", "package" and a non-empty "reason"`);
    }
    if (e.expires !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(e.expires)) throw new Error(`allow-list entry ${i}: "expires" must be yyyy-mm-dd`);
    return { id: e.id, package: e.package, reason: e.reason, ...(e.expires ? { expires: e.expires } : {}) };
  });
}

function describe(advisory: Advisory): string {
  return `${advisory.severity} ${advisory.package} ${advisory.id}: ${advisory.title}${advisory.url ? ` (${advisory.url})` : ''}`;
}

function main(): void {
  const allowlistFile = process.argv[2] ?? join(__dirname, '..', '.ci', 'audit-allowlist.json');
  const allowlist = readAllowlist(readFileSync(allowlistFile, 'utf8'));
  const audit = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const verdict = classifyAudit(audit.stdout ?? '', allowlist);
  switch (verdict.kind) {
    case 'unreachable':
      process.stdout.write(`audit: WARNING the npm audit service could not be asked (${verdict.reason}); dependencies NOT audited in this run\n`);
      return;
    case 'passed':
      for (const advisory of verdict.allowed) process.stdout.write(`audit: allow-listed ${describe(advisory)}\n`);
      process.stdout.write('audit: no high or critical advisory outside the allow-list\n');
      return;
    case 'failed':
      for (const advisory of verdict.blocking) process.stderr.write(`audit: NOT ALLOWED ${describe(advisory)}\n`);
      process.stderr.write(`audit: ${verdict.blocking.length} high/critical advisory(ies) not in ${allowlistFile}: upgrade, or allow-list each with a reason\n`);
      process.exitCode = 1;
  }
}

if (require.main === module) main();
