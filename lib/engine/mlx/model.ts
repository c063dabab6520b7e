// The MLX engine's `Model`: the same interface as the llama.cpp engine (lib/engine/types.ts),
// over an MLX model folder. Tokenizer and chat template run here in TypeScript; the transformer,
// its KV cache and sampling run natively on the model's own thread (native/mlx).
import * as fs from 'node:fs';
import { CmdaiError } from '../../errors';
import type { ChatMessage, CompleteOptions, Completion, LoadModelOptions, Model, ModelInfo, StopReason } from '../types';
import { loadMlxAddon, type MlxModelHandle, type NativeSampling } from './binding';
import { ChatTemplate } from './chat-template';
import { JsonSchemaConstraint } from './json-schema-mask';
import { endTokenIds, readModelFolder, type ModelFolder } from './model-folder';
import { eosTokenText, MlxTokenizer } from './tokenizer';

const DEFAULT_CONTEXT_SIZE = 4096;
const DEFAULT_BATCH_SIZE = 512;
const DEFAULT_MAX_TOKENS = 256;

/** Rejection of an aborted load or completion: `name` 'AbortError', `code` 'ABORTED' (as in the llama.cpp engine). */
export class MlxAbortError extends CmdaiError {
  constructor(message: string) {
    super('ABORTED', message);
    this.name = 'AbortError';
  }
}

function usage(message: string, hint?: string): CmdaiError {
  return new CmdaiError('USAGE', message, hint ? { hint } : undefined);
}

function checkNumber(name: string, value: number | undefined, ok: (v: number) => boolean, rule: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw usage(`${name} must be ${rule}, got ${value}.`);
}

function checkCompleteOptions(prompt: unknown, opts: CompleteOptions): void {
  if (typeof prompt !== 'string') throw usage('The prompt must be a string.');
  if (prompt.length === 0) throw usage('The prompt is empty; pass the text to complete.');
  if (opts.maxTokens !== undefined && (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1)) {
    throw usage(`maxTokens must be a whole number of at least 1, got ${opts.maxTokens}.`);
  }
  checkNumber('temperature', opts.temperature, (v) => v >= 0, 'a number from 0 up');
  checkNumber('topK', opts.topK, (v) => Number.isInteger(v) && v >= 0, 'an integer from 0 up');
  checkNumber('topP', opts.topP, (v) => v > 0 && v <= 1, 'a number above 0 to 1');
  checkNumber('minP', opts.minP, (v) => v >= 0 && v <= 1, 'a number from 0 to 1');
  checkNumber('seed', opts.seed, (v) => Number.isInteger(v) && v >= 0 && v <= 0xfffffffe, 'an integer from 0 to 4294967294');
  if (opts.repeatPenalty !== undefined && opts.repeatPenalty !== 1) {
    throw usage('The MLX engine has no repeat penalty; leave repeatPenalty unset (or 1).');
  }
  if (opts.grammar !== undefined) {
    throw usage('GBNF grammars are a llama.cpp feature; the MLX engine constrains output with jsonSchema.');
  }
  if (opts.jsonSchema !== undefined && (opts.jsonSchema === null || typeof opts.jsonSchema !== 'object')) {
    throw usage('jsonSchema must be a JSON Schema object.');
  }
  if (opts.stop !== undefined && (!Array.isArray(opts.stop) || opts.stop.some((s) => typeof s !== 'string' || s === ''))) {
    throw usage('stop must be an array of non-empty strings.');
  }
  if (opts.onToken !== undefined && typeof opts.onToken !== 'function') throw usage('onToken must be a function.');
}

/**
 * Cuts the text at the first stop string and holds back a tail that could still become one, so
 * streamed pieces never contain any part of a stop string.
 */
class StopStringFilter {
  private pending = '';
  text = '';
  stopped = false;

  constructor(private readonly stops: string[]) {}

