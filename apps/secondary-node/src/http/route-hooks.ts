import type { FastifyInstance, RouteOptions } from 'fastify';

/**
 * Route config of the hot read routes registered straight on Fastify (the Handle REST GET and the
 * proxy): they make the edge checks of the per-route hooks below themselves (a NUL in the URL, the
 * challenge of a 401), so that a resolution runs no hook it does not need.
 */
export const LEAN_ROUTE = Object.freeze({ leanRoute: true });

type HookName = 'onRequest' | 'preParsing' | 'preValidation' | 'onSend';

/** Methods whose request body Fastify never reads (fastify/lib/handle-request.js). */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

export function isLeanRoute(route: Pick<RouteOptions, 'config'>): boolean {
  return (route.config as { leanRoute?: boolean } | undefined)?.leanRoute === true;
}

/**
 * Adds `hook` to each route registered from now on, instead of to every request: a route-level
 * hook costs nothing on the routes that do not have it. `bodies`: only routes with a method that
 * carries a body (a preParsing hook on a GET route would only ever see an unread stream); `only`:
 * only the routes it accepts; `lean`: the lean routes too.
 * Call before the app is initialised (the routes are registered then).
 */
export function addRouteHook(
  fastify: FastifyInstance,
  name: HookName,
  hook: unknown,
  options: { bodies?: boolean; lean?: boolean; only?: (route: RouteOptions) => boolean } = {},
): void {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (!options.lean && isLeanRoute(route)) return;
    if (options.only && !options.only(route)) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (options.bodies && methods.every((method) => BODYLESS.has(method))) return;
    const existing = route[name] as unknown;
    const list = existing === undefined || existing === null ? [] : Array.isArray(existing) ? existing : [existing];
    (route as unknown as Record<HookName, unknown[]>)[name] = [...list, hook];
  });
}
