'use strict';
/**
 * The Handle protocol benchmark's baseline: a bare dgram socket and a bare TCP server on one port
 * that answer every request with the same reply bytes the node sends for a cached handle, only
 * the request id copied in (what any server must do). Run as its own process:
 *   node handle-echo-server.js <port> <reply as hex>
 * Prints "ready" once both are bound.
 */
const dgram = require('node:dgram');
const net = require('node:net');

const port = Number(process.argv[2]);
const reply = Buffer.from(process.argv[3], 'hex');

const udp = dgram.createSocket('udp4');
udp.on('message', (packet, remote) => {
  const out = Buffer.allocUnsafe(reply.length);
  reply.copy(out, 0);
  packet.copy(out, 8, 8, 12);
  udp.send(out, remote.port, remote.address);
});

const tcp = net.createServer({ noDelay: true }, (socket) => {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    socket.cork();
    while (pending.length - offset >= 20) {
      const end = offset + 20 + pending.readUInt32BE(offset + 16);
      if (end > pending.length) break;
      const out = Buffer.allocUnsafe(reply.length);
      reply.copy(out, 0);
      pending.copy(out, 8, offset + 8, offset + 12);
      socket.write(out);
      offset = end;
    }
    socket.uncork();
    pending = offset === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(offset));
  });
  socket.on('error', () => socket.destroy());
});

udp.bind(port, '127.0.0.1', () => {
  try {
    udp.setRecvBufferSize(4 * 1024 * 1024);
    udp.setSendBufferSize(4 * 1024 * 1024);
  } catch {}
  tcp.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
});
process.on('SIGTERM', () => process.exit(0));
