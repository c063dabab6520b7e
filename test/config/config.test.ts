import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CmdaiError } from '../../lib/errors';
import { configDir, configFilePath, cacheDir, loadConfig, setConfigValue, getConfigValue, unsetConfigValue } from '../../lib/config';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeConfig(text: string): string {
  const file = path.join(dir, 'config.toml');
  fs.writeFileSync(file, text);
  return file;
}

function configError(run: () => unknown): CmdaiError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CmdaiError);
    return err as CmdaiError;
  }
  throw new Error('expected a CmdaiError');
}

describe('platform directories', () => {
  test('Linux uses XDG_CONFIG_HOME, falling back to ~/.config', () => {
    expect(configDir({ platform: 'linux', env: { XDG_CONFIG_HOME: '/x/cfg' }, home: '/home/u' })).toBe('/x/cfg/cmdai');
    expect(configDir({ platform: 'linux', env: {}, home: '/home/u' })).toBe('/home/u/.config/cmdai');
  });

  test('macOS uses Application Support for config and Library/Caches for the cache', () => {
    expect(configDir({ platform: 'darwin', env: {}, home: '/Users/u' })).toBe('/Users/u/Library/Application Support/cmdai');
    expect(cacheDir({ platform: 'darwin', env: {}, home: '/Users/u' })).toBe('/Users/u/Library/Caches/cmdai');
  });

  test('Windows uses %APPDATA%', () => {
    expect(configFilePath({ platform: 'win32', env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, home: 'C:\\Users\\u' })).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\cmdai\\config.toml',
    );
  });

  test('CMDAI_CONFIG names the config file directly', () => {
    expect(configFilePath({ platform: 'linux', env: { CMDAI_CONFIG: '/etc/my.toml' }, home: '/h' })).toBe('/etc/my.toml');
  });
});

describe('loading', () => {
  test('a missing default file gives the defaults', () => {
    const config = loadConfig({ env: { CMDAI_CONFIG: undefined, XDG_CONFIG_HOME: dir } });
    expect(config.backend).toBe('embedded');
    expect(config.safety.policy).toBe('moderate');
    expect(config.fallback).toEqual([]);
  });

  test('values from the file override the defaults', () => {
    const file = writeConfig('backend = "ollama"\nfallback = ["embedded"]\n[ollama]\nmodel = "qwen2.5-coder:1.5b"\ntimeout_ms = 2000\n');
    const config = loadConfig({ file, env: {} });
    expect(config.backend).toBe('ollama');
    expect(config.fallback).toEqual(['embedded']);
    expect(config.ollama.model).toBe('qwen2.5-coder:1.5b');
    expect(config.ollama.timeout_ms).toBe(2000);
  });

  test('flags beat environment, environment beats the file', () => {
    const file = writeConfig('safety = "permissive"\nshell = "zsh"\nmodel = "from-file"\n');
    const config = loadConfig({ file, env: { CMDAI_SAFETY: 'strict', CMDAI_SHELL: 'fish' }, flags: { shell: 'bash' } });
    expect(config.safety.policy).toBe('strict');
    expect(config.shell).toBe('bash');
    expect(config.model).toBe('from-file');
    expect(config.sources).toMatchObject({ 'safety.policy': 'env', shell: 'flag', model: 'file' });
  });

  test('the embedded engine preference defaults to auto and can be set', () => {
    expect(loadConfig({ file: writeConfig(''), env: {} }).engine).toBe('auto');
    expect(loadConfig({ file: writeConfig('engine = "mlx"\n'), env: {} }).engine).toBe('mlx');
    expect(loadConfig({ file: writeConfig(''), env: { CMDAI_ENGINE: 'llama.cpp' } }).engine).toBe('llama.cpp');
  });

  test('the [safety] table holds the policy and user rules', () => {
    const file = writeConfig('[safety]\npolicy = "strict"\nallow = ["git push"]\ndeny = ["terraform destroy"]\n');
    const config = loadConfig({ file, env: {} });
    expect(config.safety).toEqual({ policy: 'strict', allow: ['git push'], deny: ['terraform destroy'] });
  });

  test('custom models are read from [[models.custom]]', () => {
    const file = writeConfig(`[[models.custom]]\nname = "mine"\nurl = "https://example.test/m.gguf"\nsha256 = "${'a'.repeat(64)}"\n`);
    expect(loadConfig({ file, env: {} }).models.custom).toEqual([
      { name: 'mine', url: 'https://example.test/m.gguf', sha256: 'a'.repeat(64) },
    ]);
  });
});

