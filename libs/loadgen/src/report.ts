/**
 * Result files (JSON) and what they render into: a self-contained HTML page (inline SVG charts,
 * no script, nothing fetched) and Markdown. Two result files render side by side with ratios.
 */
import type { CapacityResult } from './capacity';
import type { RunSummary } from './run';
import type { Scenario } from './scenario';

export interface ResultFile {
  tool: 'idis-loadtest';
  format: 1;
  kind: 'run' | 'capacity';
  startedAt: string;
  finishedAt: string;
  /** The command line, with credentials in URLs removed. */
  command: string[];
  target: string;
  scenario: Scenario;
  summary: RunSummary;
  capacity?: CapacityResult;
  /** Counters of the target's own /metrics, read before and after (when it has them). */
  targetMetrics?: Record<string, number>;
}

/** Removes user:password@ from URLs and the value of any credential-looking flag. */
export function redact(text: string): string {
  return text.replace(/\/\/[^/@\s]*:[^/@\s]*@/g, '//***@').replace(/((?:token|password|secret)=)[^&\s]+/gi, '$1***');
}

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : '–');
const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 2)} %`;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

interface Series {
  name: string;
  points: Array<[number, number]>;
  color?: string;
  dashed?: boolean;
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A line chart as inline SVG. xTransform maps x before scaling (e.g. the percentile axis). */
export function lineChart(title: string, series: Series[], opts: { xLabel: string; yLabel: string; width?: number; height?: number; xTicks?: Array<[number, string]>; xTransform?: (x: number) => number }): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 260;
  const m = { l: 60, r: 16, t: 28, b: 40 };
  const tx = opts.xTransform ?? ((x: number) => x);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p class="empty">no data</p></figure>`;
  const xs = all.map((p) => tx(p[0]));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs) > xMin ? Math.max(...xs) : xMin + 1;
  const yMax = niceMax(Math.max(...all.map((p) => p[1])));
  const X = (x: number) => m.l + ((tx(x) - xMin) / (xMax - xMin)) * (width - m.l - m.r);
  const Y = (y: number) => height - m.b - (y / yMax) * (height - m.t - m.b);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<line x1="${m.l}" x2="${width - m.r}" y1="${Y(f * yMax)}" y2="${Y(f * yMax)}" class="grid"/><text x="${m.l - 6}" y="${Y(f * yMax) + 4}" text-anchor="end">${num(f * yMax, 2)}</text>`)
    .join('');
  const xTicks = (opts.xTicks ?? [0, 0.25, 0.5, 0.75, 1].map((f): [number, string] => [xMin + f * (xMax - xMin), num(xMin + f * (xMax - xMin), 1)]))
    .map(([x, label]) => {
      const px = opts.xTicks ? X(x) : m.l + ((x - xMin) / (xMax - xMin)) * (width - m.l - m.r);
      return `<text x="${px}" y="${height - m.b + 16}" text-anchor="middle">${esc(label)}</text>`;
    })
    .join('');
  const lines = series
    .map((s, i) => {
      const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join('');
      return `<path d="${d}" fill="none" stroke="${s.color ?? COLORS[i % COLORS.length]}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
    })
    .join('');
  const legend = series.map((s, i) => `<tspan fill="${s.color ?? COLORS[i % COLORS.length]}">■ ${esc(s.name)}</tspan>`).join('  ');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">
<text x="${m.l}" y="16" class="title">${esc(title)}</text><text x="${width - m.r}" y="16" text-anchor="end">${legend}</text>
${grid}<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${height - m.b}" class="axis"/><line x1="${m.l}" x2="${width - m.r}" y1="${height - m.b}" y2="${height - m.b}" class="axis"/>
${xTicks}${lines}
<text x="${(width + m.l) / 2}" y="${height - 6}" text-anchor="middle" class="label">${esc(opts.xLabel)}</text>
<text x="14" y="${(height - m.b + m.t) / 2}" transform="rotate(-90 14 ${(height - m.b + m.t) / 2})" text-anchor="middle" class="label">${esc(opts.yLabel)}</text>
</svg></figure>`;
}

export function barChart(title: string, bars: Array<[string, number]>, width = 640): string {
  if (bars.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p class="empty">none</p></figure>`;
  const row = 22;
  const height = 30 + bars.length * row;
  const max = Math.max(...bars.map((b) => b[1]));
  const labelWidth = 300;
  const body = bars
    .map(([label, value], i) => {
      const w = max > 0 ? (value / max) * (width - labelWidth - 80) : 0;
      const y = 26 + i * row;
      return `<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${esc(label.length > 48 ? `${label.slice(0, 47)}…` : label)}</text><rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="${row - 6}" fill="#dc2626"/><text x="${labelWidth + w + 6}" y="${y + 14}">${num(value)}</text>`;
    })
    .join('');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}"><text x="0" y="16" class="title">${esc(title)}</text>${body}</svg></figure>`;
}

