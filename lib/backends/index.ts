// Builds the configured backend, or the fallback chain over several (config `backend` + `fallback`).
// Remote backends are required only when configured, so the embedded path never loads `got`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendName, CmdaiConfig } from '../config';
import { promptCacheDir } from '../config/paths';
import { BackendUnavailableError, CmdaiError } from '../errors';
import { chooseEmbeddedEngine, type EngineChoice } from '../engine/select';
import { createEmbeddedBackend, EmbeddedBackend } from './embedded';
import type { InferenceBackend } from './types';
import { createFallbackChain, type FallbackEvent } from './chain';
import type { RemoteFlags } from './remote-config';

export type { InferenceBackend, GenerateRequest, GenerateResult, BackendStatus } from './types';
export { createEmbeddedBackend } from './embedded';
export type { EmbeddedBackend, EmbeddedBackendOptions } from './embedded';

export interface CreateBackendOptions {
  /** Flags that apply to the first backend: --model, --endpoint, --api-key, --timeout, --retries. */
  flags?: RemoteFlags;
  /** Consent to download a missing model without asking. */
  yes?: boolean;
  /** Whether questions can be asked on the terminal (first-run download consent). */
  interactive?: boolean;
  onLoadProgress?: (fraction: number) => void;
  onWarning?: (message: string) => void;
  onFallback?: (event: FallbackEvent) => void;
  /** Told how many secrets were redacted from each request to a remote backend (never which). */
  onSecretsRedacted?: (count: number, backend: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Notes worth a --verbose line (the resident model not used, a corrupt prompt cache rebuilt). */
  onNotice?: (message: string) => void;
  /** Ask the resident model (a background cmdai server) for the embedded backend; see specs/resident.md. */
  resident?: { keepAliveMs: number; onNotice?: (message: string) => void };
  /**
   * Whether the in-process llama.cpp engine repacks the weights at load (LoadModelOptions.repackWeights).
   * Default false: a backend made here answers one request or a few, and repacking costs more load
   * time than its faster prompt processing saves on them (`npm run bench -- ttc`, specs/resident.md).
   */
  repackWeights?: boolean;
}

export function createBackend(config: CmdaiConfig, options: CreateBackendOptions = {}): InferenceBackend {
  const names = [...new Set<BackendName>([config.backend, ...config.fallback])];
  const flags = options.flags ?? {};
  // --model names the first backend's model, except that a .gguf path can only mean the embedded engine.
  const modelIsFile = flags.model !== undefined && looksLikePath(flags.model);
  const flagsFor = (name: BackendName, index: number): RemoteFlags => {
    if (index === 0) return name === 'embedded' || !modelIsFile ? flags : { ...flags, model: undefined };
    return name === 'embedded' && modelIsFile ? { model: flags.model } : {};
  };
  const backends = names.map((name, index) => createNamedBackend(name, config, flagsFor(name, index), options));
  if (backends.length === 1) return backends[0];
  return createFallbackChain(backends, { onFallback: options.onFallback });
}

export function createNamedBackend(name: BackendName, config: CmdaiConfig, flags: RemoteFlags, options: CreateBackendOptions): InferenceBackend {
  const wiring = { onWarning: options.onWarning, env: options.env };
  switch (name) {
    case 'embedded': {
      const embedded = createConfiguredEmbeddedBackend(config, flags.model, options);
      if (!options.resident || options.resident.keepAliveMs <= 0) return embedded;
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the resident client and remote modules load only when used
      const { createResidentBackend, residentModelFor } = require('../server/client') as typeof import('../server/client');
      const notice = options.resident.onNotice ?? options.onNotice ?? (() => {});
      return createResidentBackend(embedded, () => residentModelFor(config, flags.model ?? config.model, notice, options.env), {
        ...options.resident,
        env: options.env,
        onLoadProgress: options.onLoadProgress,
      });
    }
    // Start-up: a remote backend's module loads got and the proxy agents; only when it is configured.
    /* eslint-disable @typescript-eslint/no-require-imports -- start-up: loaded only when configured (see above) */
    case 'ollama': {
      const { createOllamaBackend } = require('./ollama') as typeof import('./ollama');
      const { ollamaOptionsFromConfig } = require('./remote-config') as typeof import('./remote-config');
      return redacted(createOllamaBackend(ollamaOptionsFromConfig(config.ollama, flags, wiring)), options);
    }
    case 'openai': {
      const { createOpenAIBackend } = require('./openai') as typeof import('./openai');
      const { openAIOptionsFromConfig } = require('./remote-config') as typeof import('./remote-config');
      return redacted(createOpenAIBackend(openAIOptionsFromConfig(config.openai, flags, wiring)), options);
    }
    /* eslint-enable @typescript-eslint/no-require-imports */
  }
}

/** Remote backends never see secrets: requests are redacted on the way out (lib/redact). */
function redacted(backend: InferenceBackend, options: CreateBackendOptions): InferenceBackend {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the resident client and remote modules load only when used
  const { withSecretRedaction } = require('../redact/backend') as typeof import('../redact/backend');
  return withSecretRedaction(backend, { env: options.env, onRedacted: options.onSecretsRedacted });
}

export function createConfiguredEmbeddedBackend(config: CmdaiConfig, modelFlag: string | undefined, options: CreateBackendOptions = {}): EmbeddedBackend {
  const spec = modelFlag ?? config.model;
  const env = options.env ?? process.env;
  // Known now when the model is a path; for a name, the engine decides which format to fetch.
  const choice = chooseEngine(config, spec && looksLikePath(spec) ? path.resolve(spec) : undefined);
  return createEmbeddedBackend({
    engine: choice.engine,
    resolveModelPath: async () => {
      const modelPath = await resolveModelPath(spec, config, options, choice.engine === 'mlx' ? 'mlx' : 'gguf');
      chooseEngine(config, modelPath); // a model in the other engine's format is an error, said plainly
      return modelPath;
    },
    modelLabel: spec && !looksLikePath(spec) ? spec : undefined,
    promptCacheDir: promptCacheDir({ env }),
    repackWeights: options.repackWeights ?? false,
    onLoadProgress: options.onLoadProgress,
    onNotice: options.onNotice,
    describeModel: () => describeModel(spec, config, choice.engine === 'mlx' ? 'mlx' : 'gguf'),
  });
}

export type { EngineChoice } from '../engine/select';

/** MLX on Apple Silicon when built, llama.cpp elsewhere; the model's format and `engine` config decide first. */
export function chooseEngine(config: CmdaiConfig, modelPath?: string, platform: NodeJS.Platform = process.platform, arch: string = process.arch): EngineChoice {
  // Loading the MLX addon costs time; only try it where the answer can change the choice.
  const mlxFolder = modelPath !== undefined && fs.existsSync(path.join(modelPath, 'config.json'));
  const mlxMatters = config.engine === 'mlx' || mlxFolder || (config.engine === 'auto' && platform === 'darwin' && arch === 'arm64');
  return chooseEmbeddedEngine({
    preference: config.engine,
    modelPath,
    platform,
    arch,
    mlxUnavailable: mlxMatters ? undefined : 'not needed for this choice',
  });
}

/** A .gguf path (or anything with a path separator) loads directly; a name goes through the catalog. */
export function looksLikePath(spec: string): boolean {
  return /\.gguf$/i.test(spec) || spec.includes('/') || spec.includes('\\') || spec.startsWith('.');
}

type ModelFormat = 'gguf' | 'mlx';

interface ModelsModule {
  ensureModel?: (name: string | undefined, options: Record<string, unknown>) => Promise<string | { path: string }>;
  locateModel?: (name: string | undefined, options: Record<string, unknown>) => Promise<string | { path: string } | undefined>;
}

function modelsModule(): ModelsModule | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the model manager (downloads, locks, got) loads only when a model is resolved
    return require('../models/ensure') as ModelsModule;
  } catch {
    return undefined;
  }
}