describe('bad configuration', () => {
  test('a bad value names the key and its line', () => {
    const file = writeConfig('backend = "embedded"\n\n[ollama]\nendpoint = "http://127.0.0.1:11434"\ntimeout_ms = "fast"\n');
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toContain(`${file}:5`);
    expect(err.message).toContain('ollama.timeout_ms');
    expect(err.message).toContain('whole number');
  });

  test('an unknown key is a warning with its line and the closest known key; the rest of the file applies', () => {
    const file = writeConfig('backend = "ollama"\nbakend = "openai"\n');
    const config = loadConfig({ file, env: {} });
    expect(config.backend).toBe('ollama');
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain(`${file}:2: unknown key "bakend" ignored (did you mean "backend"?)`);
    expect(config.warnings[0]).not.toContain('config set');
  });

  test('a syntax error is reported at the same line by loading and by config set', () => {
    const file = writeConfig('model = "a"\n\n[ollama]\nendpoint = "http://x"\nfallback = [\n');
    const loaded = configError(() => loadConfig({ file, env: {} }));
    const setting = configError(() => setConfigValue(file, 'backend', 'ollama'));
    const line = /config\.toml:(\d+)/.exec(loaded.message)![1];
    expect(setting.message).toContain(`config.toml:${line}:`);
  });

  test('broken TOML syntax reports the line', () => {
    const file = writeConfig('model = "a"\nfallback = [\n');
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.message).toMatch(/config\.toml:\d+: not valid TOML/);
  });

  test('an invalid environment variable is named', () => {
    const err = configError(() => loadConfig({ file: writeConfig(''), env: { CMDAI_BACKEND: 'gpt' } }));
    expect(err.message).toContain('CMDAI_BACKEND');
    expect(err.message).toContain('embedded, ollama, openai');
  });

  test('an invalid flag value is a usage error naming the flag', () => {
    const err = configError(() =>
      loadConfig({ file: writeConfig(''), env: {}, flags: { 'safety.policy': 'lax' }, flagNames: { 'safety.policy': '--safety' } }),
    );
    expect(err.code).toBe('USAGE');
    expect(err.message).toContain('--safety "lax"');
  });

  test('an explicit config file that does not exist is an error', () => {
    const err = configError(() => loadConfig({ file: path.join(dir, 'nope.toml'), env: {} }));
    expect(err.message).toContain('Config file not found');
  });
});

describe('paths in the file', () => {
  test('a relative models.dir and model path mean relative to the config file\'s folder, wherever cmdai runs', () => {
    const file = writeConfig('model = "./models/my.gguf"\n[models]\ndir = "cache/models"\n');
    const config = loadConfig({ file, env: {} });
    expect(config.models.dir).toBe(path.join(dir, 'cache', 'models'));
    expect(config.model).toBe(path.join(dir, 'models', 'my.gguf'));
  });

  test('a model name and ~ paths are left as written', () => {
    const file = writeConfig('model = "qwen2.5-coder-3b"\n[models]\ndir = "~/models"\n');
    const config = loadConfig({ file, env: {} });
    expect(config.model).toBe('qwen2.5-coder-3b');
    expect(config.models.dir).toBe('~/models');
  });
});

describe('config unset', () => {
  test('removes the key\'s line, keeps the rest, and the default applies again', () => {
    const file = writeConfig('# mine\nbackend = "ollama"\n[safety]\npolicy = "strict"\n');
    expect(unsetConfigValue(file, 'backend')).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe('# mine\n[safety]\npolicy = "strict"\n');
    expect(loadConfig({ file, env: {} }).backend).toBe('embedded');
    expect(unsetConfigValue(file, 'safety')).toBe(true);
    expect(loadConfig({ file, env: {} }).safety.policy).toBe('moderate');
  });

  test('a key that is not set is reported as such', () => {
    expect(unsetConfigValue(writeConfig('backend = "ollama"\n'), 'model')).toBe(false);
  });

  test('an empty value is refused by set, with unset as the way to remove a setting', () => {
    const err = configError(() => setConfigValue(writeConfig(''), 'model', ''));
    expect(err.hint).toContain('cmdai config unset model');
  });
});

describe('config set', () => {
  test('creates the file and the value reads back', () => {
    const file = path.join(dir, 'sub', 'config.toml');
    setConfigValue(file, 'ollama.timeout_ms', '1500');
    setConfigValue(file, 'backend', 'ollama');
    const config = loadConfig({ file, env: {} });
    expect(config.ollama.timeout_ms).toBe(1500);
    expect(config.backend).toBe('ollama');
  });

  test('replaces an existing line and keeps comments', () => {
    const file = writeConfig('# my settings\nbackend = "embedded" # local first\n[ollama]\nretries = 1\n');
    setConfigValue(file, 'ollama.retries', '4');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# my settings');
    expect(text).toContain('retries = 4');
    expect(text).not.toContain('retries = 1');
  });

  test('refuses an invalid value and leaves the file untouched', () => {
    const file = writeConfig('backend = "embedded"\n');
    const err = configError(() => setConfigValue(file, 'safety', 'yolo'));
    expect(err.message).toContain('strict, moderate, permissive');
    expect(fs.readFileSync(file, 'utf8')).toBe('backend = "embedded"\n');
  });

  test('refuses an unknown key', () => {
    expect(configError(() => setConfigValue(path.join(dir, 'c.toml'), 'colour', 'red')).message).toContain('Unknown config key');
  });

  test('lists are written as TOML arrays', () => {
    const file = path.join(dir, 'c.toml');
    setConfigValue(file, 'fallback', 'ollama, embedded');
    expect(loadConfig({ file, env: {} }).fallback).toEqual(['ollama', 'embedded']);
  });

  test('setting the policy moves a top-level safety string into the [safety] table', () => {
    const file = writeConfig('safety = "strict"\n');
    setConfigValue(file, 'safety.deny', 'dd');
    const config = loadConfig({ file, env: {} });
    expect(config.safety).toMatchObject({ policy: 'strict', deny: ['dd'] });
  });
});

test('config get hides the API key unless revealed', () => {
  const config = loadConfig({ file: writeConfig('[openai]\napi_key = "sk-secret"\n'), env: {} });
  expect(getConfigValue(config, 'openai.api_key')).toBe('(set, hidden)');
  expect(getConfigValue(config, 'openai.api_key', { reveal: true })).toBe('sk-secret');
});
