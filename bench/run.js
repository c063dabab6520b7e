#!/usr/bin/env node
// Runs every benchmark in bench/*.ts, one after another (they would disturb each other's
// timings if run together). Builds lib/ (the benchmarks use the package as users get it) and
// the benchmarks first.
//
//   npm run bench                   all benchmarks
//   npm run bench -- engine         only bench/engine.ts; any further arguments go to it
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc');

function run(args, label) {
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`bench: ${label} failed (exit ${result.status ?? result.signal})\n`);
    return false;
  }
  return true;
}

function main() {
  const [only, ...rest] = process.argv.slice(2);
  let names = fs.readdirSync(__dirname).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
  if (only) {
    if (!names.includes(only)) {
      process.stderr.write(`bench: no benchmark named "${only}"; available: ${names.join(', ')}\n`);
      process.exit(2);
    }
    names = [only];
  }
  if (!run([tsc, '-p', 'tsconfig.json'], 'building lib/ (tsc -p tsconfig.json)')) process.exit(1);
  if (!run([tsc, '-p', 'tsconfig.scripts.json'], 'building bench/ (tsc -p tsconfig.scripts.json)')) process.exit(1);

  const failed = [];
  for (const name of names) {
    console.log(`\n=== bench/${name}.ts ===`);
    if (!run([path.join('build', 'scripts', 'bench', `${name}.js`), ...(only ? rest : [])], name)) failed.push(name);
  }
  if (failed.length > 0) {
    process.stderr.write(`bench: ${failed.length} of ${names.length} benchmarks failed: ${failed.join(', ')}\n`);
    process.exit(1);
  }
}

main();
