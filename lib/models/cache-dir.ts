// Where downloaded models live. Precedence: CMDAI_MODELS_DIR, then `[models] dir` from the
// config file, then `<cache dir>/models` (~/.cache/cmdai, ~/Library/Caches/cmdai, %LOCALAPPDATA%\cmdai).
import { homedir } from 'node:os';
import { isAbsolute, join, posix, resolve, win32 } from 'node:path';
import { cacheDir, type PlatformContext } from '../config/paths';

export interface ModelsDirInputs extends PlatformContext {
  /** `[models] dir` from the config file, if set. */
  configDir?: string;
}

export function resolveModelsDir(inputs: ModelsDirInputs = {}): string {
  const env = inputs.env ?? process.env;
  const home = inputs.home ?? homedir();
  const platform = inputs.platform ?? process.platform;
  const fromEnv = env.CMDAI_MODELS_DIR?.trim();
  if (fromEnv) return absolutePath(fromEnv, home, platform);
  const fromConfig = inputs.configDir?.trim();
  if (fromConfig) return absolutePath(fromConfig, home, platform);
  const paths = platform === 'win32' ? win32 : posix;
  return paths.join(cacheDir({ platform, env, home }), 'models');
}

function absolutePath(path: string, home: string, platform: NodeJS.Platform): string {
  const paths = platform === 'win32' ? win32 : posix;
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return paths.join(home, path.slice(2));
  if (platform === process.platform) return isAbsolute(path) ? path : resolve(path);
  return paths.isAbsolute(path) ? path : join(process.cwd(), path);
}
