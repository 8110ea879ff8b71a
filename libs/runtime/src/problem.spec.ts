import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE, codeProblem, problemInstance, problemReply, sendJsonReply, sendProblem } from './problem';

/** Records what a handler wrote, as Fastify's reply would put it on the wire. */
function recordingReply() {
  const written: { status?: number; headers: Record<string, string>; payload?: string } = { headers: {} };
  const reply = {
    status(code: number) {
      written.status = code;
      return reply;
    },
    header(name: string, value: string) {
      written.headers[name] = value;
      return reply;
    },
    send(payload: string) {
      written.payload = payload;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, written };
}

describe('codeProblem', () => {
  it('derives type and title from the code and puts the members in their usual order', () => {
    const problem = codeProblem('HANDLE_NOT_FOUND', 404, 'handle 88.118/x not found', '/api/v1/handles/88.118%2Fx?publicOnly');
    expect(JSON.stringify(problem)).toBe(
      JSON.stringify({
        type: 'urn:idis:problem:handle-not-found',
        title: 'Handle not found',
        status: 404,
        detail: 'handle 88.118/x not found',
        code: 'HANDLE_NOT_FOUND',
        instance: '/api/v1/handles/88.118%2Fx',
      }),
    );
  });

  it('adds the field problems as errors only when there are some', () => {
    expect(codeProblem('INTERNAL', 500, 'x', '/a')).not.toHaveProperty('errors');
    expect(codeProblem('INVALID_INPUT', 400, 'x', '/a', []).title).toBe('Invalid input');
    expect(codeProblem('VALIDATION_FAILED', 400, 'x', '/a', [{ path: '/name', message: 'is required' }]).errors).toEqual([{ path: '/name', message: 'is required' }]);
  });
});

describe('writing problems', () => {
  it('sends application/problem+json with the status of the problem', () => {
    const { reply, written } = recordingReply();
    const problem = { type: 'epcisException:NoSuchResourceException', title: 'No such resource', status: 404, detail: 'gone', instance: problemInstance('/events/x?y=1') };
    sendProblem(reply, problem);
    expect(written).toEqual({ status: 404, headers: { 'content-type': 'application/problem+json; charset=utf-8' }, payload: JSON.stringify(problem) });
    expect(problemReply(problem)).toEqual({ status: 404, contentType: PROBLEM_CONTENT_TYPE, body: problem });
  });

  it('sends any JSON reply with its own content type', () => {
    const { reply, written } = recordingReply();
    sendJsonReply(reply, { status: 401, contentType: 'application/json; charset=utf-8', body: { status: -1, message: 'log in', data: null } });
    expect(written).toEqual({ status: 401, headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '{"status":-1,"message":"log in","data":null}' });
  });
});
