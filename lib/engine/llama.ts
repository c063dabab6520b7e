// The llama.cpp engine adapter: GGUF files through our Node-API addon (native/llama). Everything
// engine-independent (checks, queue, abort, dispose) is in ./model-core.ts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CmdaiError } from '../errors';
import { loadBinding, type NativeBinding, type NativeCompleteOptions, type NativeLlamaContext, type NativeLlamaModel } from './binding';
import { abortedError, checkLoadOptions, ENGINE_DEFAULTS, ModelCore, usage, type CompletionRun } from './model-core';
import { checkModelPath } from './model-path';
import type { ChatMessage, CompleteOptions, Completion, LoadModelOptions, Model, ModelInfo } from './types';

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

const LLAMA_FEATURES = { grammar: true, repeatPenalty: true, promptPrefix: true, answerPrefix: true };

/**
 * Native errors arrive as CmdaiError already (the addon builds them with our class); anything
 * else is a bug in the binding, reported as a generation failure.
 */
function fromNative(err: unknown): Error {
  if (err instanceof CmdaiError) return err;
  return new CmdaiError('GENERATION', (err as Error)?.message ?? String(err), { cause: err });
}

class LlamaModel extends ModelCore {
  constructor(
    info: ModelInfo,
    private readonly binding: NativeBinding,
    private readonly model: NativeLlamaModel,
    private readonly context: NativeLlamaContext | undefined,
    private readonly loadMs: number,
  ) {
    super(info, LLAMA_FEATURES);
  }

  protected tokenizeText(text: string, addSpecial: boolean, parseSpecial: boolean): number[] {
    return Array.from(this.model.tokenize(text, addSpecial, parseSpecial));
  }

  protected detokenizeTokens(tokens: number[]): string {
    return this.model.detokenize(tokens, true);
  }

  protected renderChat(messages: ChatMessage[], addAssistant: boolean): string {
    return this.model.applyChatTemplate(messages, addAssistant);
  }

  protected toCmdaiError(err: unknown): Error {
    return fromNative(err);
  }

  protected override checkCanComplete(): void {
    if (!this.context) throw usage('The model was loaded with vocabOnly; load it fully to generate text.');
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

  protected async run(prompt: string, opts: CompleteOptions, run: CompletionRun): Promise<Completion> {
    const context = this.context!;
    const { tokens: promptTokens, prefixLength } = this.promptTokens(prompt, opts.promptPrefix);
    // The answer's known start, tokenized on its own (no special tokens) so that it is exactly
    // the text the grammar is advanced over.
    const answerTokens = opts.answerPrefix === undefined ? new Int32Array(0) : this.model.tokenize(opts.answerPrefix, false, false);
    const tokens = new Int32Array(promptTokens.length + answerTokens.length);
    tokens.set(promptTokens, 0);
    tokens.set(answerTokens, promptTokens.length);
    this.checkPromptFits(tokens.length);
    const native: NativeCompleteOptions = {
      maxTokens: opts.maxTokens ?? ENGINE_DEFAULTS.maxTokens,
      temperature: opts.temperature ?? ENGINE_DEFAULTS.temperature,
      topK: opts.topK ?? ENGINE_DEFAULTS.topK,
      topP: opts.topP ?? ENGINE_DEFAULTS.topP,
      minP: opts.minP ?? ENGINE_DEFAULTS.minP,
      seed: opts.seed,
      repeatPenalty: opts.repeatPenalty,
      stop: opts.stop,
      prefixLength,
      prefixCacheFile: opts.prefixCacheFile === undefined ? undefined : path.resolve(opts.prefixCacheFile),
    };
    if (answerTokens.length > 0) native.answerLength = answerTokens.length;
    if (opts.grammar !== undefined) native.grammar = opts.grammar;
    if (opts.jsonSchema !== undefined) native.grammar = this.binding.jsonSchemaToGrammar(JSON.stringify(opts.jsonSchema));
    run.onAbort = () => context.abort();
    if (opts.answerPrefix && opts.onToken) run.emit(opts.answerPrefix);
    const result = await context.complete(tokens, native, opts.onToken ? (text) => run.emit(text) : undefined);
    return {
      text: (opts.answerPrefix ?? '') + result.text,
      tokens: Array.from(result.tokens),
      stopReason: result.stopReason,
      prefixSource: result.prefixSource,
      prefixFileProblem: result.prefixFileProblem,
      prefixSaveProblem: result.prefixSaveProblem,
      timings: { loadMs: this.loadMs, ...result.timings },
    };
  }

  protected release(): void {
    this.context?.dispose();
    this.model.dispose();
  }
}

/**
 * Loads a GGUF model and creates its inference context. Rejects with CmdaiError
 * MODEL_MISSING / MODEL_INVALID / USAGE, or an AbortError when `opts.signal` fires.
 */
export async function loadLlamaModel(modelPath: string, opts: LoadModelOptions = {}): Promise<Model> {
  checkLoadOptions('loadModel', modelPath, opts, 'a GGUF file');
  const resolved = path.resolve(modelPath);
  checkModelPath(resolved, 'gguf');

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
      // repacked tensor through a fresh buffer of its own size, about 1.5x the load time and
      // ~350 MB more anonymous memory on the 1.5B fixture; mapped pages are clean page cache.
      { useMmap: opts.useMmap ?? true, repackWeights: opts.repackWeights ?? true, vocabOnly: opts.vocabOnly ?? false },
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
    const wanted = opts.contextSize ?? ENGINE_DEFAULTS.contextSize;
    context = new binding.LlamaContext(model);
    try {
      if (opts.signal?.aborted) throw abortedError('Loading the model');
      const created = await context.init({
        contextSize: native.trainContextSize > 0 ? Math.min(wanted, native.trainContextSize) : wanted,
        batchSize: opts.batchSize ?? ENGINE_DEFAULTS.batchSize,
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
  return new LlamaModel(info, binding, model, context, loadMs);
}

/** JSON Schema to the GBNF grammar complete() would use for it (for inspection and tests). */
export function jsonSchemaToGrammar(schema: object): string {
  try {
    return loadBinding().jsonSchemaToGrammar(JSON.stringify(schema));
  } catch (err) {
    throw fromNative(err);
  }
}