/** The percentile axis: x = −log10(1 − p/100), so 90, 99, 99.9 are evenly spaced. */
const percentileAxis = (p: number) => -Math.log10(Math.max(1e-5, 1 - p / 100));
const PERCENTILE_TICKS: Array<[number, string]> = [
  [0, '0'],
  [50, '50'],
  [90, '90'],
  [99, '99'],
  [99.9, '99.9'],
  [99.99, '99.99'],
];

function throughputSeries(r: ResultFile, name = ''): Series[] {
  const t = r.summary.timeline;
  const out: Series[] = [{ name: `${name}completed/s`, points: t.map((p) => [p.second, p.requests]) }];
  if (t.some((p) => p.targetRate !== undefined)) out.push({ name: `${name}target/s`, points: t.map((p) => [p.second, p.targetRate ?? 0]), dashed: true, color: '#64748b' });
  out.push({ name: `${name}errors/s`, points: t.map((p) => [p.second, p.errors]), color: '#dc2626' });
  return out;
}

function latencySeries(r: ResultFile, name = ''): Series[] {
  const t = r.summary.timeline;
  return [
    { name: `${name}p50`, points: t.map((p) => [p.second, p.p50]), color: '#16a34a' },
    { name: `${name}p99`, points: t.map((p) => [p.second, p.p99]), color: '#9333ea' },
  ];
}

function operationRows(s: RunSummary): string[][] {
  return Object.entries(s.operations)
    .sort((a, b) => b[1].requests - a[1].requests)
    .map(([kind, o]) => [kind, num(o.requests), num(o.rate, 1), num(o.errors), pct(o.requests > 0 ? o.errors / o.requests : 0), num(o.latency.p50, 3), num(o.latency.p99, 3), num(o.latency.p999, 3), num(o.latency.max, 3)]);
}

