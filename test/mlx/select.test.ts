// Which embedded engine runs where: MLX on Apple Silicon, llama.cpp elsewhere, the model's
// format and the configuration first; every answer says why.
import { CmdaiError } from '../../lib/errors';
import { chooseEmbeddedEngine } from '../../lib/engine/select';
import { mlxFixtures } from './mlx-fixtures';

const built = { mlxUnavailable: null };
const notBuilt = { mlxUnavailable: 'the MLX engine is not built' };

describe('choosing the embedded engine', () => {
  test('darwin-arm64 uses MLX when it is built, and says so', () => {
    const choice = chooseEmbeddedEngine({ platform: 'darwin', arch: 'arm64', ...built });
    expect(choice.engine).toBe('mlx');
    expect(choice.reason).toMatch(/darwin-arm64 \(Apple Silicon\)/);
  });

  test('darwin-arm64 without the MLX engine uses llama.cpp and names what is missing', () => {
    const choice = chooseEmbeddedEngine({ platform: 'darwin', arch: 'arm64', ...notBuilt });
    expect(choice.engine).toBe('llama.cpp');
    expect(choice.reason).toMatch(/would use MLX, but the MLX engine is not built/);
  });

  test.each([['linux', 'x64'], ['win32', 'x64'], ['darwin', 'x64'], ['linux', 'arm64']])('%s-%s uses llama.cpp even with MLX built', (platform, arch) => {
    const choice = chooseEmbeddedEngine({ platform: platform as NodeJS.Platform, arch, ...built });
    expect(choice.engine).toBe('llama.cpp');
    expect(choice.reason).toContain(`${platform}-${arch}`);
  });

  test('a GGUF model runs on llama.cpp, an MLX folder on MLX, whatever the platform', () => {
    expect(chooseEmbeddedEngine({ modelPath: mlxFixtures().gguf, platform: 'darwin', arch: 'arm64', ...built }).engine).toBe('llama.cpp');
    expect(chooseEmbeddedEngine({ modelPath: mlxFixtures().dir, platform: 'linux', arch: 'x64', ...built }).engine).toBe('mlx');
  });

  test('the configuration overrides the platform default', () => {
    expect(chooseEmbeddedEngine({ preference: 'llama.cpp', platform: 'darwin', arch: 'arm64', ...built }).engine).toBe('llama.cpp');
    expect(chooseEmbeddedEngine({ preference: 'mlx', platform: 'linux', arch: 'x64', ...built }).reason).toMatch(/as configured/);
  });

  test('asking for MLX where it is not built is a BACKEND_UNAVAILABLE error, not a silent fallback', () => {
    expect(() => chooseEmbeddedEngine({ preference: 'mlx', ...notBuilt })).toThrow(CmdaiError);
    expect(() => chooseEmbeddedEngine({ preference: 'mlx', ...notBuilt })).toThrow(/asks for the MLX engine, but the MLX engine is not built/);
  });

  test('a model in the other engine\'s format is a USAGE error naming both', () => {
    expect(() => chooseEmbeddedEngine({ preference: 'mlx', modelPath: mlxFixtures().gguf, ...built })).toThrow(/is a GGUF file, which the MLX engine cannot run/);
    expect(() => chooseEmbeddedEngine({ preference: 'llama.cpp', modelPath: mlxFixtures().dir, ...built })).toThrow(/is an MLX model folder, which the llama.cpp engine cannot run/);
  });
});
