#!/usr/bin/env node
// Builds the distributable native addon for this machine's platform and lays it out as
//
//   prebuilds/<platform>-<arch>/cmdai[.glibc].napi.node   the addon (node-gyp-build finds it)
//   prebuilds/<platform>-<arch>/lib*.so | *.dll           llama/ggml libraries it links to
//   prebuilds/<platform>-<arch>/libggml-cpu-*.so | ...    CPU backend variants, one per ISA level
//   prebuilds/linux-<arch>/libgomp.so.1                   OpenMP runtime (not on every Linux)
//   prebuilds/<platform>-<arch>/prebuild.json             what is there and how it was built
//
// The build is `CMDAI_DIST=ON` (see CMakeLists.txt): never tuned for the build host's CPU. On Linux
// and Windows ggml's CPU code is built once per instruction-set level (x86-64 baseline up to
// AVX-512/AMX; armv8.0 up to armv9.2) and the addon loads the best one the running CPU supports,
// from its own folder. On macOS the build is static with Metal and the Apple-silicon baseline.
//
//   node scripts/prebuild.js                   build, lay out, check
//   node scripts/prebuild.js --skip-build      lay out and check an existing build
//   node scripts/prebuild.js --target <t>      cross build on linux-x64 for t = linux-arm64 or
//                                              win32-x64 (cmake/toolchain-<t>.cmake; the load
//                                              check runs under qemu-user or wine, see
//                                              scripts/cross/targets.js)
//   node scripts/prebuild.js --cpu-variants x64,haswell   only these ggml CPU variants (a quick
//                                              development build; check-pack refuses to ship it)
//   CMDAI_BUILD_JOBS=2 limits parallel compile jobs.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const cross = require('./cross/targets');