const OP_HEADER = ['operation', 'requests', 'per second', 'errors', 'error rate', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms'];

function htmlTable(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function mdTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function summaryRows(r: ResultFile): string[][] {
  const s = r.summary;
  const rows: string[][] = [
    ['target', r.target],
    ['model', `${r.scenario.model} loop${r.scenario.model === 'open' ? ` (latency from the intended send time)` : `, ${r.scenario.connections} connections`}`],
    ['measured', `${num(s.measuredSeconds, 1)} s${s.interrupted ? ' (interrupted: partial result)' : ''}`],
    ['requests', `${num(s.requests)} (${num(s.ok)} ok, ${num(s.errors)} errors = ${pct(s.errorRate)})`],
    ['throughput', `${num(s.rate, 1)} requests/s`],
    ['latency', `p50 ${num(s.latency.p50, 3)} ms · p90 ${num(s.latency.p90, 3)} · p99 ${num(s.latency.p99, 3)} · p99.9 ${num(s.latency.p999, 3)} · max ${num(s.latency.max, 3)} ms`],
  ];
  if (s.sendLag) rows.push(['send lag (generator)', `p50 ${num(s.sendLag.p50, 3)} ms · p99 ${num(s.sendLag.p99, 3)} ms behind schedule`]);
  if (s.registered > 0) rows.push(['identifiers registered', num(s.registered)]);
  if (s.dropped > 0) rows.push(['sends dropped (generator limit)', num(s.dropped)]);
  rows.push(['load generator', `${s.workers} process${s.workers > 1 ? 'es' : ''}, CPU ${s.generator.cpuOfCorePerWorker.map((c) => `${Math.round(c * 100)} %`).join(', ')} of a core; machine load ${s.generator.loadAverage.join(' / ')} on ${s.generator.cores} cores`]);
  if (r.capacity) rows.push(['capacity', `${num(r.capacity.highestRateMet)} requests/s met p99 ≤ ${r.capacity.options.p99BoundMs} ms and errors ≤ ${pct(r.capacity.options.errorBound)} (stopped: ${r.capacity.stoppedBecause})`]);
  return rows;
}

function capacityRows(c: CapacityResult): string[][] {
  return c.steps.map((s) => [num(s.targetRate), num(s.achievedRate), num(s.p50, 3), num(s.p99, 3), pct(s.errorRate), s.met ? 'met' : `not met: ${s.why ?? ''}`]);
}
const CAPACITY_HEADER = ['target/s', 'achieved/s', 'p50 ms', 'p99 ms', 'errors', 'bound'];

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1340px;color:#0f172a}h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e2e8f0}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #e2e8f0;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f1f5f9}
svg text{font:11px system-ui,sans-serif;fill:#334155}svg .title{font-weight:600;font-size:13px;fill:#0f172a}.grid{stroke:#e2e8f0}.axis{stroke:#94a3b8}figure{display:inline-block;margin:8px 16px 8px 0}
.warn{background:#fef3c7;border:1px solid #f59e0b;padding:6px 10px}.empty{color:#64748b}.cols{display:flex;gap:24px;flex-wrap:wrap}.ratio-up{color:#16a34a}.ratio-down{color:#dc2626}`;

function warnings(s: RunSummary): string {
  return s.generator.warnings.map((w) => `<p class="warn">⚠ ${esc(w)}</p>`).join('') + (s.interrupted ? `<p class="warn">⚠ interrupted (Ctrl-C): this is a partial result</p>` : '');
}

function sections(r: ResultFile): string {
  const s = r.summary;
  const capacity = r.capacity
    ? `<h2>Capacity</h2>${lineChart(
        'p99 latency by offered rate',
        [
          { name: 'p99 ms', points: r.capacity.steps.map((x) => [x.targetRate, x.p99]) as Array<[number, number]>, color: '#9333ea' },
          { name: `bound ${r.capacity.options.p99BoundMs} ms`, points: r.capacity.steps.map((x) => [x.targetRate, r.capacity!.options.p99BoundMs]) as Array<[number, number]>, dashed: true, color: '#64748b' },
        ].map((x) => ({ ...x, points: [...x.points].sort((a, b) => a[0] - b[0]) })),
        { xLabel: 'offered requests/s', yLabel: 'ms' },
      )}${htmlTable(CAPACITY_HEADER, capacityRows(r.capacity))}<p>Charts below: the step at the highest rate that met the bound${r.capacity.highestRateMet === 0 ? ' (none did: the first step)' : ''}.</p>`
    : '';
  return `${warnings(s)}${htmlTable(['', ''], summaryRows(r))}${capacity}
<h2>Over time</h2>${lineChart('Throughput', throughputSeries(r), { xLabel: 'seconds', yLabel: 'requests per second' })}${lineChart('Latency', latencySeries(r), { xLabel: 'seconds', yLabel: 'ms' })}
<h2>Latency distribution</h2>${lineChart('Latency by percentile (successful requests)', [{ name: 'latency', points: s.latencyCurve }], { xLabel: 'percentile', yLabel: 'ms', xTransform: percentileAxis, xTicks: PERCENTILE_TICKS })}
<h2>Errors by kind</h2>${barChart('Errors', Object.entries(s.errorsByKind).sort((a, b) => b[1] - a[1]))}
<h2>Per operation</h2>${htmlTable(OP_HEADER, operationRows(s))}`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>\n`;
}

function scenarioBlock(r: ResultFile): string {
  return `<h2>Scenario</h2><pre>${esc(JSON.stringify(r.scenario, null, 2))}</pre><p>Command: <code>${esc(redact(r.command.join(' ')))}</code><br>${esc(r.startedAt)} → ${esc(r.finishedAt)}</p>`;
}

export function renderHtml(r: ResultFile): string {
  return page(`idis-loadtest ${r.kind}: ${r.scenario.name ?? r.target}`, sections(r) + scenarioBlock(r));
}

export function renderMarkdown(r: ResultFile): string {
  const s = r.summary;
  const parts = [
    `# idis-loadtest ${r.kind}: ${r.scenario.name ?? r.target}`,
    '',
    ...s.generator.warnings.map((w) => `> ⚠ ${w}`),
    s.interrupted ? '> ⚠ interrupted (Ctrl-C): partial result' : '',
    mdTable(['', ''], summaryRows(r)),
    '',
  ];
  if (r.capacity) parts.push('## Capacity', '', mdTable(CAPACITY_HEADER, capacityRows(r.capacity)), '');
  parts.push('## Per operation', '', mdTable(OP_HEADER, operationRows(s)), '');
  const errors = Object.entries(s.errorsByKind).sort((a, b) => b[1] - a[1]);
  if (errors.length > 0) parts.push('## Errors by kind', '', mdTable(['kind', 'count'], errors.map(([k, n]) => [k, num(n)])), '');
  parts.push(`Command: \`${redact(r.command.join(' '))}\` (${r.startedAt} → ${r.finishedAt})`, '');
  return parts.filter((p, i, a) => !(p === '' && a[i - 1] === '')).join('\n');
}

function ratio(b: number, a: number): string {
  return a > 0 && Number.isFinite(b / a) ? `${(b / a).toFixed(2)}×` : '–';
}

function comparisonRows(a: ResultFile, b: ResultFile): string[][] {
  const row = (name: string, x: number, y: number, digits = 1) => [name, num(x, digits), num(y, digits), ratio(y, x)];
  const rows = [
    row('throughput (requests/s)', a.summary.rate, b.summary.rate),
    row('requests', a.summary.requests, b.summary.requests, 0),
    row('errors', a.summary.errors, b.summary.errors, 0),
    row('p50 ms', a.summary.latency.p50, b.summary.latency.p50, 3),
    row('p90 ms', a.summary.latency.p90, b.summary.latency.p90, 3),
    row('p99 ms', a.summary.latency.p99, b.summary.latency.p99, 3),
    row('p99.9 ms', a.summary.latency.p999, b.summary.latency.p999, 3),
    row('max ms', a.summary.latency.max, b.summary.latency.max, 3),
  ];
  if (a.capacity || b.capacity) rows.unshift(row('capacity (requests/s at the bound)', a.capacity?.highestRateMet ?? NaN, b.capacity?.highestRateMet ?? NaN, 0));
  for (const kind of new Set([...Object.keys(a.summary.operations), ...Object.keys(b.summary.operations)])) {
    const x = a.summary.operations[kind];
    const y = b.summary.operations[kind];
    rows.push(row(`${kind}: per second`, x?.rate ?? NaN, y?.rate ?? NaN), row(`${kind}: p99 ms`, x?.latency.p99 ?? NaN, y?.latency.p99 ?? NaN, 3));
  }
  return rows;
}

export function renderComparisonHtml(a: ResultFile, b: ResultFile, names: [string, string]): string {
  const rows = comparisonRows(a, b);
  const label = (r: ResultFile, n: string) => `${n} (${r.target})`;
  const body = `<p>B ÷ A for every figure: above 1× B is higher (better for throughput, worse for latency).</p>
${htmlTable(['', `A: ${names[0]}`, `B: ${names[1]}`, 'B ÷ A'], rows)}
${lineChart('Latency by percentile', [{ name: `A ${names[0]}`, points: a.summary.latencyCurve }, { name: `B ${names[1]}`, points: b.summary.latencyCurve }], { xLabel: 'percentile', yLabel: 'ms', xTransform: percentileAxis, xTicks: PERCENTILE_TICKS })}
${lineChart('Throughput', [...throughputSeries(a, 'A ').slice(0, 1), ...throughputSeries(b, 'B ').slice(0, 1)], { xLabel: 'seconds', yLabel: 'requests per second' })}
<div class="cols"><div><h2>A: ${esc(label(a, names[0]))}</h2>${sections(a)}</div><div><h2>B: ${esc(label(b, names[1]))}</h2>${sections(b)}</div></div>`;
  return page(`idis-loadtest comparison: ${names[0]} vs ${names[1]}`, body);
}

export function renderComparisonMarkdown(a: ResultFile, b: ResultFile, names: [string, string]): string {
  return [`# idis-loadtest comparison: ${names[0]} vs ${names[1]}`, '', `A: ${a.target} (${a.startedAt}); B: ${b.target} (${b.startedAt}).`, '', mdTable(['', `A: ${names[0]}`, `B: ${names[1]}`, 'B ÷ A'], comparisonRows(a, b)), ''].join('\n');
}

export function assertResultFile(value: unknown, name: string): ResultFile {
  const r = value as Partial<ResultFile>;
  if (!r || r.tool !== 'idis-loadtest' || r.format !== 1 || !r.summary || !r.scenario) throw new Error(`${name} is not an idis-loadtest result file (format 1)`);
  return r as ResultFile;
}
