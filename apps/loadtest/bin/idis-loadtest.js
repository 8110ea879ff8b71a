#!/usr/bin/env node
'use strict';
/**
 * The npm bin of idis-loadtest: runs the built CLI (npx nest build loadtest) when it exists, else
 * the TypeScript source through ts-node (transpile only) with the repository's path aliases.
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..', '..');
const built = join(root, 'dist', 'apps', 'loadtest', 'apps', 'loadtest', 'src', 'main.js');
let main;
if (existsSync(built)) {
  main = require(built).main;
} else {
  process.env.TS_NODE_PROJECT = process.env.TS_NODE_PROJECT || join(root, 'tsconfig.json');
  // Workers are forked with the same flags: register ts-node through execArgv for them too.
  process.execArgv.push('-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register');
  require('ts-node').register({ transpileOnly: true, project: process.env.TS_NODE_PROJECT });
  require('tsconfig-paths').register({ baseUrl: root, paths: require(join(root, 'tsconfig.json')).compilerOptions.paths });
  main = require(join(root, 'apps', 'loadtest', 'src', 'main.ts')).main;
}
main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode || 0),
  (error) => {
    process.stderr.write(`idis-loadtest: ${error && error.message ? error.message : String(error)}\n`);
    process.exit(error && (error.name === 'UsageError' || String(error.code || '').startsWith('ERR_PARSE_ARGS')) ? 2 : 1);
  },
);
