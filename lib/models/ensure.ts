// The first-use flow the CLI calls before loading a model: a local file is used as it is; a
// catalog or custom name is taken from the cache, or downloaded with the user's consent.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { CmdaiError } from '../errors';
import { resolveModelsDir } from './cache-dir';
import { ModelCatalog, modelTotalBytes, type ModelEntry, type ModelFormat, type ModelsConfig } from './catalog';
import type { DownloadOptions } from './download';
import { installedManifest, modelFolder, modelLoadPath } from './installed';
import { offlineVariable } from './offline';

export { isOfflineMode } from './offline';
import { formatBytes, terminalProgress } from './progress';

export interface EnsureModelOptions {
  /** `--yes`: download without asking. */
  yes?: boolean;
  /** Whether the user can be asked; defaults to stdin and stderr both being terminals. */
  isTTY?: boolean;
  /** Same as isTTY (the name the backends use). */
  interactive?: boolean;
  /** Asks a yes/no question; defaults to a [Y/n] prompt on the terminal. */
  ask?: (question: string) => Promise<boolean>;
  /** The `[models]` table of the config file, or the whole loaded config (its `models` is used). */
  config?: ModelsConfig | { models?: ModelsConfig };
  env?: NodeJS.ProcessEnv;
  /** Which kind of model the engine in use loads when no name is given. */
  format?: ModelFormat;
  catalog?: ModelCatalog;
  /** Passed to downloadModel: progress, lock-wait notice, abort signal, timeouts. */
  download?: Omit<DownloadOptions, 'modelsDir'>;
  /** One-line notices for the user (e.g. "Downloading ... to ..."). */
  onNotice?: (message: string) => void;
}

export interface ResolvedModel {
  /** The catalog name, or the file path for a local file. */
  name: string;
  /** What to load: a .gguf file, or an MLX model folder. */
  path: string;
  format: ModelFormat;
  source: 'file' | 'cache' | 'download';
  entry?: ModelEntry;
}

/**
 * Resolves `--model` (a path, a catalog or custom name, or nothing for the default) to a file
 * on disk, downloading it first when needed and allowed.
 */
export async function ensureModel(model: string | undefined, options: EnsureModelOptions = {}): Promise<ResolvedModel> {
  const env = options.env ?? process.env;
  const requested = model?.trim() || undefined;
  const config = modelsConfigOf(options.config);
  const catalog = options.catalog ?? ModelCatalog.load(config);
  if (requested && isLocalPath(requested, catalog)) return localModel(requested);

  const format = options.format ?? 'gguf';
  const entry = catalog.get(requested ?? catalog.defaultName(format));
  const modelsDir = resolveModelsDir({ env, configDir: config.dir });

  if (await installedManifest(modelsDir, entry)) {
    return { name: entry.name, path: modelLoadPath(modelsDir, entry), format: entry.format, source: 'cache', entry };
  }
  const offline = offlineVariable(env);
  if (offline) {
    throw new CmdaiError('OFFLINE', offlineGuidance(entry, modelsDir, `${offline} is set, so nothing is downloaded.`));
  }
  if (!options.yes) {
    const canAsk = options.isTTY ?? options.interactive ?? (process.stdin.isTTY === true && process.stderr.isTTY === true);
    if (!canAsk) {
      // The message already says what to do; no hint repeating it.
      throw new CmdaiError('MODEL_MISSING', consentNeeded(entry, modelsDir));
    }
    const agreed = await (options.ask ?? askOnTerminal)(downloadQuestion(entry, modelsDir));
    if (!agreed) {
      throw new CmdaiError('CANCELLED', `Download of ${entry.name} declined; nothing was downloaded.`, {
        hint: 'Pass a GGUF file you already have with --model /path/to/model.gguf, or run `cmdai model pull` later.',
      });
    }
  }
  const notice = options.onNotice ?? ((message: string) => process.stderr.write(`${message}\n`));
  notice(`Downloading ${entry.name} (${sizeText(entry)}) to ${modelFolder(modelsDir, entry.name)}`);
  // Unless the caller draws progress itself: a bar on a terminal, nothing otherwise.
  const progress = options.download?.onProgress ? undefined : terminalProgress(process.stderr);
  try {
    // Start-up: the downloader (got, proxy agents, file locks) loads only when a download starts.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { downloadModel } = require('./download') as typeof import('./download');
    const result = await downloadModel(entry, {
      onProgress: progress?.onProgress,
      onWaitForLock: () => notice(`Another cmdai process is downloading ${entry.name}; waiting for it to finish...`),
      ...options.download,
      env,
      modelsDir,
    });
    progress?.done();
    return { name: entry.name, path: result.path, format: entry.format, source: result.downloaded ? 'download' : 'cache', entry };
  } catch (error) {
    progress?.done();
    if (error instanceof CmdaiError && error.code === 'OFFLINE') {
      throw new CmdaiError('OFFLINE', offlineGuidance(entry, modelsDir, error.message), { cause: error });
    }
    throw error;
  }
}

