#!/usr/bin/env node
// npm `install` hook. Uses a prebuilt addon (prebuilds/<platform>-<arch>/) or an existing
// build/Release/cmdai.node when one loads; otherwise builds the addon from source
// (scripts/build-native.js: llama.cpp from the pinned npm tarball, then CMake).
//
// A failed build does not fail the install: the remote backends (Ollama, OpenAI-compatible)
// still work, and `cmdai` says how to build the embedded engine when it is asked for.
// CMDAI_SKIP_NATIVE_BUILD=1 skips the build; CMDAI_REQUIRE_NATIVE=1 makes a failure fatal (CI).
'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..');

function addonLoads() {
  try {
    require('node-gyp-build')(repoRoot);
    return true;
  } catch {
    return false;
  }
}

if (addonLoads()) process.exit(0);

if (process.env.CMDAI_SKIP_NATIVE_BUILD) {
  process.stderr.write('cmdai: no prebuilt engine for this platform; CMDAI_SKIP_NATIVE_BUILD is set, not building one.\n');
  process.exit(0);
}

process.stderr.write(`cmdai: no prebuilt engine for ${process.platform}-${process.arch}; building it from source (several minutes).\n`);
const build = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { cwd: repoRoot, stdio: 'inherit' });
if (build.status === 0 && addonLoads()) process.exit(0);

process.stderr.write(
  'cmdai: the embedded engine could not be built, so only the remote backends (ollama, openai) will work.\n' +
    `       Install CMake and a C++ compiler, then run \`npm run build:native\` in ${repoRoot}.\n`,
);
process.exit(process.env.CMDAI_REQUIRE_NATIVE ? 1 : 0);
