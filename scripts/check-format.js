#!/usr/bin/env node
// `npm run format:check`: both addons' C++ (native/**/*.cpp, *.h) against .clang-format, without
// changing anything. `npm run format:check -- --fix` rewrites the files instead.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.(cpp|h)$/.test(entry.name) ? [path.relative(root, full)] : [];
  });
}

const fix = process.argv.includes('--fix');
const files = sources(path.join(root, 'native'));
const args = fix ? ['-i', ...files] : ['--dry-run', '-Werror', ...files];
const run = spawnSync(process.env.CLANG_FORMAT || 'clang-format', args, { cwd: root, stdio: 'inherit' });
if (run.error) {
  process.stderr.write(`format:check: clang-format was not found (${run.error.code}); install it (Debian: apt-get install clang-format).\n`);
  process.exit(1);
}
if (run.status !== 0 && !fix) {
  process.stderr.write('format:check: the files above differ from .clang-format; run `npm run format:check -- --fix`.\n');
}
process.exit(run.status ?? 1);
