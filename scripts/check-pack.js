#!/usr/bin/env node
// Reports what `npm pack` would put in the cmdai tarball and fails when something that must not
// ship is in it (llama.cpp source, tests, fixtures, test models, build trees) or something that
// must ship is missing (compiled JS, the CLI entry, license notices, the model catalog).
//
//   node scripts/check-pack.js                      report + checks for this checkout
//   node scripts/check-pack.js --expect-prebuilds linux-x64,linux-arm64,darwin-arm64,win32-x64
//                                                   also require a complete prebuild for each
//   node scripts/check-pack.js --json               machine-readable report on stdout
//   node scripts/check-pack.js --max-packed-mb 40   fail when the tarball is larger
//
// Each platform's prebuild is reported with its unpacked size and its gzip-compressed size (its
// share of the tarball).
//
// The release job runs it with every platform listed, so a missing prebuild stops the publish.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..');

// Dependencies shipped inside the tarball on purpose (package.json bundleDependencies, see
// scripts/prebuild-parser.js), with the packages they depend on: npm packs those too.
function bundledPackages() {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const names = new Set();
  const visit = (name) => {
    if (names.has(name)) return;
    names.add(name);
    const file = path.join(repoRoot, 'node_modules', name, 'package.json');
    if (!fs.existsSync(file)) return;
    for (const dep of Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).dependencies || {})) visit(dep);
  };
  for (const name of manifest.bundleDependencies || manifest.bundledDependencies || []) visit(name);
  return names;
}
const BUNDLED = bundledPackages();
const bundledPath = (p) => {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p);
  return m !== null && BUNDLED.has(m[1]);
};

// Paths that must never be in the tarball, with the reason shown to whoever broke it.
const FORBIDDEN = [
  { test: (p) => p.startsWith('deps/'), why: 'llama.cpp/ggml source and tool builds (deps/)' },
  { test: (p) => p.startsWith('test/') || p.startsWith('tests/'), why: 'test files' },
  { test: (p) => !bundledPath(p) && /(^|\/)(fixtures?|__fixtures__)(\/|$)/.test(p), why: 'test fixtures' },
  { test: (p) => p.startsWith('models/test/'), why: 'generated test models (models/test/)' },
  { test: (p) => /\.gguf$/i.test(p), why: 'model weights (*.gguf)' },
  { test: (p) => p.startsWith('build/'), why: 'local build tree (build/)' },
  { test: (p) => p.startsWith('node_modules/') && !bundledPath(p), why: 'node_modules (only bundleDependencies belong there)' },
  { test: (p) => p.startsWith('coverage/'), why: 'coverage output' },
  { test: (p) => p.startsWith('bench/'), why: 'benchmarks' },
  { test: (p) => p.startsWith('lib/'), why: 'TypeScript sources (dist/ carries the compiled code)' },
  { test: (p) => /\.tgz$/.test(p), why: 'a packed tarball' },
  { test: (p) => p.startsWith('.'), why: 'a dot-file (CI, editor or tool configuration)' },
];

// Paths every tarball needs for `npm i -g cmdai` / `import 'cmdai'` to work.
const REQUIRED = [
  'package.json',
  'README.md',
  'LICENSE',
  'THIRD_PARTY_NOTICES.md',
  'bin/cmdai.js',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/engine/index.js',
  'dist/engine/index.d.ts',
  'models/catalog.json',
];

/**
 * Problems with a list of packed paths (forward slashes, relative to the package root).
 * `prebuildManifests` maps "<platform>-<arch>" to the parsed prebuilds/<tuple>/prebuild.json
 * found in the checkout (or undefined), so a prebuild is checked file by file.
 */
function findPackProblems(paths, { expectPrebuilds = [], prebuildManifests = {}, bundledPackages = [] } = {}) {
  const problems = [];
  const present = new Set(paths);
  // npm installs a bundled package's own dependencies from the tarball only: when `npm pack`
  // left one out (it does when node_modules is a symlink to another checkout's), the install
  // leaves an empty folder in its place and the bundled package fails to load.
  for (const name of bundledPackages) {
    if (!paths.some((p) => p.startsWith(`node_modules/${name}/`))) {
      problems.push(`node_modules/${name} is missing from the package: it is bundled (bundleDependencies, or a dependency of one), and npm will not fetch it at install time.`);
    }
  }
  for (const p of paths) {
    const rule = FORBIDDEN.find((r) => r.test(p));
    if (rule) problems.push(`${p} must not be packed: ${rule.why}.`);
  }
  for (const p of REQUIRED) {
    if (!present.has(p)) problems.push(`${p} is missing from the package.`);
  }
  for (const tuple of expectPrebuilds) {
    const dir = `prebuilds/${tuple}/`;
    const nodeFiles = paths.filter((p) => p.startsWith(dir) && p.endsWith('.node'));
    if (nodeFiles.length === 0) {
      problems.push(`no prebuilt addon for ${tuple} (expected ${dir}*.node; run \`npm run prebuild\` on a ${tuple} machine).`);
      continue;
    }
    const manifest = prebuildManifests[tuple];
    if (!manifest) {
      problems.push(`${dir}prebuild.json is missing, so the libraries the ${tuple} addon needs cannot be checked.`);
      continue;
    }
    for (const file of [manifest.addon, ...(manifest.libraries || [])]) {
      if (!present.has(dir + file)) problems.push(`${dir}${file} is listed in prebuild.json but not packed.`);
    }
    const leftOut = Object.entries(manifest.cpuVariantsNotBuilt || {}).filter(([, reason]) => reason === 'CMDAI_CPU_VARIANTS_ONLY');
    if (leftOut.length) {
      problems.push(
        `${dir} is a partial development build without the CPU variants ${leftOut.map(([v]) => v).join(', ')}; ` +
          `rebuild it with \`npm run build:prebuild${tuple === `${process.platform}-${process.arch}` ? '' : ` -- --target ${tuple}`}\` (no --cpu-variants).`,
      );
    }
  }
  return problems;
}

