'use strict';
/**
 * A bare Fastify 5 server answering `GET /api/handles/{prefix}/{suffix}` with the exact bytes of a
 * typical resolution reply: the physical limit of each tier on this machine, in its own process.
 * Plain JavaScript, so that nothing of ts-node or the suite's process is on the measured path.
 *
 *   BASELINE_MODE=static  the reply from a precomputed string                          (a)
 *   BASELINE_MODE=redis   an ioredis GET of the reply (one key, set by the suite)      (a2)
 *   BASELINE_MODE=pg      a primary-key SELECT of the reply from a table keyed by the   (a3)
 *                         ASCII-lower-cased handle, pg.Pool max 10, named statement
 *
 * Environment: PORT, BASELINE_MODE, REPLY_FILE (the reply bytes), CONTENT_TYPE, REDIS_URL,
 * REDIS_KEY, DATABASE_URL, BASELINE_TABLE. GET /ready answers 200 once the tier is connected.
 */
const { readFileSync } = require('node:fs');
const Fastify = require('fastify');

const mode = process.env.BASELINE_MODE;
const contentType = process.env.CONTENT_TYPE || 'application/json; charset=utf-8';
const replyText = readFileSync(process.env.REPLY_FILE, 'utf8');
const app = Fastify({ logger: false });
let close = async () => {};

async function main() {
  if (mode === 'static') {
    app.get('/api/handles/:prefix/:suffix', (request, reply) => {
      reply.header('content-type', contentType).send(replyText);
    });
  } else if (mode === 'redis') {
    const Redis = require('ioredis');
    const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const key = process.env.REDIS_KEY;
    if ((await redis.get(key)) !== replyText) throw new Error(`Redis key ${key} does not hold the reply`);
    close = async () => void (await redis.quit());
    app.get('/api/handles/:prefix/:suffix', async (request, reply) => {
      const text = await redis.get(key);
      reply.header('content-type', contentType);
      return text;
    });
  } else if (mode === 'pg') {
    const { Pool } = require('pg');
    const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
    const table = process.env.BASELINE_TABLE;
    if (!/^[a-z_][a-z0-9_]*$/.test(table || '')) throw new Error('BASELINE_TABLE must be a plain table name');
    const statement = { name: 'baseline-pk-select', text: `SELECT reply FROM ${table} WHERE handle_key = $1`, values: [''] };
    close = () => pool.end();
    app.get('/api/handles/:prefix/:suffix', async (request, reply) => {
      const key = `${request.params.prefix}/${request.params.suffix}`.replace(/[A-Z]+/g, (s) => s.toLowerCase());
      const result = await pool.query({ name: statement.name, text: statement.text, values: [key] });
      if (result.rows.length === 0) {
        reply.code(404).header('content-type', contentType);
        return '{"responseCode":100}';
      }
      reply.header('content-type', contentType);
      return result.rows[0].reply;
    });
  } else {
    throw new Error(`BASELINE_MODE must be static, redis or pg; got ${mode}`);
  }
  app.get('/ready', (request, reply) => {
    reply.send('ok');
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await app.close();
    await close();
  } finally {
    process.exit(0);
  }
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
