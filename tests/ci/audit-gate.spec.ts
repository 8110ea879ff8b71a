import { type AllowEntry, classifyAudit, readAllowlist } from '../../scripts/audit-gate';

/** An npm audit v2 report with one high advisory in `semver` (direct) and its effect on `pkg-a`. */
function reportWith(severity: string, id = 'GHSA-c2qf-rxjj-qqgw') {
  return JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: {
      semver: {
        name: 'semver',
        severity,
        isDirect: false,
        via: [{ source: 1101088, name: 'semver', dependency: 'semver', title: 'semver vulnerable to Regular Expression Denial of Service', url: `https://github.com/advisories/${id}`, severity, cwe: ['CWE-1333'], range: '<7.5.2' }],
        effects: ['pkg-a'],
        range: '<7.5.2',
        nodes: ['node_modules/semver'],
        fixAvailable: true,
      },
      'pkg-a': { name: 'pkg-a', severity, isDirect: true, via: ['semver'], effects: [], range: '1.x', nodes: ['node_modules/pkg-a'], fixAvailable: true },
    },
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 2, critical: 0, total: 2 }, dependencies: { prod: 10, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 10 } },
  });
}

const CLEAN = JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 } } });

describe('npm audit gate', () => {
  it('fails on a high advisory that is not allow-listed, naming it once (not once per dependent package)', () => {
    const verdict = classifyAudit(reportWith('high'), []);
    expect(verdict.kind).toBe('failed');
    if (verdict.kind !== 'failed') return;
    expect(verdict.blocking).toEqual([expect.objectContaining({ id: 'GHSA-c2qf-rxjj-qqgw', package: 'semver', severity: 'high' })]);
  });

  it('fails on a critical advisory too, and passes low and moderate ones', () => {
    expect(classifyAudit(reportWith('critical'), []).kind).toBe('failed');
    expect(classifyAudit(reportWith('moderate'), [])).toEqual({ kind: 'passed', allowed: [] });
    expect(classifyAudit(reportWith('low'), [])).toEqual({ kind: 'passed', allowed: [] });
  });

  it('passes an allow-listed advisory (same id and package) and reports it', () => {
    const allow: AllowEntry[] = [{ id: 'GHSA-c2qf-rxjj-qqgw', package: 'semver', reason: 'only parses our own version strings' }];
    const verdict = classifyAudit(reportWith('high'), allow);
    expect(verdict).toEqual({ kind: 'passed', allowed: [expect.objectContaining({ id: 'GHSA-c2qf-rxjj-qqgw' })] });
  });

  it('does not honour an entry for another package, another advisory, or one that has expired', () => {
    expect(classifyAudit(reportWith('high'), [{ id: 'GHSA-c2qf-rxjj-qqgw', package: 'other', reason: 'x' }]).kind).toBe('failed');
    expect(classifyAudit(reportWith('high'), [{ id: 'GHSA-aaaa-bbbb-cccc', package: 'semver', reason: 'x' }]).kind).toBe('failed');
    const expired: AllowEntry[] = [{ id: 'GHSA-c2qf-rxjj-qqgw', package: 'semver', reason: 'x', expires: '2026-01-31' }];
    expect(classifyAudit(reportWith('high'), expired, new Date('2026-02-01T00:00:00Z')).kind).toBe('failed');
    expect(classifyAudit(reportWith('high'), expired, new Date('2026-01-31T12:00:00Z')).kind).toBe('passed');
  });

  it('passes a clean report', () => {
    expect(classifyAudit(CLEAN, [])).toEqual({ kind: 'passed', allowed: [] });
  });

  it('calls a registry that refuses the audit endpoint (405) unreachable, not clean and not failed', () => {
    const npm405 = JSON.stringify({ message: 'Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk', error: { code: 'E405', summary: 'Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk', detail: '' } });
    expect(classifyAudit(npm405, [])).toEqual({ kind: 'unreachable', reason: expect.stringContaining('E405') });
  });

  it('calls the registry’s bare 405 reply (as npm 11 prints it) unreachable, quoting it', () => {
    const npm11 = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      method: 'POST',
      uri: 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      headers: { allow: ['GET,HEAD'] },
      statusCode: 405,
      body: '',
      error: { summary: '', detail: '' },
    });
    expect(classifyAudit(npm11, [])).toEqual({ kind: 'unreachable', reason: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk' });
  });

  it('calls no network, an empty output and a non-JSON output unreachable', () => {
    const offline = JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org' } });
    expect(classifyAudit(offline, []).kind).toBe('unreachable');
    expect(classifyAudit('', []).kind).toBe('unreachable');
    expect(classifyAudit('npm ERR! audit endpoint returned an error', []).kind).toBe('unreachable');
  });

  it('reads the allow-list file and refuses entries without a reason', () => {
    expect(readAllowlist(JSON.stringify({ '//': 'comment', advisories: [{ id: '1101088', package: 'semver', reason: 'why', expires: '2027-01-01' }] }))).toEqual([
      { id: '1101088', package: 'semver', reason: 'why', expires: '2027-01-01' },
    ]);
    expect(() => readAllowlist(JSON.stringify({ advisories: [{ id: '1', package: 'x', reason: ' ' }] }))).toThrow(/reason/);
    expect(() => readAllowlist(JSON.stringify({ advisories: [{ id: '1', package: 'x', reason: 'r', expires: 'soon' }] }))).toThrow(/expires/);
    expect(() => readAllowlist('{}')).toThrow(/advisories/);
  });

  it('matches an advisory by npm numeric source id when it has no GHSA url', () => {
    const report = JSON.stringify({ vulnerabilities: { lib: { name: 'lib', severity: 'high', via: [{ source: 4242, name: 'lib', title: 't', url: '', severity: 'high' }] } } });
    expect(classifyAudit(report, [{ id: '4242', package: 'lib', reason: 'r' }]).kind).toBe('passed');
    expect(classifyAudit(report, []).kind).toBe('failed');
  });
});
