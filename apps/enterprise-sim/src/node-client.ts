/**
 * The few calls the simulator makes to a secondary node: native login and enterprise applications
 * (DESIGN §9), SNMS login, templates and batch registration (DESIGN §4.2). Plain fetch, every call
 * with a timeout; a refusal is a NodeApiError that carries the status and the node's message.
 */

export class NodeApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'NodeApiError';
  }

  /** The problem-details `code` (native API) or SNMS status of the reply, when there is one. */
  get code(): string | undefined {
    const body = this.body as { code?: unknown } | undefined;
    return typeof body?.code === 'string' ? body.code : undefined;
  }
}

export type ApplicationStatus = 'pending_review' | 'approved' | 'filing' | 'active' | 'rejected';

export interface Application {
  id: string;
  status: ApplicationStatus;
  requestedPrefix: string;
  username: string;
  enterpriseId: string | null;
  reviewReason: string | null;
}

export interface ApplicationInput {
  orgName: string;
  creditCode: string;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  requestedPrefix: string;
  username: string;
  password: string;
}

export interface SnmsValue {
  index: number;
  type: string;
  data: { format: 'string'; value: string };
}

export interface SnmsRecord {
  handle: string;
  templateVersion: string;
  value: SnmsValue[];
}

export interface SnmsItemResult {
  handle: string;
  code: number;
  msg: string;
  reason?: string;
}

export interface TemplateItem {
  name: string;
  idType: string;
  idIndex?: number;
  required?: boolean;
  metadata: { type: 'string'; minLength: number; maxLength: number };
}

export interface MqttCredential {
  id: string;
  username: string;
  password: string;
  label: string | null;
}

export const MAX_SNMS_BATCH = 2000;

export class NodeClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`node URL must start with http:// or https://, got ${baseUrl}`);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new NodeApiError(`${method} ${path}: the node at ${this.baseUrl} is unreachable (${(error as Error).message})`, 0, undefined);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: response.status, body: body as T };
  }

  private async expect<T>(method: string, path: string, statuses: number[], options: { token?: string; body?: unknown } = {}): Promise<T> {
    const reply = await this.request<T>(method, path, options);
    if (!statuses.includes(reply.status)) {
      const body = reply.body as { detail?: string; message?: string; title?: string } | undefined;
      const reason = body?.detail ?? body?.message ?? body?.title ?? (typeof reply.body === 'string' ? reply.body.slice(0, 300) : '');
      throw new NodeApiError(`${method} ${path}: HTTP ${reply.status}${reason ? ` — ${reason}` : ''}`, reply.status, reply.body);
    }
    return reply.body;
  }

  /** Native login; undefined when the credentials are refused (401). */
  async tryLogin(username: string, password: string): Promise<string | undefined> {
    const reply = await this.request<{ accessToken?: string }>('POST', '/api/v1/auth/token', { body: { username, password } });
    if (reply.status === 401 || reply.status === 403) return undefined;
    if (reply.status !== 200 || !reply.body?.accessToken) throw new NodeApiError(`POST /api/v1/auth/token: HTTP ${reply.status}`, reply.status, reply.body);
    return reply.body.accessToken;
  }

  async login(username: string, password: string): Promise<string> {
    const token = await this.tryLogin(username, password);
    if (!token) throw new NodeApiError(`login of ${username} refused: wrong username or password`, 401, undefined);
    return token;
  }

  /** SNMS login (`/identity/token`), as an enterprise system would do it. */
  async snmsLogin(username: string, password: string): Promise<string> {
    const body = await this.expect<{ status: number; data?: { token?: string } }>('POST', '/identity/token', [200], { body: { username, password } });
    if (body.status !== 1 || !body.data?.token) throw new NodeApiError(`POST /identity/token: SNMS status ${body.status}`, 200, body);
    return body.data.token;
  }

  apply(input: ApplicationInput): Promise<Application> {
    return this.expect('POST', '/api/v1/enterprises/applications', [201], { body: input });
  }

  approve(id: string, operatorToken: string): Promise<Application> {
    return this.expect('POST', `/api/v1/enterprises/applications/${encodeURIComponent(id)}/approve`, [200], { token: operatorToken });
  }

  getApplication(id: string, token: string): Promise<Application> {
    return this.expect('GET', `/api/v1/enterprises/applications/${encodeURIComponent(id)}`, [200], { token });
  }

  /** Applications whose prefix, name or credit code contains `q` (first 200). */
  async findApplications(q: string, token: string): Promise<Application[]> {
    const body = await this.expect<{ items: Application[] }>('GET', `/api/v1/enterprises/applications?q=${encodeURIComponent(q)}&pageSize=200`, [200], { token });
    return body.items;
  }

  /** The SNMS template, or undefined when there is none. */
  async getTemplate(token: string, prefix: string, version: string): Promise<unknown | undefined> {
    const reply = await this.request<{ status: number; data: unknown }>('GET', `/snms/api/v5/template?prefix=${encodeURIComponent(prefix)}&version=${encodeURIComponent(version)}`, { token });
    if (reply.status === 404) return undefined;
    if (reply.status !== 200 || reply.body?.status !== 1) throw new NodeApiError(`GET /snms/api/v5/template: HTTP ${reply.status}`, reply.status, reply.body);
    return reply.body.data;
  }

  async createTemplate(token: string, template: Record<string, unknown>): Promise<void> {
    await this.expect('POST', '/snms/api/v5/template', [200], { token, body: template });
  }

  /** A new MQTT credential of the enterprise (the password is in this reply only); undefined when the node has no such API (404). */
  async createMqttCredential(token: string, enterpriseId: string, label: string): Promise<MqttCredential | undefined> {
    const path = `/api/v1/enterprises/${encodeURIComponent(enterpriseId)}/mqtt-credentials`;
    const reply = await this.request<MqttCredential>('POST', path, { token, body: { label } });
    if (reply.status === 404) return undefined;
    if (reply.status !== 201) throw new NodeApiError(`POST ${path}: HTTP ${reply.status}`, reply.status, reply.body);
    return reply.body;
  }

  async listMqttCredentials(token: string, enterpriseId: string): Promise<Array<Omit<MqttCredential, 'password'>>> {
    const body = await this.expect<{ items: Array<Omit<MqttCredential, 'password'>> }>('GET', `/api/v1/enterprises/${encodeURIComponent(enterpriseId)}/mqtt-credentials`, [200], { token });
    return body.items;
  }

  async revokeMqttCredential(token: string, enterpriseId: string, credentialId: string): Promise<void> {
    await this.expect('DELETE', `/api/v1/enterprises/${encodeURIComponent(enterpriseId)}/mqtt-credentials/${encodeURIComponent(credentialId)}`, [204, 404], { token });
  }

  async batchCreate(token: string, records: SnmsRecord[]): Promise<SnmsItemResult[]> {
    if (records.length === 0 || records.length > MAX_SNMS_BATCH) throw new Error(`an SNMS batch holds 1 to ${MAX_SNMS_BATCH} records, got ${records.length}`);
    const body = await this.expect<{ status: number; data: SnmsItemResult[] }>('POST', '/identityv2/data/batchCreate', [200], { token, body: records });
    if (!Array.isArray(body.data) || body.data.length !== records.length) {
      throw new NodeApiError(`POST /identityv2/data/batchCreate: expected ${records.length} results`, 200, body);
    }
    return body.data;
  }
}
