import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AccountRepository } from './account.repository';
import { ApiKeyRepository } from './api-keys/api-key.repository';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { NativeAuthController, SnmsAuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService, DIGEST_SEALER } from './auth.service';
import { Authenticator } from './authenticator';
import { EnterpriseAccountController } from './enterprise-account.controller';
import { EnterpriseDeactivationListener } from './enterprise-deactivation.listener';
import { LoginThrottleRepository } from './login-throttle/login-throttle.repository';
import { LoginThrottle } from './login-throttle/login-throttle.service';
import { DigestSealer } from './password-hasher';
import { NODE_SECRET } from './node-secret';
import { TokenService } from './token.service';

@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [NODE_SECRET],
      useFactory: (secret: string) => ({ secret, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  controllers: [NativeAuthController, SnmsAuthController, EnterpriseAccountController, ApiKeysController],
  providers: [
    AccountRepository,
    AuthService,
    AuthGuard,
    Authenticator,
    TokenService,
    LoginThrottleRepository,
    LoginThrottle,
    ApiKeyRepository,
    ApiKeysService,
    EnterpriseDeactivationListener,
    { provide: DIGEST_SEALER, inject: [NODE_SECRET], useFactory: (secret: string) => new DigestSealer(secret) },
  ],
  exports: [AuthService, AuthGuard, Authenticator, TokenService, AccountRepository, ApiKeysService, LoginThrottle, DIGEST_SEALER],
})
export class AuthModule {}
