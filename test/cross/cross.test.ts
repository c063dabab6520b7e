// `npm run test:cross`: the npm tarball with the cross-built prebuilds, installed with scripts off
// into a fresh prefix and run with the target's own Node: linux-arm64 under qemu-user, win32-x64
// under wine (scripts/cross/targets.js). What a user of that platform would do first: --version,
// the safety check (the shell parsers load from the tarball), generation with the embedded engine,
// greedy parity with llama.cpp's llama-simple built for the same target, where config and cache
// go, and running a command through the platform's shell with its exit code passed through.
//
// Needs: `npm run build:prebuild -- --target <t>` for each target, the tiny model
// (`npm run fixtures`), and the Debian packages named by scripts/cross/targets.js.
// CMDAI_CROSS_TARGETS=linux-arm64 (comma-separated) limits the targets.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalRegistry, type LocalRegistry } from '../dist/local-registry';
import { startOpenAIFixture, type OpenAIFixture } from '../helpers/openai-fixture';
import { runAsync } from '../helpers/run-async';
import { repoRoot, tinyModel, vocabularyRenderer } from '../reference/reference-tools';

jest.setTimeout(30 * 60 * 1000);

interface CrossTarget {
  name: string;
  platform: 'linux' | 'win32';
  arch: string;
  emulator: string;
}
interface TargetRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}
interface CrossModule {
  crossTarget(name: string): CrossTarget;
  requireTools(target: CrossTarget): void;
  targetNode(target: CrossTarget): string;
  windowsPath(p: string): string;
  runTargetAsync(target: CrossTarget, program: string, args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<TargetRun>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cross = require('../../scripts/cross/targets') as CrossModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildLlamaSimple } = require('../../scripts/cross/llama-simple') as { buildLlamaSimple(target: string): string };

const TARGETS = (process.env.CMDAI_CROSS_TARGETS || 'linux-arm64,win32-x64').split(',').filter(Boolean);
const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const PARITY_TOKENS = 16;
const PARITY_PROMPT = 'find all files larger than 100MB in my home directory';
// Qwen2's end-of-generation tokens: <|endoftext|> and <|im_end|>.
const END_OF_GENERATION = new Set([151643, 151645]);

/** Whether this machine's kernel runs the target's Linux programs (through qemu's binfmt_misc entry). */
function canStartTargetPrograms(targetName: string): boolean {
  const emulator = { 'linux-arm64': 'qemu-aarch64' }[targetName];
  if (!emulator) return false;
  try {
    return fs.readFileSync(`/proc/sys/fs/binfmt_misc/${emulator}`, 'utf8').startsWith('enabled');
  } catch {
    return false;
  }
}

let work: string;
let tarball: string;
let tarballFiles: string[];
let registry: LocalRegistry;

function describeRun(r: TargetRun | { status: number | null; stdout: string | Buffer; stderr: string }): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout.toString()}\n--- stderr\n${r.stderr}`;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-cross-'));
  fs.mkdirSync(path.join(work, 'tmp'));
  if (!fs.existsSync(tinyModel)) throw new Error('models/test/tiny-qwen2.gguf is missing; run `npm run fixtures` first.');
  const build = await runAsync('npm', ['run', 'build:ts'], { cwd: repoRoot, env: process.env });
  if (build.status !== 0) throw new Error(`npm run build:ts failed: ${describeRun(build)}`);
  const pack = await runAsync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot, env: process.env });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${describeRun(pack)}`);
  const [report] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, report.filename);
  tarballFiles = report.files.map((f) => f.path);
  registry = await startLocalRegistry(repoRoot, work);
});

