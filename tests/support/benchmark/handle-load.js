'use strict';
/**
 * Load generator for the Handle protocol benchmark, run as its own process:
 *   node handle-load.js <json options>
 * options: { transport: 'udp'|'tcp', host, port, handles: string[], concurrency, connections,
 *            warmupMs, durationMs, serverPid? }
 * Keeps `concurrency` requests outstanding (UDP: connected sockets; TCP: KeepConnection,
 * pipelined), matches replies by request id, and prints one JSON line: completed, lost, rps and
 * latency percentiles of the measured window, and the CPU time (user + system, ms) the server
 * process (`serverPid`, read from /proc) and this generator used in that window. Requests are written from RFC 3652 directly (no
 * project code), so the same bytes go to the node and to the echo baseline.
 *
 * Built to cost the server's side as little as possible, so the measured rate is the server's:
 * every outstanding request is a slot with its request packets built once (only the id is written
 * per send), send times and expected ids in typed arrays, latencies in a fixed histogram, connected
 * UDP sockets (no address lookup per send), and on TCP one write per chunk read.
 */
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');

const options = JSON.parse(process.argv[2]);
const { transport, host, port, handles, concurrency, connections, warmupMs, durationMs, serverPid } = options;
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

const perConnection = Math.max(1, Math.floor(concurrency / connections));
const slots = perConnection * connections;
// Slot s asks for handles s, s + slots, s + 2·slots … in turn, each packet its own buffer (a UDP
// packet is not rewritten before its reply came back, so an unfinished send never sees new bytes).
const packets = Array.from({ length: slots }, (_, s) => {
  const mine = [];
  for (let j = s; j < handles.length; j += slots) mine.push(request(handles[j]));
  if (mine.length === 0) mine.push(request(handles[s % handles.length]));
  return mine;
});
const turn = new Uint32Array(slots);
const expected = new Uint32Array(slots);
const sentAt = new Float64Array(slots);
const generation = new Uint32Array(slots);
const MAX_GENERATION = Math.floor(0x7ffffff0 / slots);

const BUCKET_MS = 0.01;
const BUCKETS = 100_000; // 10 µs buckets up to 1 s; slower replies land in the last one
const histogram = new Uint32Array(BUCKETS);
let measuring = false;
let completed = 0;
let lost = 0;
let wrong = 0;
let maxLatency = 0;

/** Writes the next request of slot `s` (a fresh id) and returns its packet. */
function nextPacket(s) {
  const mine = packets[s];
  const packet = mine[turn[s]];
  turn[s] = turn[s] + 1 === mine.length ? 0 : turn[s] + 1;
  generation[s] = generation[s] >= MAX_GENERATION ? 0 : generation[s] + 1;
  const id = 1 + s + generation[s] * slots;
  expected[s] = id;
  packet.writeUInt32BE(id, 8);
  sentAt[s] = performance.now();
  return packet;
}

/** The slot a reply answers, after its bookkeeping; -1 for a stale or foreign reply. */
function onReply(packet, offset, now) {
  const id = packet.readUInt32BE(offset + 8);
  const s = (id - 1) % slots;
  if (id === 0 || expected[s] !== id) return -1;
  expected[s] = 0;
  if (packet.readUInt32BE(offset + 24) !== 1) wrong += 1;
  if (measuring) {
    completed += 1;
    const latency = now - sentAt[s];
    if (latency > maxLatency) maxLatency = latency;
    const bucket = (latency / BUCKET_MS) | 0;
    histogram[bucket < BUCKETS ? bucket : BUCKETS - 1] += 1;
  }
  return s;
}

const streams = [];

