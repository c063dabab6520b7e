// Where models are cached on each platform, and how the user moves them.
import { resolveModelsDir } from '../../lib/models/cache-dir';

describe('models directory', () => {
  test('on Linux it is ~/.cache/cmdai/models', () => {
    expect(resolveModelsDir({ platform: 'linux', env: {}, home: '/home/ada' })).toBe('/home/ada/.cache/cmdai/models');
  });

  test('on Linux XDG_CACHE_HOME moves it', () => {
    expect(resolveModelsDir({ platform: 'linux', env: { XDG_CACHE_HOME: '/var/cache/ada' }, home: '/home/ada' })).toBe('/var/cache/ada/cmdai/models');
  });

  test('on macOS it is ~/Library/Caches/cmdai/models', () => {
    expect(resolveModelsDir({ platform: 'darwin', env: {}, home: '/Users/ada' })).toBe('/Users/ada/Library/Caches/cmdai/models');
  });

  test('on Windows it is under %LOCALAPPDATA%\\cmdai', () => {
    expect(resolveModelsDir({ platform: 'win32', env: { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, home: 'C:\\Users\\ada' })).toBe(
      'C:\\Users\\ada\\AppData\\Local\\cmdai\\models',
    );
  });

  test('[models] dir from the config file overrides the platform default, with ~ expanded', () => {
    expect(resolveModelsDir({ platform: 'linux', env: {}, home: '/home/ada', configDir: '~/llm' })).toBe('/home/ada/llm');
  });

  test('CMDAI_MODELS_DIR overrides the config file', () => {
    expect(resolveModelsDir({ platform: 'linux', env: { CMDAI_MODELS_DIR: '/mnt/big/models' }, home: '/home/ada', configDir: '~/llm' })).toBe('/mnt/big/models');
  });
});
