import { randomUUID } from 'node:crypto';
import { pyhandleBasic } from './handle-auth-client';

/**
 * The HTTP requests pyhandle's RESTHandleClient sends, byte for byte where it matters, for the
 * environments where pyhandle itself cannot be installed (tests/pyhandle/run.sh drives the real one).
 * Taken from EUDAT-B2HANDLE/PYHANDLE:
 *   - pyhandle/handlesystemconnector.py: make_handle_URL (server URL + "/api/handles/" + the handle
 *     unencoded, then ?index=…&index=…, then overwrite=true|false), __get_headers (GET: Accept:
 *     application/json and no Authorization; PUT/DELETE: Authorization: Basic …, PUT also
 *     Content-Type: application/json), send_handle_put_request (body json.dumps({'values': entries}),
 *     overwrite=False when not given), check_if_username_exists (an anonymous GET of the identity
 *     handle that must echo the handle);
 *   - pyhandle/utilhandle.py: create_authentication_string (base64(quote(user) ":" quote(password)));
 *   - pyhandle/client/resthandleclient.py: register_handle_kv / generate_and_register_handle /
 *     modify_handle_value / delete_handle_value / delete_handle, __make_another_index (URL at 1,
 *     HS_ADMIN from 100, others from 2 avoiding 100-199) and __create_admin_entry (HS_ADMIN of
 *     200:0.NA/<prefix> with the index as the STRING "200", permissions "011111110011");
 *   - pyhandle/hsresponses.py: which status and responseCode each outcome needs.
 * Headers the requests library adds by itself are sent too (User-Agent, Accept-Encoding, Accept).
 */

/** Python's json.dumps with its defaults: ", " and ": " separators, ASCII only. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${asciiJson(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
  }
  if (typeof value === 'string') return asciiJson(value);
  return JSON.stringify(value);
}

function asciiJson(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const REQUESTS_DEFAULTS = { 'user-agent': 'python-requests/2.32.3', 'accept-encoding': 'gzip, deflate', accept: '*/*' };

export interface WireReply {
  status: number;
  body: any;
  url: string;
}

