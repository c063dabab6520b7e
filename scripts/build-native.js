#!/usr/bin/env node
// Builds build/Release/cmdai.node from source: fetches llama.cpp if needed, then runs cmake-js.
// Extra arguments go to cmake-js, e.g. `npm run build:native -- --CDCMDAI_DIST=ON`.
// CMDAI_BUILD_JOBS limits parallel compile jobs (default: all CPUs).
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..');

function fail(message) {
  process.stderr.write(`build-native: ${message}\n`);
  process.exit(1);
}

function findCmakeJs() {
  try {
    return require.resolve('cmake-js/bin/cmake-js', { paths: [repoRoot] });
  } catch {
    fail('cmake-js is not installed. Run `npm install` in the cmdai folder (it is a dev dependency), then try again.');
  }
}

function checkTool(cmd, what) {
  const probe = spawnSync(cmd, ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' });
  if (probe.error || probe.status !== 0) fail(`${cmd} was not found; building the native engine needs ${what}.`);
}

checkTool('cmake', 'CMake (>= 3.19)');
checkTool('git', 'git (to unpack the llama.cpp source)');

const llamaDir = execFileSync(process.execPath, [path.join(__dirname, 'fetch-llama.js')], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
  .toString()
  .trim();

const jobs = Number(process.env.CMDAI_BUILD_JOBS) || os.availableParallelism();
const options = [`--CDLLAMA_CPP_DIR=${llamaDir}`, ...process.argv.slice(2)];

// CMake reads CMDAI_MLX_DIR only when it configures, and `cmake-js build` configures only a new
// build tree: an MLX install named after the first build would be ignored. Configure again when
// the variable names another prefix than the one the build tree was configured with.
const cache = path.join(repoRoot, 'build', 'CMakeCache.txt');
const mlxDir = process.env.CMDAI_MLX_DIR;
if (mlxDir && fs.existsSync(cache)) {
  const cached = /^CMDAI_MLX_DIR:PATH=(.*)$/m.exec(fs.readFileSync(cache, 'utf8'))?.[1] ?? '';
  if (path.resolve(cached || '.') !== path.resolve(mlxDir) || cached === '') {
    process.stderr.write(`build-native: CMDAI_MLX_DIR is ${mlxDir} (the build tree has "${cached}"); configuring again.\n`);
    const configure = spawnSync(process.execPath, [findCmakeJs(), 'configure', ...options], { cwd: repoRoot, stdio: 'inherit' });
    if (configure.status !== 0) fail('configuring the native build failed (see the output above).');
  }
}

const args = [findCmakeJs(), 'build', '--parallel', String(jobs), ...options];
const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
if (result.status !== 0) fail('the native build failed (see the compiler output above).');
