import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AccountRepository } from './account.repository';
import { NativeAuthController, SnmsAuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService, DIGEST_SEALER } from './auth.service';
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
  controllers: [NativeAuthController, SnmsAuthController],
  providers: [
    AccountRepository,
    AuthService,
    AuthGuard,
    TokenService,
    { provide: DIGEST_SEALER, inject: [NODE_SECRET], useFactory: (secret: string) => new DigestSealer(secret) },
  ],
  exports: [AuthService, AuthGuard, TokenService, AccountRepository, DIGEST_SEALER],
})
export class AuthModule {}

