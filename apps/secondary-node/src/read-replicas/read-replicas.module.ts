import { type DynamicModule, Global, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HealthBoard } from '../health/health-board';
import { ReadReplicas } from './read-replicas';

/** Starts and stops the replicas' poll, and puts their state on /health ('database-replicas'). */
@Injectable()
class ReadReplicasLifecycle implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly replicas: ReadReplicas,
    board: HealthBoard,
  ) {
    board.register('database-replicas', () => {
      const states = this.replicas.status();
      const measured = states.some((r) => r.lagSeconds !== undefined || r.error !== undefined);
      // Degraded while any replica is out of rotation: its reads fall on the primary (or another replica).
      const status = !measured ? 'starting' : states.every((r) => r.inRotation) ? 'up' : 'down';
      const primaryError = this.replicas.primaryProblem;
      return { status, detail: { status, replicas: states, pendingMarks: this.replicas.pendingMarks(), ...(primaryError ? { primaryError } : {}) } };
    });
  }

  onModuleInit(): void {
    this.replicas.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.replicas.stop();
  }
}

/**
 * The PostgreSQL read replicas (DATABASE_READ_URLS), available everywhere as ReadReplicas when
 * configured; when not, nothing is provided and every reader takes today's single-database path
 * (they inject it @Optional()).
 */
@Global()
@Module({})
export class ReadReplicasModule {
  static register(replicas: ReadReplicas | undefined): DynamicModule {
    if (!replicas) return { module: ReadReplicasModule };
    return { module: ReadReplicasModule, providers: [{ provide: ReadReplicas, useValue: replicas }, ReadReplicasLifecycle], exports: [ReadReplicas] };
  }
}
