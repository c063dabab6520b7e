// Settings as a user handles them from the command line: a broken file does not block doctor,
// unknown keys warn, values naming files are checked, and settings can be removed again.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, expectNoStackTrace, isolatedEnv, runCli } from './helpers';

jest.setTimeout(120_000);

let env: NodeJS.ProcessEnv;
let workDir: string;
let file: string;

beforeAll(() => {
  ensureBuilt();
  env = isolatedEnv();
});
beforeEach(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-cfg-'));
  file = path.join(workDir, 'config.toml');
});
afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

test('doctor reports a broken config file and carries on with the rest of the report', () => {
  fs.writeFileSync(file, 'model = "a"\nfallback = [\n');
  const run = runCli(['doctor', '--config', file], { env });
  expect(run.stdout).toMatch(/config\s+FAIL .*config\.toml:\d+: not valid TOML/);
  expect(run.stdout).toMatch(/safety\s+moderate/);
  expect(run.stdout).toMatch(/llama\.cpp\s/);
  expect(run.status).toBe(2);
  expectNoStackTrace(run.stdout + run.stderr);
});

test('doctor on Linux does not fail MLX, which is not used there', () => {
  if (process.platform === 'darwin') return;
  const run = runCli(['doctor'], { env });
  expect(run.stdout).toMatch(/mlx\s+-- +not used on this platform/);
  expect(run.stdout).not.toMatch(/mlx\s+FAIL/);
});

test('an unknown key is a warning for every command, which still runs', () => {
  fs.writeFileSync(file, 'safety = "strict"\nbakend = "ollama"\n');
  const check = runCli(['check', '--config', file, 'ls'], { env });
  expect(check.status).toBe(0);
  expect(check.stdout).toContain('under the strict policy');
  expect(check.stderr).toContain('warning: ');
  expect(check.stderr).toContain('config.toml:2: unknown key "bakend" ignored (did you mean "backend"?)');
  const get = runCli(['config', 'get', 'safety', '--config', file], { env });
  expect(get.stdout).toBe('strict\n');
  expect(get.stderr).toContain('unknown key "bakend"');
});

test('config set and config get report a syntax error at the same line', () => {
  fs.writeFileSync(file, 'model = "a"\n\n[ollama]\nendpoint = "http://x"\nfallback = [\n');
  const get = runCli(['config', 'get', '--config', file], { env });
  const set = runCli(['config', 'set', 'backend', 'ollama', '--config', file], { env });
  expect(get.status).toBe(2);
  expect(set.status).toBe(2);
  const line = (text: string) => /config\.toml:(\d+)/.exec(text)?.[1];
  expect(line(set.stderr)).toBe(line(get.stderr));
});

describe('config set checks values that name things, and unset removes a setting', () => {
  test('a model path that does not exist is refused', () => {
    const run = runCli(['config', 'set', 'model', path.join(workDir, 'nope.gguf'), '--config', file], { env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('there is no model file at');
    expect(fs.existsSync(file)).toBe(false);
  });

  test('a model name that is not in the catalog is refused with the known names', () => {
    const run = runCli(['config', 'set', 'model', 'gpt-17', '--config', file], { env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('qwen2.5-coder-1.5b');
  });

  test('a relative model path is saved as the absolute path it means here', () => {
    fs.writeFileSync(path.join(workDir, 'my.gguf'), 'x');
    const run = runCli(['config', 'set', 'model', './my.gguf', '--config', file], { env, cwd: workDir });
    expect(run.status).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain(`model = ${JSON.stringify(path.join(workDir, 'my.gguf'))}`);
  });

  test('an empty value is refused with unset as the way; unset removes the setting', () => {
    expect(runCli(['config', 'set', 'backend', 'ollama', '--config', file], { env }).status).toBe(0);
    const empty = runCli(['config', 'set', 'backend', '', '--config', file], { env });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('cmdai config unset backend');
    const unset = runCli(['config', 'unset', 'backend', '--config', file], { env });
    expect(unset.status).toBe(0);
    expect(runCli(['config', 'get', 'backend', '--config', file], { env }).stdout).toBe('embedded\n');
  });
});

test('a relative models.dir in the file is the same folder from any working directory', () => {
  fs.writeFileSync(file, '[models]\ndir = "my-models"\n');
  const listed = (cwd: string) => JSON.parse(runCli(['model', 'list', '--json', '--config', file], { env: { ...env, CMDAI_MODELS_DIR: '' }, cwd }).stdout).modelsDir;
  expect(listed(os.tmpdir())).toBe(path.join(workDir, 'my-models'));
  expect(listed(workDir)).toBe(path.join(workDir, 'my-models'));
});

test('doctor names the default model rather than "default"', () => {
  const run = runCli(['doctor'], { env: { ...env, CMDAI_MODELS_DIR: path.join(workDir, 'models') } });
  expect(run.stdout).toMatch(/backend\s+FAIL llama\.cpp: .*model "qwen2\.5-coder-1\.5b" is not downloaded yet \(cmdai model pull qwen2\.5-coder-1\.5b\)/);
  expect(run.stdout).not.toContain('model "default"');
});
