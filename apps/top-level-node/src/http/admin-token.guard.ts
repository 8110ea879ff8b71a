import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { TopLevelError } from '../errors/top-level-errors';

/**
 * The operator of the top level: the admin endpoints (manual review, simulation knobs) and the
 * operator's reads (nodes, filings, volumes, settings — what the console at /console/ shows). When
 * TOP_LEVEL_ADMIN_TOKEN is set they require `Authorization: Bearer <that token>`; when unset they are
 * open (a local simulator).
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(TOP_LEVEL_CONFIG) private readonly config: TopLevelConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (expected === undefined) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new TopLevelError('NOT_AUTHENTICATED', 'this endpoint needs Authorization: Bearer <TOP_LEVEL_ADMIN_TOKEN>');
    const digest = (s: string) => createHash('sha256').update(s).digest();
    if (!timingSafeEqual(digest(match[1]), digest(expected))) throw new TopLevelError('FORBIDDEN', 'wrong admin token');
    return true;
  }
}
