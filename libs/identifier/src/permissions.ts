import { ValueError } from './errors';

export interface Permissions {
  adminRead: boolean;
  adminWrite: boolean;
  publicRead: boolean;
  publicWrite: boolean;
}

/** Admin read/write + public read: the Handle default (permission byte 14), omitted from JSON when it applies. */
export const DEFAULT_PERMISSIONS_STRING = '1110';

const PERMISSIONS_PATTERN = /^[01]{4}$/;

/** The Handle.Net JSON 4-character form, in the order adminRead, adminWrite, publicRead, publicWrite. */
export function permissionsToString(p: Permissions): string {
  return [p.adminRead, p.adminWrite, p.publicRead, p.publicWrite].map((b) => (b ? '1' : '0')).join('');
}

/** Throws ValueError (path `permissions`) unless `s` is four characters of 0/1. */
export function permissionsFromString(s: string): Permissions {
  if (typeof s !== 'string' || !PERMISSIONS_PATTERN.test(s)) {
    throw new ValueError(
      'permissions',
      `permissions must be 4 characters of 0/1 (adminRead, adminWrite, publicRead, publicWrite); got ${JSON.stringify(s)}`,
    );
  }
  return { adminRead: s[0] === '1', adminWrite: s[1] === '1', publicRead: s[2] === '1', publicWrite: s[3] === '1' };
}

export function isPublicReadable(v: { permissions: Permissions }): boolean {
  return v.permissions.publicRead;
}

/** The values an unauthenticated client may see. */
export function publicValues<T extends { permissions: Permissions }>(values: readonly T[]): T[] {
  return values.filter(isPublicReadable);
}

/** The permission fields of a value as the Handle.Net JSON form carries them (absent = the default). */
export interface JsonPermissions {
  permissions?: string;
}

/** Whether anybody, signed in or not, may read the value (its publicRead bit). */
export function isPubliclyReadable(value: JsonPermissions): boolean {
  return (value.permissions ?? DEFAULT_PERMISSIONS_STRING)[2] === '1';
}

/**
 * The one rule of who sees which value, for every front door and cache: public values for
 * everyone; with `privateAllowed` (the owning enterprise or an operator) also the admin-readable
 * ones. A value with neither read bit never leaves the server (RFC 3651 §3.1).
 */
export function visibleValues<T extends JsonPermissions>(values: readonly T[], privateAllowed: boolean): T[] {
  return values.filter((value) => {
    const permissions = value.permissions ?? DEFAULT_PERMISSIONS_STRING;
    return permissions[2] === '1' || (privateAllowed && permissions[0] === '1');
  });
}
