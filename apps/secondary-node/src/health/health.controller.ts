import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { HealthBoard } from './health-board';

/**
 * A dependency that does not answer within this is down: a frozen PostgreSQL or Redis (SIGSTOP, a
 * full disk) must show as such, not as the last thing it said.
 */
const CHECK_TIMEOUT_MS = 1000;

/**
 * 200 while PostgreSQL answers: "ok", or "degraded" when a registered check is down (Redis or the
 * invalidation channel: resolution then runs from L1 and PostgreSQL; the top-level link: filings
 * and reports queue up); 503 "down" when PostgreSQL does not answer. Anonymous callers get the
 * status only; operators (a bearer token of role operator) also get every check's detail, which
 * names internal addresses and errors.
 */
@ApiTags('node')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly board: HealthBoard,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Node health: {status: ok|degraded|down}; with an operator token also {checks}' })
  async health(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const diagnostics = await this.board.mayViewDiagnostics(request.headers);
    const [database, probes] = await Promise.all([this.checkDatabase(), this.board.probeAll(CHECK_TIMEOUT_MS)]);
    const reports = { ...this.board.all(), ...probes };
    const degraded = Object.values(reports).some((report) => report.status === 'down');
    const status = database.status !== 'up' ? 'down' : degraded ? 'degraded' : 'ok';
    void reply.status(status === 'down' ? 503 : 200).header('cache-control', 'no-store');
    if (!diagnostics) return { status };
    const checks: Record<string, object> = { database };
    for (const [name, report] of Object.entries(reports)) checks[name] = report.detail;
    return { status, checks };
  }

  private async checkDatabase(): Promise<{ status: 'up' | 'down'; latencyMs?: number; error?: string }> {
    const started = process.hrtime.bigint();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      return { status: 'up', latencyMs: Number(process.hrtime.bigint() - started) / 1e6 };
    } catch (error) {
      return { status: 'down', error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
