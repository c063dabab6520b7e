// Where cmdai keeps its files, following each platform's convention.
import * as os from 'node:os';
import * as path from 'node:path';

export interface PlatformContext {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

function resolveContext(ctx: PlatformContext = {}) {
  return {
    platform: ctx.platform ?? process.platform,
    env: ctx.env ?? process.env,
    home: ctx.home ?? os.homedir(),
  };
}

/** The directory holding config.toml: XDG on Linux, Application Support on macOS, %APPDATA% on Windows. */
export function configDir(ctx?: PlatformContext): string {
  const { platform, env, home } = resolveContext(ctx);
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'cmdai');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'cmdai');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'cmdai');
}

/** The config file in effect: `CMDAI_CONFIG` when set, else config.toml in the platform config dir. */
export function configFilePath(ctx?: PlatformContext): string {
  const { env, platform } = resolveContext(ctx);
  if (env.CMDAI_CONFIG) return env.CMDAI_CONFIG;
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  return join(configDir(ctx), 'config.toml');
}

/** Cache root (models, prompt KV caches): ~/.cache/cmdai, ~/Library/Caches/cmdai, %LOCALAPPDATA%\cmdai. */
export function cacheDir(ctx?: PlatformContext): string {
  const { platform, env, home } = resolveContext(ctx);
  if (env.CMDAI_CACHE_DIR) return env.CMDAI_CACHE_DIR;
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'cmdai');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'cmdai');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'cmdai');
}

/** Saved KV state of the system prompt, one file per model + prompt. */
export function promptCacheDir(ctx?: PlatformContext): string {
  return path.join(cacheDir(ctx), 'prompt-cache');
}
