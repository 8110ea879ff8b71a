'use strict';
/**
 * Docker HEALTHCHECK without curl: asks the running app's /health with Node's own fetch.
 * Exit 0 when it answers 2xx within the timeout, 1 otherwise (503 "down", refused, timeout).
 *
 * Which app runs: the argument given to idis.js in PID 1's command line (tini -- node … idis.js
 * APP), else IDIS_APP, else the secondary node, the same order idis.js uses. The secondary node
 * answers on PORT (8080), the top-level node on TOP_LEVEL_HTTP_PORT (8090); the enterprise
 * simulator is a batch run with no server, so it is healthy while it runs.
 */
const { readFileSync } = require('node:fs');

const TIMEOUT_MS = 4000;
const APP_NAMES = ['secondary-node', 'top-level-node', 'enterprise-sim'];

/** The app named after idis.js in a NUL-separated command line, if any. */
function appFromCommandLine(cmdline) {
  const args = cmdline.split('\0');
  const at = args.findIndex((arg) => arg.endsWith('idis.js'));
  if (at < 0) return undefined;
  const next = args[at + 1];
  return APP_NAMES.includes(next) ? next : undefined;
}

function runningApp(env, cmdline) {
  return (cmdline !== undefined && appFromCommandLine(cmdline)) || env.IDIS_APP || 'secondary-node';
}

/** The /health URL of the app, or undefined when it has none. */
function healthUrl(app, env) {
  const listening = env.HOST && env.HOST !== '0.0.0.0' && env.HOST !== '::' ? env.HOST : '127.0.0.1';
  const host = listening.includes(':') ? `[${listening}]` : listening;
  if (app === 'secondary-node') return `http://${host}:${env.PORT || 8080}/health`;
  if (app === 'top-level-node') return `http://${host}:${env.TOP_LEVEL_HTTP_PORT || 8090}/health`;
  return undefined;
}

async function check(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.ok) return 0;
    process.stdout.write(`${url}: HTTP ${response.status}\n`);
    return 1;
  } catch (error) {
    process.stdout.write(`${url}: ${error.cause?.code ?? error.cause?.message ?? error.name}\n`);
    return 1;
  }
}

async function main() {
  let cmdline;
  try {
    cmdline = readFileSync('/proc/1/cmdline', 'utf8');
  } catch {
    cmdline = undefined;
  }
  const url = healthUrl(runningApp(process.env, cmdline), process.env);
  process.exit(url === undefined ? 0 : await check(url));
}

module.exports = { appFromCommandLine, runningApp, healthUrl };
if (require.main === module) void main();
