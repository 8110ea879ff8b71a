import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';

/** Liveness and readiness: 200 while PostgreSQL answers, 503 when it does not. */
@ApiTags('node')
@Controller('health')
export class HealthController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Node health: {status: ok|degraded|down, checks}' })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const database = await this.checkDatabase();
    const status = database.status === 'up' ? 'ok' : 'down';
    void reply.status(status === 'down' ? 503 : 200);
    return { status, checks: { database } };
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
