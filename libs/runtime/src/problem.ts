import type { FastifyReply } from 'fastify';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** RFC 9457 problem details: the standard members, then extensions such as the node's `code` and field `errors`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** A reply as it goes on the wire: status, content type and a body written as JSON. */
export interface JsonReply {
  status: number;
  contentType: string;
  body: unknown;
}

/** The request path without its query string: a problem's `instance`. */
export function problemInstance(url: string): string {
  return url.split('?', 1)[0];
}

/**
 * The problem for a stable machine code such as HANDLE_NOT_FOUND: type
 * `urn:idis:problem:handle-not-found`, title `Handle not found`, the code itself as `code`, and
 * `errors` when there are field problems.
 */
export function codeProblem(code: string, status: number, detail: string, url: string, errors: readonly unknown[] = []): ProblemDetails {
  const words = code.toLowerCase().split('_');
  const title = words.join(' ');
  const problem: ProblemDetails = {
    type: `urn:idis:problem:${words.join('-')}`,
    title: title.charAt(0).toUpperCase() + title.slice(1),
    status,
    detail,
    code,
    instance: problemInstance(url),
  };
  if (errors.length > 0) problem.errors = errors;
  return problem;
}

export function problemReply(problem: ProblemDetails): JsonReply {
  return { status: problem.status, contentType: PROBLEM_CONTENT_TYPE, body: problem };
}

export function sendJsonReply(reply: FastifyReply, answer: JsonReply): void {
  void reply.status(answer.status).header('content-type', answer.contentType).send(JSON.stringify(answer.body));
}

/** Writes `problem` as `application/problem+json` with its status. */
export function sendProblem(reply: FastifyReply, problem: ProblemDetails): void {
  sendJsonReply(reply, problemReply(problem));
}
