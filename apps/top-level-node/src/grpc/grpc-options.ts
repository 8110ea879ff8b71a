import { join } from 'node:path';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { PROTO_LOADER_OPTIONS, TOP_LEVEL_PROTO_FILES, protoRoot } from '@idis/contracts';

/** Largest request or response the top level accepts (a report of 10 000 volumes is well below). */
export const MAX_GRPC_MESSAGE_BYTES = 4 * 1024 * 1024;

/** The gRPC server options of the top-level node: all four services of idis.toplevel.v1. */
export function topLevelGrpcOptions(url: string): GrpcOptions {
  const root = protoRoot();
  return {
    transport: Transport.GRPC,
    options: {
      url,
      package: 'idis.toplevel.v1',
      protoPath: TOP_LEVEL_PROTO_FILES.map((file) => join(root, file)),
      loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [root] },
      maxReceiveMessageLength: MAX_GRPC_MESSAGE_BYTES,
      maxSendMessageLength: MAX_GRPC_MESSAGE_BYTES,
    },
  };
}

/** "host:port" for grpc-js, with brackets around an IPv6 address. */
export function grpcAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
