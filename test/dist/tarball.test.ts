// The npm tarball as users get it: installed globally with install scripts off and no compiler
// reachable, run through npx, and consumed as a library from ESM, CommonJS and TypeScript.
// One `npm pack` serves the whole file. Dependencies come from a registry on 127.0.0.1 (see
// local-registry.ts); the native addon must come from prebuilds/ inside the tarball.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalRegistry, type LocalRegistry } from './local-registry';

jest.setTimeout(10 * 60 * 1000);

const repoRoot = path.resolve(__dirname, '..', '..');
const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const tinyModel = path.join(repoRoot, 'models', 'test', 'tiny-qwen2.gguf');
const prebuildTuple = `${process.platform}-${process.arch}`;
const typesNodeVersion = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }).version;

// Build tools a source build would reach for. Each is replaced by a script that records the call
// and fails, and these come first on PATH, so any attempt to compile shows up in the log.
const BUILD_TOOLS = ['cmake', 'cmake-js', 'node-gyp', 'make', 'gmake', 'ninja', 'cc', 'c++', 'gcc', 'g++', 'clang', 'clang++'];

let work: string;
let tarball: string;
let tarballFiles: string[];
let registry: LocalRegistry;
let shimDir: string;
let toolLog: string;

interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// Asynchronous on purpose: the local registry answers from this process's event loop, which a
// synchronous spawn would block (npm would wait for the registry forever).
function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? work, env: options.env ?? isolatedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60 * 1000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

function describeRun(r: { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }): string {
  return `exit ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function expectSuccess(r: RunResult, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed: ${describeRun(r)}`);
}

/** A user's environment: own home, npm pointed at the local registry, recording build-tool shims first on PATH. */
function isolatedEnv(): NodeJS.ProcessEnv {
  const home = path.join(work, 'home');
  return {
    PATH: [shimDir, path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter),
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    TMPDIR: path.join(work, 'tmp'),
    LANG: 'C.UTF-8',
    npm_config_registry: registry.url,
    npm_config_cache: path.join(work, 'npm-cache'), // fresh: no earlier npx install can be reused
    npm_config_userconfig: path.join(work, 'npmrc'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    // A dependency's install script that falls back to node-gyp must not download Node headers.
    npm_config_nodedir: path.resolve(path.dirname(process.execPath), '..'),
    BUILD_TOOL_LOG: toolLog,
  };
}

function buildToolCalls(): string {
  return fs.existsSync(toolLog) ? fs.readFileSync(toolLog, 'utf8') : '';
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-dist-'));
  for (const d of ['home', 'tmp']) fs.mkdirSync(path.join(work, d));
  fs.writeFileSync(path.join(work, 'npmrc'), '');

  shimDir = path.join(work, 'shims');
  toolLog = path.join(work, 'build-tools.log');
  fs.mkdirSync(shimDir);
  for (const tool of BUILD_TOOLS) {
    const shim = path.join(shimDir, tool);
    fs.writeFileSync(shim, `#!/bin/sh\necho "${tool} $*" >> "$BUILD_TOOL_LOG"\necho "${tool}: not available in this test" >&2\nexit 127\n`);
    fs.chmodSync(shim, 0o755);
  }

  const build = spawnSync('npm', ['run', 'build:ts'], { cwd: repoRoot, encoding: 'utf8' });
  expectSuccess(build, '`npm run build:ts`');
  // --ignore-scripts: pack exactly what is on disk; prepack hooks must not start a native build.
  const pack = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' });
  expectSuccess(pack, '`npm pack`');
  const [report] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, report.filename);
  tarballFiles = report.files.map((f) => f.path);

  registry = await startLocalRegistry(repoRoot, work, ['node_modules/@types/node']);
});

afterAll(async () => {
  await registry?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the tarball is named after the package version', () => {
  expect(path.basename(tarball)).toBe(`cmdai-${version}.tgz`);
});

