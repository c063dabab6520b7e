// `cmdai/engine`: llama.cpp in-process. loadModel() returns a Model that tokenizes, applies the
// model's chat template and completes prompts, with streaming, stop strings, grammars and
// prompt-prefix reuse. Behaviour spec: specs/engine.md.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CmdaiError, type ErrorCode } from '../errors';
import {
  loadBinding,
  type NativeBinding,
  type NativeCompleteOptions,
  type NativeCompletion,
  type NativeError,
  type NativeLlamaContext,
  type NativeLlamaModel,
} from './binding';
import type { ChatMessage, CompleteOptions, Completion, LoadModelOptions, Model, ModelInfo } from './types';

export type * from './types';

/** Rejection of an aborted load or completion: `name` 'AbortError', `code` 'ABORTED'. */
export class EngineAbortError extends CmdaiError {
  constructor(message: string) {
    super('ABORTED', message);
    this.name = 'AbortError';
  }
}

const GGUF_MAGIC = Buffer.from('GGUF', 'latin1');
const DEFAULT_CONTEXT_SIZE = 4096;
const DEFAULT_BATCH_SIZE = 512;
const DEFAULT_MAX_TOKENS = 256;
const KNOWN_CODES = new Set<ErrorCode>([
  'USAGE',
  'MODEL_MISSING',
  'MODEL_INVALID',
  'GENERATION',
  'ABORTED',
]);

function usage(message: string): CmdaiError {
  return new CmdaiError('USAGE', message);
}

/** Turns an addon error (plain Error with a `code`) into a CmdaiError. */
function fromNative(err: unknown): Error {
  if (err instanceof CmdaiError) return err;
  const native = err as NativeError;
  const message = native?.message ?? String(err);
  if (native?.code === 'ABORTED') return new EngineAbortError(message);
  const code = KNOWN_CODES.has(native?.code as ErrorCode) ? (native.code as ErrorCode) : 'GENERATION';
  return new CmdaiError(code, message, { cause: err });
}

/** Physical cores where we can tell (hyper-threads slow llama.cpp down), else logical CPUs. */
function defaultThreadCount(): number {
  if (process.platform === 'linux') {
    try {
      const cores = new Set<string>();
      let physicalId = '0';
      for (const line of fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
        const [key, value] = line.split(':').map((part) => part?.trim());
        if (key === 'physical id') physicalId = value ?? '0';
        if (key === 'core id') cores.add(`${physicalId}:${value}`);
      }
      if (cores.size > 0) return Math.min(cores.size, os.availableParallelism());
    } catch {
      // fall through to the logical count
    }
  }
  return os.availableParallelism();
}

/** Fails early, with a message a user can act on, for paths llama.cpp would reject anyway. */
function checkModelFile(modelPath: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(modelPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CmdaiError('MODEL_MISSING', `Model file not found: ${modelPath}`, {
        hint: 'Check the path, or download the model first.',
      });
    }
    throw new CmdaiError('MODEL_INVALID', `Cannot read model file ${modelPath}: ${(err as Error).message}`);
  }
  if (stat.isDirectory()) {
    throw new CmdaiError('MODEL_INVALID', `${modelPath} is a directory, not a GGUF model file.`, {
      hint: 'Pass the path of the .gguf file inside it.',
    });
  }
  const head = Buffer.alloc(4);
  const fd = fs.openSync(modelPath, 'r');
  let read: number;
  try {
    read = fs.readSync(fd, head, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (read < 4 || !head.equals(GGUF_MAGIC)) {
    throw new CmdaiError('MODEL_INVALID', `${modelPath} is not a GGUF model file (it does not start with "GGUF").`, {
      hint: 'cmdai runs llama.cpp models in GGUF format; download or convert one.',
    });
  }
}

function checkInteger(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usage(`${name} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got ${value}.`);
  }
}

