import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { HeartbeatRequest } from './generated/idis/toplevel/v1/reporting';
import { computeSignature, methodPath, requestDigest, signCall, signatureMatches, AUTH_METADATA } from './signing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generateContracts, defaultOut } = require('../../../scripts/generate-contracts.js');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [full];
  });
}

describe('generated contracts', () => {
  it('are what `npm run contracts:generate` produces from proto/ (regenerate and commit when this fails)', () => {
    const out = mkdtempSync(join(tmpdir(), 'contracts-'));
    try {
      generateContracts(out);
      const fresh = listFiles(out).map((f) => relative(out, f)).sort();
      const committed = listFiles(defaultOut).map((f) => relative(defaultOut, f)).sort();
      expect(committed).toEqual(fresh);
      expect(fresh.length).toBeGreaterThanOrEqual(5);
      for (const file of fresh) {
        expect({ file, text: readFileSync(join(defaultOut, file), 'utf8') }).toEqual({
          file,
          text: readFileSync(join(out, file), 'utf8'),
        });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('request signing', () => {
  const credentials = { nodeId: 'node-88.118', keyId: 'k1', secret: Buffer.alloc(32, 7).toString('base64') };
  const method = methodPath('Reporting', 'Heartbeat');
  const message = { sequence: 3, sentAtMs: 1_700_000_000_000, status: 'ok', endpoints: [], outboxDepth: 0 };

  function partsOf(headers: Record<string, string>, body: unknown) {
    return {
      method,
      nodeId: headers[AUTH_METADATA.nodeId],
      keyId: headers[AUTH_METADATA.keyId],
      timestamp: headers[AUTH_METADATA.timestamp],
      nonce: headers[AUTH_METADATA.nonce],
      digest: requestDigest(method, body),
    };
  }

  it('verifies a signature over the same message, however the server received it', () => {
    const headers = signCall(credentials, method, message, 1_700_000_000_000);
    // A decoded copy, as the server sees it after the wire.
    const received = HeartbeatRequest.decode(HeartbeatRequest.encode(HeartbeatRequest.fromPartial(message)).finish());
    expect(signatureMatches(credentials.secret, partsOf(headers, received), headers[AUTH_METADATA.signature])).toBe(true);
  });

  it('refuses a changed message, method, timestamp or key', () => {
    const headers = signCall(credentials, method, message, 1_700_000_000_000);
    const signature = headers[AUTH_METADATA.signature];
    const good = partsOf(headers, message);
    expect(signatureMatches(credentials.secret, partsOf(headers, { ...message, sequence: 4 }), signature)).toBe(false);
    expect(signatureMatches(credentials.secret, { ...good, method: methodPath('Reporting', 'ReportStatistics') }, signature)).toBe(false);
    expect(signatureMatches(credentials.secret, { ...good, timestamp: '1700000000001' }, signature)).toBe(false);
    expect(signatureMatches(Buffer.alloc(32, 8).toString('base64'), good, signature)).toBe(false);
    expect(signatureMatches(credentials.secret, good, signature.slice(0, -1))).toBe(false);
  });

  it('uses a fresh nonce per call', () => {
    const a = signCall(credentials, method, message);
    const b = signCall(credentials, method, message);
    expect(a[AUTH_METADATA.nonce]).not.toEqual(b[AUTH_METADATA.nonce]);
    expect(computeSignature(credentials.secret, partsOf(a, message))).toEqual(a[AUTH_METADATA.signature]);
  });

  it('refuses to sign an unknown method', () => {
    expect(() => requestDigest('/idis.toplevel.v1.NodeEnrolment/Enrol', {})).toThrow(/not a signed/);
  });
});
