import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NodeMetrics } from './node-metrics';

/**
 * Prometheus scrape endpoint. Open like /health: it carries only node-wide aggregates (no per-prefix
 * labels); restrict it at the network or ingress if the node is exposed publicly.
 */
@ApiTags('node')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: NodeMetrics) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus text exposition: resolution latency by tier, counts, cache and process metrics' })
  @ApiProduces('text/plain')
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const text = await this.metrics.metrics();
    void reply.type(this.metrics.contentType);
    return text;
  }
}