const repoRoot = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const options = { skipBuild: false, target: cross.hostTuple(), cpuVariants: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--skip-build') options.skipBuild = true;
    else if (argv[i] === '--cpu-variants' && argv[i + 1]) options.cpuVariants = argv[++i].split(',').filter(Boolean);
    else if (argv[i] === '--target' && argv[i + 1]) options.target = argv[++i];
    else if (argv[i].startsWith('--target=')) options.target = argv[i].slice('--target='.length);
    else {
      process.stderr.write(`prebuild: unknown option ${argv[i]}. Usage: prebuild.js [--skip-build] [--target <platform>-<arch>] [--cpu-variants a,b]\n`);
      process.exit(1);
    }
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const tuple = options.target;
/** The cross target (scripts/cross/targets.js), or null when building for this machine. */
let crossTarget = null;
if (tuple !== cross.hostTuple()) {
  try {
    crossTarget = cross.crossTarget(tuple);
  } catch (err) {
    process.stderr.write(`prebuild: ${err.message}\n`);
    process.exit(1);
  }
}
const [targetPlatform, targetArch] = tuple.split('-');
const buildDir = path.join(repoRoot, 'build', `dist-${tuple}`);
const prebuildDir = path.join(repoRoot, 'prebuilds', tuple);

function fail(message) {
  process.stderr.write(`prebuild: ${message}\n`);
  process.exit(1);
}

function log(message) {
  process.stderr.write(`prebuild: ${message}\n`);
}

// Run-time libraries some Linux machines lack that may be redistributed: copied from the build
// machine into the prebuild folder, where the $ORIGIN run path finds them. libgomp (GCC's OpenMP
// runtime, GPL-3.0+ with the GCC Runtime Library Exception) runs ggml's CPU threads.
const BUNDLED_RUNTIME = new Set(['libgomp.so.1']);
const GPL3_TEXT = '/usr/share/common-licenses/GPL-3';

/** Name node-gyp-build matches: N-API, and on Linux the C library, so musl never picks a glibc build. */
function addonFileName() {
  if (targetPlatform !== 'linux') return 'cmdai.napi.node';
  if (crossTarget) return 'cmdai.glibc.napi.node'; // the cross toolchains are glibc ones
  const isMusl = fs.existsSync('/etc/alpine-release') || !process.report?.getReport().header.glibcVersionRuntime;
  return `cmdai.${isMusl ? 'musl' : 'glibc'}.napi.node`;
}

function build() {
  const args = [path.join(__dirname, 'build-native.js'), '--out', path.relative(repoRoot, buildDir), '--CDCMDAI_DIST=ON'];
  if (crossTarget) {
    try {
      cross.requireTools(crossTarget, { emulator: false });
    } catch (err) {
      fail(err.message);
    }
    args.push(`--CDCMAKE_TOOLCHAIN_FILE=${crossTarget.toolchain}`);
  }
  // Always set, so a full build after a partial one in the same folder builds every variant.
  // cmake-js only configures a new build folder; an existing one gets the value from cmake itself.
  const only = `-DCMDAI_CPU_VARIANTS_ONLY=${(options.cpuVariants || []).join(';')}`;
  const cacheFile = path.join(buildDir, 'CMakeCache.txt');
  const cached = fs.existsSync(cacheFile) ? /^CMDAI_CPU_VARIANTS_ONLY:STRING=(.*)$/m.exec(fs.readFileSync(cacheFile, 'utf8')) : null;
  if (!fs.existsSync(cacheFile)) {
    args.push(`--C${only.slice(1)}`);
  } else if ((cached ? cached[1] : '') !== only.split('=')[1]) {
    const configure = spawnSync('cmake', [only, buildDir], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    if (configure.status !== 0) fail(`cmake ${only} ${path.relative(repoRoot, buildDir)} failed (see above).`);
  }
  log(`building ${tuple} in ${path.relative(repoRoot, buildDir)} (CMDAI_DIST=ON${crossTarget ? `, ${path.relative(repoRoot, crossTarget.toolchain)}` : ''}); this takes a while`);
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit', env: process.env });
  if (result.status !== 0) fail('the distributable build failed (see the output above).');
  return Math.round((Date.now() - started) / 1000);
}

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'CMakeFiles') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

const SHARED_LIBRARY = /(\.so|\.dylib|\.dll)$/;

function collect() {
  if (!fs.existsSync(buildDir)) fail(`${path.relative(repoRoot, buildDir)} does not exist; run without --skip-build first.`);
  const files = walk(buildDir);
  // CPU variants the compiler could not build (cmake/cpu-variants.cmake): placeholders, not shipped.
  const notBuiltFile = path.join(buildDir, 'cmdai-cpu-variants-not-built.txt');
  // Lines "<target> <reason>": reason `compiler` (it lacks the instruction set) or
  // `CMDAI_CPU_VARIANTS_ONLY` (left out on purpose by --cpu-variants).
  const notBuilt = fs.existsSync(notBuiltFile)
    ? fs.readFileSync(notBuiltFile, 'utf8').split('\n').filter(Boolean).map((line) => {
        const [target, reason] = line.split(' ');
        return { target, variant: target.replace(/^ggml-cpu-/, ''), reason };
      })
    : [];
  const addons = files.filter((f) => path.basename(f) === 'cmdai.node');
  if (addons.length !== 1) fail(`expected one cmdai.node under ${buildDir}, found ${addons.length}.`);
  const libraries = new Map();
  // Other addons of the package keep their names (the MLX engine looks for cmdai_mlx.node);
  // node-gyp-build still picks the main addon, whose tagged name ranks first.
  for (const f of files) {
    if (/^cmdai_\w+\.node$/.test(path.basename(f))) libraries.set(path.basename(f), f);
  }
  // MLX's Metal kernels, which it loads from the folder of the binary that contains MLX (the
  // static MLX inside cmdai_mlx.node); native/mlx/engine.cmake copies it next to the addon.
  const metallib = files.find((f) => path.basename(f) === 'mlx.metallib' && files.some((g) => path.dirname(g) === path.dirname(f) && path.basename(g) === 'cmdai_mlx.node'));
  if (metallib) libraries.set('mlx.metallib', metallib);
  for (const f of files) {
    if (!SHARED_LIBRARY.test(f)) continue;
    // Versioned names (libggml.so.0 -> libggml.so.0.9.4) would need symlinks npm cannot pack;
    // the distributable build turns sonames off, so a symlink here means a stale build tree.
    if (fs.lstatSync(f).isSymbolicLink()) fail(`${f} is a symlink; rebuild with CMDAI_DIST=ON from a clean build directory.`);
    const name = path.basename(f);
    if (notBuilt.some(({ target }) => name === `lib${target}.so` || name === `${target}.dll`)) continue;
    if (libraries.has(name)) fail(`two libraries named ${name}: ${libraries.get(name)} and ${f}.`);
    libraries.set(name, f);
  }
  return { addon: addons[0], libraries, notBuilt };
}

function layOut({ addon, libraries }) {
  fs.rmSync(prebuildDir, { recursive: true, force: true });
  fs.mkdirSync(prebuildDir, { recursive: true });
  const addonName = addonFileName();
  fs.copyFileSync(addon, path.join(prebuildDir, addonName));
  for (const [name, file] of libraries) fs.copyFileSync(file, path.join(prebuildDir, name));
  return addonName;
}

/** The libraries a file needs and where this machine has them: `ldd`, or the cross sysroot. */
function resolvedLibraries(file) {
  if (!crossTarget) {
    const ldd = spawnSync('ldd', [file], { encoding: 'utf8' });
    if (ldd.error) fail('ldd is needed to find the run-time libraries to ship.');
    return [...ldd.stdout.matchAll(/^\s*(\S+) => (\/\S+)/gm)].map(([, lib, resolved]) => ({ lib, resolved }));
  }
  const dyn = readElfDynamic(file);
  if (!dyn) fail('readelf (binutils) is needed to find the run-time libraries to ship.');
  const dirs = [path.join(crossTarget.sysroot, 'lib'), path.join('/usr/lib', crossTarget.triple)];
  return dyn.needed.map((lib) => ({ lib, resolved: dirs.map((d) => path.join(d, lib)).find((f) => fs.existsSync(f)) })).filter((l) => l.resolved);
}

/** Copies each BUNDLED_RUNTIME library a file in the folder needs (as `ldd` resolves it here). */
function bundleRuntimeLibraries() {
  const bundled = [];
  for (const name of fs.readdirSync(prebuildDir)) {
    if (!name.endsWith('.node') && !SHARED_LIBRARY.test(name)) continue;
    for (const { lib, resolved } of resolvedLibraries(path.join(prebuildDir, name))) {
      if (!BUNDLED_RUNTIME.has(lib) || bundled.includes(lib)) continue;
      fs.copyFileSync(resolved, path.join(prebuildDir, lib)); // follows the symlink: a plain file
      bundled.push(lib);
    }
  }
  if (bundled.includes('libgomp.so.1') && fs.existsSync(GPL3_TEXT)) {
    // GPL-3.0 asks for the license text to travel with the binary; the exception text and the
    // source location are in THIRD_PARTY_NOTICES.md.
    fs.copyFileSync(GPL3_TEXT, path.join(prebuildDir, 'libgomp.so.1.GPL-3.0.txt'));
  }
  return bundled;
}

function readElfDynamic(file) {
  const result = spawnSync('readelf', ['-d', file], { encoding: 'utf8' });
  if (result.error) return null; // readelf missing: skip the ELF checks, the load check remains
  const needed = [...result.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]);
  const runpath = [...result.stdout.matchAll(/\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[(.+?)\]/g)].map((m) => m[1]);
  return { needed, runpath };
}

