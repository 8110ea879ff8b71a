'use strict';
/**
 * The Handle protocol benchmark's baseline: a bare dgram socket and a bare TCP server on one port
 * that answer every request with the same reply bytes the node sends for a cached handle. It does
 * the framing any server must do and no more: checks the envelope (at least 20 bytes, its message
 * length matching what arrived), finds the frames on a TCP stream, copies the reply and writes the
 * request id into it. It sends the way the node does (an address lookup that answers an IP
 * literal synchronously, one write per TCP chunk), so the ratio measures the node's own work.
 * Run as its own process:
 *   node handle-echo-server.js <port> <reply as hex>
 * Prints "ready" once both are bound.
 */
const dgram = require('node:dgram');
const dns = require('node:dns');
const net = require('node:net');

const port = Number(process.argv[2]);
const reply = Buffer.from(process.argv[3], 'hex');

const lookup = (address, family, callback) => (net.isIP(address) ? callback(null, address, family) : dns.lookup(address, family, callback));
const udp = dgram.createSocket({ type: 'udp4', lookup });
udp.on('message', (packet, remote) => {
  if (packet.length < 20 || packet.readUInt32BE(16) !== packet.length - 20) return;
  const out = Buffer.allocUnsafe(reply.length);
  reply.copy(out, 0);
  packet.copy(out, 8, 8, 12);
  udp.send(out, remote.port, remote.address);
});

const tcp = net.createServer({ noDelay: true }, (socket) => {
  let pending;
  socket.on('data', (chunk) => {
    const data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    let offset = 0;
    let count = 0;
    while (data.length - offset >= 20) {
      const end = offset + 20 + data.readUInt32BE(offset + 16);
      if (end > data.length) break;
      offset = end;
      count += 1;
    }
    if (count > 0) {
      const out = Buffer.allocUnsafe(reply.length * count);
      for (let i = 0, at = 0, from = 0; i < count; i += 1, at += reply.length) {
        reply.copy(out, at);
        data.copy(out, at + 8, from + 8, from + 12);
        from += 20 + data.readUInt32BE(from + 16);
      }
      socket.write(out);
    }
    if (offset < data.length) pending = Buffer.from(data.subarray(offset));
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
