import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { HealthBoard } from './health-board';

/**
 * 200 while PostgreSQL answers: "ok", or "degraded" when a registered check is down (Redis or the
 * invalidation channel: resolution then runs from L1 and PostgreSQL; the top-level link: filings
 * and reports queue up); 503 "down" when PostgreSQL does not answer.
 */
@ApiTags('node')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly board: HealthBoard,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Node health: {status: ok|degraded|down, checks}' })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const database = await this.checkDatabase();
    const reports = this.board.all();
    const degraded = Object.values(reports).some((report) => report.status === 'down');
    const status = database.status !== 'up' ? 'down' : degraded ? 'degraded' : 'ok';
    void reply.status(status === 'down' ? 503 : 200);
    const checks: Record<string, object> = { database };
    for (const [name, report] of Object.entries(reports)) checks[name] = report.detail;
    return { status, checks };
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