// The C/C++ runtime every Linux machine has; anything else must be in the prebuild folder.
const SYSTEM_LIBRARY = /^(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux[-\w]*)\.so(\.\d+)*$/;

/** Checks a Linux prebuild: each file finds its libraries in its own folder, none in the build tree. */
function checkLinuxLinkage(addonName) {
  const problems = [];
  const names = fs.readdirSync(prebuildDir).filter((n) => n.endsWith('.node') || SHARED_LIBRARY.test(n) || BUNDLED_RUNTIME.has(n));
  for (const name of names) {
    const dyn = readElfDynamic(path.join(prebuildDir, name));
    if (!dyn) return [];
    for (const rp of dyn.runpath) {
      if (rp !== '$ORIGIN') problems.push(`${name} has run path ${rp}; it must be exactly $ORIGIN.`);
    }
    for (const lib of dyn.needed) {
      if (SYSTEM_LIBRARY.test(lib)) continue;
      if (!names.includes(lib)) problems.push(`${name} needs ${lib}, which is neither in ${tuple}/ nor part of every Linux system.`);
      else if (!dyn.runpath.includes('$ORIGIN')) problems.push(`${name} needs ${lib} but has no $ORIGIN run path to find it.`);
    }
  }
  if (!names.includes(addonName)) problems.push(`${addonName} is missing.`);
  return problems;
}

