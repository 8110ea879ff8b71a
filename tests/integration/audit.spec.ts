import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { AuditPruner } from '../../apps/secondary-node/src/audit/audit-pruner';
import { freePort } from '../support/free-port';
import { applicationBody, type EnterpriseFixture, JWT_SECRET, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { endClient, epcisDocument, ingestionEnv, objectEvent, publish, testClient } from './ingestion-harness';

const ROOT = resolve(__dirname, '../..');

interface AuditRow {
  seq: string;
  at: Date;
  actor: string | null;
  actor_id: string | null;
  role: string | null;
  api_key_id: string | null;
  action: string;
  target: string;
  owner: string | null;
  outcome: string;
  reason: string | null;
  before_digest: string | null;
  after_digest: string | null;
  request_id: string | null;
  client_ip: string | null;
}

/** `npm run audit:verify` against a database: its exit code and what it printed. */
function auditVerify(databaseUrl: string, env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      'npm',
      ['run', '--silent', 'audit:verify'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/**
 * The audit log over real sockets and a real PostgreSQL: every write path leaves one row (per item
 * for identifier batches, per batch for EPCIS) in the transaction of the change, refusals leave a
 * row of their own, operators and enterprises read it within their scope, and the hash chain
 * shows a deleted or altered row, also after pruning.
 */
describe('audit log', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let bolt: EnterpriseFixture;
  let operator: string;

  const rows = async (where: string, params: unknown[] = []): Promise<AuditRow[]> =>
    (await node.db.client.query<AuditRow>(`SELECT seq::text AS seq, * FROM audit_log WHERE ${where} ORDER BY audit_log.seq`, params)).rows;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    bolt = await node.approvedEnterprise('88.118.9', 'bolt');
    operator = await node.operatorToken();
    await node.createTemplate(acme.token, '88.118.8', '1.0', [{ idType: 'name', required: true }]);
  });
  afterAll(async () => {
    await node?.stop();
  });

  describe('what is recorded', () => {
    it('a Handle REST create, update and delete: who, role, target, owner, digests, the request id and the client IP', async () => {
      const values = [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example/p/1' } }];
      const created = await node.request('PUT', '/api/handles/88.118.8/AUD-1?overwrite=false', { token: acme.token, body: { values }, headers: { 'x-request-id': 'client-req-0001' } });
      expect(created.status).toBe(201);
      expect(created.headers.get('x-request-id')).toBe('client-req-0001');
      const [create] = await rows(`target = '88.118.8/aud-1'`);
      expect(create).toMatchObject({
        actor: 'acme',
        role: 'enterprise',
        action: 'handle.create',
        owner: '88.118.8',
        outcome: 'ok',
        before_digest: null,
        request_id: 'client-req-0001',
        client_ip: '127.0.0.1',
      });
      expect(create.actor_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(create.after_digest).toMatch(/^[0-9a-f]{64}$/);

      const changed = [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example/p/1-v2' } }];
      expect((await node.request('PUT', '/api/handles/88.118.8/AUD-1', { token: acme.token, body: { values: changed } })).status).toBe(200);
      expect((await node.request('DELETE', '/api/handles/88.118.8/AUD-1', { token: operator })).status).toBe(200);
      const [, update, remove] = await rows(`target = '88.118.8/aud-1'`);
      expect(update).toMatchObject({ action: 'handle.update', actor: 'acme' });
      // The before of the update is the state the create left; the before of the delete is the update's after.
      expect(update.before_digest).toBe(create.after_digest);
      expect(update.after_digest).not.toBe(create.after_digest);
      expect(remove).toMatchObject({ action: 'handle.delete', actor: 'operator', role: 'operator', owner: '88.118.8', after_digest: null });
      expect(remove.before_digest).toBe(update.after_digest);
      // A generated request id for a request without one: a UUID, the same in the reply and the row.
      expect(remove.request_id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('an SNMS batch: one row per stored item, none for refused items; single writes too', async () => {
      const items = Array.from({ length: 50 }, (_, i) => ({ handle: `88.118.8/batch-${i}`, templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: `p${i}` } }] }));
      items.push({ handle: '88.118.9/not-mine', templateVersion: '1.0', value: [] });
      const created = await node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: items, headers: { 'x-request-id': 'batch-create-1' } });
      expect(created.status).toBe(200);
      const batchRows = await rows(`request_id = 'batch-create-1' AND outcome = 'ok'`);
      expect(batchRows).toHaveLength(50);
      expect(new Set(batchRows.map((r) => r.action))).toEqual(new Set(['handle.create']));
      expect(new Set(batchRows.map((r) => r.target))).toEqual(new Set(items.slice(0, 50).map((i) => i.handle)));

      const updated = await node.request('PUT', '/identityv2/data/batchUpdate', {
        token: acme.token,
        body: items.slice(0, 3).map((i) => ({ ...i, value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'renamed' } }] })),
        headers: { 'x-request-id': 'batch-update-1' },
      });
      expect(updated.status).toBe(200);
      const updates = await rows(`request_id = 'batch-update-1'`);
      expect(updates.map((r) => r.action)).toEqual(['handle.update', 'handle.update', 'handle.update']);
      for (const row of updates) {
        expect(row.before_digest).toBe(batchRows.find((c) => c.target === row.target)?.after_digest);
      }
      const deleted = await node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, body: ['88.118.8/batch-0', '88.118.8/never-was'], headers: { 'x-request-id': 'batch-delete-1' } });
      expect(deleted.status).toBe(200);
      expect((await rows(`request_id = 'batch-delete-1'`)).map((r) => [r.action, r.target])).toEqual([['handle.delete', '88.118.8/batch-0']]);

      const single = await node.request('POST', '/identityv2/data', { token: acme.token, body: { handle: '88.118.8/single-1', templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 's' } }] } });
      expect(single.status).toBe(200);
      expect(await rows(`target = '88.118.8/single-1'`)).toEqual([expect.objectContaining({ action: 'handle.create', actor: 'acme' })]);
    });

    it('templates, grants, applications (approve and reject) and deactivation', async () => {
      await node.createTemplate(acme.token, '88.118.8', '2.0', [{ idType: 'colour' }]);
      expect(await rows(`action = 'template.create' AND target = 'template:88.118.8@2.0'`)).toEqual([expect.objectContaining({ owner: '88.118.8', actor: 'acme' })]);

      const partner = await node.request('POST', '/api/v1/partners', { token: operator, body: { username: 'audit-partner', password: 'partner-pass-1', orgName: 'Partner Org' } });
      expect(partner.status).toBe(201);
      const grant = await node.request('POST', `/api/v1/enterprises/${acme.enterpriseId}/grants`, { token: acme.token, body: { granteeUsername: 'audit-partner' } });
      expect(grant.status).toBe(201);
      expect((await node.request('DELETE', `/api/v1/enterprises/${acme.enterpriseId}/grants/${grant.body.id}`, { token: acme.token })).status).toBe(204);
      expect((await rows(`target = $1`, [`grant:${grant.body.id}`])).map((r) => [r.action, r.owner])).toEqual([
        ['grant.create', acme.enterpriseId],
        ['grant.revoke', acme.enterpriseId],
      ]);

      const application = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.77', 'rejected-one') });
      expect(application.status).toBe(201);
      expect((await node.request('POST', `/api/v1/enterprises/applications/${application.body.id}/reject`, { token: operator, body: { reason: 'incomplete papers' } })).status).toBe(200);
      expect((await rows(`target = $1`, [`application:${application.body.id}`])).map((r) => [r.action, r.actor, r.owner])).toEqual([
        ['application.create', null, null],
        ['application.reject', 'operator', null],
      ]);
      expect(await rows(`target = $1`, [`application:${acme.applicationId}`])).toEqual([
        expect.objectContaining({ action: 'application.create' }),
        expect.objectContaining({ action: 'application.approve', owner: acme.enterpriseId, actor: 'operator' }),
      ]);

      const doomed = await node.approvedEnterprise('88.118.66', 'doomed');
      const deactivated = await node.request('POST', `/api/v1/enterprises/${doomed.enterpriseId}/deactivate`, { token: operator, body: { reason: 'licence withdrawn' } });
      expect(deactivated.status).toBe(200);
      expect(await rows(`action = 'enterprise.deactivate'`)).toEqual([
        expect.objectContaining({ target: `enterprise:${doomed.enterpriseId}`, owner: doomed.enterpriseId, reason: 'licence withdrawn', actor: 'operator' }),
      ]);
    });

    it('an EPCIS capture: one row per capture job, not one per event', async () => {
      const events = Array.from({ length: 5 }, (_, i) => objectEvent({ epcs: [`hdl:88.118.8/EPC-${i}`], bizStep: 'shipping' }));
      const reply = await node.request('POST', '/epcis/capture', { token: acme.token, body: epcisDocument(events) });
      expect(reply.status).toBe(202);
      const captured = await rows(`action = 'epcis.capture'`);
      expect(captured).toEqual([expect.objectContaining({ target: `capture:${reply.body.captureID}`, owner: '88.118.8', actor: 'acme' })]);
    });

    it('refused calls (401 and 403), with the error code and without changing anything else', async () => {
      const before = await node.db.client.query(`SELECT count(*) AS n FROM identifiers`);
      const anonymous = await node.refused('PUT', '/api/handles/88.118.8/REFUSED-1', { body: { values: [] }, headers: { 'x-request-id': 'refused-anon' } });
      expect(anonymous.status).toBe(401);
      const foreign = await node.refused('PUT', '/api/handles/88.118.8/REFUSED-2', { token: bolt.token, body: { values: [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://x.example' } }] }, headers: { 'x-request-id': 'refused-bolt' } });
      expect(foreign.status).toBe(403);
      expect(await rows(`request_id = 'refused-anon'`)).toEqual([expect.objectContaining({ action: 'auth.refused', outcome: 'refused', actor: null, reason: 'AUTHENTICATION_REQUIRED', target: 'PUT /api/handles/88.118.8/REFUSED-1' })]);
      expect(await rows(`request_id = 'refused-bolt'`)).toEqual([expect.objectContaining({ action: 'auth.refused', outcome: 'refused', actor: 'bolt', owner: bolt.enterpriseId, reason: 'PREFIX_NOT_OWNED' })]);
      expect((await node.db.client.query(`SELECT count(*) AS n FROM identifiers`)).rows[0].n).toBe(before.rows[0].n);
    });

    it('a failed audit write fails the change: nothing is stored and the caller gets an error', async () => {
      // The table refuses this one action; the change around it must roll back with it.
      await node.db.client.query(`ALTER TABLE audit_log ADD CONSTRAINT ck_test_refuse CHECK (target <> '88.118.8/doomed-write')`);
      try {
        const values = [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example/doomed' } }];
        const reply = await node.request('PUT', '/api/handles/88.118.8/DOOMED-WRITE', { token: acme.token, body: { values } });
        expect(reply.status).toBe(500);
        const batch = await node.request('POST', '/identityv2/data/batchCreate', {
          token: acme.token,
          body: [
            { handle: '88.118.8/fine-one', templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'a' } }] },
            { handle: '88.118.8/doomed-write', templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'b' } }] },
          ],
        });
        expect(batch.status).toBe(500);
        const stored = await node.db.client.query(`SELECT handle_key FROM identifiers WHERE handle_key IN ('88.118.8/doomed-write', '88.118.8/fine-one')`);
        expect(stored.rows).toEqual([]);
      } finally {
        await node.db.client.query(`ALTER TABLE audit_log DROP CONSTRAINT ck_test_refuse`);
      }
    });

    it('the reply echoes a valid X-Request-Id and replaces an invalid one', async () => {
      const token = acme.token;
      const echoed = await node.request('GET', '/api/v1/audit?limit=1', { token, headers: { 'x-request-id': 'abc-DEF_123.4:5' } });
      expect(echoed.headers.get('x-request-id')).toBe('abc-DEF_123.4:5');
      for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '<script>']) {
        const replaced = await node.request('GET', '/api/v1/audit?limit=1', { token, headers: { 'x-request-id': bad } });
        expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      }
      expect((await node.request('GET', '/api/v1/audit?limit=1', { token })).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('GET /api/v1/audit', () => {
    it('operators filter by action, actor, target, owner, outcome and time, newest first', async () => {
      const all = await node.request('GET', '/api/v1/audit?action=handle.*&owner=88.118.8&limit=1000', { token: operator });
      expect(all.status).toBe(200);
      expect(all.body.items.length).toBeGreaterThan(50);
      expect(all.body.items.every((i: { action: string; owner: string }) => i.action.startsWith('handle.') && i.owner === '88.118.8')).toBe(true);
      const seqs = all.body.items.map((i: { seq: string }) => Number(i.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
      // An exact action, and a prefix holding LIKE's own wildcards: they match literally, not as patterns.
      const creates = await node.request('GET', '/api/v1/audit?action=handle.create&owner=88.118.8&limit=1000', { token: operator });
      expect(creates.body.items.length).toBeGreaterThan(0);
      expect(creates.body.items.every((i: { action: string }) => i.action === 'handle.create')).toBe(true);
      for (const pattern of ['hand%.*', 'h_ndle.*', '%.*', 'handle\\.*']) {
        const literal = await node.request('GET', `/api/v1/audit?action=${encodeURIComponent(pattern)}&limit=10`, { token: operator });
        expect({ pattern, status: literal.status, items: literal.body.items }).toEqual({ pattern, status: 200, items: [] });
      }

      const refused = await node.request('GET', '/api/v1/audit?outcome=refused&actor=bolt', { token: operator });
      expect(refused.body.items.map((i: { requestId: string }) => i.requestId)).toContain('refused-bolt');
      expect(refused.body.items.every((i: { outcome: string; actor: string }) => i.outcome === 'refused' && i.actor === 'bolt')).toBe(true);

      const one = await node.request('GET', '/api/v1/audit?target=88.118.8/aud-1', { token: operator });
      expect(one.body.items.map((i: { action: string }) => i.action)).toEqual(['handle.delete', 'handle.update', 'handle.create']);

      const future = await node.request('GET', `/api/v1/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token: operator });
      expect(future.body).toEqual({ items: [], nextCursor: null });
      const past = await node.request('GET', `/api/v1/audit?to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&limit=1`, { token: operator });
      expect(past.body.items).toHaveLength(1);
    });

    it('pages with a cursor, at most 1000 rows a page', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const reply: { status: number; body: { items: Array<{ seq: string }>; nextCursor: string | null } } = await node.request('GET', `/api/v1/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: operator });
        expect(reply.status).toBe(200);
        expect(reply.body.items.length).toBeLessThanOrEqual(7);
        seen.push(...reply.body.items.map((i) => i.seq));
        cursor = reply.body.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 1000);
      const total = Number((await node.db.client.query(`SELECT count(*) AS n FROM audit_log`)).rows[0].n);
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      expect(pages).toBe(Math.ceil(total / 7));
    });

    it('enterprises see only their own rows; another enterprise’s are invisible even when asked for; partners are refused', async () => {
      const acmeRows = await node.request('GET', '/api/v1/audit?limit=1000', { token: acme.token });
      expect(acmeRows.status).toBe(200);
      expect(acmeRows.body.items.length).toBeGreaterThan(0);
      expect(acmeRows.body.items.every((i: { owner: string }) => i.owner === '88.118.8' || i.owner === acme.enterpriseId)).toBe(true);

      const boltRows = await node.request('GET', '/api/v1/audit?limit=1000', { token: bolt.token });
      expect(boltRows.body.items.every((i: { owner: string }) => i.owner === '88.118.9' || i.owner === bolt.enterpriseId)).toBe(true);
      expect(boltRows.body.items.some((i: { owner: string }) => i.owner === '88.118.8')).toBe(false);
      // Asking for acme's rows by owner or target finds nothing, and says nothing about them.
      expect((await node.request('GET', '/api/v1/audit?owner=88.118.8', { token: bolt.token })).body).toEqual({ items: [], nextCursor: null });
      expect((await node.request('GET', '/api/v1/audit?target=88.118.8/aud-1', { token: bolt.token })).body).toEqual({ items: [], nextCursor: null });
      const csv = parse((await node.request('GET', '/api/v1/audit?format=csv', { token: bolt.token })).text, { columns: true }) as Array<Record<string, string>>;
      expect(csv.length).toBe(boltRows.body.items.length);
      expect(csv.every((row) => row.owner === '88.118.9' || row.owner === bolt.enterpriseId)).toBe(true);

      const partnerToken = await node.token('audit-partner', 'partner-pass-1');
      expect((await node.request('GET', '/api/v1/audit', { token: partnerToken })).status).toBe(403);
      expect((await node.request('GET', '/api/v1/audit')).status).toBe(401);
    });

    it('exports CSV (Accept: text/csv or format=csv), streamed and bounded, with the cursor of the rest', async () => {
      const total = Number((await node.db.client.query(`SELECT count(*) AS n FROM audit_log`)).rows[0].n);
      const byAccept = await node.request('GET', '/api/v1/audit', { token: operator, headers: { accept: 'text/csv' } });
      expect(byAccept.status).toBe(200);
      expect(byAccept.headers.get('content-type')).toMatch(/^text\/csv/);
      const records = parse(byAccept.text, { columns: true }) as Array<Record<string, string>>;
      expect(records.length).toBeGreaterThanOrEqual(total);
      expect(Object.keys(records[0])).toEqual(['seq', 'at', 'actor', 'actorId', 'role', 'apiKeyId', 'action', 'target', 'owner', 'outcome', 'reason', 'beforeDigest', 'afterDigest', 'requestId', 'clientIp', 'prevHash', 'hash']);
      expect(records.find((r) => r.requestId === 'client-req-0001')).toMatchObject({ action: 'handle.create', actor: 'acme', target: '88.118.8/aud-1' });
      // UTF-8 with a BOM, so that Excel does not read it as GBK (fetch's text() above drops the BOM).
      const raw = await fetch(`${node.baseUrl}/api/v1/audit?format=csv&limit=1`, { headers: { authorization: `Bearer ${operator}` } });
      expect([...Buffer.from(await raw.arrayBuffer()).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);

      const bounded = await node.request('GET', '/api/v1/audit?format=csv&limit=5', { token: operator });
      const five = parse(bounded.text, { columns: true }) as Array<Record<string, string>>;
      expect(five).toHaveLength(5);
      const next = bounded.headers.get('x-next-cursor');
      expect(next).toBe(five[4].seq);
      const rest = await node.request('GET', `/api/v1/audit?format=csv&limit=5&cursor=${next}`, { token: operator });
      expect((parse(rest.text, { columns: true }) as Array<Record<string, string>>)[0].seq).toBe(String(Number(five[4].seq) - 1));
    });

    it.each([
      ['limit=1001', 'limit'],
      ['limit=0', 'limit'],
      ['cursor=abc', 'cursor'],
      ['cursor=-1', 'cursor'],
      ['from=yesterday', 'from'],
      ['from=2026-12-05T10:00:00Z&to=2026-12-05T09:00:00Z', 'from must be before to'],
      ['actor=%00', 'actor'],
      [`target=${'x'.repeat(513)}`, 'target'],
      ['outcome=maybe', 'outcome'],
      ['format=xml', 'format'],
      ['colour=red', 'unknown query parameter'],
      ['actor=a&actor=b', 'actor'],
    ])('refuses %s with a 400 naming the parameter', async (query, named) => {
      const reply = await node.request('GET', `/api/v1/audit?${query}`, { token: operator });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(reply.body.detail).toContain(named);
    });
  });

  describe('the hash chain', () => {
    it('stays whole under concurrent writes', async () => {
      const values = (i: number) => [{ index: 1, type: 'URL', data: { format: 'string', value: `https://acme.example/c/${i}` } }];
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => node.request('PUT', `/api/handles/88.118.8/CONC-${i}`, { token: acme.token, body: { values: values(i) } })));
      expect(replies.map((r) => r.status)).toEqual(Array(30).fill(200));
      const gaps = await node.db.client.query(`SELECT count(*) AS n FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash`);
      expect(gaps.rows[0].n).toBe('0');
      const verified = await auditVerify(node.db.url);
      expect(verified).toMatchObject({ code: 0 });
      expect(verified.output).toMatch(/audit chain OK: \d+ rows verified/);
    });

    it('pruning leaves a signed checkpoint: verify passes; a deleted or altered row is then found', async () => {
      const [{ n: before }] = (await node.db.client.query(`SELECT count(*) AS n FROM audit_log`)).rows;
      const cut = (await node.db.client.query(`SELECT at FROM audit_log ORDER BY seq LIMIT 1 OFFSET 20`)).rows[0].at as Date;
      const pruned = await node.app.get(AuditPruner).pruneExpired(cut);
      expect(pruned).toBeGreaterThanOrEqual(1);
      const [{ n: after }] = (await node.db.client.query(`SELECT count(*) AS n FROM audit_log`)).rows;
      expect(Number(before) - Number(after)).toBe(pruned);
      const checkpoint = (await node.db.client.query(`SELECT through_seq::text AS seq FROM audit_checkpoints`)).rows;
      expect(checkpoint).toHaveLength(1);
      const ok = await auditVerify(node.db.url);
      expect(ok.code).toBe(0);
      expect(ok.output).toContain(`from the signed checkpoint through row ${checkpoint[0].seq}`);
      // The checkpoint is signed with the node secret: another secret cannot vouch for it.
      expect((await auditVerify(node.db.url, { JWT_SECRET: 'another-secret-that-is-long-enough-0123456789' })).code).toBe(1);

      // The table refuses UPDATE and DELETE; an attacker with the rights to switch triggers off is caught by the chain.
      await expect(node.db.client.query(`DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)`)).rejects.toThrow(/append-only/);
      await expect(node.db.client.query(`UPDATE audit_log SET actor = 'x'`)).rejects.toThrow(/append-only/);
      const victim = (await node.db.client.query(`SELECT seq::text AS seq, actor FROM audit_log ORDER BY audit_log.seq OFFSET 3 LIMIT 1`)).rows[0] as { seq: string; actor: string | null };
      // Triggers off for this session (a superuser's power): what the chain must catch.
      await node.db.client.query(`SET session_replication_role = replica`);
      try {
        await node.db.client.query(`UPDATE audit_log SET actor = 'nobody' WHERE seq = $1`, [victim.seq]);
        const altered = await auditVerify(node.db.url);
        expect(altered.code).toBe(1);
        expect(altered.output).toContain(`row ${victim.seq} does not hash to the hash it stores`);

        // Put the row back as it was: the chain is whole again; then delete the next one.
        await node.db.client.query(`UPDATE audit_log SET actor = $2 WHERE seq = $1`, [victim.seq, victim.actor]);
        expect((await auditVerify(node.db.url)).code).toBe(0);
        await node.db.client.query(`DELETE FROM audit_log WHERE seq = $1::bigint + 1`, [victim.seq]);
        const deleted = await auditVerify(node.db.url);
        expect(deleted.code).toBe(1);
        expect(deleted.output).toContain(`row ${BigInt(victim.seq) + 1n} is missing`);
      } finally {
        await node.db.client.query(`SET session_replication_role = origin`);
      }
    }, 300_000); // six runs of npm run audit:verify (ts-node each): slow on a busy machine

    it('a 2,000-item batch appends its 2,000 rows in its own transaction (timed for the report)', async () => {
      const items = Array.from({ length: 2000 }, (_, i) => ({ handle: `88.118.8/perf-${i}`, templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: `perf ${i}` } }] }));
      const started = performance.now();
      const reply = await node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: items, headers: { 'x-request-id': 'perf-batch' } });
      const batchMs = performance.now() - started;
      expect(reply.status).toBe(200);
      expect(await rows(`request_id = 'perf-batch'`)).toHaveLength(2000);
      // Figures for the report (the lead compares them with the same batch before the audit log).
      process.stdout.write(`audit: 2000-item SNMS batchCreate with its 2000 audit rows took ${batchMs.toFixed(0)} ms\n`);
    });
  });
});

