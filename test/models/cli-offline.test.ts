// `cmdai` with no model and CMDAI_OFFLINE=1, run as a user would: the built CLI in a child
// process. It must explain what is missing and how to use a local GGUF file, and exit non-zero
// without a stack trace. (Needs the build: `npm run build:ts`.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
const cli = join(repoRoot, 'bin', 'cmdai.js');

let home: string;

function runWithoutModel(modelsDir: string, extra: NodeJS.ProcessEnv) {
  const { HTTP_PROXY, HTTPS_PROXY, CMDAI_CONFIG, CMDAI_MODEL, CMDAI_OFFLINE, ...inherited } = process.env;
  return spawnSync(process.execPath, [cli, 'list files'], {
    env: { ...inherited, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), CMDAI_MODELS_DIR: modelsDir, ...extra },
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Each way forward (pull, --yes, --model) is offered once. */
function expectNoRepeatedAdvice(stderr: string): void {
  for (const advice of ['cmdai model pull', '--yes', '--model /path/to/model.gguf']) {
    expect(stderr.split(advice).length - 1).toBeLessThanOrEqual(1);
  }
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cmdai-offline-'));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

test('the built CLI exists (run `npm run build:ts` first)', () => {
  expect(existsSync(cli)).toBe(true);
  expect(existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))).toBe(true);
  expect(existsSync(join(repoRoot, 'dist', 'models', 'ensure.js'))).toBe(true);
});

test('with no model and CMDAI_OFFLINE=1, cmdai prints the offline guidance and exits non-zero without a stack trace', () => {
  const modelsDir = join(home, 'models');
  const result = runWithoutModel(modelsDir, { CMDAI_OFFLINE: '1' });
  const stderr = result.stderr;
  expect(stderr).toMatch(/^cmdai: No local model to run/);
  expectNoRepeatedAdvice(stderr);

  expect(result.status).not.toBe(0);
  expect(result.status).not.toBeNull();
  expect(result.stdout).toBe('');
  expect(stderr).toContain('cannot download one');
  expect(stderr).toContain('CMDAI_OFFLINE');
  expect(stderr).toContain(join(modelsDir, 'qwen2.5-coder-1.5b'));
  expect(stderr).toContain('cmdai --model /path/to/model.gguf');
  expect(stderr).not.toMatch(/^\s+at .+[:(]\d+:\d+\)?$/m);
  expect(stderr).not.toMatch(/CmdaiError|Error:/);
  expect(existsSync(modelsDir) && existsSync(join(modelsDir, 'qwen2.5-coder-1.5b', 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf'))).toBe(false);
});

test('with no model, not on a terminal and without --yes, each way forward is said once', () => {
  const result = runWithoutModel(join(home, 'models'), {});
  expect(result.status).toBe(4);
  expect(result.stderr).toContain('is not downloaded yet');
  expect(result.stderr).toContain('cmdai model pull qwen2.5-coder-1.5b');
  expectNoRepeatedAdvice(result.stderr);
});
