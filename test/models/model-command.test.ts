// `cmdai model list|pull|path|verify|rm`, driven through yargs in-process, with a custom model
// from a config file served by a fake hub on 127.0.0.1.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import modelCommand from '../../lib/cli/commands/model';
import { CmdaiError } from '../../lib/errors';
import { FakeHub, fixtureContent, sha256 } from './helpers/fake-hub';

const REPO = 'someone/Tiny-GGUF';
const FILE = 'tiny.Q4_K_M.gguf';

let hub: FakeHub;
let home: string;
let content: Buffer;
const savedEnv = { ...process.env };

async function run(...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    await yargs(args).command(modelCommand).strict().fail((message, error) => {
      throw error ?? new Error(message);
    }).parseAsync();
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeEach(async () => {
  content = fixtureContent(512 * 1024);
  hub = await new FakeHub().start();
  hub.addFile(REPO, 'main', FILE, { content });
  home = mkdtempSync(join(tmpdir(), 'cmdai-model-cmd-'));
  const config = join(home, 'config.toml');
  writeFileSync(config, `[[models.custom]]\nname = "tiny"\nrepo = "${REPO}"\nfile = "${FILE}"\nsha256 = "${sha256(content)}"\n`);
  process.env = { ...savedEnv, CMDAI_CONFIG: config, CMDAI_MODELS_DIR: join(home, 'models'), HF_ENDPOINT: hub.url };
  process.exitCode = undefined;
});

afterEach(async () => {
  process.env = { ...savedEnv };
  process.exitCode = undefined;
  await hub.stop();
  rmSync(home, { recursive: true, force: true });
});

test('model list shows the catalog and custom models with their size, license and install state', async () => {
  const { stdout, error } = await run('model', 'list', '--json');
  expect(error).toBeUndefined();
  const listed = JSON.parse(stdout) as { modelsDir: string; models: Array<Record<string, unknown>> };
  expect(listed.modelsDir).toBe(join(home, 'models'));
  expect(listed.models.find((m) => m.name === 'qwen2.5-coder-1.5b')).toMatchObject({ default: true, format: 'gguf', size: '1.1 GB', license: 'apache-2.0', installed: false });
  expect(listed.models.find((m) => m.name === 'tiny')).toMatchObject({ installed: false });
});

test('model pull downloads a model and prints the path to load', async () => {
  const { stdout, stderr, error } = await run('model', 'pull', 'tiny');
  expect(error).toBeUndefined();
  const path = join(home, 'models', 'tiny', FILE);
  expect(stdout.trim()).toBe(path);
  expect(stderr).toContain('Downloaded and verified tiny');
  expect(existsSync(path)).toBe(true);
});

test('model path prints the load path and fails when the model is not downloaded', async () => {
  const missing = await run('model', 'path', 'tiny');
  expect(missing.stdout.trim()).toBe(join(home, 'models', 'tiny', FILE));
  expect(missing.stderr).toContain('not downloaded yet');
  expect(process.exitCode).toBe(4);
});

test('model verify recomputes the sha256 and reports a damaged file', async () => {
  await run('model', 'pull', 'tiny');
  const good = await run('model', 'verify', 'tiny');
  expect(good.error).toBeUndefined();
  expect(good.stdout).toContain(`ok      tiny/${FILE}`);

  writeFileSync(join(home, 'models', 'tiny', FILE), Buffer.alloc(content.length));
  const bad = await run('model', 'verify', 'tiny');
  expect(bad.stdout).toContain(`FAILED  tiny/${FILE} (sha256 differs)`);
  expect(bad.error).toBeInstanceOf(CmdaiError);
  expect((bad.error as CmdaiError).message).toContain('failed verification');
});

test('model rm deletes a downloaded model, and says so when there is nothing to delete', async () => {
  await run('model', 'pull', 'tiny');
  const removed = await run('model', 'rm', 'tiny');
  expect(removed.error).toBeUndefined();
  expect(removed.stderr).toContain('Removed tiny');
  expect(existsSync(join(home, 'models', 'tiny'))).toBe(false);

  const again = await run('model', 'rm', 'tiny');
  expect(again.error).toBeUndefined();
  expect(again.stderr).toContain('tiny is not downloaded; nothing to remove');
});

test('an unknown model name is a usage error that lists the known names', async () => {
  const { error } = await run('model', 'pull', 'no-such-model');
  expect((error as CmdaiError).code).toBe('USAGE');
  expect((error as CmdaiError).hint).toContain('qwen2.5-coder-1.5b');
});

test('model list marks one default: the model cmdai loads on this machine', async () => {
  const { stdout } = await run('model', 'list', '--json');
  const defaults = (JSON.parse(stdout) as { models: Array<{ name: string; default: boolean }> }).models.filter((m) => m.default);
  expect(defaults).toHaveLength(1);
  const mlxHere = process.platform === 'darwin' && process.arch === 'arm64';
  expect(defaults[0].name).toBe(mlxHere ? 'qwen2.5-coder-1.5b-mlx' : 'qwen2.5-coder-1.5b');
});

test('a pull that fails offline leaves no empty model folder behind', async () => {
  // Nothing listens on port 1: the connection is refused, as with no network.
  process.env.HF_ENDPOINT = 'http://127.0.0.1:1';
  const { error } = await run('model', 'pull', 'tiny');
  expect(error).toBeInstanceOf(CmdaiError);
  expect(existsSync(join(home, 'models', 'tiny'))).toBe(false);
});

test('model rm of a folder left without a model says what it removed', async () => {
  mkdirSync(join(home, 'models', 'tiny'), { recursive: true });
  const { stderr, error } = await run('model', 'rm', 'tiny');
  expect(error).toBeUndefined();
  expect(stderr).toContain('Removed the empty folder of tiny');
  expect(existsSync(join(home, 'models', 'tiny'))).toBe(false);
});
