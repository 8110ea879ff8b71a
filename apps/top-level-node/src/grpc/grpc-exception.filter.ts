import { type ArgumentsHost, Catch, Logger, type RpcExceptionFilter } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { type Observable, throwError } from 'rxjs';
import { TopLevelError, grpcStatusOf } from '../errors/top-level-errors';

/** The gRPC front door's error mapping: domain errors become status codes with their message. */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('gRPC');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof TopLevelError) {
      if (exception.code === 'INTERNAL') this.logger.error(exception.message);
      return throwError(() => ({ code: grpcStatusOf[exception.code], message: exception.message }));
    }
    if (exception instanceof RpcException) return throwError(() => exception.getError());
    this.logger.error((exception as Error)?.stack ?? String(exception));
    return throwError(() => ({ code: GrpcStatus.INTERNAL, message: 'internal error of the top-level node' }));
  }
}