afterAll(async () => {
  await registry?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe.each(TARGETS)('%s, emulated', (targetName) => {
  let target: CrossTarget;
  let prefix: string;
  let packageDir: string;
  let userEnv: NodeJS.ProcessEnv;
  let manifest: { cpuVariants: string[]; addon: string };
  const isWindows = targetName.startsWith('win32');
  /** A path as the target's programs see it. */
  const seen = (p: string) => (isWindows ? cross.windowsPath(p) : p);

  // qemu's SVE emulation is slow: generation runs on an Armv8.2 core (Neoverse N1: DOTPROD, FP16),
  // which gets the armv8.2 variant; the variant test picks other CPUs itself.
  const emulatedCpu: NodeJS.ProcessEnv = isWindows ? {} : { QEMU_CPU: 'neoverse-n1' };
  const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    cross.runTargetAsync(target, cross.targetNode(target), args, { env: { ...emulatedCpu, ...userEnv, ...env }, cwd: work });
  const cmdai = (args: string[], env: NodeJS.ProcessEnv = {}) => node([seen(path.join(packageDir, 'bin', 'cmdai.js')), ...args], env);

  beforeAll(async () => {
    target = cross.crossTarget(targetName);
    cross.requireTools(target);
    const manifestFile = path.join(repoRoot, 'prebuilds', targetName, 'prebuild.json');
    if (!fs.existsSync(manifestFile)) throw new Error(`prebuilds/${targetName}/ is missing; run \`npm run build:prebuild -- --target ${targetName}\` first.`);
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as typeof manifest;

    // Installed by the host's npm (the target Node packages carry no npm), scripts off, from the
    // local registry: what lands on disk is the same on every platform.
    prefix = path.join(work, targetName);
    fs.mkdirSync(prefix);
    const install = await runAsync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', prefix, tarball], {
      cwd: path.join(work, 'tmp'),
      env: { ...process.env, npm_config_registry: registry.url, npm_config_cache: path.join(work, 'npm-cache'), npm_config_userconfig: path.join(work, 'npmrc') },
    });
    if (install.status !== 0) throw new Error(`npm install ${path.basename(tarball)} failed: ${describeRun(install)}`);
    packageDir = path.join(prefix, 'node_modules', 'cmdai');

    // Where the platform keeps config and cache: XDG folders on Linux (set here to folders of the
    // test); on Windows whatever wine's user profile says %APPDATA% and %LOCALAPPDATA% are.
    // undefined removes the variable: cmdai uses the platform's default places.
    const unset = { CMDAI_CONFIG: undefined, CMDAI_CACHE_DIR: undefined, CMDAI_MODELS_DIR: undefined };
    userEnv = isWindows
      ? unset
      : {
          ...unset,
          HOME: path.join(work, `${targetName}-home`),
          XDG_CONFIG_HOME: path.join(work, `${targetName}-config`),
          XDG_CACHE_HOME: path.join(work, `${targetName}-cache`),
        };
  });

  /** Where cmdai should keep its config and caches on this platform, as the target sees paths. */
  let places: { config: string; promptCache: string };
  const listDir = async (dir: string): Promise<string[]> => {
    const r = await node(['-e', 'const fs = require("fs"); console.log(JSON.stringify(fs.existsSync(process.argv[1]) ? fs.readdirSync(process.argv[1]) : []))', dir]);
    if (r.status !== 0) throw new Error(`listing ${dir} failed: ${describeRun(r)}`);
    return JSON.parse(r.stdout.toString()) as string[];
  };

  beforeAll(async () => {
    if (isWindows) {
      // wine's user profile decides these, as Windows does.
      const r = await node(['-e', 'console.log(JSON.stringify({ appData: process.env.APPDATA, localAppData: process.env.LOCALAPPDATA }))']);
      const env = JSON.parse(r.stdout.toString()) as { appData?: string; localAppData?: string };
      if (!env.appData || !env.localAppData) throw new Error(`wine gave no %APPDATA% / %LOCALAPPDATA%: ${describeRun(r)}`);
      places = { config: `${env.appData}\\cmdai\\`, promptCache: `${env.localAppData}\\cmdai\\prompt-cache` };
    } else {
      places = { config: `${userEnv.XDG_CONFIG_HOME}/cmdai/`, promptCache: `${userEnv.XDG_CACHE_HOME}/cmdai/prompt-cache` };
    }
    // The wine prefix outlives a run: start without an earlier run's prompt cache.
    const cleared = await node(['-e', 'require("fs").rmSync(process.argv[1], { recursive: true, force: true })', places.promptCache]);
    if (cleared.status !== 0) throw new Error(`could not clear ${places.promptCache}: ${describeRun(cleared)}`);
  });

  test('the tarball carries the prebuild, complete', () => {
    for (const name of [manifest.addon, 'prebuild.json']) expect(tarballFiles).toContain(`prebuilds/${targetName}/${name}`);
    expect(manifest.cpuVariants.length).toBeGreaterThan(1);
  });

  test('cmdai --version prints the package version', async () => {
    const r = await cmdai(['--version']);
    expect(describeRun(r)).toMatch(/^exit 0/);
    expect(r.stdout.toString().trim()).toBe(version);
  });

  // On Windows `check` assumes PowerShell unless told otherwise; the POSIX form needs --shell there.
  const posixShell = isWindows ? ['--shell', 'bash'] : [];

  test('cmdai check "rm -rf /" exits 3 (blocked), judged by the bash parser (tree-sitter)', async () => {
    const r = await cmdai(['check', ...posixShell, '--json', 'rm -rf /']);
    expect(describeRun(r)).toMatch(/^exit 3/);
    const rules = (JSON.parse(r.stdout.toString()) as { reasons: Array<{ rule: string }> }).reasons.map((x) => x.rule);
    expect(rules).not.toContain('internal.error'); // what a parser that failed to load gives
    expect(rules.length).toBeGreaterThan(0);
  });

  test('cmdai check "ls -la" passes (exit 0): the parser reads a harmless command', async () => {
    const r = await cmdai(['check', ...posixShell, 'ls -la']);
    expect(describeRun(r)).toMatch(/^exit 0/);
  });

  if (isWindows) {
    test('cmd.exe: check --shell cmd "rd /s /q C:\\" exits 3', async () => {
      const r = await cmdai(['check', '--shell', 'cmd', 'rd /s /q C:\\']);
      expect(describeRun(r)).toMatch(/^exit 3/);
    });

    test('PowerShell: check --shell powershell "Remove-Item -Recurse -Force C:\\" exits 3', async () => {
      const r = await cmdai(['check', '--shell', 'powershell', 'Remove-Item -Recurse -Force C:\\']);
      expect(describeRun(r)).toMatch(/^exit 3/);
    });
  }

  describe('the embedded engine from the prebuild', () => {
    test('a CPU variant is picked at run time: the loaded CPU backend has the features of a non-baseline variant', async () => {
      const addon = path.join(packageDir, 'prebuilds', targetName, manifest.addon);
      const script = 'console.log(require(process.argv[1]).systemInfo().system)';
      if (isWindows) {
        // wine runs on this machine's CPU: x86-64 with AVX2 here means the haswell variant or better.
        const r = await node(['-e', script, seen(addon)]);
        expect(describeRun(r)).toMatch(/^exit 0/);
        process.stderr.write(`${targetName}: ${r.stdout.toString().trim()}\n`);
        // The x86-64 baseline variant (x64) has no AVX; a CPU with AVX2 must get a variant with it.
        const hostHasAvx2 = /\bavx2\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
        expect(r.stdout.toString()).toMatch(/^CPU : /m);
        if (hostHasAvx2) expect(r.stdout.toString()).toMatch(/AVX2 = 1/);
      } else {
        // qemu can play different CPUs: an Armv8.0 core gets the baseline, qemu's "max" a newer one.
        const baseline = await node(['-e', script, addon], { QEMU_CPU: 'cortex-a53' });
        const newest = await node(['-e', script, addon], { QEMU_CPU: 'max' });
        expect(describeRun(baseline)).toMatch(/^exit 0/);
        expect(describeRun(newest)).toMatch(/^exit 0/);
        process.stderr.write(`${targetName} cortex-a53: ${baseline.stdout.toString().trim()}\n${targetName} max: ${newest.stdout.toString().trim()}\n`);
        expect(baseline.stdout.toString()).not.toMatch(/DOTPROD = 1/);
        expect(newest.stdout.toString()).toMatch(/DOTPROD = 1/);
        expect(newest.stdout.toString()).toMatch(/SVE = 1/);
      }
    });

    test(`cmdai --model <tiny> --print "list files" prints one command and keeps its prompt cache in ${isWindows ? '%LOCALAPPDATA%\\cmdai' : '$XDG_CACHE_HOME/cmdai'}`, async () => {
      expect(await listDir(places.promptCache)).toEqual([]);
      const r = await cmdai(['--model', seen(tinyModel), '--print', 'list files']);
      expect(describeRun(r)).toMatch(/^exit 0/);
      expect(r.stdout.toString().trim()).not.toBe('');
      expect(r.stdout.toString().trim().split('\n')).toHaveLength(1);
      expect((await listDir(places.promptCache)).length).toBeGreaterThan(0);
    });

    // The CLI keeps the model loaded in a background server between requests (specs/resident.md):
    // on Windows over a named pipe, elsewhere over a Unix socket in a 0700 folder. The request
    // above started one (keepAlive defaults to 10 minutes); this one must be answered by it.
    // Under qemu-user the client starts the server with the target's Node, which this machine runs
    // only when the kernel hands aarch64 programs to qemu (a binfmt_misc entry; wine has its own way).
    const residentTest = isWindows || canStartTargetPrograms(targetName) ? test : test.skip;
    const skipped = residentTest === test ? '' : ` [skipped: no binfmt_misc entry for ${targetName}'s programs on this machine; see specs/distribution.md, test:cross step 4]`;
    residentTest(`the resident model answers the next request over ${isWindows ? 'its named pipe' : 'its Unix socket'}; serve --status shows it, serve --stop ends it${skipped}`, async () => {
      const ask = await cmdai(['--model', seen(tinyModel), '--verbose', '--print', 'show disk usage']);
      expect(describeRun(ask)).toMatch(/^exit 0/);
      expect(ask.stderr).toMatch(/backend llama\.cpp \(resident\)/);
      const status = await cmdai(['serve', '--status']);
      expect(describeRun(status)).toMatch(/^exit 0/);
      expect(status.stdout.toString()).toMatch(isWindows ? /\\\\\.\\pipe\\cmdai-/ : /server\.sock/);
      const stop = await cmdai(['serve', '--stop']);
      expect(describeRun(stop)).toMatch(/^exit 0/);
      const after = await cmdai(['serve', '--status']);
      expect(after.status).toBe(4);
    });

    test(`greedy completion equals llama-simple built for ${targetName}, ${PARITY_TOKENS} tokens, byte for byte`, async () => {
      const simple = buildLlamaSimple(targetName);
      const reference = await cross.runTargetAsync(target, seen(simple), ['-m', seen(tinyModel), '-n', String(PARITY_TOKENS), PARITY_PROMPT], {
        cwd: path.dirname(simple),
        env: emulatedCpu, // the same CPU, so the same variant, as the engine below
      });
      expect(`${reference.status}\n${reference.stderr.slice(-2000)}`).toMatch(/^0\n/);
      // Windows' C runtime writes stdout in text mode: every "\n" becomes "\r\n". Undone exactly
      // by turning each "\r\n" back into "\n" (a "\r\n" the model made was written "\r\r\n").
      const printed = isWindows ? Buffer.from(reference.stdout.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : reference.stdout;
      const echoed = Buffer.from(PARITY_PROMPT, 'utf8');
      expect(printed.subarray(0, echoed.length).equals(echoed)).toBe(true);
      expect(printed[printed.length - 1]).toBe(0x0a);
      const expected = printed.subarray(echoed.length, printed.length - 1); // its final newline dropped
      const decoded = Number(/decoded (\d+) tokens/.exec(reference.stderr)?.[1]);

      const script = path.join(__dirname, 'scripts', 'greedy.js');
      const r = await node([seen(script), seen(path.join(packageDir, 'dist', 'engine', 'index.js')), seen(tinyModel), PARITY_PROMPT, String(PARITY_TOKENS)]);
      expect(describeRun(r)).toMatch(/^exit 0/);
      const ours = JSON.parse(r.stdout.toString()) as { tokens: number[]; stopReason: string };
      const generated = ours.tokens.filter((t, i, all) => !(i === all.length - 1 && END_OF_GENERATION.has(t)));
      expect(generated.length).toBe(decoded);
      expect(vocabularyRenderer(tinyModel)(generated).toString('hex')).toBe(expected.toString('hex'));
    });
  });

  test(isWindows ? 'the config file is in %APPDATA%\\cmdai' : 'the config file is in $XDG_CONFIG_HOME/cmdai', async () => {
    // Exit 4 when no backend can answer (no model downloaded here); the report is what matters.
    const doctor = await cmdai(['doctor', '--json']);
    expect(describeRun(doctor)).toMatch(/^exit [014]\n/);
    const report = JSON.parse(doctor.stdout.toString()) as { config: string; engine: { available: boolean } };
    expect(report.engine.available).toBe(true);
    expect(report.config.startsWith(places.config)).toBe(true);
  });

  describe('running the command', () => {
    let server: OpenAIFixture;
    const command = isWindows ? 'exit /b 7' : 'exit 7';

    beforeAll(async () => {
      server = await startOpenAIFixture({ reply: JSON.stringify({ command, explanation: 'Leaves with status 7.' }) });
    });
    afterAll(async () => {
      await server?.close();
    });

    test(`--yes runs "${command}" through ${isWindows ? "wine's cmd.exe" : '/bin/sh'} and exits with its status`, async () => {
      const r = await cmdai(['--backend', 'openai', '--endpoint', `${server.url}/v1`, '--shell', isWindows ? 'cmd' : 'sh', '--yes', 'leave with status seven']);
      expect(describeRun(r)).toMatch(/^exit 7/);
      expect(r.stdout.toString()).toContain(command);
    });
  });
});
