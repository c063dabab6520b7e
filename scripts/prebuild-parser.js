#!/usr/bin/env node
// Makes the shell parser's native binding load on every Linux the cmdai prebuild supports.
//
// The safety assessor parses with tree-sitter's native binding, which cmdai ships inside its own
// tarball (package.json bundleDependencies). Upstream's linux prebuild of tree-sitter@0.25 is
// compiled with GCC 13 and needs libstdc++ GLIBCXX_3.4.31, so it does not load on Debian 12,
// Ubuntu 22.04 and their kin; without it every command would be rated "could not be inspected".
// On the release build machine (the same one that builds cmdai's prebuild, with the same
// toolchain floor) this script compiles tree-sitter's binding from the sources in its npm package
// with node-gyp and puts it where node-gyp-build looks first inside the bundled package.
//
//   node scripts/prebuild-parser.js          rebuild when the shipped binary needs a newer runtime
//   node scripts/prebuild-parser.js --check  only report whether the shipped binary loads
//   node scripts/prebuild-parser.js --glibcxx-floor 3.4.30   also rebuild when the shipped binary
//        needs a newer libstdc++ than that (the prebuild's own floor, passed by prebuild.js):
//        loading on the build machine is not enough when its libstdc++ is newer than the oldest
//        distribution the prebuild supports (CI images carry newer GCC runtimes).
//   node scripts/prebuild-parser.js --target linux-arm64   the same for a cross build: loads
//        upstream's binary under qemu with the cross sysroot (Debian 12's libstdc++); when it
//        does not load, compiles it with the aarch64 cross compiler in a copy under build/cross/
//        and puts the result in the package's prebuilds/linux-arm64/.
//   node scripts/prebuild-parser.js --target win32-x64     checks that upstream's Windows
//        binaries of tree-sitter and tree-sitter-bash import only system DLLs and parse under
//        wine. Upstream's tree-sitter.node (MSVC) crashes node.exe under wine as it loads; it is
//        then compiled with MinGW-w64 like cmdai's own addon, checked to parse a command under
//        wine, and put in the package's prebuilds/win32-x64/.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..');

function log(message) {
  process.stderr.write(`prebuild-parser: ${message}\n`);
}

function fail(message) {
  log(message);
  process.exit(1);
}

/** Loads a .node file in a fresh process: the error text, or null when it loads. */
function loadError(file) {
  const probe = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', file], { encoding: 'utf8' });
  if (probe.status === 0) return null;
  return (probe.stderr.split('\n').find((l) => /Error/.test(l)) || probe.stderr || `exit ${probe.status}`).trim();
}

/** The newest libstdc++ symbol version a binary needs, e.g. "3.4.31", or null. */
function newestGlibcxx(file) {
  const bytes = fs.readFileSync(file).toString('latin1');
  const versions = [...bytes.matchAll(/GLIBCXX_([0-9]+(?:\.[0-9]+)*)/g)].map((m) => m[1]);
  return versions.sort(compareDotted).pop() || null;
}

function compareDotted(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
  return 0;
}

/** npm's own node-gyp, so no extra dependency is needed to compile the binding. */
function nodeGypScript() {
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.unshift(require.resolve('node-gyp/bin/node-gyp.js', { paths: [repoRoot] }));
  } catch {
    // not a project dependency; npm's copy below
  }
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) fail('node-gyp was not found (it ships with npm); install npm or node-gyp, then run again.');
  return found;
}

/** Node's own headers next to this node binary (no download), as npm would pass them. */
function nodeHeadersArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

/** The target's node loads `file` (under qemu or wine): the error text, or null. */
function crossLoadError(target, file) {
  const cross = require('./cross/targets');
  const arg = target.emulator === 'wine' ? cross.windowsPath(file) : file;
  const r = cross.runNode(target, ['-e', 'require(process.argv[1])', arg]);
  if (r.status === 0) return null;
  return (r.stderr.split('\n').find((l) => /Error/.test(l)) || r.stderr || `exit ${r.status}`).trim();
}