// DLLs every Windows 10/11 has (and wine provides). Anything else must be in the prebuild folder;
// the GCC runtime (libstdc++, libgcc, winpthread) is linked statically (cmake/toolchain-win32-x64.cmake).
const WINDOWS_SYSTEM_DLL = /^(kernel32|user32|advapi32|msvcrt|ntdll|ws2_32|bcrypt|shell32|ole32|oleaut32|shlwapi|psapi|dbghelp|api-ms-win-[\w-]+|ucrtbase)\.dll$/i;

/** The DLLs a PE file imports (objdump from binutils-mingw-w64). */
function peImports(file) {
  const objdump = crossTarget ? `${crossTarget.triple}-objdump` : 'objdump';
  const result = spawnSync(objdump, ['-p', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error || result.status !== 0) return null;
  return [...result.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
}

/** Checks a Windows prebuild: each DLL it needs is in the folder or part of Windows; the addon imports Node-API from node.exe. */
function checkWindowsLinkage(addonName) {
  const problems = [];
  const names = fs.readdirSync(prebuildDir).filter((n) => /\.(node|dll)$/i.test(n));
  const lower = new Set(names.map((n) => n.toLowerCase()));
  for (const name of names) {
    const imports = peImports(path.join(prebuildDir, name));
    if (!imports) return [`could not read the imports of ${name} (install binutils-mingw-w64).`];
    for (const dll of imports) {
      if (WINDOWS_SYSTEM_DLL.test(dll) || lower.has(dll.toLowerCase())) continue;
      if (name.endsWith('.node') && dll.toLowerCase() === 'node.exe') continue;
      problems.push(`${name} needs ${dll}, which is neither in ${tuple}/ nor part of Windows.`);
    }
  }
  if (!names.includes(addonName)) problems.push(`${addonName} is missing.`);
  return problems;
}

function compareDotted(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
  }
  return 0;
}

/**
 * The newest glibc and libstdc++ symbol versions the prebuild uses: the oldest Linux it runs on.
 * (A prebuild built on a new distribution fails on older ones with "GLIBCXX_3.4.xx not found".)
 */
function linuxRuntimeFloor() {
  const newest = { glibc: null, glibcxx: null };
  for (const name of fs.readdirSync(prebuildDir)) {
    if (!name.endsWith('.node') && !SHARED_LIBRARY.test(name) && !BUNDLED_RUNTIME.has(name)) continue;
    const result = spawnSync('readelf', ['-W', '--dyn-syms', path.join(prebuildDir, name)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.error) return null;
    for (const [, lib, version] of result.stdout.matchAll(/@(GLIBCXX|GLIBC)_([0-9.]+)/g)) {
      const key = lib === 'GLIBC' ? 'glibc' : 'glibcxx';
      if (!newest[key] || compareDotted(version, newest[key]) > 0) newest[key] = version;
    }
  }
  return newest;
}

/**
 * Loads the laid-out addon in a fresh process, from the prebuild folder and nowhere else; for a
 * cross build, with the target's node under qemu or wine. Returns the addon's systemInfo().system
 * line on success (it names the CPU features of the variant ggml picked).
 */
function checkLoads(addonName) {
  if (crossTarget) {
    const addon = path.join(prebuildDir, addonName);
    const script = 'const b = require(process.argv[1]); console.log(JSON.stringify(b.systemInfo()))';
    const argv = ['-e', script, crossTarget.emulator === 'wine' ? cross.windowsPath(addon) : addon];
    let result;
    try {
      cross.requireTools(crossTarget);
      result = cross.runNode(crossTarget, argv, { env: { LD_LIBRARY_PATH: '' } });
    } catch (err) {
      return { problems: [`could not run the load check under ${crossTarget.emulator}: ${err.message}`] };
    }
    const out = result.stdout.toString('utf8');
    if (result.status !== 0 || !out.includes('llamaVersion')) {
      return { problems: [`the addon does not load from ${prebuildDir} under ${crossTarget.emulator}:\n${result.stderr.trim().slice(-2000)}`] };
    }
    return { problems: [], systemInfo: JSON.parse(out.trim().split('\n').pop()) };
  }
  const script = `require(${JSON.stringify(path.join(prebuildDir, addonName))}); console.log('ok')`;
  const env = { ...process.env };
  delete env.LD_LIBRARY_PATH; // must not lean on the build tree
  delete env.DYLD_LIBRARY_PATH;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env, cwd: path.parse(prebuildDir).root });
  if (result.status !== 0 || !result.stdout.includes('ok')) {
    return { problems: [`the addon does not load from ${prebuildDir}:\n${result.stderr.trim()}`] };
  }
  return { problems: [] };
}

