import type { HandleJsonValue } from '@idis/identifier';

/** Index 1001 holds the SNMS template version the record was registered with (not a product fact). */
const TEMPLATE_INDEX = 1001;
/** Where the console's partner area shows a product's traceability (it asks a partner to sign in). */
const TRACE_PAGE = '/console/partner/trace/';

/** What the product page shows beside the values (RecordLabelsService). */
export interface ProductLabels {
  enterprise: string | null;
  itemNames: ReadonlyMap<number, string>;
  templateVersion: string | null;
}

/**
 * The proxy's ?noredirect page in a browser: what a phone shows after scanning a product label. The
 * values the caller may see (already filtered by permission), each under its template item name,
 * the enterprise, and a link to the product's traceability in the console. Chinese first, English
 * beside it (lang attributes); no script (the CSP allows none inline), one small inline style.
 */
export function productPage(handle: string, values: HandleJsonValue[], labels: ProductLabels): string {
  const facts = values.filter((v) => v.index !== TEMPLATE_INDEX);
  const rows = facts
    .map((v) => {
      const name = labels.itemNames.get(v.index);
      const label = name === undefined ? `<span class="name">${escapeHtml(v.type)}</span>` : `<span class="name">${escapeHtml(name)}</span> <span class="type">${escapeHtml(v.type)}</span>`;
      return `<div class="fact"><dt>${label}</dt><dd>${renderData(v)}</dd></div>`;
    })
    .join('\n');
  const enterprise = labels.enterprise === null ? '' : `<p class="enterprise"><span class="label">生产企业 <span lang="en">Enterprise</span></span> <strong>${escapeHtml(labels.enterprise)}</strong></p>`;
  const template = labels.templateVersion === null ? '' : ` · 数据模板 <span lang="en">template</span> ${escapeHtml(labels.templateVersion)}`;
  return page(
    `产品信息 · Handle ${handle}`,
    `<main class="product">
<header>
<p class="eyebrow">工业互联网标识 <span lang="en">Industrial Internet identifier</span></p>
<h1 class="handle">${escapeHtml(handle)}</h1>
${enterprise}
</header>
<section aria-labelledby="facts-title">
<h2 id="facts-title">产品信息 <span lang="en">Product information</span></h2>
${rows ? `<dl class="facts">\n${rows}\n</dl>` : '<p class="muted">没有公开的信息。<span lang="en">No values are visible to you.</span></p>'}
</section>
<p class="actions"><a class="button" href="${escapeHtml(traceLink(handle))}">查看追溯信息 / <span lang="en">View traceability</span></a></p>
<p class="muted small">合作方登录后可查看追溯信息。<span lang="en">Partners sign in to see the traceability.</span></p>
<footer class="muted small">标识 <span lang="en">Handle</span> <code>${escapeHtml(handle)}</code>${template}</footer>
</main>`,
  );
}

/** The console page of the product's traceability; each segment of the handle percent-encoded, its slashes kept. */
export function traceLink(handle: string): string {
  return TRACE_PAGE + handle.split('/').map(encodeURIComponent).join('/');
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
  const chinese = prefixKnown ? `未找到标识 <code>${escapeHtml(handle)}</code>。` : `前缀 <code>${escapeHtml(prefix)}</code> 不由本节点提供服务，无法解析标识 <code>${escapeHtml(handle)}</code>。`;
  const trailing = handle.endsWith('/') ? '<p lang="en">Note: the handle ends with a slash, which makes it a different handle.</p>' : '';
  const title = prefixKnown ? 'Handle not found' : 'Prefix not found';
  return page(
    title,
    `<main class="product">
<h1>${prefixKnown ? '未找到标识' : '未找到前缀'} <span lang="en">${title}</span></h1>
<p>${chinese}</p>
<p lang="en">${message}</p>${trailing}
</main>`,
  );
}

export function redirectPage(location: string): string {
  return page('Redirect', `<main class="product"><p>正在跳转 <span lang="en">Redirecting to</span> <a href="${escapeHtml(location)}">${escapeHtml(location)}</a>.</p></main>`);
}

function renderData(value: HandleJsonValue): string {
  const data = value.data.value;
  if (value.data.format === 'string' && typeof data === 'string') {
    return /^https?:\/\//i.test(data) ? `<a href="${escapeHtml(data)}">${escapeHtml(data)}</a>` : escapeHtml(data);
  }
  return `<code>${escapeHtml(JSON.stringify(data))}</code>`;
}

/** Readable from a 320 px phone up: one column, 16 px text, 44 px touch target, AA contrast. */
const STYLE = `*{box-sizing:border-box}
body{margin:0;background:#f3f5f8;color:#1f2329;font:16px/1.55 -apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",system-ui,sans-serif;-webkit-text-size-adjust:100%}
.product{max-width:40rem;margin:0 auto;padding:20px 16px 32px}
header{background:#fff;border-radius:10px;padding:16px;margin-bottom:16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.eyebrow{margin:0 0 4px;color:#4e5661;font-size:14px}
h1{margin:0 0 8px;font-size:22px;line-height:1.3;word-break:break-all}
h2{font-size:17px;margin:0 0 8px}
.enterprise{margin:0}.label{color:#4e5661;font-size:14px;display:block}
section{background:#fff;border-radius:10px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.facts{margin:0}.fact{padding:10px 0;border-top:1px solid #e4e7ec}.fact:first-child{border-top:0;padding-top:0}
dt{color:#4e5661;font-size:14px}.type{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#5c6370}
dd{margin:2px 0 0;font-size:17px;overflow-wrap:anywhere}
a{color:#1a5cb8}
.actions{margin:20px 0 8px}
.button{display:block;min-height:48px;padding:12px 16px;border-radius:8px;background:#1a5cb8;color:#fff;text-align:center;text-decoration:none;font-weight:600}
.button:focus-visible{outline:3px solid #f0a020;outline-offset:2px}
.muted{color:#4e5661}.small{font-size:14px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
footer{margin-top:16px}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body>
${body}
</body></html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
