import type { FastifyInstance } from 'fastify';
import { installStrictJsonBodies } from './strict-json-body';
import { installAuthChallenge } from './www-authenticate';

/**
 * Fastify hooks of auth: WWW-Authenticate on every 401, strict JSON bodies where credentials are
 * sent. Both are attached route by route, so bootstrap calls this before any route is registered.
 */
export function installAuthHttpHooks(fastify: FastifyInstance): void {
  installAuthChallenge(fastify);
  installStrictJsonBodies(fastify);
}
