// `npm run test:source-install`: the install-time fallback, end to end. The npm tarball without
// a prebuild for this platform (as on a platform the release has none for) is installed globally
// WITH install scripts into a fresh prefix, so scripts/install.js finds no engine that loads and
// builds one from source with scripts/build-native.js. A user's install has no cmake-js (a dev
// dependency), so CMake is run directly. Then the installed CLI generates with that build.
//
// Slow (a source build of llama.cpp, several minutes), so it is not part of `npm test`; CI runs
// it in its own job (ci.yml, `source-install`). Needs CMake, a C++ compiler, git, the llama.cpp
// source ($LLAMA_CPP_DIR or deps/llama.cpp: `node scripts/fetch-llama.js`) and the tiny model
// (`npm run fixtures`). Dependencies come from the local registry of test/dist; the llama.cpp
// source from LLAMA_CPP_DIR, so nothing is downloaded (the registry download of fetch-llama.js
// is what a user without LLAMA_CPP_DIR gets; specs/distribution.md says where it was shown).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalRegistry, type LocalRegistry } from '../dist/local-registry';
import { llamaCppDir, repoRoot, tinyModel } from '../reference/reference-tools';
import { runAsync, type RunResult } from '../helpers/run-async';

jest.setTimeout(45 * 60 * 1000);

const tuple = `${process.platform}-${process.arch}`;

let work: string;
let tarball: string;
let registry: LocalRegistry;
let prefix: string;
let installed: string;
let install: RunResult;

/** Asynchronous: the local registry answers from this process's event loop. */
function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return runAsync(cmd, args, { cwd: options.cwd ?? work, env: options.env ?? userEnv() });
}

function describeRun(r: RunResult): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-6000)}`;
}

/** A user's environment: own home and npm cache, npm pointed at the local registry. */
function userEnv(): NodeJS.ProcessEnv {
  const home = path.join(work, 'home');
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    TMPDIR: path.join(work, 'tmp'),
    npm_config_registry: registry.url,
    npm_config_cache: path.join(work, 'npm-cache'),
    npm_config_userconfig: path.join(work, 'npmrc'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_foreground_scripts: 'true', // the build's output lands in this test's report
    CMDAI_CONFIG: undefined,
    CMDAI_CACHE_DIR: undefined,
    CMDAI_SKIP_NATIVE_BUILD: undefined,
    PREBUILDS_ONLY: undefined,
  };
}

beforeAll(async () => {
  if (!fs.existsSync(tinyModel)) throw new Error('models/test/tiny-qwen2.gguf is missing; run `npm run fixtures` first.');
  if (!fs.existsSync(path.join(llamaCppDir, 'include', 'llama.h'))) {
    throw new Error(`${llamaCppDir} has no llama.cpp source; run \`node scripts/fetch-llama.js\` or set LLAMA_CPP_DIR.`);
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-source-install-'));
  for (const d of ['home', 'tmp', 'repack']) fs.mkdirSync(path.join(work, d));
  fs.writeFileSync(path.join(work, 'npmrc'), '');

  const build = spawnSync('npm', ['run', 'build:ts'], { cwd: repoRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:ts failed: ${build.stderr}`);
  const pack = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const [report] = JSON.parse(pack.stdout) as Array<{ filename: string }>;

  // The same tarball without this platform's prebuild (if the checkout had one).
  const unpacked = path.join(work, 'repack');
  const untar = spawnSync('tar', ['-xzf', path.join(work, report.filename), '-C', unpacked], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar -x failed: ${untar.stderr}`);
  fs.rmSync(path.join(unpacked, 'package', 'prebuilds', tuple), { recursive: true, force: true });
  tarball = path.join(work, `no-${tuple}-${report.filename}`);
  const retar = spawnSync('tar', ['-czf', tarball, '-C', unpacked, 'package'], { encoding: 'utf8' });
  if (retar.status !== 0) throw new Error(`tar -c failed: ${retar.stderr}`);

  registry = await startLocalRegistry(repoRoot, work);
  prefix = path.join(work, 'global');
  installed = process.platform === 'win32' ? path.join(prefix, 'node_modules', 'cmdai') : path.join(prefix, 'lib', 'node_modules', 'cmdai');
  install = await run('npm', ['install', '--global', '--prefix', prefix, tarball], {
    cwd: path.join(work, 'tmp'),
    // CMDAI_REQUIRE_NATIVE: a failed build fails the install (a user's install carries on without it).
    env: { ...userEnv(), LLAMA_CPP_DIR: llamaCppDir, CMDAI_REQUIRE_NATIVE: '1' },
  });
});

afterAll(async () => {
  await registry?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test(`npm i -g <tarball without prebuilds/${tuple}> builds the engine from source in its install script, without cmake-js`, () => {
  expect(describeRun(install)).toMatch(/^exit 0/);
  const output = install.stdout + install.stderr;
  expect(output).toContain(`no prebuilt engine for ${tuple}; building it from source`);
  expect(output).toContain('cmake-js is not installed (a dev dependency); running CMake directly');
  expect(fs.existsSync(path.join(installed, 'node_modules', 'cmake-js'))).toBe(false);
  expect(fs.existsSync(path.join(installed, 'prebuilds', tuple))).toBe(false);
  expect(fs.existsSync(path.join(installed, 'build', 'Release', 'cmdai.node'))).toBe(true);
});

test('cmdai --model <tiny> --print "list files" generates one command with the engine built at install', async () => {
  const cli = path.join(installed, 'bin', 'cmdai.js');
  const r = await run(process.execPath, [cli, '--model', tinyModel, '--print', 'list files']);
  expect(describeRun(r)).toMatch(/^exit 0/);
  expect(r.stdout.trim()).not.toBe('');
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
});

test('the installed package loads its own build (build/Release/cmdai.node), which reports a CPU backend', async () => {
  // node-gyp-build as the package uses it (dist/engine/binding.js): which file it picks, and that file's report.
  const script = [
    'const dir = process.argv[1];',
    'const pick = require(require.resolve("node-gyp-build", { paths: [dir] }));',
    'const file = pick.path(dir);',
    'console.log(JSON.stringify({ file, system: require(file).systemInfo().system }));',
  ].join('\n');
  const r = await run(process.execPath, ['-e', script, installed]);
  expect(describeRun(r)).toMatch(/^exit 0/);
  const out = JSON.parse(r.stdout) as { file: string; system: string };
  expect(out.file).toBe(path.join(installed, 'build', 'Release', 'cmdai.node'));
  expect(out.system).toMatch(/CPU : /);
});
