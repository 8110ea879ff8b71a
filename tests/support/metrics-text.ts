/** The Prometheus text a node serves on /metrics. */
export async function fetchMetrics(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text();
}

/** One sample of that text, by its series as printed (name with its labels, e.g. `x_total{a="b"}`); undefined when it is not there. */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
