import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { ResolutionHealth } from '../resolution/resolution-health';
import { TopLevelLink } from '../upstream/top-level-link';

/**
 * 200 while PostgreSQL answers: "ok", or "degraded" when Redis or the invalidation channel is
 * down (resolution then runs from L1 and PostgreSQL); 503 "down" when PostgreSQL does not answer.
 */
@ApiTags('node')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly resolution: ResolutionHealth,
    private readonly topLevel: TopLevelLink,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Node health: {status: ok|degraded|down, checks}' })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const database = await this.checkDatabase();
    const cache = this.resolution.snapshot();
    const cacheDegraded = cache.redis === 'down' || cache.invalidationChannel === 'down';
    // The top level unreachable degrades the node (filings and reports queue up) but never takes it down.
    const link = this.topLevelCheck();
    const status = database.status !== 'up' ? 'down' : cacheDegraded || link.status === 'down' ? 'degraded' : 'ok';
    void reply.status(status === 'down' ? 503 : 200);
    return { status, checks: { database, cache, topLevel: link } };
  }

  private topLevelCheck(): { status: 'up' | 'down' | 'starting' | 'not-configured'; state: string; lastError?: string } {
    const state = this.topLevel.state;
    if (state === 'not-configured') return { status: 'not-configured', state };
    if (state === 'linked') return { status: 'up', state };
    // The first enrolment attempt is still under way: not a fault yet.
    if (state === 'enrolling' && this.topLevel.lastError === undefined) return { status: 'starting', state };
    return { status: 'down', state, lastError: this.topLevel.lastError };
  }

  private async checkDatabase(): Promise<{ status: 'up' | 'down'; latencyMs?: number; error?: string }> {
    const started = process.hrtime.bigint();
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2000).unref()),
      ]);
      return { status: 'up', latencyMs: Number(process.hrtime.bigint() - started) / 1e6 };
    } catch (error) {
      return { status: 'down', error: (error as Error).message };
    }
  }
}
