#!/usr/bin/env node
// Builds llama.cpp's own reference tools from the same source the addon uses, into
// deps/build-tools/bin: llama-simple and llama-tokenize (parity tests), llama-bench (benchmark),
// llama-quantize (test fixtures) and llama-server.
//
//   node scripts/build-llama-tools.js          configure once, then build incrementally
//
// Ninja decides what is stale, so a second run with nothing changed finishes in about a second.
// These binaries are for this machine only (GGML_NATIVE=ON); they are never distributed.
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..');
const buildDir = path.join(repoRoot, 'deps', 'build-tools');
const TOOLS = ['llama-simple', 'llama-bench', 'llama-quantize', 'llama-server', 'llama-tokenize'];

// Static, native-tuned Release build with only the tools: no tests, no web app, no TLS, and
// no attempt to download llama-server's prebuilt web UI (builds must not touch the network).
const CMAKE_OPTIONS = {
  CMAKE_BUILD_TYPE: 'Release',
  BUILD_SHARED_LIBS: 'OFF',
  GGML_NATIVE: 'ON',
  LLAMA_OPENSSL: 'OFF',
  LLAMA_BUILD_TESTS: 'OFF',
  LLAMA_BUILD_APP: 'OFF',
  LLAMA_BUILD_UI: 'OFF',
  LLAMA_USE_PREBUILT_UI: 'OFF',
};

function fail(message) {
  process.stderr.write(`build-llama-tools: ${message}\n`);
  process.exit(1);
}

function requireProgram(name, hint) {
  const found = spawnSync(name, ['--version'], { stdio: 'ignore' });
  if (found.error) fail(`${name} is not installed; ${hint}`);
}

/** The llama.cpp source directory, fetched if needed by scripts/fetch-llama.js. */
function llamaSourceDir() {
  const fetchScript = path.join(__dirname, 'fetch-llama.js');
  if (fs.existsSync(fetchScript)) {
    let out;
    try {
      out = execFileSync(process.execPath, [fetchScript], { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
    } catch (err) {
      fail(`scripts/fetch-llama.js could not provide the llama.cpp source (exit ${err.status})`);
    }
    const dir = out.trim().split('\n').pop();
    if (!dir || !fs.existsSync(path.join(dir, 'CMakeLists.txt'))) {
      fail(`scripts/fetch-llama.js printed "${dir}", which is not a llama.cpp checkout`);
    }
    return path.resolve(dir);
  }
  const dir = process.env.LLAMA_CPP_DIR ? path.resolve(process.env.LLAMA_CPP_DIR) : path.join(repoRoot, 'deps', 'llama.cpp');
  if (!fs.existsSync(path.join(dir, 'CMakeLists.txt'))) {
    fail(`no llama.cpp source at ${dir}; set LLAMA_CPP_DIR or add scripts/fetch-llama.js`);
  }
  return dir;
}

/** The cached value of `key` in an existing CMakeCache.txt, or undefined. */
function cachedValue(cache, key) {
  const line = cache.split('\n').find((l) => l.startsWith(`${key}:`));
  return line === undefined ? undefined : line.slice(line.indexOf('=') + 1);
}

function needsConfigure(sourceDir) {
  const cacheFile = path.join(buildDir, 'CMakeCache.txt');
  if (!fs.existsSync(cacheFile) || !fs.existsSync(path.join(buildDir, 'build.ninja'))) return true;
  const cache = fs.readFileSync(cacheFile, 'utf8');
  const home = cachedValue(cache, 'CMAKE_HOME_DIRECTORY');
  if (home && path.resolve(home) !== sourceDir) {
    fail(
      `${path.relative(repoRoot, buildDir)} was configured for ${home}, not ${sourceDir}; ` +
        `delete ${path.relative(repoRoot, buildDir)} and run this again`,
    );
  }
  return Object.entries(CMAKE_OPTIONS).some(([key, value]) => {
    const cached = cachedValue(cache, key);
    return cached === undefined || cached.toUpperCase() !== value.toUpperCase();
  });
}

function run(cmd, args) {
  process.stderr.write(`build-llama-tools: ${cmd} ${args.join(' ')}\n`);
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.error) fail(`could not run ${cmd}: ${result.error.message}`);
  if (result.status !== 0) fail(`${cmd} ${args[0]} failed with exit ${result.status ?? result.signal}`);
}

function main() {
  requireProgram('cmake', 'install it (Debian: apt-get install cmake)');
  requireProgram('ninja', 'install it (Debian: apt-get install ninja-build)');
  const sourceDir = llamaSourceDir();

  if (needsConfigure(sourceDir)) {
    const defines = Object.entries(CMAKE_OPTIONS).map(([k, v]) => `-D${k}=${v}`);
    run('cmake', ['-S', sourceDir, '-B', buildDir, '-G', 'Ninja', ...defines]);
  }
  const jobs = String(process.env.CMDAI_BUILD_JOBS || (os.availableParallelism ? os.availableParallelism() : os.cpus().length));
  run('cmake', ['--build', buildDir, '--parallel', jobs, '--target', ...TOOLS]);

  const exe = process.platform === 'win32' ? '.exe' : '';
  const missing = TOOLS.filter((t) => !fs.existsSync(path.join(buildDir, 'bin', t + exe)));
  if (missing.length > 0) fail(`the build finished but ${missing.join(', ')} not found in ${path.join(buildDir, 'bin')}`);
  process.stdout.write(`${path.join(buildDir, 'bin')}\n`);
}

main();