/** The path of a model that is already usable, without downloading anything; undefined if absent. */
export async function locateModel(model: string | undefined, options: Pick<EnsureModelOptions, 'config' | 'env' | 'format' | 'catalog'> = {}): Promise<ResolvedModel | undefined> {
  const requested = model?.trim() || undefined;
  const config = modelsConfigOf(options.config);
  const catalog = options.catalog ?? ModelCatalog.load(config);
  if (requested && isLocalPath(requested, catalog)) {
    try {
      return localModel(requested);
    } catch {
      return undefined;
    }
  }
  const entry = catalog.get(requested ?? catalog.defaultName(options.format ?? 'gguf'));
  const modelsDir = resolveModelsDir({ env: options.env ?? process.env, configDir: config.dir });
  if (!(await installedManifest(modelsDir, entry))) return undefined;
  return { name: entry.name, path: modelLoadPath(modelsDir, entry), format: entry.format, source: 'cache', entry };
}

function modelsConfigOf(config: EnsureModelOptions['config']): ModelsConfig {
  if (!config) return {};
  const nested = (config as { models?: ModelsConfig }).models;
  return nested && typeof nested === 'object' ? nested : (config as ModelsConfig);
}

/** A [Y/n] question on stderr, answered on stdin; Enter means yes, Ctrl-C stops (ABORTED). */
export async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline');
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      terminal.on('SIGINT', () => reject(new CmdaiError('ABORTED', 'Interrupted at the download question; nothing was downloaded.')));
      terminal.on('close', () => reject(new CmdaiError('CANCELLED', 'No answer to the download question; nothing was downloaded.')));
      terminal.question(`${question} [Y/n] `, resolve);
    });
    const word = answer.trim().toLowerCase();
    return word === '' || word === 'y' || word === 'yes';
  } finally {
    terminal.removeAllListeners('close');
    terminal.close();
  }
}

/** What the user reads when no model is present and nothing can be downloaded. */
export function offlineGuidance(entry: ModelEntry, modelsDir: string, reason: string): string {
  return [
    `No local model to run, and cmdai cannot download one: ${reason}`,
    `Missing: ${entry.name} (${entry.description}, ${sizeText(entry)}), expected in ${modelFolder(modelsDir, entry.name)}.`,
    'To use a GGUF model file you already have:',
    '  cmdai --model /path/to/model.gguf "your request"',
    'To download the default model once you are online:',
    `  cmdai model pull ${entry.name}`,
  ].join('\n');
}

function consentNeeded(entry: ModelEntry, modelsDir: string): string {
  return [
    `The model ${entry.name} (${sizeText(entry)}) is not downloaded yet, and cmdai only downloads it when asked to.`,
    `It would go to ${modelFolder(modelsDir, entry.name)}.`,
    `Download it with \`cmdai model pull ${entry.name}\` or rerun with --yes; or use a GGUF file you already have with --model /path/to/model.gguf.`,
  ].join('\n');
}

function downloadQuestion(entry: ModelEntry, modelsDir: string): string {
  const license = entry.license ? `, license: ${entry.license.name}` : '';
  return `cmdai needs the model ${entry.name} (${sizeText(entry)}${license}).\nDownload it to ${modelFolder(modelsDir, entry.name)}?`;
}

function sizeText(entry: ModelEntry): string {
  const { bytes, exact } = modelTotalBytes(entry);
  if (bytes === 0) return 'size unknown';
  return `${exact ? '' : 'about '}${formatBytes(bytes)}`;
}

/** A --model value that is written like a path (a separator, a .gguf ending, or a leading ~). */
export function looksLikePath(value: string): boolean {
  return value.includes('/') || value.includes('\\') || /\.gguf$/i.test(value) || value.startsWith('~');
}

/** Path-like values are paths; a bare word is a model name unless only a file of that name exists. */
function isLocalPath(value: string, catalog: ModelCatalog): boolean {
  return looksLikePath(value) || (catalog.find(value) === undefined && existsSync(value));
}

function localModel(value: string): ResolvedModel {
  const path = resolve(value === '~' || value.startsWith('~/') ? join(homedir(), value.slice(1)) : value);
  let isFile = false;
  let isDirectory = false;
  try {
    const info = statSync(path);
    isFile = info.isFile();
    isDirectory = info.isDirectory();
  } catch {
    // Reported below.
  }
  if (isFile) return { name: path, path, format: 'gguf', source: 'file' };
  if (isDirectory && existsSync(join(path, 'config.json'))) return { name: path, path, format: 'mlx', source: 'file' };
  throw new CmdaiError('MODEL_MISSING', isDirectory ? `${path} is a folder without an MLX model (no config.json in it).` : `No model file at ${path}.`, {
    hint: 'Check the path, or pass a catalog name (cmdai model list) to download a model.',
  });
}
