import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The layering of README's Architecture section, as checked by .dependency-cruiser.js: every rule
 * holds, and no two folders of the secondary node import each other, even through others.
 */
const ROOT = resolve(__dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.js');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const NODE_SRC = 'apps/secondary-node/src/';

interface CruiseResult {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string; dependencyTypes: string[] }> }>;
  summary: { violations: Array<{ from: string; to: string; rule: { name: string } }>; totalCruised: number };
}

function cruise(cwd: string, paths: string[]): CruiseResult {
  const output = execFileSync(process.execPath, [DEPCRUISE, ...paths, '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(output) as CruiseResult;
}

function describeViolations(result: CruiseResult): string[] {
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

/** Folder of the secondary node a module belongs to ('' for the app root files and anything else). */
function folderOf(path: string): string {
  if (!path.startsWith(NODE_SRC)) return '';
  const rest = path.slice(NODE_SRC.length);
  return rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : '';
}

/** Every cycle between folders (strongly connected components of more than one folder). */
function folderCycles(result: CruiseResult): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const module of result.modules) {
    const from = folderOf(module.source);
    if (!from) continue;
    for (const dependency of module.dependencies) {
      const to = folderOf(dependency.resolved);
      if (to && to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const folder of edges.keys()) if (!index.has(folder)) visit(folder);
  return components;
}

describe('layering (.dependency-cruiser.js)', () => {
  let result: CruiseResult;
  beforeAll(() => {
    result = cruise(ROOT, ['apps', 'libs']);
  });

  it('holds for the whole repository: no import goes against the allowed directions', () => {
    expect(result.summary.totalCruised).toBeGreaterThan(200);
    expect(describeViolations(result)).toEqual([]);
  });

  it('leaves no import cycle between folders of the secondary node', () => {
    expect(folderCycles(result)).toEqual([]);
  });

  describe('on a small tree that breaks the rules', () => {
    let dir: string;
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'idis-layering-'));
      write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022' } }));
      write('apps/secondary-node/src/registry/handles.service.ts', "import { ResolutionCache } from '../resolution/resolution-cache';\nexport const x = ResolutionCache;\n");
      write('apps/secondary-node/src/resolution/resolution-cache.ts', "import { UsageCounter } from '../statistics/usage-counter';\nexport class ResolutionCache { u = UsageCounter; }\n");
      write('apps/secondary-node/src/statistics/usage-counter.ts', "import { x } from '../registry/handles.service';\nexport class UsageCounter { x = x; }\n");
      write('apps/secondary-node/src/config/node-config.ts', "import { UsageCounter } from '../statistics/usage-counter';\nexport const c = UsageCounter;\n");
      write('apps/top-level-node/src/main.ts', "import { c } from '../../secondary-node/src/config/node-config';\nexport const m = c;\n");
      write('libs/identifier/src/index.ts', "import { m } from '../../../apps/top-level-node/src/main';\nexport const i = m;\n");
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('names every offending import with its rule, and sees the folder cycle', () => {
      const broken = cruise(dir, ['apps', 'libs']);
      expect(describeViolations(broken).sort()).toEqual(
        [
          'apps-import-no-other-app: apps/top-level-node/src/main.ts → apps/secondary-node/src/config/node-config.ts',
          'base-imports-no-capability: apps/secondary-node/src/config/node-config.ts → apps/secondary-node/src/statistics/usage-counter.ts',
          'libs-import-no-app: libs/identifier/src/index.ts → apps/top-level-node/src/main.ts',
          'registry-announces: apps/secondary-node/src/registry/handles.service.ts → apps/secondary-node/src/resolution/resolution-cache.ts',
          'resolution-reports-through-the-hub: apps/secondary-node/src/resolution/resolution-cache.ts → apps/secondary-node/src/statistics/usage-counter.ts',
        ].sort(),
      );
      expect(folderCycles(broken)).toEqual([['registry', 'resolution', 'statistics']]);
    });
  });
});
