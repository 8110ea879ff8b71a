import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { installStrictJsonBodies } from './strict-json-body';
import { installAuthChallenge } from './www-authenticate';

/** Fastify hooks of auth: WWW-Authenticate on every 401, strict JSON bodies where credentials are sent. */
@Injectable()
export class AuthHttpHooks implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    // A context without an HTTP server (a worker, a test of services) has nothing to hook.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    installAuthChallenge(fastify);
    installStrictJsonBodies(fastify);
  }
}
