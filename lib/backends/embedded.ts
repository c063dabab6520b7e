// The in-process llama.cpp engine as an InferenceBackend. The model loads on first use and stays
// loaded until dispose(); the system prompt's KV state is saved to and restored from disk.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChatMessage, EngineName, LoadModelOptions, Model } from '../engine/types';
import { loadBinding, packageRoot } from '../engine/binding';
import { loadMlxAddon } from '../engine/mlx/binding';
import { CmdaiError, isAbortError } from '../errors';
import type { BackendStatus, GenerateRequest, GenerateResult, InferenceBackend } from './types';

export const EMBEDDED_BACKEND_NAME = 'llama.cpp';

/** Bump when the cache file layout or the engine's state format changes. */
const PREFIX_CACHE_FORMAT = 1;

type LoadModel = (modelPath: string, options?: LoadModelOptions) => Promise<Model>;

export interface EmbeddedBackendOptions {
  /** Which in-process engine runs the model (default llama.cpp); also the backend's name. */
  engine?: EngineName;
  /** Finds (and, if allowed, downloads) the .gguf file; called once, on first use. */
  resolveModelPath: () => Promise<string>;
  /** Name shown in results (catalog name or file name); defaults to the file name. */
  modelLabel?: string;
  /** Where the system prompt's KV state is saved; omit to keep it in memory only. */
  promptCacheDir?: string;
  contextSize?: number;
  threads?: number;
  /** LoadModelOptions.repackWeights (llama.cpp); default the engine's. */
  repackWeights?: boolean;
  /** Called when loading starts and with progress 0..1. */
  onLoadProgress?: (fraction: number) => void;
  /** Notes worth a --verbose line, e.g. a corrupt prompt cache file that was rebuilt. */
  onNotice?: (message: string) => void;
  /** For status(): whether the model is present, without downloading anything. */
  describeModel?: () => Promise<{ available: boolean; detail: string; model?: string }>;
  /** Replaceable engine entry point (tests); defaults to the chosen engine's loader. */
  loadModel?: LoadModel;
}

export interface EmbeddedBackend extends InferenceBackend {
  /** Loads the model now (otherwise the first generate() does); resolves to the load time in ms. */
  load(signal?: AbortSignal): Promise<number>;
}