function crossLinuxArm64(target, check) {
  const cross = require('./cross/targets');
  cross.requireTools(target);
  const packageDir = path.dirname(require.resolve('tree-sitter/package.json', { paths: [repoRoot] }));
  const shipped = path.join(packageDir, 'prebuilds', target.name, 'tree-sitter.node');
  if (!fs.existsSync(shipped)) fail(`${shipped} is missing; run \`npm ci\` first.`);
  const error = crossLoadError(target, shipped);
  if (!error) {
    log(`the shipped ${target.name} tree-sitter binding loads under qemu with Debian's ${target.triple} libraries (needs GLIBCXX ${newestGlibcxx(shipped) || 'none'}).`);
    return;
  }
  if (check) fail(`the shipped ${target.name} tree-sitter binding does not load: ${error}`);
  log(`the shipped ${target.name} tree-sitter binding does not load (${error}); cross-compiling it from its sources`);
  // A copy, so the host's own build of the binding (build/ inside the package) is left alone.
  const work = path.join(cross.crossDir, `tree-sitter-${target.name}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(packageDir, work, { recursive: true, filter: (src) => !/[\\/](build|prebuilds)$/.test(src) });
  // node-gyp resolves node-addon-api from the package folder: link the one next to it.
  const env = {
    ...process.env,
    CC: `${target.triple}-gcc`,
    CXX: `${target.triple}-g++`,
    LINK: `${target.triple}-g++`,
    AR: `${target.triple}-ar`,
    NODE_PATH: path.dirname(packageDir),
  };
  const built = spawnSync(process.execPath, [nodeGypScript(), 'rebuild', '--release', `--arch=${target.arch}`, ...nodeHeadersArgs()], { cwd: work, stdio: 'inherit', env });
  if (built.status !== 0) fail(`cross-compiling the tree-sitter binding failed (see the output above); it needs python3, make and ${target.triple}-g++.`);
  const output = path.join(work, 'build', 'Release', 'tree_sitter_runtime_binding.node');
  const stillBroken = crossLoadError(target, output);
  if (stillBroken) fail(`the cross-compiled tree-sitter binding does not load under qemu: ${stillBroken}`);
  fs.copyFileSync(output, shipped);
  log(`replaced ${path.relative(repoRoot, shipped)} with a build that needs GLIBCXX ${newestGlibcxx(shipped) || 'none'}.`);
}

// DLLs every Windows has; a parser binding importing anything else would not load from the tarball.
const WINDOWS_SYSTEM_DLL = /^(kernel32|user32|advapi32|msvcrt|ntdll|ws2_32|bcrypt|shell32|ole32|api-ms-win-[\w-]+|ucrtbase|vcruntime140|vcruntime140_1|msvcp140)\.dll$/i;

/** Loads tree-sitter from `parserDir` with tree-sitter-bash and parses a command, under the target's node. */
function crossParseError(target, parserFile) {
  const cross = require('./cross/targets');
  const bashDir = path.dirname(require.resolve('tree-sitter-bash/package.json', { paths: [repoRoot] }));
  const bash = fs.readdirSync(path.join(bashDir, 'prebuilds', target.name)).find((n) => n.endsWith('.node'));
  // The binding alone, as tree-sitter's index.js uses it: a Parser given the bash language parses.
  const script = [
    'const binding = require(process.argv[1]);',
    'const language = require(process.argv[2]);',
    'const parser = new binding.Parser();',
    'parser.setLanguage(language);',
    "const text = 'rm -rf /';",
    'const tree = parser.parse((offset) => text.slice(offset), undefined, undefined, undefined, undefined);',
    "console.log(tree ? 'parsed' : 'no tree');",
  ].join(' ');
  const args = ['-e', script, cross.windowsPath(parserFile), cross.windowsPath(path.join(bashDir, 'prebuilds', target.name, bash))];
  const r = cross.runNode(target, args);
  if (r.status === 0 && r.stdout.toString().includes('parsed')) return null;
  return (r.stderr.split('\n').find((l) => /Error|fault/.test(l)) || r.stderr || `exit ${r.status}`).trim();
}

/** Compiles tree-sitter's binding with MinGW-w64 (what its binding.gyp does with MSVC). */
function mingwTreeSitter(target, packageDir) {
  const cross = require('./cross/targets');
  const work = path.join(cross.crossDir, `tree-sitter-${target.name}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const headers = require(require.resolve('node-api-headers', { paths: [repoRoot] }));
  const addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [repoRoot] }));
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { cwd: work, encoding: 'utf8' });
    if (r.error || r.status !== 0) fail(`${cmd} ${args.join(' ')} failed:\n${r.error ? r.error.message : r.stderr}`);
  };
  const imports = [];
  for (const [name, def] of Object.entries(headers.def_paths)) {
    const lib = path.join(work, `lib${name}.a`);
    run(`${target.triple}-dlltool`, ['--input-def', def, '--dllname', 'node.exe', '--output-lib', lib]);
    imports.push(lib);
  }
  const vendor = path.join(packageDir, 'vendor', 'tree-sitter', 'lib');
  const core = path.join(work, 'lib.o');
  run(`${target.triple}-gcc-posix`, ['-c', '-O2', '-std=c11', '-D_POSIX_C_SOURCE=200112L', '-D_DEFAULT_SOURCE', '-I', path.join(vendor, 'src'), '-I', path.join(vendor, 'include'), path.join(vendor, 'src', 'lib.c'), '-o', core]);
  const sources = fs.readdirSync(path.join(packageDir, 'src')).filter((n) => n.endsWith('.cc')).map((n) => path.join(packageDir, 'src', n));
  // Its headers include Node's node_object_wrap.h (V8's ObjectWrap) but use only node-addon-api's
  // Napi::ObjectWrap; node-gyp has Node's full headers on the include path, Node-API builds need
  // not. A stand-in gives what the sources do take from it: <assert.h>, which Node's includes.
  fs.mkdirSync(path.join(work, 'include'));
  fs.writeFileSync(path.join(work, 'include', 'node_object_wrap.h'), '// stand-in: tree-sitter uses Napi::ObjectWrap only, and assert()\n#include <assert.h>\n');
  const output = path.join(work, 'tree-sitter.node');
  run(`${target.triple}-g++-posix`, [
    '-shared', '-O2', '-std=c++17', '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS',
    '-I', headers.include_dir, '-I', addonApi, '-I', path.join(vendor, 'include'), '-I', path.join(work, 'include'),
    ...sources, core, ...imports, '-static', '-o', output,
  ]);
  return output;
}

