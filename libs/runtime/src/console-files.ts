import { existsSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { codeProblem, sendProblem } from '@idis/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Where the page is served; its Vite `base` is the same path. */
export const CONSOLE_PATH = '/console/';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/**
 * A missing file with one of these endings is a 404, not a page route: the browser asked for a file
 * (as it did for anything under assets/ or with a dot segment, which page routes never have).
 */
const FILE_ENDING = /\.(?:m?js|css|map|png|jpe?g|gif|svg|ico|webp|avif|woff2?|ttf|otf|json|txt|wasm|webmanifest)$/i;
/**
 * The page's own files only: scripts and styles from here, Element Plus's inline style attributes,
 * Vite's small inlined images and fonts, and requests to this origin's API.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** What a node serves at /console/: the built page's folder and the command that builds it (named in a 503). */
export interface ConsoleFiles {
  dir: string;
  buildCommand: string;
}

/** `dist/<name>` of the checkout this code runs from (source under ts-node, or the built dist). */
export function defaultConsoleDir(name: string, from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return resolve('dist', name);
    dir = parent;
  }
  return join(dir, 'dist', name);
}

export function consoleIsBuilt(dir: string): boolean {
  return existsSync(join(dir, 'index.html'));
}

/**
 * Serves a node's single-page console (built by Vite with `base: '/console/'`) at /console/: its files
 * as they are, hashed `assets/` for a year (immutable: a new build has new names), and every other
 * path (a page route such as /console/filings) as index.html, which is never cached so that a new
 * build is seen at once. Not built: 503 with the command that builds it. Sending (ETag,
 * Last-Modified, ranges, HEAD) is @fastify/static's.
 */
export async function serveConsole(app: NestFastifyApplication, files: ConsoleFiles): Promise<void> {
  const root = resolve(files.dir);
  await app.register(fastifyStatic, { serve: false });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get(CONSOLE_PATH.slice(0, -1), (request, reply) => {
    const query = request.url.indexOf('?');
    void reply.redirect(CONSOLE_PATH + (query >= 0 ? request.url.slice(query) : ''), 301);
  });
  fastify.get(`${CONSOLE_PATH}*`, (request, reply) => sendConsoleFile(root, files.buildCommand, request, reply));
}

function sendConsoleFile(root: string, buildCommand: string, request: FastifyRequest, reply: FastifyReply): void {
  void reply.headers(SECURITY_HEADERS);
  if (!consoleIsBuilt(root)) {
    sendProblem(reply, codeProblem('UNAVAILABLE', 503, `the console is not built: run ${buildCommand} (or npm run build)`, request.url));
    return;
  }
  const wanted = (request.params as { '*'?: string })['*'] ?? '';
  const file = fileOf(root, wanted);
  if (file !== undefined) {
    void reply.header('cache-control', file.startsWith('assets/') ? IMMUTABLE : 'no-cache');
    void reply.sendFile(file, root, { cacheControl: false });
    return;
  }
  if (wanted.startsWith('assets/') || FILE_ENDING.test(wanted) || /(^|\/)\./.test(wanted)) {
    void reply.header('cache-control', 'no-cache');
    sendProblem(reply, codeProblem('NOT_FOUND', 404, `the console has no file ${JSON.stringify(wanted.slice(0, 120))}`, request.url));
    return;
  }
  void reply.header('cache-control', 'no-cache');
  void reply.sendFile('index.html', root, { cacheControl: false });
}

/** The relative path of an existing regular file under root, or undefined (no dot segments, no escape). */
function fileOf(root: string, wanted: string): string | undefined {
  if (wanted === '' || wanted.length > 512 || /[\0\\]/.test(wanted)) return undefined;
  const normal = posix.normalize(wanted);
  if (normal !== wanted || normal.split('/').some((segment) => segment === '' || segment.startsWith('.'))) return undefined;
  const absolute = resolve(root, normal);
  if (!absolute.startsWith(root + sep)) return undefined;
  try {
    return statSync(absolute).isFile() ? normal : undefined;
  } catch {
    return undefined;
  }
}