function checkRange(name: string, value: number | undefined, min: number, max: number, minExclusive = false): void {
  if (value === undefined) return;
  const tooLow = minExclusive ? value <= min : value < min;
  if (typeof value !== 'number' || !Number.isFinite(value) || tooLow || value > max) {
    throw usage(`${name} must be a number ${minExclusive ? 'above' : 'from'} ${min}${Number.isFinite(max) ? ` to ${max}` : ''}, got ${value}.`);
  }
}

function checkCompleteOptions(prompt: unknown, opts: CompleteOptions): void {
  if (typeof prompt !== 'string') throw usage('The prompt must be a string.');
  if (prompt.length === 0) throw usage('The prompt is empty; pass the text to complete.');
  if (opts.maxTokens !== undefined && (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1)) {
    throw usage(`maxTokens must be a whole number of at least 1, got ${opts.maxTokens}.`);
  }
  checkRange('temperature', opts.temperature, 0, Infinity);
  checkInteger('topK', opts.topK, 0);
  checkRange('topP', opts.topP, 0, 1, true);
  checkRange('minP', opts.minP, 0, 1);
  checkInteger('seed', opts.seed, 0, 0xfffffffe);
  checkRange('repeatPenalty', opts.repeatPenalty, 0, Infinity, true);
  if (opts.grammar !== undefined && opts.jsonSchema !== undefined) {
    throw usage('Pass either grammar or jsonSchema, not both.');
  }
  if (opts.grammar !== undefined && (typeof opts.grammar !== 'string' || opts.grammar.trim() === '')) {
    throw usage('grammar must be a non-empty GBNF string.');
  }
  if (opts.jsonSchema !== undefined && (opts.jsonSchema === null || typeof opts.jsonSchema !== 'object')) {
    throw usage('jsonSchema must be a JSON Schema object.');
  }
  if (opts.stop !== undefined && (!Array.isArray(opts.stop) || opts.stop.some((s) => typeof s !== 'string' || s === ''))) {
    throw usage('stop must be an array of non-empty strings.');
  }
  if (opts.promptPrefix !== undefined) {
    if (typeof opts.promptPrefix !== 'string' || opts.promptPrefix === '') {
      throw usage('promptPrefix must be a non-empty string.');
    }
    if (!prompt.startsWith(opts.promptPrefix)) throw usage('promptPrefix must be the beginning of the prompt.');
  }
  if (opts.prefixCacheFile !== undefined && opts.promptPrefix === undefined) {
    throw usage('prefixCacheFile needs promptPrefix (the part of the prompt whose state it stores).');
  }
  if (opts.onToken !== undefined && typeof opts.onToken !== 'function') throw usage('onToken must be a function.');
}

function abortedError(what: string): EngineAbortError {
  return new EngineAbortError(`${what} was aborted.`);
}

class EngineModel implements Model {
  readonly info: ModelInfo;
  private disposed = false;
  private disposing: Promise<void> | undefined;
  // Completions run one at a time, in call order: a context has one KV cache.
  private queue: Promise<unknown> = Promise.resolve();
  private running: { abort(): void } | undefined;

  constructor(
    private readonly binding: NativeBinding,
    private readonly model: NativeLlamaModel,
    private readonly context: NativeLlamaContext | undefined,
    info: ModelInfo,
    private readonly loadMs: number,
  ) {
    this.info = info;
  }

  private checkUsable(): void {
    if (this.disposed) throw usage('The model was disposed; load it again to use it.');
  }

  tokenize(text: string, opts: { addSpecial?: boolean; parseSpecial?: boolean } = {}): number[] {
    this.checkUsable();
    if (typeof text !== 'string') throw usage('tokenize() takes a string.');
    return Array.from(this.model.tokenize(text, opts.addSpecial ?? true, opts.parseSpecial ?? true));
  }