/** Raised where pyhandle raises: the class name it would use, and the reply. */
export class PyhandleError extends Error {
  constructor(
    readonly pyhandleException: 'HandleAuthenticationError' | 'HandleNotFoundException' | 'HandleAlreadyExistsException' | 'GenericHandleError',
    readonly reply: WireReply,
  ) {
    super(`${pyhandleException}: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
}

type Entry = { index: number | string; type: string; data: unknown; ttl?: number; timestamp?: string; [key: string]: unknown };

export class PyhandleWireClient {
  /** Every request sent, for the assertions on what pyhandle would have put on the wire. */
  readonly sent: Array<{ method: string; url: string; headers: Record<string, string>; body?: string }> = [];
  private readonly basic: string;

  private constructor(
    private readonly serverUrl: string,
    private readonly username: string,
    password: string,
  ) {
    this.basic = pyhandleBasic(username, password).slice('Basic '.length);
  }

  /** RESTHandleClient.instantiate_with_username_and_password: checks that the identity handle exists (anonymous GET). */
  static async connect(serverUrl: string, username: string, password: string): Promise<PyhandleWireClient> {
    const client = new PyhandleWireClient(serverUrl, username, password);
    const handle = username.slice(username.indexOf(':') + 1);
    const reply = await client.send('GET', client.url(handle));
    if (reply.status === 404 && reply.body?.responseCode === 100) throw new PyhandleError('HandleNotFoundException', reply);
    if (!success(reply) || reply.body.handle !== handle) throw new PyhandleError('GenericHandleError', reply);
    return client;
  }

  /** retrieve_handle_record_json: the record, or undefined when 404/100. */
  async retrieveHandleRecordJson(handle: string): Promise<{ handle: string; values: Entry[] } | undefined> {
    const reply = await this.send('GET', this.url(handle));
    if (reply.status === 404 && reply.body?.responseCode === 100) return undefined;
    if (success(reply)) {
      if (reply.body.handle !== handle) throw new PyhandleError('GenericHandleError', reply);
      return reply.body;
    }
    if (reply.status === 200 && reply.body?.responseCode === 200) return reply.body;
    throw new PyhandleError('GenericHandleError', reply);
  }

  /** register_handle_kv(handle, overwrite, **kv): HS_ADMIN at 100, URL at 1, the others from 2. */
  async registerHandleKv(handle: string, overwrite: boolean, kv: Record<string, string>): Promise<string> {
    if (!overwrite && (await this.retrieveHandleRecordJson(handle)) !== undefined) {
      throw new PyhandleError('HandleAlreadyExistsException', { status: 0, body: undefined, url: handle });
    }
    const entries: Entry[] = [adminEntry(handle, 100)];
    for (const [key, value] of Object.entries(kv)) {
      entries.push({ index: makeAnotherIndex(entries, key === 'URL'), type: key, data: value });
    }
    const reply = await this.put(handle, entries, undefined, overwrite);
    if ((reply.status === 201 && reply.body?.responseCode === 1) || success(reply)) return reply.body.handle;
    throw new PyhandleError('GenericHandleError', reply);
  }

  /** generate_and_register_handle(prefix, location): a uuid4 suffix, overwrite=True. */
  generateAndRegisterHandle(prefix: string, location: string): Promise<string> {
    return this.registerHandleKv(`${prefix}/${randomUUID()}`, true, { URL: location });
  }

  /** modify_handle_value(handle, **kv) with add_if_not_exist=True: PUT ?index=…&overwrite=true of the changed entries. */
  async modifyHandleValue(handle: string, kv: Record<string, string>): Promise<string> {
    const record = await this.retrieveHandleRecordJson(handle);
    if (!record) throw new PyhandleError('HandleNotFoundException', { status: 404, body: undefined, url: handle });
    const entries = record.values;
    const changedEntries: Entry[] = [];
    const all = entries.slice();
    for (const [key, value] of Object.entries(kv)) {
      const existing = entries.find((e) => e.type === key);
      if (existing) {
        existing.data = value;
        delete existing.timestamp; // "will be ignored anyway"
        changedEntries.push(existing);
      } else {
        const entry: Entry = { index: makeAnotherIndex(all), type: key, data: value };
        changedEntries.push(entry);
        all.push(entry);
      }
    }
    const reply = await this.put(handle, changedEntries, changedEntries.map((e) => e.index), true);
    if (!success(reply)) throw new PyhandleError('GenericHandleError', reply);
    return reply.body.handle;
  }

  /** delete_handle_value(handle, key): DELETE ?index=… of every entry of that type. */
  async deleteHandleValue(handle: string, key: string): Promise<string | undefined> {
    const record = await this.retrieveHandleRecordJson(handle);
    if (!record) throw new PyhandleError('HandleNotFoundException', { status: 404, body: undefined, url: handle });
    const indices = record.values.filter((e) => e.type === key).map((e) => e.index);
    if (indices.length === 0) return undefined;
    const reply = await this.delete(handle, indices);
    if (success(reply)) return reply.body.handle;
    if (reply.status === 400 && reply.body?.responseCode === 200) return undefined;
    throw new PyhandleError('GenericHandleError', reply);
  }

  /** delete_handle(handle). */
  async deleteHandle(handle: string): Promise<string> {
    const reply = await this.delete(handle);
    if (success(reply)) return reply.body.handle;
    if (reply.status === 404 && reply.body?.responseCode === 100) throw new PyhandleError('HandleNotFoundException', reply);
    throw new PyhandleError('GenericHandleError', reply);
  }

  /** make_handle_URL. */
  private url(handle: string, indices?: Array<number | string>, overwrite?: boolean): string {
    let url = `${this.serverUrl.replace(/^\/+|\/+$/g, '')}/api/handles/${handle}`;
    let separator = '?';
    for (const index of indices ?? []) {
      url += `${separator}index=${index}`;
      separator = '&';
    }
    if (overwrite !== undefined) url += `${separator}overwrite=${overwrite ? 'true' : 'false'}`;
    return url;
  }

  private async put(handle: string, entries: Entry[], indices: Array<number | string> | undefined, overwrite: boolean): Promise<WireReply> {
    const reply = await this.send('PUT', this.url(handle, indices, overwrite), { authorization: `Basic ${this.basic}`, 'content-type': 'application/json' }, pythonJsonDumps({ values: entries }));
    if (notAuthenticated(reply)) throw new PyhandleError('HandleAuthenticationError', reply);
    return reply;
  }

  private async delete(handle: string, indices?: Array<number | string>): Promise<WireReply> {
    const reply = await this.send('DELETE', this.url(handle, indices), { authorization: `Basic ${this.basic}` });
    if (notAuthenticated(reply)) throw new PyhandleError('HandleAuthenticationError', reply);
    return reply;
  }

  private async send(method: string, url: string, extra: Record<string, string> = {}, body?: string): Promise<WireReply> {
    const headers = { ...REQUESTS_DEFAULTS, ...(method === 'GET' ? { accept: 'application/json' } : {}), ...extra };
    this.sent.push({ method, url, headers, body });
    // pyhandle sends PUT with allow_redirects=False.
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, url };
  }

  get identity(): string {
    return this.username;
  }
}

/** hsresponses.handle_success. */
function success(reply: WireReply): boolean {
  return (reply.status === 200 || reply.status === 201) && reply.body?.responseCode === 1;
}

/** hsresponses.not_authenticated: 401, or responseCode 402 "because the HS responseCode is not always received". */
function notAuthenticated(reply: WireReply): boolean {
  return reply.status === 401 || reply.body?.responseCode === 402;
}

/** __create_admin_entry with no handleowner: 200:0.NA/<prefix of the handle>, the index a string. */
function adminEntry(handle: string, index: number): Entry {
  const prefix = handle.split('/')[0];
  return { index, type: 'HS_ADMIN', data: { value: { index: '200', handle: `0.NA/${prefix}`, permissions: '011111110011' }, format: 'admin' } };
}

/** __make_another_index: URL at 1, HS_ADMIN from 100; others from 2, skipping 1 and 100-199 and used ones. */
function makeAnotherIndex(entries: Entry[], url = false): number {
  const prohibited = new Set<number>(url ? [] : [1]);
  for (let i = 100; i < 200; i++) prohibited.add(i);
  for (const entry of entries) prohibited.add(Number(entry.index));
  const start = url ? 1 : 2;
  for (let index = start; ; index++) if (!prohibited.has(index)) return index;
}