  /** Returns the text that is now safe to emit. */
  push(piece: string): string {
    if (this.stopped) return '';
    this.pending += piece;
    let cut = -1;
    for (const s of this.stops) {
      const at = this.pending.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      return this.emit(this.pending.slice(0, cut));
    }
    let hold = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.pending.length); n > hold; n--) {
        if (this.pending.endsWith(s.slice(0, n))) { hold = n; break; }
      }
    }
    return this.emit(this.pending.slice(0, this.pending.length - hold), hold);
  }

  /** At the end, a held-back tail that never became a stop string is text after all. */
  flush(): string {
    return this.stopped ? '' : this.emit(this.pending);
  }

  private emit(out: string, keep = 0): string {
    this.pending = keep > 0 ? this.pending.slice(this.pending.length - keep) : '';
    this.text += out;
    return out;
  }
}

let nextJobId = 1;

// process.exit() skips the environment teardown that would stop the models' native threads,
// and a thread still inside MLX when exit() destroys MLX's globals crashes the process. So
// every live model is stopped, synchronously, on 'exit'.
const liveHandles = new Set<WeakRef<MlxModelHandle>>();
let exitHookInstalled = false;

function trackLive(handle: MlxModelHandle): WeakRef<MlxModelHandle> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const ref of liveHandles) ref.deref()?.stopNow();
      liveHandles.clear();
    });
  }
  const ref = new WeakRef(handle);
  liveHandles.add(ref);
  return ref;
}

class MlxModel implements Model {
  private disposed = false;
  private disposing: Promise<void> | undefined;
  // Completions run one at a time, in call order: the model has one KV cache.
  private queue: Promise<unknown> = Promise.resolve();
  private running: { abort(): void } | undefined;
  private readonly constraints = new Map<string, JsonSchemaConstraint>();

  constructor(
    readonly info: ModelInfo,
    private readonly handle: MlxModelHandle,
    private readonly tokenizer: MlxTokenizer,
    private readonly template: ChatTemplate | null,
    private readonly endTokens: number[],
    private readonly loadMs: number,
    private readonly liveRef: WeakRef<MlxModelHandle>,
  ) {}

  private checkUsable(): void {
    if (this.disposed) throw usage('The model was disposed; load it again to use it.');
  }

  tokenize(text: string, opts: { addSpecial?: boolean; parseSpecial?: boolean } = {}): number[] {
    this.checkUsable();
    if (typeof text !== 'string') throw usage('tokenize() takes a string.');
    return this.tokenizer.tokenize(text, { addSpecial: opts.addSpecial ?? true, parseSpecial: opts.parseSpecial ?? true });
  }

  detokenize(tokens: number[]): string {
    this.checkUsable();
    if (!Array.isArray(tokens) || tokens.some((t) => !Number.isInteger(t))) {
      throw usage('detokenize() takes an array of integer token ids.');
    }
    const bad = tokens.find((t) => t < 0 || t >= this.tokenizer.vocabSize);
    if (bad !== undefined) throw usage(`Token id ${bad} is outside the vocabulary (0 to ${this.tokenizer.vocabSize - 1}).`);
    return this.tokenizer.detokenize(tokens);
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
    if (!this.template) {
      throw new CmdaiError('MODEL_INVALID', `${this.info.path} has no chat template (chat_template in tokenizer_config.json).`, {
        hint: 'Use a chat (instruct) model folder.',
      });
    }
    return this.template.render(messages, opts.addAssistant ?? true);
  }

