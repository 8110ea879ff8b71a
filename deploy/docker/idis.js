'use strict';
/**
 * The container's entry point: runs one of the three apps built into the image, in this process
 * (so that SIGTERM from `docker stop` or Kubernetes reaches the app's own shutdown).
 *
 *   idis.js [secondary-node|top-level-node|enterprise-sim] [app arguments…]
 *
 * Without an app name the app is IDIS_APP, else the secondary node. Exit code 2 and one line on
 * stderr for an unknown app or an image built without it.
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const APPS = {
  'secondary-node': 'dist/apps/secondary-node/apps/secondary-node/src/main.js',
  'top-level-node': 'dist/apps/top-level-node/apps/top-level-node/src/main.js',
  'enterprise-sim': 'dist/apps/enterprise-sim/apps/enterprise-sim/src/main.js',
};

/** The app to run and the arguments meant for it, from argv (after the script) and the environment. */
function chooseApp(args, env) {
  const [first, ...rest] = args;
  if (first !== undefined && !first.startsWith('-')) return { app: first, args: rest };
  return { app: env.IDIS_APP || 'secondary-node', args };
}

function main() {
  const { app, args } = chooseApp(process.argv.slice(2), process.env);
  const relative = APPS[app];
  if (!relative) {
    process.stderr.write(`idis: unknown app "${app}" (IDIS_APP or the first argument must be one of: ${Object.keys(APPS).join(', ')})\n`);
    process.exit(2);
  }
  const entry = join(ROOT, relative);
  if (!existsSync(entry)) {
    process.stderr.write(`idis: ${relative} is missing: the image (or checkout) was not built with npm run build\n`);
    process.exit(2);
  }
  // The app reads its own arguments from process.argv.slice(2), as under `node main.js …`.
  process.argv = [process.argv[0], entry, ...args];
  require(entry);
}

module.exports = { APPS, chooseApp };
if (require.main === module) main();
