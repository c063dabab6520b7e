// What every in-process engine shares behind the `Model` interface: option checks, defaults,
// the completion queue, abort and dispose, listener errors. An engine adapter (llama.cpp in
// ./llama.ts, MLX in ./mlx/model.ts) supplies only what differs: how text becomes tokens and
// how one completion runs. Behaviour spec: specs/engine.md.

import { CmdaiError } from '../errors';
import type { ChatMessage, CompleteOptions, Completion, LoadModelOptions, Model, ModelInfo } from './types';

/** Rejection of an aborted load or completion: `name` 'AbortError', `code` 'ABORTED'. */
export class EngineAbortError extends CmdaiError {
  constructor(message: string) {
    super('ABORTED', message);
    this.name = 'AbortError';
  }
}

/** Defaults both engines apply when an option is left out. */
export const ENGINE_DEFAULTS = {
  contextSize: 4096,
  batchSize: 512,
  maxTokens: 256,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
} as const;

/** What an engine can do beyond the common options; the core refuses the rest by name. */
export interface EngineFeatures {
  /** GBNF grammars (llama.cpp). */
  grammar: boolean;
  /** repeatPenalty other than 1 (llama.cpp). */
  repeatPenalty: boolean;
  /** promptPrefix / prefixCacheFile (llama.cpp). */
  promptPrefix: boolean;
  /** answerPrefix (llama.cpp). */
  answerPrefix: boolean;
}

export function usage(message: string, hint?: string): CmdaiError {
  return new CmdaiError('USAGE', message, hint ? { hint } : undefined);
}

