#!/usr/bin/env node
/*
 * Generates the TypeScript of libs/contracts from proto/ with protoc (Debian package
 * protobuf-compiler) and ts-proto's plugin. `npm run contracts:generate` writes the committed
 * output; tests call generateContracts(tmpDir) and compare, so stale output fails the suite.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
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
].join(',');

function protoFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return protoFiles(full);
      return entry.name.endsWith('.proto') ? [full] : [];
    })
    .sort();
}

function generateContracts(outDir = defaultOut) {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const plugin = path.join(root, 'node_modules/.bin/protoc-gen-ts_proto');
  execFileSync(
    'protoc',
    [
      `--plugin=protoc-gen-ts_proto=${plugin}`,
      `--ts_proto_out=${outDir}`,
      `--ts_proto_opt=${TS_PROTO_OPTIONS}`,
      `-I${protoRoot}`,
      ...protoFiles(protoRoot).map((file) => path.relative(protoRoot, file)),
    ],
    { cwd: protoRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return outDir;
}

module.exports = { generateContracts, protoRoot, defaultOut };

if (require.main === module) {
  const out = generateContracts(process.argv[2] ? path.resolve(process.argv[2]) : defaultOut);
  console.log(`contracts generated in ${path.relative(root, out)}`);
}
