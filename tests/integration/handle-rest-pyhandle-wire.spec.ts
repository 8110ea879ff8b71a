import { secretKeyMarker } from '../support/handle-auth-client';
import { PyhandleError, PyhandleWireClient, pythonJsonDumps } from '../support/pyhandle-wire-client';
import { type EnterpriseFixture, TestNode } from '../support/test-node';

/**
 * A node driven with exactly the requests pyhandle's RESTHandleClient sends (see
 * tests/support/pyhandle-wire-client.ts for the pyhandle source each one comes from): create,
 * modify, read, delete, and a refused write under a foreign prefix. tests/pyhandle/run.sh runs the
 * same scenario with pyhandle itself where it can be installed.
 */
describe('Handle REST with pyhandle RESTHandleClient requests (Basic, index:handle)', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;
  let client: PyhandleWireClient;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta', 'beta-pass-1');
    for (const [handle, token] of [
      ['88.118.8/ADMIN', acme.token],
      ['88.118.9/ADMIN', beta.token],
    ]) {
      const reply = await node.request('PUT', `/api/handles/${handle}`, {
        token,
        body: [secretKeyMarker(300), { index: 1, type: 'DESC', data: 'handle administrators' }],
      });
      expect(reply.status).toBe(200);
    }
    client = await PyhandleWireClient.connect(node.baseUrl, '300:88.118.8/ADMIN', acme.password);
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('connecting checks the identity handle with an anonymous GET, as pyhandle does', () => {
    expect(client.sent[0]).toEqual({ method: 'GET', url: `${node.baseUrl}/api/handles/88.118.8/ADMIN`, headers: expect.objectContaining({ accept: 'application/json' }), body: undefined });
    expect(client.sent[0].headers.authorization).toBeUndefined();
  });

  it('a missing identity handle is HandleNotFoundException at connect', async () => {
    await expect(PyhandleWireClient.connect(node.baseUrl, '300:88.118.8/NOBODY', acme.password)).rejects.toMatchObject({ pyhandleException: 'HandleNotFoundException' });
  });

  it('register_handle_kv(overwrite=False): GET 404, then PUT ?overwrite=false with the HS_ADMIN index as "200" → 201', async () => {
    const handle = await client.registerHandleKv('88.118.8/py-1', false, { URL: 'https://acme.example.cn/py/1', CHECKSUM: 'sha256:abc' });
    expect(handle).toBe('88.118.8/py-1');
    const put = client.sent.find((r) => r.method === 'PUT')!;
    expect(put.url).toBe(`${node.baseUrl}/api/handles/88.118.8/py-1?overwrite=false`);
    expect(put.headers).toMatchObject({ 'content-type': 'application/json', authorization: expect.stringMatching(/^Basic /) });
    expect(Buffer.from(put.headers.authorization.slice(6), 'base64').toString()).toBe(`300%3A88.118.8/ADMIN:${acme.password}`);
    expect(put.body).toBe(
      pythonJsonDumps({
        values: [
          { index: 100, type: 'HS_ADMIN', data: { value: { index: '200', handle: '0.NA/88.118.8', permissions: '011111110011' }, format: 'admin' } },
          { index: 1, type: 'URL', data: 'https://acme.example.cn/py/1' },
          { index: 2, type: 'CHECKSUM', data: 'sha256:abc' },
        ],
      }),
    );

    const record = await client.retrieveHandleRecordJson('88.118.8/py-1');
    expect(record?.values.map((v) => [v.index, v.type, v.data])).toEqual([
      [1, 'URL', { format: 'string', value: 'https://acme.example.cn/py/1' }],
      [2, 'CHECKSUM', { format: 'string', value: 'sha256:abc' }],
      [100, 'HS_ADMIN', { format: 'admin', value: { handle: '0.NA/88.118.8', index: 200, permissions: '011111110011' } }],
    ]);
  });

  it('register_handle_kv(overwrite=False) of an existing handle is HandleAlreadyExistsException (found by its GET)', async () => {
    await expect(client.registerHandleKv('88.118.8/py-1', false, { URL: 'https://x.example.cn/' })).rejects.toMatchObject({ pyhandleException: 'HandleAlreadyExistsException' });
  });

  it('modify_handle_value: PUT ?index=1&index=3&overwrite=true of the changed and added entries', async () => {
    const sentBefore = client.sent.length;
    expect(await client.modifyHandleValue('88.118.8/py-1', { URL: 'https://acme.example.cn/py/1b', EMAIL: 'pid@acme.example.cn' })).toBe('88.118.8/py-1');
    const put = client.sent.slice(sentBefore).find((r) => r.method === 'PUT')!;
    expect(put.url).toBe(`${node.baseUrl}/api/handles/88.118.8/py-1?index=1&index=3&overwrite=true`);
    const record = await client.retrieveHandleRecordJson('88.118.8/py-1');
    expect(record?.values.map((v) => [v.index, v.type, (v.data as { value: unknown }).value])).toEqual([
      [1, 'URL', 'https://acme.example.cn/py/1b'],
      [2, 'CHECKSUM', 'sha256:abc'],
      [3, 'EMAIL', 'pid@acme.example.cn'],
      [100, 'HS_ADMIN', { handle: '0.NA/88.118.8', index: 200, permissions: '011111110011' }],
    ]);
  });

  it('delete_handle_value and delete_handle', async () => {
    expect(await client.deleteHandleValue('88.118.8/py-1', 'CHECKSUM')).toBe('88.118.8/py-1');
    expect(client.sent[client.sent.length - 1].url).toBe(`${node.baseUrl}/api/handles/88.118.8/py-1?index=2`);
    expect((await client.retrieveHandleRecordJson('88.118.8/py-1'))?.values.map((v) => v.index)).toEqual([1, 3, 100]);
    expect(await client.deleteHandle('88.118.8/py-1')).toBe('88.118.8/py-1');
    expect(await client.retrieveHandleRecordJson('88.118.8/py-1')).toBeUndefined();
    await expect(client.deleteHandle('88.118.8/py-1')).rejects.toMatchObject({ pyhandleException: 'HandleNotFoundException' });
  });

  it('generate_and_register_handle: a uuid suffix with overwrite=true → 200', async () => {
    const handle = await client.generateAndRegisterHandle('88.118.8', 'https://acme.example.cn/gen');
    expect(handle).toMatch(/^88\.118\.8\/[0-9a-f-]{36}$/);
    expect(client.sent[client.sent.length - 1].url).toBe(`${node.baseUrl}/api/handles/${handle}?overwrite=true`);
    expect((await client.retrieveHandleRecordJson(handle))?.handle).toBe(handle);
  });

  it('a write under a foreign prefix is refused (403, responseCode 400: GenericHandleError in pyhandle) and changes nothing', async () => {
    const error = await node.unchangedBy(() => client.registerHandleKv('88.118.9/py-foreign', true, { URL: 'https://evil.example.cn/' }).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(PyhandleError);
    expect(error).toMatchObject({ pyhandleException: 'GenericHandleError', reply: { status: 403, body: { responseCode: 400, handle: '88.118.9/py-foreign' } } });
  });

  it('a wrong password is HandleAuthenticationError (401) and changes nothing', async () => {
    const wrong = await PyhandleWireClient.connect(node.baseUrl, '300:88.118.8/ADMIN', 'not-the-password');
    const error = await node.unchangedBy(() => wrong.registerHandleKv('88.118.8/py-wrong', true, { URL: 'https://x.example.cn/' }).catch((e: unknown) => e));
    expect(error).toMatchObject({ pyhandleException: 'HandleAuthenticationError', reply: { status: 401, body: { responseCode: 402 } } });
  });
});