  detokenize(tokens: number[]): string {
    this.checkUsable();
    if (!Array.isArray(tokens) || tokens.some((t) => !Number.isInteger(t))) {
      throw usage('detokenize() takes an array of integer token ids.');
    }
    try {
      return this.model.detokenize(tokens, true);
    } catch (err) {
      throw fromNative(err);
    }
  }

  applyChatTemplate(messages: ChatMessage[], opts: { addAssistant?: boolean } = {}): string {
    this.checkUsable();
    if (!Array.isArray(messages) || messages.length === 0) {
      throw usage('applyChatTemplate() takes a non-empty array of { role, content } messages.');
    }
    for (const message of messages) {
      if (!message || typeof message.role !== 'string' || typeof message.content !== 'string') {
        throw usage('Each chat message needs a string role and a string content.');
      }
    }
    try {
      return this.model.applyChatTemplate(messages, opts.addAssistant ?? true);
    } catch (err) {
      throw fromNative(err);
    }
  }

  complete(prompt: string, opts: CompleteOptions = {}): Promise<Completion> {
    try {
      this.checkUsable();
      checkCompleteOptions(prompt, opts);
      if (!this.context) throw usage('The model was loaded with vocabOnly; load it fully to generate text.');
      if (opts.signal?.aborted) throw abortedError('The completion');
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.queue.then(() => this.runCompletion(prompt, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private promptTokens(prompt: string, prefix: string | undefined): { tokens: Int32Array; prefixLength: number } {
    const whole = this.model.tokenize(prompt, true, true);
    if (prefix === undefined) return { tokens: whole, prefixLength: 0 };
    const prefixTokens = this.model.tokenize(prefix, true, true);
    if (prefixTokens.every((token, i) => whole[i] === token)) return { tokens: whole, prefixLength: prefixTokens.length };
    // The prefix boundary falls inside a token of the whole prompt: tokenize the two parts apart
    // so the prefix's tokens (and so its cached state) stay the same whatever follows.
    const rest = this.model.tokenize(prompt.slice(prefix.length), false, true);
    const tokens = new Int32Array(prefixTokens.length + rest.length);
    tokens.set(prefixTokens, 0);
    tokens.set(rest, prefixTokens.length);
    return { tokens, prefixLength: prefixTokens.length };
  }

  private async runCompletion(prompt: string, opts: CompleteOptions): Promise<Completion> {
    const context = this.context!;
    if (this.disposed) throw usage('The model was disposed before this completion started.');
    if (opts.signal?.aborted) throw abortedError('The completion');

    const { tokens, prefixLength } = this.promptTokens(prompt, opts.promptPrefix);
    if (tokens.length >= this.info.contextSize) {
      throw usage(
        `The prompt is ${tokens.length} tokens but the context holds ${this.info.contextSize} including the reply; ` +
          'shorten the prompt or load the model with a larger contextSize.',
      );
    }
    const native: NativeCompleteOptions = {
      maxTokens: opts.maxTokens ?? DEFAULT_MAX_TOKENS,
      temperature: opts.temperature,
      topK: opts.topK,
      topP: opts.topP,
      minP: opts.minP,
      seed: opts.seed,
      repeatPenalty: opts.repeatPenalty,
      stop: opts.stop,
      prefixLength,
      prefixCacheFile: opts.prefixCacheFile === undefined ? undefined : path.resolve(opts.prefixCacheFile),
    };
    if (opts.grammar !== undefined) native.grammar = opts.grammar;
    if (opts.jsonSchema !== undefined) {
      try {
        native.grammar = this.binding.jsonSchemaToGrammar(JSON.stringify(opts.jsonSchema));
      } catch (err) {
        throw fromNative(err);
      }
    }

    let listenerError: unknown;
    const onText = opts.onToken
      ? (text: string) => {
          if (listenerError !== undefined) return;
          try {
            opts.onToken!(text);
          } catch (err) {
            // A throwing listener ends the completion and becomes its rejection.
            listenerError = err;
            context.abort();
          }
        }
      : undefined;
    const onAbort = () => context.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    this.running = context;
    let result: NativeCompletion;
    try {
      result = await context.complete(tokens, native, onText);
    } catch (err) {
      throw listenerError ?? fromNative(err);
    } finally {
      this.running = undefined;
      opts.signal?.removeEventListener('abort', onAbort);
    }
    if (listenerError !== undefined) throw listenerError;
    return {
      text: result.text,
      tokens: Array.from(result.tokens),
      stopReason: result.stopReason,
      prefixSource: result.prefixSource,
      prefixFileProblem: result.prefixFileProblem,
      timings: { loadMs: this.loadMs, ...result.timings },
    };
  }

  dispose(): Promise<void> {
    if (this.disposing) return this.disposing;
    this.disposed = true;
    this.running?.abort();
    this.disposing = this.queue.then(() => {
      this.context?.dispose();
      this.model.dispose();
    });
    return this.disposing;
  }
}

/**
 * Loads a GGUF model and creates its inference context. Rejects with CmdaiError
 * MODEL_MISSING / MODEL_INVALID / USAGE, or an AbortError when `opts.signal` fires.
 */
export async function loadModel(modelPath: string, opts: LoadModelOptions = {}): Promise<Model> {
  if (typeof modelPath !== 'string' || modelPath.trim() === '') throw usage('loadModel() needs the path of a GGUF file.');
  checkInteger('contextSize', opts.contextSize, 1);
  checkInteger('batchSize', opts.batchSize, 1);
  checkInteger('threads', opts.threads, 1, 1024);
  if (opts.signal?.aborted) throw abortedError('Loading the model');
  const resolved = path.resolve(modelPath);
  checkModelFile(resolved);

  const binding = loadBinding();
  const model = new binding.LlamaModel();
  const onAbort = () => model.abortLoad();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let loadMs: number;
  try {
    const onProgress = opts.onProgress;
    ({ loadMs } = await model.load(
      resolved,
      // mmap by default, measured (npm run bench -- ttc): without it llama.cpp stages every
      // repacked tensor through a fresh buffer of its own size, about 1.6x the load time and
      // ~350 MB more anonymous memory on the 1.5B fixture; mapped pages are clean page cache.
      { useMmap: opts.useMmap ?? true, vocabOnly: opts.vocabOnly ?? false },
      onProgress ? (fraction) => onProgress(fraction) : undefined,
    ));
  } catch (err) {
    throw fromNative(err);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  const native = model.info();
  let context: NativeLlamaContext | undefined;
  let contextSize = 0;
  if (!opts.vocabOnly) {
    const wanted = opts.contextSize ?? DEFAULT_CONTEXT_SIZE;
    context = new binding.LlamaContext(model);
    try {
      if (opts.signal?.aborted) throw abortedError('Loading the model');
      const created = await context.init({
        contextSize: native.trainContextSize > 0 ? Math.min(wanted, native.trainContextSize) : wanted,
        batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
        threads: opts.threads ?? defaultThreadCount(),
      });
      contextSize = created.contextSize;
    } catch (err) {
      context.dispose();
      model.dispose();
      throw fromNative(err);
    }
  }

  const info: ModelInfo = {
    path: resolved,
    architecture: native.architecture,
    name: native.name,
    parameters: native.parameters,
    sizeBytes: native.sizeBytes,
    trainContextSize: native.trainContextSize,
    contextSize,
    vocabSize: native.vocabSize,
    chatTemplate: native.chatTemplate,
  };
  return new EngineModel(binding, model, context, info, loadMs);
}

/** JSON Schema to the GBNF grammar complete() would use for it (for inspection and tests). */
export function jsonSchemaToGrammar(schema: object): string {
  try {
    return loadBinding().jsonSchemaToGrammar(JSON.stringify(schema));
  } catch (err) {
    throw fromNative(err);
  }
}