async function resolveModelPath(spec: string | undefined, config: CmdaiConfig, options: CreateBackendOptions, format: ModelFormat): Promise<string> {
  if (spec && looksLikePath(spec)) return checkModelFile(path.resolve(spec));
  const models = modelsModule();
  if (!models?.ensureModel) {
    throw new BackendUnavailableError(`Model "${spec ?? 'default'}" cannot be fetched: the model manager is not part of this build.`, {
      hint: 'Point --model at a local .gguf file.',
    });
  }
  const resolved = await models.ensureModel(spec, {
    config,
    yes: options.yes,
    interactive: options.interactive,
    env: options.env ?? process.env,
    format,
  });
  return checkModelFile(typeof resolved === 'string' ? resolved : resolved.path);
}

function checkModelFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new CmdaiError('MODEL_MISSING', `Model file not found: ${file}`, {
      hint: 'Check the path given with --model (or `model` in the config), or run `cmdai model list`.',
    });
  }
  // An MLX model is a folder with config.json; everything else must be a file.
  const mlxFolder = stat.isDirectory() && fs.existsSync(path.join(file, 'config.json'));
  if (!stat.isFile() && !mlxFolder) throw new CmdaiError('MODEL_MISSING', `Not a model file: ${file}`, { hint: 'Point --model at a .gguf file.' });
  return file;
}

/** The catalog's default model for this format, by name. */
function defaultModelName(config: CmdaiConfig, format: ModelFormat): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the resident client and remote modules load only when used
    const { ModelCatalog } = require('../models/catalog') as typeof import('../models/catalog');
    return ModelCatalog.load(config.models).defaultName(format);
  } catch {
    return 'the default model';
  }
}

async function describeModel(spec: string | undefined, config: CmdaiConfig, format: ModelFormat): Promise<{ available: boolean; detail: string; model?: string }> {
  if (spec && looksLikePath(spec)) {
    const file = path.resolve(spec);
    return fs.existsSync(file) ? { available: true, detail: `model file ${file}`, model: path.basename(file) } : { available: false, detail: `model file not found: ${file}` };
  }
  const models = modelsModule();
  if (!models?.locateModel) return { available: false, detail: 'model manager not available; use --model <file.gguf>' };
  try {
    const found = await models.locateModel(spec, { config, format });
    const name = spec ?? defaultModelName(config, format);
    if (!found) return { available: false, detail: `model "${name}" is not downloaded yet (cmdai model pull ${name})`, model: name };
    const file = typeof found === 'string' ? found : found.path;
    return { available: true, detail: `model at ${file}`, model: spec ?? path.basename(file) };
  } catch (err) {
    return { available: false, detail: (err as Error).message };
  }
}
