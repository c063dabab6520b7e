#!/usr/bin/env node
// Builds build/Release/cmdai.node from source: fetches llama.cpp if needed, then runs cmake-js.
// Extra arguments go to cmake-js, e.g. `npm run build:native -- --CDCMDAI_DIST=ON`.
// CMDAI_BUILD_JOBS limits parallel compile jobs (default: all CPUs).
//
// cmake-js is a dev dependency, so a user's install (scripts/install.js on a platform with no
// prebuild) does not have it. Then CMake is run directly, with what cmake-js would pass: the
// Node-API headers (node-api-headers when installed, else the ones that ship with Node) and
// node-addon-api (a run-time dependency). Windows needs cmake-js for node.lib.
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
    if (process.platform === 'win32') {
      fail('cmake-js is not installed. Run `npm install` in the cmdai folder (it is a dev dependency), then try again.');
    }
    return null;
  }
}

/** The folder with node_api.h: node-api-headers when installed, else Node's own include/node. */
function nodeApiIncludeDir() {
  try {
    return require(require.resolve('node-api-headers', { paths: [repoRoot] })).include_dir;
  } catch {
    const bundled = path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
    if (fs.existsSync(path.join(bundled, 'node_api.h'))) return bundled;
    fail(`Node-API headers were not found (no node-api-headers package, no ${bundled}/node_api.h). ` +
      'Install Node from nodejs.org (its archives carry the headers) or run `npm install node-api-headers` in the cmdai folder.');
  }
}

/** cmake-js's arguments (--out <dir>, --CD<name>=<value>) as a plain CMake configure and build. */
function buildWithCmake(llamaDir, jobs, extraArgs) {
  let out = 'build';
  const defines = [];
  for (let i = 0; i < extraArgs.length; i++) {
    const arg = extraArgs[i];
    if ((arg === '--out' || arg === '-O') && extraArgs[i + 1]) out = extraArgs[++i];
    else if (arg.startsWith('--CD')) defines.push(`-D${arg.slice(4)}`);
    else fail(`${arg} is a cmake-js option this build does without cmake-js cannot take; pass CMake settings as --CD<name>=<value>.`);
  }
  const buildDir = path.resolve(repoRoot, out);
  // include_dir is relative to the working directory.
  const addonApi = require(require.resolve('node-addon-api', { paths: [repoRoot] })).include_dir;
  const configure = [
    '-S', repoRoot, '-B', buildDir,
    '-DCMAKE_BUILD_TYPE=Release',
    `-DCMAKE_LIBRARY_OUTPUT_DIRECTORY=${path.join(buildDir, 'Release')}`,
    `-DCMAKE_JS_INC=${nodeApiIncludeDir()};${path.resolve(addonApi)}`,
    `-DLLAMA_CPP_DIR=${llamaDir}`,
    ...defines,
  ];
  process.stderr.write(`build-native: cmake-js is not installed (a dev dependency); running CMake directly in ${path.relative(repoRoot, buildDir) || '.'}\n`);
  for (const args of [configure, ['--build', buildDir, '--config', 'Release', '--parallel', String(jobs)]]) {
    const result = spawnSync('cmake', args, { cwd: repoRoot, stdio: 'inherit' });
    if (result.status !== 0) fail('the native build failed (see the compiler output above).');
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
const cmakeJs = findCmakeJs();

// CMake reads CMDAI_MLX_DIR only when it configures, and `cmake-js build` configures only a new
// build tree: an MLX install named after the first build would be ignored. Configure again when
// the variable names another prefix than the one the build tree was configured with.
const cache = path.join(repoRoot, 'build', 'CMakeCache.txt');
const mlxDir = process.env.CMDAI_MLX_DIR;
if (cmakeJs && mlxDir && fs.existsSync(cache)) {
  const cached = /^CMDAI_MLX_DIR:PATH=(.*)$/m.exec(fs.readFileSync(cache, 'utf8'))?.[1] ?? '';
  if (path.resolve(cached || '.') !== path.resolve(mlxDir) || cached === '') {
    process.stderr.write(`build-native: CMDAI_MLX_DIR is ${mlxDir} (the build tree has "${cached}"); configuring again.\n`);
    const configure = spawnSync(process.execPath, [cmakeJs, 'configure', ...options], { cwd: repoRoot, stdio: 'inherit' });
    if (configure.status !== 0) fail('configuring the native build failed (see the output above).');
  }
}

if (cmakeJs) {
  const args = [cmakeJs, 'build', '--parallel', String(jobs), ...options];
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) fail('the native build failed (see the compiler output above).');
} else {
  buildWithCmake(llamaDir, jobs, process.argv.slice(2));
}