describe('audit log: outbox items and MQTT batches carry the request id', () => {
  it('an approval’s filing item in the outbox carries the approving request’s id', async () => {
    // A top-level node that does not answer: the filing waits in the outbox, which is what is checked.
    const node = await TestNode.start({ TOP_LEVEL_URL: `127.0.0.1:${await freePort()}`, ENROLMENT_TOKEN: 'enrolment-token-0123' });
    try {
      const application = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.8', 'filed-acme') });
      expect(application.status).toBe(201);
      const approved = await node.request('POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, { token: await node.operatorToken(), headers: { 'x-request-id': 'approve-req-42' } });
      expect(approved.status).toBe(200);
      const outbox = await node.db.client.query(`SELECT kind, request_id FROM upstream_outbox WHERE kind = 'filing-create'`);
      expect(outbox.rows).toEqual([{ kind: 'filing-create', request_id: 'approve-req-42' }]);
      const audit = await node.db.client.query(`SELECT action FROM audit_log WHERE request_id = 'approve-req-42'`);
      expect(audit.rows).toEqual([{ action: 'application.approve' }]);
      // The operator's view of the outbox shows it too; putting the item back in line is an audited admin write.
      const operator = await node.operatorToken();
      const listed = await node.request('GET', '/api/v1/upstream/outbox', { token: operator });
      const item = listed.body.items.find((i: { kind: string }) => i.kind === 'filing-create');
      expect(item).toMatchObject({ requestId: 'approve-req-42' });
      expect((await node.request('POST', `/api/v1/upstream/outbox/${item.id}/retry`, { token: operator, headers: { 'x-request-id': 'retry-req-1' } })).status).toBe(200);
      expect((await node.db.client.query(`SELECT action, target, actor FROM audit_log WHERE request_id = 'retry-req-1'`)).rows).toEqual([{ action: 'outbox.retry', target: `outbox:${item.id}`, actor: 'operator' }]);
    } finally {
      await node.stop();
    }
  });

  it('an MQTT ingestion batch gets a batch id: its audit row is one per batch and names it', async () => {
    const env = ingestionEnv('audit');
    const node = await TestNode.start(env);
    const client = await testClient();
    try {
      const acme = await node.approvedEnterprise('88.118.8', 'mqtt-acme');
      const events = Array.from({ length: 4 }, (_, i) => objectEvent({ epcs: [`hdl:88.118.8/MQ-${i}`], bizStep: 'shipping' }));
      await publish(client, `${env.MQTT_TOPIC_ROOT}/88.118.8/events`, JSON.stringify(epcisDocument(events)));
      const row = await waitFor('the ingestion batch audit row', async () => (await node.db.client.query(`SELECT * FROM audit_log WHERE action = 'epcis.ingest'`)).rows[0]);
      expect(row).toMatchObject({ owner: '88.118.8', outcome: 'ok', actor: null });
      expect(row.target).toBe(`mqtt-batch:${row.request_id}`);
      expect(row.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await node.db.client.query(`SELECT count(*) AS n FROM audit_log WHERE action = 'epcis.ingest'`)).rows[0].n).toBe('1');
      expect(acme.enterpriseId).toBeTruthy();
    } finally {
      await endClient(client);
      await node.stop();
    }
  });
});
