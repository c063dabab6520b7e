#!/usr/bin/env node
// Puts the llama.cpp source where the native build expects it and prints that directory.
//
// Order of preference:
//   1. $LLAMA_CPP_DIR, when set (any checkout; must contain include/llama.h);
//   2. deps/llama.cpp, when it is already there;
//   3. the git bundle shipped inside the npm tarball of node-llama-cpp (pinned version and
//      integrity), cloned into deps/llama.cpp. Only the tarball is fetched, never the package's
//      ~700 MB of optional prebuilt binaries, and only the npm registry is contacted.
'use strict';

const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_SPEC = 'node-llama-cpp@3.21.1';
const PACKAGE_INTEGRITY =
  'sha512-E3N0Ev2Va0wzydvXYFwM9Hvyo07PoWjt8T/9GMc43Cvt8YkV/NU/tYUgEMC1grTPv2o9PRjQi0G3Wb5P/awiMg==';
const BUNDLE_PATH_IN_TARBALL = 'package/llama/gitRelease.bundle';

const repoRoot = path.resolve(__dirname, '..');
const defaultDir = path.join(repoRoot, 'deps', 'llama.cpp');

function isLlamaSource(dir) {
  return fs.existsSync(path.join(dir, 'include', 'llama.h')) && fs.existsSync(path.join(dir, 'CMakeLists.txt'));
}

function fail(message) {
  process.stderr.write(`fetch-llama: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

function sha512Integrity(file) {
  const hash = crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64');
  return `sha512-${hash}`;
}

function fetchFromRegistry(targetDir) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-llama-'));
  try {
    process.stderr.write(`fetch-llama: downloading the ${PACKAGE_SPEC} tarball from the npm registry\n`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const packOutput = run(npm, ['pack', PACKAGE_SPEC, '--json', '--pack-destination', work], {
      cwd: work,
      shell: process.platform === 'win32',
    }).toString();
    const [packed] = JSON.parse(packOutput);
    const tarball = path.join(work, packed.filename);

    // npm pack verifies against the registry's metadata; we verify against our own pin so a
    // changed upstream tarball cannot slip in.
    const actual = sha512Integrity(tarball);
    if (actual !== PACKAGE_INTEGRITY) {
      throw new Error(
        `integrity mismatch for ${PACKAGE_SPEC}:\n  expected ${PACKAGE_INTEGRITY}\n  got      ${actual}\n` +
          'Refusing to build from an unverified source. Set LLAMA_CPP_DIR to a llama.cpp checkout instead.',
      );
    }

    run('tar', ['-xzf', tarball, '-C', work, BUNDLE_PATH_IN_TARBALL]);
    const bundle = path.join(work, BUNDLE_PATH_IN_TARBALL);
    if (!fs.existsSync(bundle)) throw new Error(`${PACKAGE_SPEC} does not contain ${BUNDLE_PATH_IN_TARBALL}`);

    fs.mkdirSync(path.dirname(targetDir), { recursive: true });
    // Clone into a temporary sibling and rename, so an interrupted clone never looks complete.
    const partial = `${targetDir}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    run('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', bundle, partial], { stdio: ['ignore', 'inherit', 'inherit'] });
    fs.renameSync(partial, targetDir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function main() {
  const fromEnv = process.env.LLAMA_CPP_DIR;
  if (fromEnv) {
    const dir = path.resolve(fromEnv);
    if (!isLlamaSource(dir)) fail(`LLAMA_CPP_DIR=${fromEnv} is not a llama.cpp checkout (no include/llama.h).`);
    process.stdout.write(`${dir}\n`);
    return;
  }
  if (!isLlamaSource(defaultDir)) {
    if (fs.existsSync(defaultDir)) {
      fail(`${defaultDir} exists but is not a llama.cpp checkout; delete it and run this again.`);
    }
    fetchFromRegistry(defaultDir);
    if (!isLlamaSource(defaultDir)) fail(`the cloned bundle in ${defaultDir} has no include/llama.h`);
  }
  process.stdout.write(`${defaultDir}\n`);
}

try {
  main();
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
