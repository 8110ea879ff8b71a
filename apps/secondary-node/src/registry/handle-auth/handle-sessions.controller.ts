import { Body, Controller, Delete, Get, HttpCode, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, httpStatusOf } from '../../errors/domain-errors';
import { authenticationRefused, HandleAuthenticator } from './handle-authenticator';
import {
  type HandleAuthorization,
  HandleAuthorizationError,
  handleAuthorizationFromJson,
  isAuthenticating,
  isHandleScheme,
  parseHandleAuthorization,
} from './handle-authorization-header';
import { challengeHeaders, sessionView } from './handle-challenge';
import type { HandleSession } from './handle-sessions';

const answerSchema = {
  type: 'object',
  properties: {
    sessionId: { type: 'string' },
    id: { type: 'string', description: 'index:handle of the HS_PUBKEY value, e.g. 300:88.118.8/ADMIN' },
    type: { type: 'string', enum: ['HS_PUBKEY'] },
    cnonce: { type: 'string', description: 'base64 client nonce' },
    alg: { type: 'string', enum: ['SHA256', 'SHA1'] },
    signature: { type: 'string', description: 'base64 signature of nonce ‖ cnonce' },
  },
};

/**
 * The Handle.Net REST sessions API (TechManual §14.6, CNRI SessionsServlet): open a session and get
 * its nonce, answer the challenge, look at the session, end it. The session is named by
 * `Authorization: Handle sessionId="…"` (or a sessionId member of the JSON body).
 */
@ApiTags('handle-rest')
@Controller('api/sessions')
export class HandleSessionsController {
  constructor(private readonly authenticator: HandleAuthenticator) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Open a Handle session: {sessionId, nonce}; sign nonce ‖ cnonce with the identity key to authenticate' })
  async open(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (headerParameters(request).sessionId !== undefined) {
      throw new DomainError('VALIDATION_FAILED', 'POST /api/sessions opens a new session: send no sessionId');
    }
    void reply.header('location', '/api/sessions/this');
    return sessionView(await this.authenticator.challenge());
  }

  /** As in Handle.Net, a GET whose header also answers the challenge authenticates the session. */
  @Get('this')
  @ApiOperation({ summary: 'The session named by Authorization: Handle sessionId="…": its nonce, and the identity once authenticated' })
  status(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.authenticate(request, reply, undefined);
  }

  @Put('this')
  @ApiOperation({ summary: 'Answer the session challenge: id, type="HS_PUBKEY", cnonce, alg, signature (header or JSON body)' })
  @ApiBody({ schema: answerSchema, required: false })
  answer(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown) {
    return this.authenticate(request, reply, body);
  }

  /** Handle.Net treats POST on the session like PUT. */
  @Post('this')
  @HttpCode(200)
  @ApiOperation({ summary: 'Same as PUT /api/sessions/this' })
  @ApiBody({ schema: answerSchema, required: false })
  answerByPost(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown) {
    return this.authenticate(request, reply, body);
  }

  @Delete('this')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session (204)' })
  async close(@Req() request: FastifyRequest): Promise<void> {
    const session = await this.sessionOf(headerParameters(request));
    await this.authenticator.closeSession(session.id);
  }

  private async authenticate(request: FastifyRequest, reply: FastifyReply, body: unknown) {
    let parameters: HandleAuthorization;
    try {
      // As in Handle.Net, the header wins over the body for a parameter given in both.
      parameters = { ...handleAuthorizationFromJson(body), ...stripUndefined(headerParameters(request)) };
    } catch (error) {
      if (error instanceof HandleAuthorizationError) throw new DomainError('VALIDATION_FAILED', error.message);
      throw error;
    }
    const session = await this.sessionOf(parameters);
    if (!isAuthenticating(parameters)) return sessionView(session);
    try {
      await this.authenticator.answer(session, parameters);
    } catch (error) {
      if (error instanceof DomainError && httpStatusOf[error.code] === 401) void reply.header('www-authenticate', challengeHeaders(session, error.message));
      throw error;
    }
    return sessionView(session);
  }

  /** The live session the parameters name; 403 as in Handle.Net when there is none. */
  private async sessionOf(parameters: HandleAuthorization): Promise<HandleSession> {
    if (parameters.sessionId === undefined) throw new DomainError('FORBIDDEN', 'name the session with Authorization: Handle sessionId="…"');
    const session = await this.authenticator.findSession(parameters.sessionId);
    if (!session) throw new DomainError('FORBIDDEN', 'the session does not exist or has expired');
    return session;
  }
}

function headerParameters(request: FastifyRequest): HandleAuthorization {
  const header = request.headers.authorization;
  if (header === undefined || !isHandleScheme(header)) return {};
  try {
    return parseHandleAuthorization(header);
  } catch (error) {
    if (error instanceof HandleAuthorizationError) throw authenticationRefused(error.message);
    throw error;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