/** Bytes per top-level area: dist, bin, prebuilds/<tuple>, native, ... */
function sizeByArea(files) {
  const areas = new Map();
  for (const f of files) {
    const parts = f.path.split('/');
    const area = parts[0] === 'prebuilds' && parts.length > 2 ? `prebuilds/${parts[1]}` : parts.length > 1 ? `${parts[0]}/` : parts[0];
    const a = areas.get(area) || { files: 0, bytes: 0 };
    a.files += 1;
    a.bytes += f.size;
    areas.set(area, a);
  }
  return [...areas.entries()].sort((x, y) => y[1].bytes - x[1].bytes);
}

/** Per platform under prebuilds/: files, unpacked bytes and gzip-compressed bytes (its share of the tarball). */
function prebuildSizes(files, cwd) {
  const zlib = require('node:zlib');
  const sizes = new Map();
  for (const f of files) {
    const m = /^prebuilds\/([^/]+)\//.exec(f.path);
    if (!m) continue;
    const s = sizes.get(m[1]) || { files: 0, bytes: 0, packedBytes: 0 };
    s.files += 1;
    s.bytes += f.size;
    s.packedBytes += zlib.gzipSync(fs.readFileSync(path.join(cwd, f.path))).length;
    sizes.set(m[1], s);
  }
  return [...sizes.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

function formatBytes(n) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${n} B`;
}

function dryRunPack(cwd) {
  // --ignore-scripts: a report must not trigger prepack builds.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd,
    encoding: 'utf8',
    shell: process.platform === 'win32',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`npm pack --dry-run failed (exit ${result.status}):\n${result.stderr}`);
  }
  const [report] = JSON.parse(result.stdout);
  return report;
}

function readPrebuildManifests(cwd, tuples) {
  const fs = require('node:fs');
  const manifests = {};
  for (const tuple of tuples) {
    const file = path.join(cwd, 'prebuilds', tuple, 'prebuild.json');
    if (fs.existsSync(file)) manifests[tuple] = JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  return manifests;
}

function parseArgs(argv) {
  const opts = { expectPrebuilds: [], json: false, maxPackedMb: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') opts.json = true;
    else if (arg === '--expect-prebuilds') opts.expectPrebuilds = (argv[++i] || '').split(',').filter(Boolean);
    else if (arg.startsWith('--expect-prebuilds=')) opts.expectPrebuilds = arg.slice(19).split(',').filter(Boolean);
    else if (arg === '--max-packed-mb' && Number(argv[i + 1]) > 0) opts.maxPackedMb = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}. Usage: check-pack.js [--json] [--expect-prebuilds linux-x64,...] [--max-packed-mb N]`);
  }
  return opts;
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`check-pack: ${err.message}\n`);
    process.exit(2);
  }
  const report = dryRunPack(repoRoot);
  const paths = report.files.map((f) => f.path);
  const problems = findPackProblems(paths, {
    expectPrebuilds: opts.expectPrebuilds,
    prebuildManifests: readPrebuildManifests(repoRoot, opts.expectPrebuilds),
    bundledPackages: [...BUNDLED].filter((name) => fs.existsSync(path.join(repoRoot, 'node_modules', name, 'package.json'))),
  });
  if (opts.maxPackedMb !== null && report.size > opts.maxPackedMb * 1024 * 1024) {
    problems.push(`the tarball is ${formatBytes(report.size)} packed, over the ${opts.maxPackedMb} MB limit.`);
  }
  const platforms = prebuildSizes(report.files, repoRoot);

  if (opts.json) {
    const out = {
      filename: report.filename,
      size: report.size,
      unpackedSize: report.unpackedSize,
      entryCount: report.entryCount,
      areas: Object.fromEntries(sizeByArea(report.files)),
      prebuilds: Object.fromEntries(platforms),
      problems,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    const lines = [`${report.filename}: ${report.entryCount} files, ${formatBytes(report.size)} packed, ${formatBytes(report.unpackedSize)} unpacked`];
    for (const [area, a] of sizeByArea(report.files)) {
      lines.push(`  ${area.padEnd(28)} ${String(a.files).padStart(4)} files  ${formatBytes(a.bytes).padStart(9)}`);
    }
    if (platforms.length) {
      lines.push('', 'prebuilds per platform (unpacked, and gzip-compressed: its share of the tarball):');
      for (const [tuple, p] of platforms) {
        lines.push(`  ${tuple.padEnd(28)} ${String(p.files).padStart(4)} files  ${formatBytes(p.bytes).padStart(9)}  ${formatBytes(p.packedBytes).padStart(9)} packed`);
      }
    }
    lines.push(problems.length ? `\n${problems.length} problem(s):\n  - ${problems.join('\n  - ')}` : '\nno problems found');
    process.stdout.write(lines.join('\n') + '\n');
  }
  process.exit(problems.length ? 1 : 0);
}

if (require.main === module) main();

module.exports = { findPackProblems, sizeByArea, FORBIDDEN, REQUIRED, BUNDLED };
