import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import * as ipaddr from 'ipaddr.js';
import { DomainError } from '../../errors/domain-errors';

export const MAX_DEST_LENGTH = 2048;

/**
 * Whether a webhook may be sent to this address: only public unicast (no loopback, private,
 * link-local, unique-local, carrier-grade NAT, multicast, reserved or unspecified ranges), unless
 * EPCIS_WEBHOOK_ALLOW_PRIVATE lets tests use loopback receivers.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/**
 * Checks a subscription's `dest` when it is created: an absolute http or https URL without
 * credentials, whose host (an address, or every address its name resolves to) is public.
 * Refusals are 400 VALIDATION_FAILED naming `dest`.
 */
export async function checkWebhookTarget(dest: unknown, allowPrivate: boolean): Promise<URL> {
  if (typeof dest !== 'string' || dest.length === 0) throw refuse('dest is required: the URL events are posted to');
  if (dest.length > MAX_DEST_LENGTH) throw refuse(`dest is at most ${MAX_DEST_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(dest);
  } catch {
    throw refuse(`dest ${JSON.stringify(dest.slice(0, 100))} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`dest must be an http or https URL, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw refuse('dest must not carry credentials; the signature header authenticates the node');
  if (url.hash !== '') throw refuse('dest must not have a fragment');
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  const refused = addresses.filter((address) => !isPublicAddress(address));
  if (refused.length > 0) throw refuse(`dest ${url.host} is a loopback, private or reserved address (${refused.join(', ')}); webhooks go to public hosts only`);
  return url;
}

/**
 * The `lookup` of a webhook request: resolves as usual, then refuses a private answer, so that a
 * name that resolved to a public address when the subscription was made cannot be pointed at an
 * internal one later (DNS rebinding).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const bad = allowPrivate ? undefined : list.find((entry) => !isPublicAddress(entry.address));
      if (bad) {
        const refusal: NodeJS.ErrnoException = new Error(`webhook host ${hostname} resolved to the non-public address ${bad.address}`);
        refusal.code = 'EPRIVATEADDRESS';
        return callback(refusal, []);
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
}

async function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, addresses) => {
      if (error || addresses.length === 0) reject(refuse(`dest host ${host} does not resolve`));
      else resolve(addresses.map((entry) => entry.address));
    });
  });
}

function refuse(message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, [{ path: 'dest', message }]);
}
