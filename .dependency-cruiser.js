/**
 * The allowed directions between the secondary node's folders and the libs (README, Architecture).
 * `npm test` runs it (tests/architecture/layering.spec.ts); `npx depcruise apps libs` prints the
 * offending imports. Each rule names what may NOT be imported; everything else is allowed, and
 * the test also refuses any import cycle between two folders.
 */
const NODE = '^apps/secondary-node/src';
const CAPABILITIES = '(auth|registry|resolution|upstream|statistics|metrics|traceability|database|limits|labels|reports)';

/** A rule: files under `from` may not import files under any of `to`. */
function forbid(name, comment, from, to) {
  return { name, comment, severity: 'error', from: { path: from }, to: { path: to } };
}

module.exports = {
  forbidden: [
    forbid('libs-import-no-app', 'libs/ is shared, pure code: it never imports an app', '^libs/', '^apps/'),
    {
      name: 'apps-import-no-other-app',
      comment: 'apps share code only through libs/',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    forbid('base-imports-no-capability', 'config/, errors/, http/, events/ and health/ are the base every capability stands on', `${NODE}/(config|errors|http|events|health)/`, `${NODE}/${CAPABILITIES}/`),
    forbid('auth-imports-no-capability', 'accounts and tokens know no capability (an enterprise id is a plain column)', `${NODE}/auth/`, `${NODE}/(registry|resolution|upstream|statistics|metrics|traceability|database|labels)/`),
    forbid('registry-announces', 'the registry announces its writes on the event hub; caches, statistics and upstream listen', `${NODE}/registry/`, `${NODE}/(resolution|upstream|statistics|metrics|traceability|database|labels)/`),
    forbid('upstream-imports-no-reader', 'the top-level link hears the registry on the event hub and is read by resolution', `${NODE}/upstream/`, `${NODE}/(registry|resolution|metrics|traceability|database|labels)/`),
    forbid('resolution-reports-through-the-hub', 'resolution signals each resolution; statistics and metrics listen', `${NODE}/resolution/`, `${NODE}/(statistics|metrics|traceability|database|labels)/`),
    forbid('statistics-listens', 'statistics count what they hear and read the registry; nothing of resolution, upstream or metrics', `${NODE}/statistics/`, `${NODE}/(resolution|upstream|metrics|traceability|database|labels)/`),
    forbid('traceability-stands-alone', 'traceability reads the registry and auth only', `${NODE}/traceability/`, `${NODE}/(resolution|upstream|statistics|metrics|database|labels)/`),
    forbid('limits-stand-on-auth', 'rate limits know the caller (auth) and nothing else; capabilities that count something of their own import them', `${NODE}/limits/`, `${NODE}/(registry|resolution|upstream|statistics|metrics|traceability|database|labels)/`),
    forbid('logging-is-base', 'logging/ (pino behind Nest, the request hooks) stands on the base folders only', `${NODE}/logging/`, `${NODE}/(auth|registry|resolution|upstream|statistics|metrics|traceability|database|audit|labels)/`),
    forbid('audit-listens', 'the audit log hears the event hub and reads the request context; it imports no capability but auth (the principal, the node secret)', `${NODE}/audit/`, `${NODE}/(registry|resolution|upstream|statistics|metrics|traceability|database|logging|labels)/`),
    forbid('labels-print', 'QR codes and label sheets read the registry (who may print what) and upstream (the public URL) only; nothing imports them', `${NODE}/labels/`, `${NODE}/(resolution|statistics|metrics|traceability|database|limits)/`),
    {
      name: 'nothing-imports-audit',
      comment: 'writes announce what the audit log records on the event hub; only the app root sees audit/',
      severity: 'error',
      from: { path: `${NODE}/[^/]+/`, pathNot: `${NODE}/audit/` },
      to: { path: `${NODE}/audit/` },
    },
    forbid('reports-only-read', 'reports/ reads what the registry and statistics hold for the operator (enterprise listing, monthly report); it is no part of resolving, the top-level link, traceability, metrics or the audit log', `${NODE}/reports/`, `${NODE}/(resolution|upstream|metrics|traceability|database|audit|logging|limits|labels)/`),
    {
      name: 'nothing-imports-reports',
      comment: 'reports read across capabilities; no capability depends on them (only the app root sees reports/)',
      severity: 'error',
      from: { path: `${NODE}/[^/]+/`, pathNot: `${NODE}/reports/` },
      to: { path: `${NODE}/reports/` },
    },
    forbid('handle-protocol-is-a-front-door', 'the Handle protocol listeners read through the resolution service (and announce their address upstream); they hold no business rule of their own', `${NODE}/handle-protocol/`, `${NODE}/(auth|registry|statistics|metrics|traceability|database|labels|reports|limits)/`),
    {
      name: 'only-metrics-read-the-handle-protocol',
      comment: 'the listeners are started by the app root; only /metrics reads their counters',
      severity: 'error',
      from: { path: `${NODE}/[^/]+/`, pathNot: `${NODE}/(handle-protocol|metrics)/` },
      to: { path: `${NODE}/handle-protocol/` },
    },
    forbid('read-replicas-are-infrastructure', 'read-replicas/ chooses which PostgreSQL serves a read (registry, resolution, metrics and the app root use it); it stands on the base folders only', `${NODE}/read-replicas/`, `${NODE}/(auth|registry|resolution|upstream|statistics|metrics|traceability|database|limits|labels|reports|audit|logging)/`),
    forbid('capabilities-import-no-app-root', 'only main.ts, bootstrap.ts, app.module.ts and app-config.ts see every capability', `${NODE}/[^/]+/`, `${NODE}/[^/]+\\.ts$`),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The top level's page (Vue, built by Vite with its own tsconfig) is browser code, not the node's.
    exclude: { path: '(^|/)(node_modules|dist|generated)/|^apps/top-level-node/console/|^apps/console/|^libs/console-kit/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    // Specs may reach into test support; the rules are about the code that ships.
    includeOnly: '^(apps|libs)/',
  },
};
