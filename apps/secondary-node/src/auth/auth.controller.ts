import { Body, Controller, Get, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { compileSchema } from '../http/json-schema';
import { AuthGuard, CurrentPrincipal, RequireRoles } from './auth.guard';
import { AuthService } from './auth.service';
import { LoginLockedError } from './login-throttle/login-throttle.service';
import type { Principal } from './principal';
import type { IssuedToken } from './token.service';

interface Credentials {
  username: string;
  password: string;
}

const credentialsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password'],
  properties: {
    // No control characters: they cannot be part of any account name (and PostgreSQL refuses NUL).
    username: { type: 'string', minLength: 1, maxLength: 50, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
    password: { type: 'string', minLength: 1, maxLength: 64 },
  },
};
const readCredentials = compileSchema<Credentials>(credentialsSchema, 'credentials');

const passwordChangeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['currentPassword', 'newPassword'],
  properties: {
    currentPassword: { type: 'string', minLength: 1, maxLength: 64 },
    newPassword: { type: 'string', minLength: 8, maxLength: 64 },
  },
};
const readPasswordChange = compileSchema<{ currentPassword: string; newPassword: string }>(passwordChangeSchema, 'password change');

const LOGIN_REPLIES = {
  consumes: 'application/json',
  refusals: [
    { status: 400, description: 'invalid body, or a key that appears twice' },
    { status: 401, description: 'unknown username or wrong password (WWW-Authenticate: Bearer); failures from the third on are answered more slowly' },
    { status: 415, description: 'the body is not application/json (form bodies are refused)' },
    { status: 429, description: 'LOGIN_LOCKED: too many failed sign-ins for this username (existing or not); Retry-After gives the seconds left' },
  ],
};

/** Adds Retry-After to the reply of a locked sign-in. */
async function withRetryAfter<T>(reply: FastifyReply, login: () => Promise<T>): Promise<T> {
  try {
    return await login();
  } catch (error) {
    if (error instanceof LoginLockedError) void reply.header('retry-after', String(error.retryAfterSeconds));
    throw error;
  }
}

@ApiTags('auth')
@Controller('api/v1/auth')
export class NativeAuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('token')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange username (any case) and password for a bearer token (24 h); repeated failures slow down, then lock the username' })
  @ApiConsumes(LOGIN_REPLIES.consumes)
  @ApiBody({ schema: credentialsSchema })
  @ApiResponse({ status: 200, description: '{accessToken, tokenType: "Bearer", expiresIn}' })
  @ApiResponse(LOGIN_REPLIES.refusals[0])
  @ApiResponse(LOGIN_REPLIES.refusals[1])
  @ApiResponse(LOGIN_REPLIES.refusals[2])
  @ApiResponse(LOGIN_REPLIES.refusals[3])
  token(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<IssuedToken> {
    const { username, password } = readCredentials(body);
    return withRetryAfter(reply, () => this.auth.loginWithPassword(username, password));
  }

  @Get('me')
  @UseGuards(AuthGuard)
  @RequireRoles('operator', 'enterprise', 'partner')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who the token (or API key) is: the console asks this at sign-in to choose its menu (the API still checks every call)' })
  @ApiResponse({ status: 200, description: '{accountId, username, role: "operator" | "enterprise" | "partner", enterpriseId (null unless an enterprise), apiKey: boolean}' })
  @ApiResponse({ status: 401, description: 'no token, or an expired, revoked or unknown one' })
  me(@CurrentPrincipal() caller: Principal) {
    return { accountId: caller.accountId, username: caller.username, role: caller.role, enterpriseId: caller.enterpriseId, apiKey: caller.apiKeyId !== undefined };
  }

  @Post('password')
  @HttpCode(200)
  @UseGuards(AuthGuard)
  @RequireRoles('operator', 'enterprise', 'partner')
  @ApiBearerAuth()
  @ApiConsumes(LOGIN_REPLIES.consumes)
  @ApiOperation({ summary: 'Change your own password (the current one is required): every token issued before stops working; the reply is a new token' })
  @ApiBody({ schema: passwordChangeSchema })
  @ApiResponse({ status: 200, description: '{accessToken, tokenType: "Bearer", expiresIn} for the new password' })
  @ApiResponse({ status: 400, description: 'invalid body, the current password is wrong, or the new one equals it' })
  @ApiResponse({ status: 403, description: 'called with an API key' })
  @ApiResponse(LOGIN_REPLIES.refusals[3])
  changePassword(@CurrentPrincipal() caller: Principal, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<IssuedToken> {
    const { currentPassword, newPassword } = readPasswordChange(body);
    return withRetryAfter(reply, () => this.auth.changePassword(caller, currentPassword, newPassword));
  }
}

/** SNMS-compatible login (`/identity/token`, digest variant `/identity/token/v1`). */
@ApiTags('snms')
@Controller('identity')
export class SnmsAuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('token')
  @HttpCode(200)
  @ApiOperation({ summary: 'SNMS login. The password may be plain, or sha256(sha256(pwd)+yyyy-MM-dd) as in /identity/token/v1' })
  @ApiConsumes(LOGIN_REPLIES.consumes)
  @ApiBody({ schema: credentialsSchema })
  @ApiResponse(LOGIN_REPLIES.refusals[3])
  async token(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { username, password } = readCredentials(body);
    return snmsToken(await withRetryAfter(reply, () => this.auth.loginSnms(username, password)));
  }

  @Post('token/v1')
  @HttpCode(200)
  @ApiOperation({ summary: 'SNMS digest login: password = sha256(sha256(pwd) + "yyyy-MM-dd")' })
  @ApiConsumes(LOGIN_REPLIES.consumes)
  @ApiBody({ schema: credentialsSchema })
  @ApiResponse(LOGIN_REPLIES.refusals[3])
  async tokenDigest(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { username, password } = readCredentials(body);
    return snmsToken(await withRetryAfter(reply, () => this.auth.loginWithDigest(username, password)));
  }
}

function snmsToken(issued: IssuedToken) {
  return { status: 1, message: 'success', data: { token: issued.accessToken, expiresIn: issued.expiresIn } };
}