function crossWin32(target, check) {
  const problems = [];
  for (const pkg of ['tree-sitter', 'tree-sitter-bash']) {
    const packageDir = path.dirname(require.resolve(`${pkg}/package.json`, { paths: [repoRoot] }));
    const dir = path.join(packageDir, 'prebuilds', target.name);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.node')) : [];
    if (!files.length) problems.push(`${pkg} ships no ${target.name} prebuild`);
    for (const name of files) {
      const dump = spawnSync(`${target.triple}-objdump`, ['-p', path.join(dir, name)], { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (dump.error || dump.status !== 0) fail(`${target.triple}-objdump is needed (apt-get install binutils-mingw-w64).`);
      const imports = [...dump.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
      const foreign = imports.filter((d) => !WINDOWS_SYSTEM_DLL.test(d) && d.toLowerCase() !== 'node.exe');
      if (foreign.length) problems.push(`${pkg}/prebuilds/${target.name}/${name} needs ${foreign.join(', ')}`);
      else log(`${pkg}/prebuilds/${target.name}/${name} imports only ${imports.join(', ')}.`);
    }
  }
  if (problems.length) fail(problems.join('; '));

  const cross = require('./cross/targets');
  cross.requireTools(target);
  const packageDir = path.dirname(require.resolve('tree-sitter/package.json', { paths: [repoRoot] }));
  const shipped = path.join(packageDir, 'prebuilds', target.name, 'tree-sitter.node');
  const error = crossParseError(target, shipped);
  if (!error) {
    log(`the shipped ${target.name} tree-sitter binding parses under wine.`);
    return;
  }
  if (check) fail(`the shipped ${target.name} tree-sitter binding does not work under wine: ${error}`);
  log(`the shipped ${target.name} tree-sitter binding does not work under wine (${error}); compiling it with MinGW-w64`);
  const built = mingwTreeSitter(target, packageDir);
  const stillBroken = crossParseError(target, built);
  if (stillBroken) fail(`the MinGW-w64 build of the tree-sitter binding does not work under wine either: ${stillBroken}`);
  fs.copyFileSync(built, shipped);
  log(`replaced ${path.relative(repoRoot, shipped)} with a MinGW-w64 build that parses under wine.`);
}

function main() {
  const check = process.argv.includes('--check');
  const targetIndex = process.argv.indexOf('--target');
  const target = targetIndex > 0 ? process.argv[targetIndex + 1] : `${process.platform}-${process.arch}`;
  if (target !== `${process.platform}-${process.arch}`) {
    let crossTarget;
    try {
      crossTarget = require('./cross/targets').crossTarget(target);
    } catch (err) {
      fail(err.message);
    }
    if (crossTarget.platform === 'linux') crossLinuxArm64(crossTarget, check);
    else crossWin32(crossTarget, check);
    return;
  }
  if (process.platform !== 'linux') {
    log(`nothing to do on ${process.platform}: upstream's prebuild is used as is.`);
    return;
  }
  const packageDir = path.dirname(require.resolve('tree-sitter/package.json', { paths: [repoRoot] }));
  const shipped = path.join(packageDir, 'prebuilds', `linux-${process.arch}`, 'tree-sitter.node');
  if (!fs.existsSync(shipped)) fail(`${shipped} is missing; run \`npm ci\` first.`);

  const floorIndex = process.argv.indexOf('--glibcxx-floor');
  const floor = floorIndex > 0 ? process.argv[floorIndex + 1] : null;
  const aboveFloor = (file) => {
    const needs = newestGlibcxx(file);
    return floor && needs && compareDotted(needs, floor) > 0 ? needs : null;
  };
  const error = loadError(shipped);
  const needs = newestGlibcxx(shipped);
  const tooNew = aboveFloor(shipped);
  if (!error && !tooNew) {
    log(`the shipped tree-sitter binding loads here (needs GLIBCXX ${needs || 'none'}${floor ? `, the prebuild ${floor}` : ''}).`);
    return;
  }
  const why = error ? `does not load here: ${error}` : `needs GLIBCXX ${tooNew}, newer than the prebuild's ${floor}`;
  if (check) fail(`the shipped tree-sitter binding ${why}`);

  log(`the shipped tree-sitter binding ${why}; compiling it from its sources`);
  const built = spawnSync(process.execPath, [nodeGypScript(), 'rebuild', '--release', ...nodeHeadersArgs()], { cwd: packageDir, stdio: 'inherit' });
  if (built.status !== 0) fail('compiling the tree-sitter binding failed (see the output above); it needs python3, make and a C++ compiler.');
  const output = path.join(packageDir, 'build', 'Release', 'tree_sitter_runtime_binding.node');
  const stillBroken = loadError(output);
  if (stillBroken) fail(`the rebuilt tree-sitter binding does not load: ${stillBroken}`);
  const stillTooNew = aboveFloor(output);
  if (stillTooNew) fail(`the rebuilt tree-sitter binding needs GLIBCXX ${stillTooNew}, newer than the prebuild's ${floor}; build both with the same compiler.`);
  fs.copyFileSync(output, shipped);
  log(`replaced ${path.relative(repoRoot, shipped)} with a build that needs GLIBCXX ${newestGlibcxx(shipped) || 'none'}.`);
}

main();