export function createEmbeddedBackend(options: EmbeddedBackendOptions): EmbeddedBackend {
  let loading: Promise<{ model: Model; modelPath: string; identity: string }> | undefined;
  let loadedOnce = false;
  let disposed = false;

  const engineName: EngineName = options.engine ?? 'llama.cpp';
  const loadModel: LoadModel = options.loadModel ?? defaultLoader(engineName);
  // llama.cpp gets the tightened grammar; other loaders (MLX masks tokens itself) get the schema.
  const useLlamaGrammar = options.loadModel === undefined && engineName === 'llama.cpp';

  function ensureLoaded(signal?: AbortSignal) {
    if (disposed) throw new CmdaiError('GENERATION', 'The embedded backend was already disposed.');
    if (!loading) {
      loading = (async () => {
        const modelPath = await options.resolveModelPath();
        const stat = statModel(modelPath);
        options.onLoadProgress?.(0);
        const model = await loadModel(modelPath, {
          contextSize: options.contextSize,
          threads: options.threads,
          ...(options.repackWeights === undefined ? {} : { repackWeights: options.repackWeights }),
          onProgress: options.onLoadProgress,
          signal,
        });
        options.onLoadProgress?.(1);
        // The file's identity keys the prefix cache: a replaced model invalidates it.
        const identity = `${fs.realpathSync(modelPath)}|${stat.size}|${stat.mtimeMs}`;
        return { model, modelPath, identity };
      })();
      loading.catch(() => (loading = undefined));
    }
    return loading;
  }

  async function load(signal?: AbortSignal): Promise<number> {
    const started = performance.now();
    await ensureLoaded(signal);
    return performance.now() - started;
  }

  return {
    name: engineName,
    load,

    async status(): Promise<BackendStatus> {
      const engine = engineName === 'mlx' ? mlxAvailability() : engineAvailability();
      if (!engine.available) return { backend: engineName, available: false, detail: engine.detail };
      const model = options.describeModel ? await options.describeModel() : { available: true, detail: 'model resolved on first use' };
      return {
        backend: engineName,
        available: model.available,
        detail: `${engine.detail}; ${model.detail}`,
        model: model.model ?? options.modelLabel,
      };
    },

    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const started = performance.now();
      const wasLoaded = loadedOnce;
      const { model, modelPath, identity } = await ensureLoaded(request.signal);
      loadedOnce = true;
      const loadMs = wasLoaded ? 0 : performance.now() - started;

      const prompt = applyTemplate(model, request.messages, true);
      const prefix = reusablePrefix(model, request.messages, prompt, request.stableUserStart);
      const prefixCacheFile = prefix && options.promptCacheDir ? prefixCachePath(options.promptCacheDir, identity, prefix) : undefined;
      if (prefixCacheFile) fs.mkdirSync(path.dirname(prefixCacheFile), { recursive: true });

      let completion;
      try {
        completion = await model.complete(prompt, {
          maxTokens: request.maxTokens,
          temperature: request.temperature ?? 0,
          topK: request.topK,
          topP: request.topP,
          minP: request.minP,
          seed: request.seed,
          stop: request.stop,
          ...constraint(request.jsonSchema, useLlamaGrammar),
          signal: request.signal,
          onToken: request.onToken,
          promptPrefix: prefix,
          prefixCacheFile,
        });
      } catch (err) {
        if (isAbortError(err) || err instanceof CmdaiError) throw err;
        throw new CmdaiError('GENERATION', `The embedded engine failed: ${(err as Error).message}`, { cause: err });
      }
      if (completion.prefixSaveProblem) {
        options.onNotice?.(`the system prompt's state was not saved (${completion.prefixSaveProblem}); the next request evaluates it again`);
      }
      if (completion.prefixFileProblem && prefixCacheFile) {
        options.onNotice?.(`the saved system-prompt state ${prefixCacheFile} was discarded and rebuilt: ${completion.prefixFileProblem}`);
      }
      const t = completion.timings;
      return {
        text: completion.text,
        backend: engineName,
        model: options.modelLabel ?? path.basename(modelPath),
        stopReason: completion.stopReason,
        timings: {
          loadMs,
          promptTokens: t.promptTokens,
          cachedTokens: t.cachedTokens,
          promptMs: t.promptMs,
          timeToFirstTokenMs: t.timeToFirstTokenMs,
          generatedTokens: t.generatedTokens,
          generationMs: t.generationMs,
          totalMs: performance.now() - started,
        },
      };
    },

    async dispose(): Promise<void> {
      disposed = true;
      const pending = loading;
      loading = undefined;
      if (!pending) return;
      try {
        const { model } = await pending;
        await model.dispose();
      } catch {
        /* a model that never loaded has nothing to free */
      }
    },
  };
}

function engineModule(): typeof import('../engine') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the engine loads with the first model, so remote backends, `doctor` and `check` never pay for it
  return require('../engine') as typeof import('../engine');
}

function defaultLoader(engine: EngineName): LoadModel {
  return (file, opts) => engineModule().loadEngineModel(engine, file, opts);
}

/** Whether the MLX addon loads, and from where; never throws. */
export function mlxAvailability(): { available: boolean; detail: string; location?: string } {
  try {
    const lookup = loadMlxAddon();
    if (lookup.addon) return { available: true, detail: `MLX addon loads from ${lookup.file}`, location: lookup.file };
    return { available: false, detail: `MLX engine not available: ${lookup.reason}` };
  } catch (err) {
    return { available: false, detail: `MLX engine not available: ${(err as Error).message.split('\n')[0]}` };
  }
}

function statModel(modelPath: string): fs.Stats {
  try {
    return fs.statSync(modelPath);
  } catch {
    throw new CmdaiError('MODEL_MISSING', `Model file not found: ${modelPath}`, {
      hint: 'Check the path given with --model, or run `cmdai model list` to see installed models.',
    });
  }
}

function applyTemplate(model: Model, messages: ChatMessage[], addAssistant: boolean): string {
  try {
    return model.applyChatTemplate(messages, { addAssistant });
  } catch (err) {
    // A model without a usable template: ChatML is what the Qwen family (our default) uses.
    if (model.info.chatTemplate) throw new CmdaiError('MODEL_INVALID', `The model's chat template failed: ${(err as Error).message}`);
    return messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + (addAssistant ? '<|im_start|>assistant\n' : '');
  }
}

