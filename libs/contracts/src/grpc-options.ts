import { join } from 'node:path';
import type { ChannelOptions } from '@grpc/grpc-js';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { protoRoot } from './proto-path';

/*
 * The one place both ends of the top-level link take their gRPC options from: the top-level
 * node's server (Nest's transport, which loads the .proto files), and every client of it — the
 * secondary node's TopLevelClient and the test harnesses, which use the generated grpc-js clients.
 */

export const TOP_LEVEL_PACKAGE = 'idis.toplevel.v1';

/** Largest request or response either end accepts (a report of 10 000 volumes is well below). */
export const MAX_GRPC_MESSAGE_BYTES = 4 * 1024 * 1024;

/** The .proto files the server's transport loads, relative to protoRoot(). */
export const TOP_LEVEL_PROTO_FILES = [
  'idis/toplevel/v1/enrolment.proto',
  'idis/toplevel/v1/filing.proto',
  'idis/toplevel/v1/resolution.proto',
  'idis/toplevel/v1/reporting.proto',
];

/** proto-loader options of the server: camelCase fields, int64 as numbers (as the generated code has them). */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  oneofs: true,
  arrays: true,
} as const;

/** The gRPC server of the top-level node: all four services of idis.toplevel.v1, listening on `url` (host:port). */
export function topLevelGrpcServerOptions(url: string): GrpcOptions {
  const root = protoRoot();
  return {
    transport: Transport.GRPC,
    options: {
      url,
      package: TOP_LEVEL_PACKAGE,
      protoPath: TOP_LEVEL_PROTO_FILES.map((file) => join(root, file)),
      loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [root] },
      maxReceiveMessageLength: MAX_GRPC_MESSAGE_BYTES,
      maxSendMessageLength: MAX_GRPC_MESSAGE_BYTES,
    },
  };
}

/** The channel of a client of the top-level node (pass to a generated XxxClient constructor). */
export function topLevelChannelOptions(): ChannelOptions {
  return {
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
    // Reconnect quickly after the top level comes back (the default backoff grows to 120 s).
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 2000,
  };
}
