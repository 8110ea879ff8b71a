import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_MAIN } from '../support/node-process';
import { SpawnedProcess } from '../support/spawned-process';

const ROOT = join(__dirname, '..', '..');
const SIM_MAIN = join(ROOT, 'dist', 'apps', 'enterprise-sim', 'apps', 'enterprise-sim', 'src', 'main.js');

/**
 * `npm run demo -- --exit` (on the built dist): the embedded node with its in-process broker and
 * top-level node, the simulator's enterprises approved through filing, events stored and traceable.
 */
describe('npm run demo', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'idis-demo-'));
  chmodSync(scratch, 0o755); // the embedded PostgreSQL runs as "postgres" when tests run as root
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('starts the node, runs the simulator, shows stored and traceable data, and stops with --exit', async () => {
    for (const file of [NODE_MAIN, SIM_MAIN]) if (!existsSync(file)) throw new Error(`${file} is missing: npm test builds it first (npm run build)`);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'MQTT_URL', 'TOP_LEVEL_URL', 'PORT', 'OPERATOR_PASSWORD', 'JWT_SECRET'].includes(key) && !key.startsWith('SIM_')));
    const demo = new SpawnedProcess(
      spawn(process.execPath, [join(ROOT, 'scripts', 'demo.js'), '--exit', '--skip-build', '--max-events=300', '--duration=30', '--rate=1000'], {
        cwd: ROOT,
        env: { ...clean, DATA_DIR: join(scratch, 'data'), PORT: '0', MQTT_PORT: '0', EMBEDDED_PG_PORT: String(56000 + (process.pid % 1000)) },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      'the demo',
    );
    const killer = setTimeout(() => demo.child.kill('SIGKILL'), 240_000);
    const code = await demo.exited;
    clearTimeout(killer);
    const { output } = demo;
    if (code !== 0) throw new Error(`demo exited with ${code}:\n${output}`);
    expect(output).toMatch(/MQTT broker\s+mqtt:\/\/127\.0\.0\.1:\d+ \(embedded aedes/);
    expect(output).toMatch(/done \(exhausted\): 300 events in \d+ acknowledged messages \(MQTT 3\.1\.1\), 0 duplicates, 0 deliberately invalid, 0 failed, 0 unacknowledged/);
    expect(output).toMatch(/node totals: 300 stored, 0 duplicates, 0 rejected/);
    expect(output).toMatch(/trace of hdl:88\.118\.9102\/P-\S+: \d+ events \(assembling → commissioning → packing .*retail_selling\)/);
    expect(output).toContain('/api/v1/trace/88.118.9102/P-');
    expect(output).toContain('demo: node stopped (exit 0)');
  }, 300_000);

  it('refuses an unknown argument', async () => {
    const demo = new SpawnedProcess(spawn(process.execPath, [join(ROOT, 'scripts', 'demo.js'), '--bogus'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }), 'the demo');
    expect(await demo.exited).toBe(2);
    expect(demo.output).toMatch(/unknown argument "--bogus"/);
  });
});
