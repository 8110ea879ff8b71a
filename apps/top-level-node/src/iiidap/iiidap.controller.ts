import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { FixedWindowRateLimiter } from './rate-limiter';
import { IiidapService } from './iiidap.service';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * GET /iiidap/identifier/{prefix | prefix/suffix}: registration data (IIIDAP/RDAP-shaped JSON),
 * 302 to the responsible secondary node for an identifier (or a prefix with ?redirect), 404 JSON
 * when unknown, 429 with Retry-After beyond IIIDAP_RATE_LIMIT_PER_MINUTE per client IP.
 */
@Controller('iiidap')
export class IiidapController {
  private readonly limiter: FixedWindowRateLimiter;

  constructor(
    private readonly iiidap: IiidapService,
    @Inject(TOP_LEVEL_CONFIG) config: TopLevelConfig,
  ) {
    this.limiter = new FixedWindowRateLimiter(config.iiidapRateLimitPerMinute);
  }

  @Get('identifier/*')
  async identifier(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const wait = this.limiter.take(request.ip);
    if (wait !== undefined) {
      void reply
        .status(429)
        .header('retry-after', String(wait))
        .header('content-type', JSON_TYPE)
        .send(JSON.stringify({ errorCode: 429, title: 'Too Many Requests', description: [`rate limit exceeded; retry after ${wait} s`] }));
      return;
    }
    const [path, search = ''] = request.url.split('?', 2);
    const params = new URLSearchParams(search);
    let identifier: string;
    try {
      identifier = decodeURIComponent(path.slice('/iiidap/identifier/'.length));
    } catch {
      identifier = '';
    }
    if (identifier.length === 0 || identifier.length > 300) {
      void reply.status(400).header('content-type', JSON_TYPE).send(JSON.stringify({ errorCode: 400, title: 'Bad Request', description: ['a prefix or identifier (at most 300 characters) is expected after /iiidap/identifier/'] }));
      return;
    }
    const host = request.headers.host ?? 'localhost';
    const answer = await this.iiidap.lookup(identifier, {
      redirect: params.has('redirect'),
      noredirect: params.has('noredirect'),
      selfBase: `${request.protocol}://${host}`,
    });
    if (answer.kind === 'redirect') {
      void reply.status(302).header('location', answer.location).header('content-type', JSON_TYPE).send(JSON.stringify({ location: answer.location }));
    } else if (answer.kind === 'not-found') {
      void reply.status(404).header('content-type', JSON_TYPE).send(JSON.stringify({ errorCode: 404, title: 'Not Found', description: [answer.description] }));
    } else {
      void reply.status(200).header('content-type', JSON_TYPE).send(JSON.stringify(answer.body));
    }
  }
}