describe('npm i -g ./cmdai-<version>.tgz --ignore-scripts, with no compiler on PATH', () => {
  let prefix: string;
  let cmdai: string;

  beforeAll(async () => {
    prefix = path.join(work, 'global');
    const install = await run('npm', ['install', '--global', '--ignore-scripts', '--prefix', prefix, tarball], { cwd: path.join(work, 'tmp') });
    expectSuccess(install, `npm install --global ${path.basename(tarball)}\nregistry requests:\n${registry.requests.join('\n')}\n`);
    cmdai = path.join(prefix, 'bin', 'cmdai');
  });

  test('installs the cmdai command', () => {
    expect(fs.existsSync(cmdai)).toBe(true);
  });

  test('cmdai --version prints the package version', async () => {
    const r = await run(cmdai, ['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  test('cmdai check "rm -rf /" rejects the command with a non-zero exit and no stack trace', async () => {
    const r = await run(cmdai, ['check', 'rm -rf /']);
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBeNull();
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(`${r.stdout}${r.stderr}`.trim()).not.toBe('');
  });

  test('cmdai check "ls" accepts the command with exit code 0', async () => {
    const r = await run(cmdai, ['check', 'ls']);
    expect(describeRun(r)).toMatch(/^exit 0/);
  });

  test('the tarball carries a prebuilt addon for this platform', () => {
    const addons = tarballFiles.filter((f) => f.startsWith(`prebuilds/${prebuildTuple}/`) && f.endsWith('.node'));
    if (addons.length === 0) {
      throw new Error(`no prebuilds/${prebuildTuple}/*.node in the tarball; run \`npm run build:prebuild\` before packing.`);
    }
  });

  test('cmdai --model <tiny model> --print "list files" generates a command with the prebuilt engine', async () => {
    if (!fs.existsSync(tinyModel)) throw new Error(`${tinyModel} is missing; run \`npm run fixtures\` first.`);
    const r = await run(cmdai, ['--model', tinyModel, '--print', 'list files']);
    expect(describeRun(r)).toMatch(/^exit 0/);
    // --print: the command alone on stdout (one line; multi-line commands are not expected here).
    expect(r.stdout.trim()).not.toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  test('where no prebuild matches and nothing was built, the first use of the engine says so: the platform, and how to build from source', async () => {
    // The installed package as it is on a platform the tarball has no prebuild for: the same
    // files without prebuilds/<this platform>/ (the bundled parser keeps its own prebuilds).
    const installed = path.join(prefix, 'lib', 'node_modules', 'cmdai');
    const copy = path.join(work, 'no-prebuild', 'cmdai');
    const left = path.join(installed, 'prebuilds', prebuildTuple);
    fs.cpSync(installed, copy, { recursive: true, verbatimSymlinks: true, filter: (src) => src !== left });
    expect(fs.existsSync(path.join(copy, 'prebuilds', prebuildTuple))).toBe(false);
    // Its own user profile: the tests above left a resident model server (keepAlive) whose socket
    // is in their cache folder, and a request there would be answered by the other install's engine.
    const home = path.join(work, 'no-prebuild', 'home');
    const env = { ...isolatedEnv(), HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache'), XDG_DATA_HOME: path.join(home, '.local', 'share') };
    const r = await run(process.execPath, [path.join(copy, 'bin', 'cmdai.js'), '--model', tinyModel, '--print', 'list files'], { env });
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBeNull();
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no prebuilt binary for ${prebuildTuple}`);
    expect(r.stderr).toContain(`Run \`npm run build:native\` in ${copy}`);
    expect(r.stderr).toMatch(/CMake/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  test('no build tool was invoked by the install or by any command above', () => {
    expect(buildToolCalls()).toBe('');
  });
});

describe('npx --yes ./cmdai-<version>.tgz', () => {
  test('runs the packaged CLI: --version prints the package version', async () => {
    const cwd = fs.mkdtempSync(path.join(work, 'npx-'));
    fs.copyFileSync(tarball, path.join(cwd, path.basename(tarball)));
    // Foreground scripts: a failing dependency install script then shows its output here.
    const r = await run('npx', ['--yes', `./${path.basename(tarball)}`, '--version'], { cwd, env: { ...isolatedEnv(), npm_config_foreground_scripts: 'true' } });
    expect(`${describeRun(r)}\n--- build tools called\n${buildToolCalls()}`).toMatch(/^exit 0/);
    expect(r.stdout.trim()).toBe(version);
    expect(buildToolCalls()).toBe('');
  });
});

describe('a project that depends on the tarball', () => {
  let consumer: string;

  beforeAll(async () => {
    consumer = path.join(work, 'consumer');
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // @types/node as any TypeScript project on Node has it: cmdai's declarations use Node types.
    const install = await run('npm', ['install', '--ignore-scripts', tarball, `@types/node@${typesNodeVersion}`], { cwd: consumer });
    expectSuccess(install, `npm install ${path.basename(tarball)} in a consumer project`);
  });

  test('an ES module imports generateCommand and assessCommand by name', async () => {
    fs.writeFileSync(
      path.join(consumer, 'esm.mjs'),
      [
        "import { generateCommand, assessCommand } from 'cmdai';",
        "const verdict = assessCommand('ls');",
        'console.log(JSON.stringify({ generateCommand: typeof generateCommand, assessCommand: typeof assessCommand, level: typeof verdict.level }));',
      ].join('\n'),
    );
    const r = await run(process.execPath, ['esm.mjs'], { cwd: consumer });
    expect(describeRun(r)).toMatch(/^exit 0/);
    expect(JSON.parse(r.stdout)).toEqual({ generateCommand: 'function', assessCommand: 'function', level: 'string' });
  });

  test('a CommonJS module requires cmdai', async () => {
    fs.writeFileSync(
      path.join(consumer, 'cjs.cjs'),
      [
        "const cmdai = require('cmdai');",
        'console.log(JSON.stringify({ generateCommand: typeof cmdai.generateCommand, assessCommand: typeof cmdai.assessCommand }));',
      ].join('\n'),
    );
    const r = await run(process.execPath, ['cjs.cjs'], { cwd: consumer });
    expect(describeRun(r)).toMatch(/^exit 0/);
    expect(JSON.parse(r.stdout)).toEqual({ generateCommand: 'function', assessCommand: 'function' });
  });

  // The consumer file misuses the API once under @ts-expect-error: if the package's types did not
  // resolve (everything `any`), that directive would be unused and tsc would fail.
  const typedConsumer = [
    "import { generateCommand, assessCommand } from 'cmdai';",
    '',
    "const verdict = assessCommand('rm -rf /');",
    'export const level: string = verdict.level;',
    '',
    'export async function firstCommand(options: Parameters<typeof generateCommand>[1]): Promise<string> {',
    "  const result = await generateCommand('list files', options);",
    '  return result.command;',
    '}',
    '',
    '// @ts-expect-error a command is a string, not a number',
    'assessCommand(42);',
    '',
  ].join('\n');

  function typeCheck(name: string, compilerOptions: Record<string, unknown>, fileName: string): Promise<RunResult> {
    const dir = path.join(consumer, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, fileName), typedConsumer);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', types: ['node'], ...compilerOptions }, files: [fileName] }),
    );
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    return run(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { cwd: dir });
  }

  test('types resolve for a TypeScript ES module under moduleResolution node16', async () => {
    const r = await typeCheck('ts-node16', { module: 'node16', moduleResolution: 'node16' }, 'consumer.mts');
    expect(describeRun(r)).toMatch(/^exit 0/);
  });

  test('types resolve for a TypeScript CommonJS module under moduleResolution node16', async () => {
    const r = await typeCheck('ts-node16-cjs', { module: 'node16', moduleResolution: 'node16' }, 'consumer.cts');
    expect(describeRun(r)).toMatch(/^exit 0/);
  });

  test('types resolve under moduleResolution bundler', async () => {
    const r = await typeCheck('ts-bundler', { module: 'esnext', moduleResolution: 'bundler' }, 'consumer.ts');
    expect(describeRun(r)).toMatch(/^exit 0/);
  });
});