/**
 * The leading part of the prompt whose KV state is reused between requests: the templated system
 * turn, and, for a first request whose user turn starts with `stableUserStart`, the template's
 * opening of that turn and that text too. Undefined when there is no system turn or the template
 * does not render the parts as a leading part of the whole prompt.
 */
function reusablePrefix(model: Model, messages: ChatMessage[], prompt: string, stableUserStart?: string): string | undefined {
  if (messages.length === 0 || messages[0].role !== 'system') return undefined;
  const system = applyTemplate(model, [messages[0]], false);
  const user = messages[1];
  if (stableUserStart && messages.length === 2 && user.role === 'user' && user.content.startsWith(stableUserStart)) {
    const marker = '\uE000cmdai-prefix-end\uE000'; // no NUL: the native template renderer stops at one
    const rendered = applyTemplate(model, [messages[0], { role: 'user', content: stableUserStart + marker }], false);
    const end = rendered.indexOf(marker);
    if (end > system.length && prompt.startsWith(rendered.slice(0, end))) return rendered.slice(0, end);
  }
  return system.length > 0 && prompt.startsWith(system) ? system : undefined;
}

/**
 * The JSON Schema as a grammar, tightened: at most one space between JSON tokens (the generic
 * converter allows newlines and 20 tabs per gap) and no \uXXXX escapes (raw Unicode is allowed),
 * so every generated token goes into the values and the answer closes within its budget.
 */
export function compactJsonGrammar(grammar: string): string {
  return grammar
    .replace(/^space ::= .*$/m, 'space ::= | " "')
    .split('\n')
    .map((line) => (line.startsWith('char ::= ') ? line.replace(' | "u" [0-9a-fA-F]{4}', '') : line))
    .join('\n');
}

// With an injected loadModel (tests) the schema is passed through as is.
function constraint(jsonSchema: object | undefined, useEngine: boolean): { grammar?: string; jsonSchema?: object; answerPrefix?: string } {
  if (!jsonSchema) return {};
  if (!useEngine) return { jsonSchema };
  return { grammar: compactJsonGrammar(engineModule().jsonSchemaToGrammar(jsonSchema)), answerPrefix: jsonAnswerOpening(jsonSchema) };
}

/**
 * The text every answer to an object schema starts with, so the engine can evaluate it with the
 * prompt instead of spending one decode step per forced token: `{"key":"` when the first key the
 * grammar asks for is a required string, `{"key":` for another required type, `{` otherwise.
 * llama.cpp's schema-to-grammar puts the required properties first, in the order `properties`
 * lists them. Written without spaces, as `JSON.stringify` writes the prompt's examples.
 */
export function jsonAnswerOpening(schema: object): string | undefined {
  const s = schema as { type?: unknown; properties?: Record<string, { type?: unknown }>; required?: unknown };
  if (s.type !== 'object' || s.properties === null || typeof s.properties !== 'object') return undefined;
  const required = Array.isArray(s.required) ? s.required : [];
  const first = Object.keys(s.properties).find((key) => required.includes(key));
  if (first === undefined) return '{';
  const value = s.properties[first];
  return `{${JSON.stringify(first)}:${value && value.type === 'string' ? '"' : ''}`;
}

/** ~/.cache/cmdai/prompt-cache/<hash of model identity + format + prefix>.bin */
export function prefixCachePath(dir: string, modelIdentity: string, prefix: string): string {
  const hash = createHash('sha256').update(`${PREFIX_CACHE_FORMAT}\0${modelIdentity}\0${prefix}`).digest('hex').slice(0, 32);
  return path.join(dir, `${hash}.bin`);
}

/** Whether the native addon loads, and from where; never throws. */
export function engineAvailability(): { available: boolean; detail: string; location?: string; llamaVersion?: string } {
  try {
    const binding = loadBinding();
    const built = path.join(packageRoot, 'build', 'Release', 'cmdai.node');
    const location = fs.existsSync(built) ? built : path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
    const info = binding.systemInfo();
    return {
      available: true,
      detail: `llama.cpp ${info.llamaVersion} addon loads from ${location}`,
      location,
      llamaVersion: info.llamaVersion,
    };
  } catch (err) {
    const hint = err instanceof CmdaiError && err.hint ? ` ${err.hint}` : '';
    return { available: false, detail: `native engine does not load: ${(err as Error).message.split('\n')[0]}${hint}` };
  }
}