  complete(prompt: string, opts: CompleteOptions = {}): Promise<Completion> {
    try {
      this.checkUsable();
      checkCompleteOptions(prompt, opts);
      if (opts.signal?.aborted) throw new MlxAbortError('The completion was aborted.');
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.queue.then(() => this.runCompletion(prompt, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private constraintFor(schema: object): JsonSchemaConstraint {
    const key = JSON.stringify(schema);
    let c = this.constraints.get(key);
    if (!c) {
      c = new JsonSchemaConstraint(schema, { tokenBytes: this.tokenizer.tokenBytes, excludedIds: this.tokenizer.addedTokenIds }, this.endTokens);
      this.constraints.set(key, c);
    }
    return c;
  }

  private async runCompletion(prompt: string, opts: CompleteOptions): Promise<Completion> {
    if (this.disposed) throw usage('The model was disposed before this completion started.');
    if (opts.signal?.aborted) throw new MlxAbortError('The completion was aborted.');
    const promptTokens = this.tokenizer.tokenize(prompt, { addSpecial: true, parseSpecial: true });
    if (promptTokens.length >= this.info.contextSize) {
      throw usage(
        `The prompt is ${promptTokens.length} tokens but the context holds ${this.info.contextSize} including the reply; ` +
          'shorten the prompt or load the model with a larger contextSize.',
      );
    }
    const constraint = opts.jsonSchema ? this.constraintFor(opts.jsonSchema) : undefined;
    const maxTokens = Math.min(opts.maxTokens ?? DEFAULT_MAX_TOKENS, this.info.contextSize - promptTokens.length);
    const sampling: NativeSampling = {
      temperature: opts.temperature ?? 0.8,
      topK: opts.topK ?? 40,
      topP: opts.topP ?? 0.95,
      minP: opts.minP ?? 0.05,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    };

    // Token ids -> text pieces -> stop strings -> the caller's onToken.
    const decoder = this.tokenizer.streamDecoder();
    const filter = new StopStringFilter(opts.stop ?? []);
    let listenerError: unknown;
    const emit = (piece: string) => {
      if (!piece || !opts.onToken || listenerError !== undefined) return;
      try {
        opts.onToken(piece);
      } catch (err) {
        listenerError = err; // a throwing listener ends the completion and becomes its rejection
        abort();
      }
    };
    const tokens: number[] = [];
    const onTokenId = (token: number) => {
      if (filter.stopped) return;
      tokens.push(token);
      emit(filter.push(decoder.push(token)));
      if (filter.stopped) abort();
    };

    const jobId = nextJobId++;
    let aborted = false;
    const abort = () => {
      aborted = true;
      this.handle.abort(jobId);
    };
    const onAbortSignal = () => abort();
    opts.signal?.addEventListener('abort', onAbortSignal, { once: true });
    this.running = { abort };
    try {
      let stopReason: StopReason;
      let promptMs: number;
      let cachedTokens: number;
      let timeToFirstTokenMs = 0;
      let generationMs: number;
      if (constraint) {
        ({ stopReason, promptMs, cachedTokens, timeToFirstTokenMs, generationMs } = await this.constrainedLoop(
          constraint, promptTokens, sampling, maxTokens, () => aborted || filter.stopped, onTokenId,
        ));
      } else {
        const result = await this.handle.generate(
          jobId,
          Int32Array.from(promptTokens),
          { ...sampling, maxTokens, endTokens: Int32Array.from(this.endTokens) },
          onTokenId,
        );
        ({ stopReason, promptMs, cachedTokens, timeToFirstTokenMs, generationMs } = result);
      }
      if (listenerError !== undefined) throw listenerError;
      if (filter.stopped) stopReason = 'stop';
      else emit(filter.push(decoder.flush()) + filter.flush());
      return {
        text: filter.text,
        tokens,
        stopReason,
        timings: {
          loadMs: this.loadMs,
          promptTokens: promptTokens.length,
          cachedTokens,
          promptMs,
          timeToFirstTokenMs,
          generatedTokens: tokens.length,
          generationMs,
        },
      };
    } catch (err) {
      if (err instanceof CmdaiError || err === listenerError) throw err;
      throw new CmdaiError('GENERATION', `The MLX engine failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.running = undefined;
      opts.signal?.removeEventListener('abort', onAbortSignal);
    }
  }

  /** Token by token from JS: each step samples only among the tokens the schema allows. */
  private async constrainedLoop(
    constraint: JsonSchemaConstraint,
    promptTokens: number[],
    sampling: NativeSampling,
    maxTokens: number,
    shouldStop: () => boolean,
    onTokenId: (token: number) => void,
  ): Promise<{ stopReason: StopReason; promptMs: number; cachedTokens: number; timeToFirstTokenMs: number; generationMs: number }> {
    const { promptMs, cachedTokens } = await this.handle.prefill(Int32Array.from(promptTokens), sampling);
    const started = performance.now();
    let timeToFirstTokenMs = 0;
    let state = constraint.start();
    let feed = -1;
    let stopReason: StopReason = 'length';
    for (let i = 0; i < maxTokens; i++) {
      if (shouldStop()) { stopReason = 'abort'; break; }
      if (constraint.isFinished(state)) { stopReason = 'eos'; break; }
      const token = await this.handle.step(feed, constraint.allowedTokens(state));
      if (i === 0) timeToFirstTokenMs = promptMs + (performance.now() - started);
      if (token < 0) throw new CmdaiError('GENERATION', 'No token of the vocabulary can continue the JSON output.');
      if (this.endTokens.includes(token)) { stopReason = 'eos'; break; }
      state = constraint.accept(state, this.tokenizer.tokenBytes[token]);
      onTokenId(token);
      feed = token;
    }
    if (stopReason === 'length' && constraint.isFinished(state)) stopReason = 'eos';
    return { stopReason, promptMs, cachedTokens, timeToFirstTokenMs, generationMs: performance.now() - started };
  }

  dispose(): Promise<void> {
    if (this.disposing) return this.disposing;
    this.disposed = true;
    this.running?.abort();
    this.disposing = this.queue.then(() => this.handle.dispose()).finally(() => liveHandles.delete(this.liveRef));
    return this.disposing;
  }
}

/**
 * Loads an MLX model folder (mlx-community layout, float or affine-quantized Qwen2). Rejects
 * with CmdaiError MODEL_MISSING / MODEL_INVALID / USAGE / BACKEND_UNAVAILABLE, or an AbortError.
 */
export async function loadMlxModel(modelPath: string, opts: LoadModelOptions = {}): Promise<Model> {
  if (typeof modelPath !== 'string' || modelPath.trim() === '') throw usage('loadMlxModel() needs the path of an MLX model folder.');
  for (const [name, v] of [['contextSize', opts.contextSize], ['batchSize', opts.batchSize], ['threads', opts.threads]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw usage(`${name} must be an integer from 1 up, got ${v}.`);
  }
  if (opts.signal?.aborted) throw new MlxAbortError('Loading the model was aborted.');

  const folder: ModelFolder = readModelFolder(modelPath);
  const tokenizer = MlxTokenizer.fromFolder(folder.dir);
  const template = ChatTemplate.fromConfig(tokenizer.config, `${folder.dir}/tokenizer_config.json`);
  const eosText = eosTokenText(tokenizer.config);
  const endTokens = endTokenIds(folder, eosText === null ? undefined : tokenizer.idOf(eosText));
  if (endTokens.length === 0) {
    throw new CmdaiError('MODEL_INVALID', `${folder.dir} names no end-of-text token (eos_token_id in config.json).`, {
      hint: 'Download the model folder again.',
    });
  }

  const lookup = loadMlxAddon();
  if (!lookup.addon) throw new CmdaiError('BACKEND_UNAVAILABLE', `The MLX engine is unavailable: ${lookup.reason}`);
  const handle = new lookup.addon.MlxModel();
  const liveRef = trackLive(handle);
  const contextSize = Math.min(opts.contextSize ?? DEFAULT_CONTEXT_SIZE, folder.trainContextSize);
  opts.onProgress?.(0);
  let loaded;
  try {
    loaded = await handle.load({
      weightFiles: folder.weightFiles,
      config: folder.config,
      contextSize,
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    });
  } catch (err) {
    await handle.dispose().catch(() => undefined);
    liveHandles.delete(liveRef);
    throw new CmdaiError('MODEL_INVALID', `${folder.dir} could not be loaded: ${(err as Error).message}`, {
      hint: 'Download the model folder again; if it persists, the folder is not a Qwen2 MLX model.',
      cause: err,
    });
  }
  // The native load cannot be interrupted; an abort during it discards the result.
  if (opts.signal?.aborted) {
    await handle.dispose();
    liveHandles.delete(liveRef);
    throw new MlxAbortError('Loading the model was aborted.');
  }
  opts.onProgress?.(1);
  const info: ModelInfo = {
    path: folder.dir,
    architecture: String(folder.raw.model_type),
    name: folder.name,
    parameters: loaded.parameters,
    sizeBytes: folder.weightFiles.reduce((n, f) => n + fs.statSync(f).size, 0),
    trainContextSize: folder.trainContextSize,
    contextSize,
    vocabSize: folder.config.vocab_size,
    chatTemplate: template?.source ?? null,
  };
  return new MlxModel(info, handle, tokenizer, template, endTokens, loaded.loadMs, liveRef);
}
