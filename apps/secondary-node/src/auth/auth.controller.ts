import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { compileSchema } from '../http/json-schema';
import { AuthService } from './auth.service';
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

@ApiTags('auth')
@Controller('api/v1/auth')
export class NativeAuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('token')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange username and password for a bearer token (24 h)' })
  @ApiBody({ schema: credentialsSchema })
  token(@Body() body: unknown): Promise<IssuedToken> {
    const { username, password } = readCredentials(body);
    return this.auth.loginWithPassword(username, password);
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
  @ApiBody({ schema: credentialsSchema })
  async token(@Body() body: unknown) {
    const { username, password } = readCredentials(body);
    let issued: IssuedToken;
    try {
      issued = await this.auth.loginWithPassword(username, password);
    } catch (error) {
      if (!/^[0-9a-fA-F]{64}$/.test(password)) throw error;
      issued = await this.auth.loginWithDigest(username, password);
    }
    return snmsToken(issued);
  }

  @Post('token/v1')
  @HttpCode(200)
  @ApiOperation({ summary: 'SNMS digest login: password = sha256(sha256(pwd) + "yyyy-MM-dd")' })
  @ApiBody({ schema: credentialsSchema })
  async tokenDigest(@Body() body: unknown) {
    const { username, password } = readCredentials(body);
    return snmsToken(await this.auth.loginWithDigest(username, password));
  }
}

function snmsToken(issued: IssuedToken) {
  return { status: 1, message: 'success', data: { token: issued.accessToken, expiresIn: issued.expiresIn } };
}