function startUdp(done) {
  let ready = 0;
  for (let c = 0; c < connections; c += 1) {
    const socket = dgram.createSocket('udp4');
    const first = c * perConnection;
    const send = (s) => socket.send(nextPacket(s));
    socket.on('message', (packet) => {
      if (packet.length < 28) return;
      const s = onReply(packet, 0, performance.now());
      if (s >= 0) send(s);
    });
    socket.bind(0, '127.0.0.1', () => {
      try {
        socket.setRecvBufferSize(4 * 1024 * 1024);
        socket.setSendBufferSize(4 * 1024 * 1024);
      } catch {}
      socket.connect(port, host, () => {
        streams.push({ first, send, close: () => socket.close() });
        if (++ready === connections) done();
      });
    });
  }
}

function startTcp(done) {
  let ready = 0;
  for (let c = 0; c < connections; c += 1) {
    const socket = net.connect({ host, port, noDelay: true });
    const first = c * perConnection;
    let pending;
    const resend = [];
    const send = (s) => socket.write(nextPacket(s));
    socket.on('data', (chunk) => {
      const data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      pending = undefined;
      const now = performance.now();
      let offset = 0;
      while (data.length - offset >= 28) {
        const end = offset + 20 + data.readUInt32BE(offset + 16);
        if (end > data.length) break;
        const s = onReply(data, offset, now);
        if (s >= 0) resend.push(s);
        offset = end;
      }
      if (offset < data.length) pending = Buffer.from(data.subarray(offset));
      if (resend.length === 0) return;
      // One write for all the requests this chunk frees: the packets are copied, so a slot's
      // buffer may be rewritten before the write completes.
      let bytes = 0;
      for (let i = 0; i < resend.length; i += 1) bytes += packets[resend[i]][turn[resend[i]]].length;
      const out = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (let i = 0; i < resend.length; i += 1) {
        const packet = nextPacket(resend[i]);
        packet.copy(out, at);
        at += packet.length;
      }
      resend.length = 0;
      socket.write(out);
    });
    socket.on('error', (error) => {
      process.stderr.write(`tcp error: ${error.message}\n`);
    });
    socket.on('connect', () => {
      streams.push({ first, send: (s) => socket.write(Buffer.from(nextPacket(s))), close: () => socket.destroy() });
      if (++ready === connections) done();
    });
  }
}

// Lost UDP packets: requests older than 1 s are given up and asked again, so the window stays full.
const reaper = setInterval(() => {
  const limit = performance.now() - 1000;
  for (const stream of streams) {
    for (let s = stream.first; s < stream.first + perConnection; s += 1) {
      if (expected[s] !== 0 && sentAt[s] < limit) {
        if (measuring) lost += 1;
        stream.send(s);
      }
    }
  }
}, 100);

/** CPU time (user + system, ms) of process `pid` from /proc/<pid>/stat; NaN when it cannot be read. */
function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

function percentile(p, total) {
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let b = 0; b < BUCKETS; b += 1) {
    seen += histogram[b];
    if (seen >= rank) return (b + 1) * BUCKET_MS;
  }
  return NaN;
}

(transport === 'udp' ? startUdp : startTcp)(() => {
  for (const stream of streams) for (let s = stream.first; s < stream.first + perConnection; s += 1) stream.send(s);
  setTimeout(() => {
    measuring = true;
    const started = performance.now();
    const serverCpuStart = serverPid ? processCpuMs(serverPid) : NaN;
    const loadCpuStart = process.cpuUsage();
    setTimeout(() => {
      measuring = false;
      const seconds = (performance.now() - started) / 1000;
      const serverCpuMs = serverPid ? processCpuMs(serverPid) - serverCpuStart : null;
      const loadCpu = process.cpuUsage(loadCpuStart);
      const loadCpuMs = (loadCpu.user + loadCpu.system) / 1000;
      clearInterval(reaper);
      for (const stream of streams) stream.close();
      process.stdout.write(`${JSON.stringify({ transport, completed, lost, wrong, seconds, rps: completed / seconds, p50: percentile(50, completed), p99: percentile(99, completed), max: maxLatency, serverCpuMs, loadCpuMs })}\n`);
      process.exit(0);
    }, durationMs);
  }, warmupMs);
});
