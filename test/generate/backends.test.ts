// Building the configured backend or fallback chain from config and flags.
import * as path from 'node:path';
import { chooseEngine, createBackend, looksLikePath } from '../../lib/backends';
import { defaultConfig } from '../../lib/config';
import { repoRoot } from '../cli/helpers';

const tiny = path.join(repoRoot, 'models', 'test', 'tiny-qwen2.gguf');

test('the default is the embedded engine alone', () => {
  const backend = createBackend(defaultConfig('/none.toml'));
  expect(backend.name).toBe('llama.cpp');
});

test('backend plus fallback becomes a chain in that order', async () => {
  const config = { ...defaultConfig('/none.toml'), backend: 'ollama' as const, fallback: ['embedded' as const] };
  const backend = createBackend(config, { flags: { model: tiny } });
  expect(backend.name).toBe('ollama>llama.cpp');
  await backend.dispose();
});

test('a .gguf path given with --model goes to the embedded engine even behind a remote backend', async () => {
  const config = { ...defaultConfig('/none.toml'), backend: 'openai' as const, fallback: ['embedded' as const] };
  config.openai = { ...config.openai, endpoint: 'http://127.0.0.1:9/v1' };
  const chain = createBackend(config, { flags: { model: tiny } }) as unknown as { statusAll(): Promise<{ backend: string; model?: string; detail: string }[]> };
  const [, embedded] = await chain.statusAll();
  expect(embedded.backend).toBe('llama.cpp');
  expect(embedded.detail).toContain(tiny);
});

test('paths and names are told apart', () => {
  expect(looksLikePath('./m.gguf')).toBe(true);
  expect(looksLikePath('/models/x')).toBe(true);
  expect(looksLikePath('qwen2.5-coder-1.5b')).toBe(false);
});

describe('embedded engine choice', () => {
  const mlxFolder = path.join(repoRoot, 'models', 'test', 'mlx-tiny-qwen2');

  test('a GGUF file runs on llama.cpp', () => {
    expect(createBackend(defaultConfig('/none.toml'), { flags: { model: tiny } }).name).toBe('llama.cpp');
  });

  test('auto picks llama.cpp off Apple Silicon and MLX on darwin-arm64 when it is built', () => {
    const config = defaultConfig('/none.toml');
    expect(chooseEngine(config, undefined, 'linux', 'x64')).toMatchObject({ engine: 'llama.cpp' });
    const apple = chooseEngine(config, undefined, 'darwin', 'arm64');
    expect(apple.reason).toMatch(/MLX|llama\.cpp: darwin-arm64 would use MLX, but/);
  });

  test('engine = "llama.cpp" with an MLX model folder is a usage error naming both', () => {
    const config = { ...defaultConfig('/none.toml'), engine: 'llama.cpp' as const };
    expect(() => createBackend(config, { flags: { model: mlxFolder } })).toThrow(/MLX model folder, which the llama\.cpp engine cannot run/);
  });
});
