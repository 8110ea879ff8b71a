import type { Page } from '@idis/console-kit/usePaged';
import { api, session } from '../../../session';
import type { EnterpriseDetail, SnmsItemResult, SnmsRecord, Template } from '../logic/types';

/** The signed-in enterprise's id (the API checks it is the caller's own). */
export function enterpriseId(): string {
  const id = session.me?.enterpriseId;
  if (!id) throw new Error('this account belongs to no enterprise');
  return id;
}

/** GET /api/v1/enterprises/{id}: the enterprise with its prefixes. */
export function myEnterprise(): Promise<EnterpriseDetail> {
  return api<EnterpriseDetail>('GET', `/api/v1/enterprises/${enterpriseId()}`);
}

/** Every template of a prefix, newest first (GET /api/v1/templates pages by 200; enterprises keep a few). */
export async function templatesOf(prefix: string): Promise<Template[]> {
  const page = await api<Page<Template>>('GET', `/api/v1/templates?${new URLSearchParams({ prefix, pageSize: '200' })}`);
  return page.items;
}

/** A handle in a URL path: every character encoded except the slashes (the node's routes take them as they are). */
export function handlePath(handle: string): string {
  return handle.split('/').map(encodeURIComponent).join('/');
}

export function qrPath(handle: string, format: 'png' | 'svg', size?: number): string {
  const query = new URLSearchParams({ format });
  if (size) query.set('size', String(size));
  return `/api/v1/identifiers/${handlePath(handle)}/qr?${query}`;
}

interface SnmsEnvelope<T> {
  status: number;
  message: string;
  data: T;
}

/** A call of the SNMS API: its data, or its message as the error (the envelope's status is not 1). */
export async function snms<T>(method: string, path: string, body?: unknown): Promise<T> {
  const reply = await api<SnmsEnvelope<T>>(method, path, body);
  if (reply.status !== 1) throw new Error(reply.message);
  return reply.data;
}

/** POST /identityv2/data/batchCreate or PUT …/batchUpdate: one result per record. */
export function writeBatch(records: SnmsRecord[], mode: 'create' | 'update'): Promise<SnmsItemResult[]> {
  return mode === 'create' ? snms<SnmsItemResult[]>('POST', '/identityv2/data/batchCreate', records) : snms<SnmsItemResult[]>('PUT', '/identityv2/data/batchUpdate', records);
}
