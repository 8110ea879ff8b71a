/** "host:port" for grpc-js, with brackets around an IPv6 address. */
export function grpcAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