function llamaCppRevision() {
  const dir = process.env.LLAMA_CPP_DIR || path.join(repoRoot, 'deps', 'llama.cpp');
  const result = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

function main() {
  const manifestFile = path.join(prebuildDir, 'prebuild.json');
  const previous = fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, 'utf8')) : {};
  // --skip-build keeps the build time of the build it lays out (when it is the same platform's).
  const buildSeconds = options.skipBuild ? (previous.buildSeconds ?? null) : build();

  const found = collect();
  const addonName = layOut(found);
  const bundled = targetPlatform === 'linux' ? bundleRuntimeLibraries() : [];
  const libraries = [...found.libraries.keys(), ...bundled].sort();
  if (fs.existsSync(path.join(prebuildDir, 'libgomp.so.1.GPL-3.0.txt'))) libraries.push('libgomp.so.1.GPL-3.0.txt');
  const requires = targetPlatform === 'linux' ? linuxRuntimeFloor() : undefined;

  // The shell parser's binding travels inside the tarball (bundleDependencies); make sure the
  // copy shipped runs on the same Linux floor as the addon (scripts/prebuild-parser.js): natively,
  // by the libstdc++ version the prebuild needs (not by loading here, where libstdc++ may be
  // newer); cross, by loading it with the target sysroot's libraries.
  const floorArgs = !crossTarget && requires?.glibcxx ? ['--glibcxx-floor', requires.glibcxx] : [];
  const parser = spawnSync(process.execPath, [path.join(__dirname, 'prebuild-parser.js'), '--target', tuple, ...floorArgs], { cwd: repoRoot, stdio: 'inherit' });
  if (parser.status !== 0) fail('the shell parser binding is not usable (see the output above).');

  const linkage = targetPlatform === 'linux' ? checkLinuxLinkage(addonName) : targetPlatform === 'win32' ? checkWindowsLinkage(addonName) : [];
  const loaded = checkLoads(addonName);
  const problems = [...linkage, ...loaded.problems];
  if (loaded.systemInfo) log(`loads under ${crossTarget.emulator}: ${loaded.systemInfo.system}`);

  const manifest = {
    platform: targetPlatform,
    arch: targetArch,
    addon: addonName,
    libraries,
    cpuVariants: libraries
      .map((n) => /^(?:lib)?ggml-cpu-(.+)\.(?:so|dll|dylib)$/.exec(n))
      .filter(Boolean)
      .map((m) => m[1]),
    // Variants ggml lists that this compiler could not build (cmake/cpu-variants.cmake).
    // `compiler`: the compiler lacks the instruction set (CPUs with it use the next best variant);
    // `CMDAI_CPU_VARIANTS_ONLY`: a partial development build, which check-pack will not ship.
    cpuVariantsNotBuilt: Object.fromEntries(found.notBuilt.map(({ variant, reason }) => [variant, reason])),
    napiVersion: 8,
    requires,
    llamaCppRevision: llamaCppRevision(),
    buildSeconds,
    builtWith: {
      node: process.version,
      cmakeOptions: ['CMDAI_DIST=ON', ...(crossTarget ? [`CMAKE_TOOLCHAIN_FILE=cmake/${path.basename(crossTarget.toolchain)}`] : [])],
      ...(crossTarget ? { crossFrom: cross.hostTuple(), testedWith: `${crossTarget.emulator}, ${crossTarget.node.spec}` } : {}),
    },
  };
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');

  const bytes = fs.readdirSync(prebuildDir).reduce((sum, n) => sum + fs.statSync(path.join(prebuildDir, n)).size, 0);
  log(`${path.relative(repoRoot, prebuildDir)}: ${addonName} + ${libraries.length} libraries, ${(bytes / 1024 / 1024).toFixed(1)} MB` +
    (manifest.cpuVariants.length ? `, CPU variants: ${manifest.cpuVariants.join(' ')}` : '') +
    (manifest.requires ? `, needs glibc >= ${manifest.requires.glibc} and libstdc++ GLIBCXX >= ${manifest.requires.glibcxx}` : '') +
    (buildSeconds !== null ? `, built in ${buildSeconds} s` : ''));
  if (problems.length) fail(`the prebuild is not usable:\n  - ${problems.join('\n  - ')}`);
}

main();
