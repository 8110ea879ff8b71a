'use strict';
/**
 * Load generator for the Handle protocol benchmark, run as its own process:
 *   node handle-load.js <json options>
 * options: { transport: 'udp'|'tcp', host, port, handles: string[], concurrency, connections,
 *            warmupMs, durationMs }
 * Keeps `concurrency` requests outstanding (UDP: one socket per connection; TCP: KeepConnection,
 * pipelined), matches replies by request id, and prints one JSON line: completed, lost, rps and
 * latency percentiles of the measured window. Requests are written from RFC 3652 directly (no
 * project code), so the same bytes go to the node and to the echo baseline.
 */
const dgram = require('node:dgram');
const net = require('node:net');

const options = JSON.parse(process.argv[2]);
const { transport, host, port, handles, concurrency, connections, warmupMs, durationMs } = options;
const FLAGS = (0x10000000 | 0x01000000 | (transport === 'tcp' ? 0x02000000 : 0)) >>> 0; // REC | PO (| KC)

function request(handle) {
  const h = Buffer.from(handle, 'utf8');
  const body = Buffer.alloc(4 + h.length + 8);
  body.writeUInt32BE(h.length, 0);
  h.copy(body, 4);
  const header = Buffer.alloc(24);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(FLAGS, 8);
  header.writeUInt32BE(body.length, 20);
  const message = Buffer.concat([header, body, Buffer.alloc(4)]);
  const envelope = Buffer.alloc(20);
  envelope[0] = 2;
  envelope[1] = 10;
  envelope[2] = 2;
  envelope[3] = 10;
  envelope.writeUInt32BE(message.length, 16);
  return Buffer.concat([envelope, message]);
}

const templates = handles.map(request);
const sentAt = new Map();
let nextId = 1;
let pick = 0;
let measuring = false;
let completed = 0;
let lost = 0;
let wrong = 0;
const latencies = [];
const MAX_SAMPLES = 2_000_000;

function nextRequest() {
  const template = templates[pick];
  pick = (pick + 1) % templates.length;
  const packet = Buffer.from(template);
  const id = nextId;
  nextId = nextId >= 0x7fffffff ? 1 : nextId + 1;
  packet.writeUInt32BE(id, 8);
  return { id, packet };
}

function onReply(packet, resend) {
  if (packet.length < 44) return;
  const id = packet.readUInt32BE(8);
  const started = sentAt.get(id);
  if (started === undefined) return;
  sentAt.delete(id);
  if (packet.readUInt32BE(24) !== 1) wrong += 1;
  if (measuring) {
    completed += 1;
    if (latencies.length < MAX_SAMPLES) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  resend();
}

const streams = [];
const perConnection = Math.max(1, Math.floor(concurrency / connections));

function startUdp(done) {
  let ready = 0;
  for (let c = 0; c < connections; c += 1) {
    const socket = dgram.createSocket('udp4');
    const send = () => {
      const { id, packet } = nextRequest();
      sentAt.set(id, process.hrtime.bigint());
      socket.send(packet, port, host);
    };
    socket.on('message', (packet) => onReply(packet, send));
    socket.bind(0, '127.0.0.1', () => {
      try {
        socket.setRecvBufferSize(4 * 1024 * 1024);
        socket.setSendBufferSize(4 * 1024 * 1024);
      } catch {}
      streams.push({ send, close: () => socket.close() });
      if (++ready === connections) done();
    });
  }
}

function startTcp(done) {
  let ready = 0;
  for (let c = 0; c < connections; c += 1) {
    const socket = net.connect({ host, port, noDelay: true });
    let pending = Buffer.alloc(0);
    const send = () => {
      const { id, packet } = nextRequest();
      sentAt.set(id, process.hrtime.bigint());
      socket.write(packet);
    };
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      socket.cork();
      while (pending.length - offset >= 20) {
        const end = offset + 20 + pending.readUInt32BE(offset + 16);
        if (end > pending.length) break;
        onReply(pending.subarray(offset, end), send);
        offset = end;
      }
      socket.uncork();
      pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
    });
    socket.on('error', (error) => {
      process.stderr.write(`tcp error: ${error.message}\n`);
    });
    socket.on('connect', () => {
      streams.push({ send, close: () => socket.destroy() });
      if (++ready === connections) done();
    });
  }
}

// Lost UDP packets: requests older than 1 s are given up and replaced, so the window stays full.
const reaper = setInterval(() => {
  const limit = process.hrtime.bigint() - 1_000_000_000n;
  let given = 0;
  for (const [id, started] of sentAt) {
    if (started > limit) break;
    sentAt.delete(id);
    given += 1;
  }
  if (given > 0) {
    if (measuring) lost += given;
    for (let i = 0; i < given; i += 1) streams[i % streams.length].send();
  }
}, 100);

(transport === 'udp' ? startUdp : startTcp)(() => {
  for (const stream of streams) for (let i = 0; i < perConnection; i += 1) stream.send();
  setTimeout(() => {
    measuring = true;
    const started = process.hrtime.bigint();
    setTimeout(() => {
      measuring = false;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearInterval(reaper);
      for (const stream of streams) stream.close();
      latencies.sort((a, b) => a - b);
      const at = (p) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? NaN;
      process.stdout.write(`${JSON.stringify({ transport, completed, lost, wrong, seconds, rps: completed / seconds, p50: at(50), p99: at(99), max: latencies[latencies.length - 1] ?? NaN })}\n`);
      process.exit(0);
    }, durationMs);
  }, warmupMs);
});
