#!/usr/bin/env node
/*
 * Generates the TypeScript of libs/contracts from proto/ with buf (the npm package @bufbuild/buf,
 * whose compiler binary comes inside a per-platform registry package, so `npm ci` is all it
 * needs) and ts-proto's plugin. `npm run contracts:generate` writes the committed output; tests
 * call generateContracts(tmpDir) and compare, so stale output fails the suite.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const protoRoot = path.join(root, 'proto');
const defaultOut = path.join(root, 'libs/contracts/src/generated');

// nestJs=true: the controller interfaces and decorators of the top-level node's Nest server.
// outputServices=grpc-js with outputClientImpl: typed grpc-js service definitions and clients
// (XxxService, XxxClient) for the secondary node and the tests. Both name a service's client
// interface XxxClient; the declarations merge, and callers use the grpc-js overloads.
const TS_PROTO_OPTIONS = [
  'nestJs=true',
  'outputServices=grpc-js',
  'outputClientImpl=true',
  'outputEncodeMethods=true',
  'outputJsonMethods=false',
  'outputPartialMethods=true',
  'forceLong=number',
  'useOptionals=none',
  'esModuleInterop=true',
  'addGrpcMetadata=true',
  'useDate=false',
  'exportCommonSymbols=false',
];

function generateContracts(outDir = defaultOut) {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  // A buf.gen.yaml (v2) given inline: one local plugin, every file of proto/ in one request, as
  // `protoc` with all the files on its command line did.
  const template = {
    version: 'v2',
    plugins: [
      {
        local: path.join(root, 'node_modules/.bin/protoc-gen-ts_proto'),
        out: outDir,
        strategy: 'all',
        opt: TS_PROTO_OPTIONS,
      },
    ],
  };
  const buf = require.resolve('@bufbuild/buf/bin/buf');
  try {
    execFileSync(process.execPath, [buf, 'generate', protoRoot, '--template', JSON.stringify(template)], {
      cwd: root,
      // buf keeps a cache (under $HOME, or the working directory when HOME is unset): in the temp dir.
      env: { ...process.env, BUF_CACHE_DIR: process.env.BUF_CACHE_DIR ?? path.join(os.tmpdir(), 'idis-buf-cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    // A plain Error: the child-process error object does not survive jest's worker messages.
    const output = [error.stdout, error.stderr].filter(Boolean).join('').trim();
    throw new Error(`buf generate failed (${error.code ?? `exit ${error.status}`}): ${output || error.message}`);
  }
  return outDir;
}

module.exports = { generateContracts, protoRoot, defaultOut };

if (require.main === module) {
  const out = generateContracts(process.argv[2] ? path.resolve(process.argv[2]) : defaultOut);
  console.log(`contracts generated in ${path.relative(root, out)}`);
}
