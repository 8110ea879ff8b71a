import { Controller, Get, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { SimulationService } from '../simulation/simulation.service';

/** 200 {status: "ok"} while PostgreSQL answers (the simulation knobs are shown, not applied); 503 "down" otherwise. */
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly simulation: SimulationService,
  ) {}

  @Get()
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    let database: { status: 'up' | 'down'; error?: string };
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2000).unref()),
      ]);
      database = { status: 'up' };
    } catch (error) {
      database = { status: 'down', error: (error as Error).message };
    }
    const status = database.status === 'up' ? 'ok' : 'down';
    void reply.status(status === 'ok' ? 200 : 503);
    return { status, checks: { database, simulation: this.simulation.current() } };
  }
}