export function abortedError(what: string): EngineAbortError {
  return new EngineAbortError(`${what} was aborted.`);
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

/** The checks loadModel() and loadMlxModel() make before touching the file. */
export function checkLoadOptions(loader: string, modelPath: unknown, opts: LoadModelOptions, what: string): void {
  if (typeof modelPath !== 'string' || modelPath.trim() === '') throw usage(`${loader}() needs the path of ${what}.`);
  checkInteger('contextSize', opts.contextSize, 1);
  checkInteger('batchSize', opts.batchSize, 1);
  checkInteger('threads', opts.threads, 1, 1024);
  if (opts.signal?.aborted) throw abortedError('Loading the model');
}

export function checkCompleteOptions(prompt: unknown, opts: CompleteOptions, features: EngineFeatures): void {
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
  if (!features.repeatPenalty && opts.repeatPenalty !== undefined && opts.repeatPenalty !== 1) {
    throw usage('The MLX engine has no repeat penalty; leave repeatPenalty unset (or 1).');
  }
  if (opts.grammar !== undefined && !features.grammar) {
    throw usage('GBNF grammars are a llama.cpp feature; the MLX engine constrains output with jsonSchema.');
  }
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
  if (opts.promptPrefix !== undefined && features.promptPrefix) {
    if (typeof opts.promptPrefix !== 'string' || opts.promptPrefix === '') {
      throw usage('promptPrefix must be a non-empty string.');
    }
    if (!prompt.startsWith(opts.promptPrefix)) throw usage('promptPrefix must be the beginning of the prompt.');
  }
  if (opts.prefixCacheFile !== undefined && opts.promptPrefix === undefined && features.promptPrefix) {
    throw usage('prefixCacheFile needs promptPrefix (the part of the prompt whose state it stores).');
  }
  if (opts.answerPrefix !== undefined) {
    if (!features.answerPrefix) throw usage('answerPrefix is a llama.cpp feature; the MLX engine does not take it.');
    if (typeof opts.answerPrefix !== 'string' || opts.answerPrefix === '') throw usage('answerPrefix must be a non-empty string.');
  }
  if (opts.onToken !== undefined && typeof opts.onToken !== 'function') throw usage('onToken must be a function.');
}

/** How the core and an adapter's run() talk while one completion runs. */
export interface CompletionRun {
  /** Hands a piece of shown text to the caller's onToken; a throwing listener ends the run. */
  emit(piece: string): void;
  /** Set by the adapter: stops its native work as soon as it can. */
  onAbort: () => void;
}

/**
 * The shared half of every engine's Model. Public methods check their input and the model's
 * state; completions run one at a time in call order (an engine has one KV cache).
 */
export abstract class ModelCore implements Model {
  private disposed = false;
  private disposing: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Stops the running completion (abort signal, dispose, a throwing listener). */
  private stopRunning: (() => void) | undefined;

  protected constructor(
    readonly info: ModelInfo,
    private readonly features: EngineFeatures,
  ) {}

  protected abstract tokenizeText(text: string, addSpecial: boolean, parseSpecial: boolean): number[];
  protected abstract detokenizeTokens(tokens: number[]): string;
  protected abstract renderChat(messages: ChatMessage[], addAssistant: boolean): string;
  /** One completion, options already checked; rejects with CmdaiError (or the listener's error). */
  protected abstract run(prompt: string, opts: CompleteOptions, run: CompletionRun): Promise<Completion>;
  /** Frees the native model once no completion is queued. */
  protected abstract release(): Promise<void> | void;
  /** Turns an engine error into a CmdaiError. */
  protected abstract toCmdaiError(err: unknown): Error;

  private checkUsable(): void {
    if (this.disposed) throw usage('The model was disposed; load it again to use it.');
  }

  tokenize(text: string, opts: { addSpecial?: boolean; parseSpecial?: boolean } = {}): number[] {
    this.checkUsable();
    if (typeof text !== 'string') throw usage('tokenize() takes a string.');
    return this.tokenizeText(text, opts.addSpecial ?? true, opts.parseSpecial ?? true);
  }

  detokenize(tokens: number[]): string {
    this.checkUsable();
    if (!Array.isArray(tokens) || tokens.some((t) => !Number.isInteger(t))) {
      throw usage('detokenize() takes an array of integer token ids.');
    }
    const bad = tokens.find((t) => t < 0 || t >= this.info.vocabSize);
    if (bad !== undefined) throw usage(`Token id ${bad} is outside the vocabulary (0 to ${this.info.vocabSize - 1}).`);
    return this.guard(() => this.detokenizeTokens(tokens));
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
    return this.guard(() => this.renderChat(messages, opts.addAssistant ?? true));
  }

  complete(prompt: string, opts: CompleteOptions = {}): Promise<Completion> {
    try {
      this.checkUsable();
      checkCompleteOptions(prompt, opts, this.features);
      this.checkCanComplete();
      if (opts.signal?.aborted) throw abortedError('The completion');
    } catch (err) {
      return Promise.reject(err);
    }
    const result = this.queue.then(() => this.runOne(prompt, opts));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Throws when this model cannot generate at all (a vocabulary-only load). */
  protected checkCanComplete(): void {}

  /** Rejects a prompt that leaves no room in the context for the reply. */
  protected checkPromptFits(promptTokens: number): void {
    if (promptTokens >= this.info.contextSize) {
      throw usage(
        `The prompt is ${promptTokens} tokens but the context holds ${this.info.contextSize} including the reply; ` +
          'shorten the prompt or load the model with a larger contextSize.',
      );
    }
  }

  private async runOne(prompt: string, opts: CompleteOptions): Promise<Completion> {
    if (this.disposed) throw usage('The model was disposed before this completion started.');
    if (opts.signal?.aborted) throw abortedError('The completion');
    let listenerError: unknown;
    // Once stopped, no piece reaches the listener, not even one the native side had already
    // sent: tokens cross threads, so one may arrive after the abort was asked for.
    let stopped = false;
    const stop = () => {
      stopped = true;
      run.onAbort();
    };
    const run: CompletionRun = {
      onAbort: () => undefined,
      emit: (piece) => {
        if (!piece || !opts.onToken || stopped || listenerError !== undefined) return;
        try {
          opts.onToken(piece);
        } catch (err) {
          // A throwing listener ends the completion and becomes its rejection.
          listenerError = err;
          stop();
        }
      },
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    this.stopRunning = stop;
    try {
      const completion = await this.run(prompt, opts, run);
      if (listenerError !== undefined) throw listenerError;
      return completion;
    } catch (err) {
      throw listenerError ?? this.toCmdaiError(err);
    } finally {
      this.stopRunning = undefined;
      opts.signal?.removeEventListener('abort', stop);
    }
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw this.toCmdaiError(err);
    }
  }

  dispose(): Promise<void> {
    if (this.disposing) return this.disposing;
    this.disposed = true;
    this.stopRunning?.();
    this.disposing = this.queue.then(() => this.release());
    return this.disposing;
  }
}
