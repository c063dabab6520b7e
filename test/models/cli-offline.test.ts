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
  const { HTTP_PROXY, HTTPS_PROXY, CMDAI_CONFIG, CMDAI_MODEL, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [cli, 'list files'], {
    env: {
      ...inherited,
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_CACHE_HOME: join(home, 'cache'),
      CMDAI_MODELS_DIR: modelsDir,
      CMDAI_OFFLINE: '1',
    },
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = result.stderr;

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
