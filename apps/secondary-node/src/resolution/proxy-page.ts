import type { HandleJsonValue } from '@idis/identifier';

/** Minimal, dependency-free HTML for the proxy (what hdl.handle.net shows with ?noredirect). */
export function recordPage(handle: string, values: HandleJsonValue[]): string {
  const rows = values
    .map(
      (v) =>
        `<tr><td>${v.index}</td><td>${escapeHtml(v.type)}</td><td>${renderData(v)}</td><td>${escapeHtml(String(v.ttl ?? ''))}</td><td>${escapeHtml(v.timestamp ?? '')}</td></tr>`,
    )
    .join('\n');
  return page(
    `Handle ${handle}`,
    `<h1>Handle ${escapeHtml(handle)}</h1>
<table>
<thead><tr><th>Index</th><th>Type</th><th>Data</th><th>TTL</th><th>Timestamp</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">No values are visible to you.</td></tr>'}
</tbody>
</table>`,
  );
}

/**
 * `prefixUnknown`: the top-level node knows no node serving the prefix; `servedBy`: the prefix is
 * another node's, which has no such identifier.
 */
export function notFoundPage(handle: string, prefix: string, prefixKnown: boolean, prefixUnknown = false, servedBy?: string): string {
  const message = servedBy
    ? `Handle <code>${escapeHtml(handle)}</code> was not found: the prefix <code>${escapeHtml(prefix)}</code> is served by node <code>${escapeHtml(servedBy)}</code>, which has no such identifier.`
    : prefixKnown
      ? `Handle <code>${escapeHtml(handle)}</code> was not found: the prefix <code>${escapeHtml(prefix)}</code> is served by this node, but it has no such identifier.`
      : prefixUnknown
        ? `Prefix <code>${escapeHtml(prefix)}</code> is unknown: no node serves it (the top-level node has no record of it), so handle <code>${escapeHtml(handle)}</code> cannot be resolved.`
        : `Prefix <code>${escapeHtml(prefix)}</code> is not served by this node, so handle <code>${escapeHtml(handle)}</code> cannot be resolved here.`;
  const trailing = handle.endsWith('/') ? '<p>Note: the handle ends with a slash, which makes it a different handle.</p>' : '';
  return page(prefixKnown ? 'Handle not found' : 'Prefix not found', `<h1>${prefixKnown ? 'Handle not found' : 'Prefix not found'}</h1><p>${message}</p>${trailing}`);
}

export function redirectPage(location: string): string {
  return page('Redirect', `<p>Redirecting to <a href="${escapeHtml(location)}">${escapeHtml(location)}</a>.</p>`);
}

function renderData(value: HandleJsonValue): string {
  const data = value.data.value;
  if (value.data.format === 'string' && typeof data === 'string') {
    return /^https?:\/\//i.test(data) ? `<a href="${escapeHtml(data)}">${escapeHtml(data)}</a>` : escapeHtml(data);
  }
  return `<code>${escapeHtml(JSON.stringify(data))}</code>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
</head><body>
${body}
</body></html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
